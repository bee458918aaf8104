import { expect } from 'chai';
import { DeviceCommand } from '../../src/commands/entities';
import {
  bearer,
  commandService,
  dataSource,
  DATABASE_URL,
  makeTenant,
  type MadeTenant,
  pairDevice,
  REDIS_URL,
  startHub,
  suite,
  testKey,
  waitFor,
} from '../helpers';
import { closedAfterEach, dashboardSocket, deviceSocket } from '../socket-helpers';

const base = (deviceId: number) => `/api/v1/merchants/loyalty/devices/${deviceId}/commands`;

describe('device commands: stored, delivered at least once, acknowledged, closed by a result or an expiry', () => {
  const t = suite();
  let tenant: MadeTenant;
  const open = closedAfterEach();
  before(async () => {
    tenant = await makeTenant(t, 1);
  });
  const send = (deviceId: number, body: object, key?: string) => {
    const req = t.http.post(base(deviceId)).set(bearer(tenant.merchantToken));
    return (key ? req.set('Idempotency-Key', key) : req).send(body);
  };
  const get = async (deviceId: number, id: number) =>
    (
      await t.http
        .get(`${base(deviceId)}/${id}`)
        .set(bearer(tenant.merchantToken))
        .expect(200)
    ).body.command;

  it('a round trip: queued → sent on connect → delivered on ack → succeeded by the result; dashboards follow it', async () => {
    const device = await pairDevice(t, tenant);
    const dash = open(dashboardSocket(t.url, tenant.merchantToken));
    await dash.connected();
    const created = await send(device.id, { type: 'identify', args: { seconds: 5 } }).expect(201);
    const command = created.body.command;
    expect(command).to.include({ type: 'identify', status: 'queued', device_id: device.id });
    expect(command.args).to.deep.equal({ seconds: 5 });

    const tablet = open(deviceSocket(t.url, device.token));
    tablet.socket.on('command', (_payload: unknown, received: () => void) => received());
    await tablet.session();
    const got = await tablet.next('command');
    expect(got.payload).to.deep.include({ id: command.id, type: 'identify', args: { seconds: 5 } });
    await waitFor(async () => (await get(device.id, command.id)).status === 'delivered');

    const ack = await tablet.emitWithAck('command:result', { id: command.id, ok: true, result: { flashed: true } });
    expect(ack).to.deep.equal({ status: 'succeeded' });
    const done = await get(device.id, command.id);
    expect(done).to.include({ status: 'succeeded' });
    expect(done.result).to.deep.equal({ flashed: true });
    expect(done.sent_at).to.be.a('string');
    expect(done.delivered_at).to.be.a('string');
    expect(done.completed_at).to.be.a('string');
    // A final status never changes.
    const again = await tablet.emitWithAck('command:result', { id: command.id, ok: false });
    expect(again.error.code).to.equal('CONFLICT');

    const seen = await waitFor(() => {
      const statuses = dash.events
        .filter((e) => e.name === 'command:updated' && e.payload.command.id === command.id)
        .map((e) => e.payload.command.status);
      return statuses.includes('succeeded') ? statuses : undefined;
    });
    expect(seen).to.deep.equal(['queued', 'sent', 'delivered', 'succeeded']);
  });

  it('a command sent to a live tablet reaches it at once; one never acknowledged is sent again after a reconnect', async () => {
    const device = await pairDevice(t, tenant);
    const first = open(deviceSocket(t.url, device.token));
    await first.session();
    const { command } = (await send(device.id, { type: 'ping' }).expect(201)).body;
    await first.next('command', (p) => p.id === command.id); // not acknowledged: it stays `sent`
    await waitFor(async () => (await get(device.id, command.id)).status === 'sent');
    first.close();

    const second = open(deviceSocket(t.url, device.token));
    second.socket.on('command', (_p: unknown, received: () => void) => received());
    await second.session();
    await second.next('command', (p) => p.id === command.id);
    await waitFor(async () => (await get(device.id, command.id)).status === 'delivered');
  });

  it('validates each type, and refuses commands for a revoked device; nothing is stored', async () => {
    const device = await pairDevice(t, tenant);
    for (const body of [
      { type: 'identify', args: { seconds: 121 } },
      { type: 'show_message', args: {} },
      { type: 'show_message', args: { text: 'hi\u0000' } },
      { type: 'reload', args: { x: 1 } },
      { type: 'self_destruct' },
      { type: 'ping', ttl_s: 5 },
    ])
      expect((await send(device.id, body).expect(400)).body.error.code).to.equal('VALIDATION_ERROR');
    const list = await t.http.get(base(device.id)).set(bearer(tenant.merchantToken)).expect(200);
    expect(list.body.items).to.deep.equal([]);
    await t.http
      .post(`/api/v1/merchants/loyalty/devices/${device.id}/revoke`)
      .set(bearer(tenant.merchantToken))
      .send({});
    const refused = await send(device.id, { type: 'sync' }).expect(409);
    expect(refused.body.error.details.reason).to.equal('device_revoked');
  });

  it('at most 50 unfinished per device; cancel while queued or sent, not after; a revoke cancels the rest', async () => {
    const device = await pairDevice(t, tenant);
    const ids: number[] = [];
    for (let i = 0; i < 50; i++) ids.push((await send(device.id, { type: 'sync' }).expect(201)).body.command.id);
    expect((await send(device.id, { type: 'sync' }).expect(409)).body.error.details.reason).to.equal(
      'too_many_unfinished',
    );
    const canceled = await t.http.post(`${base(device.id)}/${ids[0]}/cancel`).set(bearer(tenant.merchantToken));
    expect(canceled.status).to.equal(200);
    expect(canceled.body.command.status).to.equal('canceled');
    await t.http
      .post(`${base(device.id)}/${ids[0]}/cancel`)
      .set(bearer(tenant.merchantToken))
      .expect(409);
    await send(device.id, { type: 'sync' }).expect(201); // a slot is free again

    await t.http
      .post(`/api/v1/merchants/loyalty/devices/${device.id}/revoke`)
      .set(bearer(tenant.merchantToken))
      .send({});
    await waitFor(async () => (await get(device.id, ids[49])).status === 'canceled');
  });

  it('a command past its expiry reads as expired at once, and the sweeper writes it', async () => {
    const device = await pairDevice(t, tenant);
    const { command } = (await send(device.id, { type: 'reload', ttl_s: 10 }).expect(201)).body;
    await dataSource(t)
      .getRepository(DeviceCommand)
      .update({ id: command.id }, { expiresAt: new Date(Date.now() - 1000) });
    expect((await get(device.id, command.id)).status).to.equal('expired');
    await commandService(t).expireDue(); // the suite's own scheduler may have swept it a moment earlier
    expect((await dataSource(t).getRepository(DeviceCommand).findOneByOrFail({ id: command.id })).status).to.equal(
      'expired',
    );
    // A tablet that connects now is not sent it.
    const tablet = open(deviceSocket(t.url, device.token));
    await tablet.session();
    await new Promise((r) => setTimeout(r, 300));
    expect(tablet.events.filter((e) => e.name === 'command')).to.deep.equal([]);
  });

  it('Idempotency-Key: the same key and body answer the same command; another body is 409', async () => {
    const device = await pairDevice(t, tenant);
    const key = `cmd-${Date.now()}`;
    const first = await send(device.id, { type: 'show_message', args: { text: 'Hello' } }, key).expect(201);
    const replay = await send(device.id, { type: 'show_message', args: { text: 'Hello' } }, key).expect(201);
    expect(replay.headers['idempotent-replayed']).to.equal('true');
    expect(replay.body.command.id).to.equal(first.body.command.id);
    const other = await send(device.id, { type: 'show_message', args: { text: 'Bye' } }, key).expect(409);
    expect(other.body.error.code).to.equal('IDEMPOTENCY_KEY_REUSED');
  });

  it("a tablet cannot close another device's command, nor send a result over 4 KB", async () => {
    const a = await pairDevice(t, tenant);
    const b = await pairDevice(t, tenant);
    const { command } = (await send(a.id, { type: 'ping' }).expect(201)).body;
    const tabletB = open(deviceSocket(t.url, b.token));
    await tabletB.session();
    expect((await tabletB.emitWithAck('command:result', { id: command.id, ok: true })).error.code).to.equal(
      'NOT_FOUND',
    );
    const tabletA = open(deviceSocket(t.url, a.token));
    await tabletA.session();
    const big = { blob: 'x'.repeat(5000) };
    const refused = await tabletA.emitWithAck('command:result', { id: command.id, ok: true, result: big });
    expect(refused.error.code).to.equal('VALIDATION_ERROR');
    expect((await get(a.id, command.id)).status).to.not.equal('succeeded');
  });

  it("another merchant's device or command is 404", async () => {
    const other = await makeTenant(t, 1);
    const theirs = await pairDevice(t, other);
    await send(theirs.id, { type: 'ping' }).expect(404);
    const { command } = (
      await t.http.post(base(theirs.id)).set(bearer(other.merchantToken)).send({ type: 'ping' }).expect(201)
    ).body;
    await t.http
      .get(`${base(theirs.id)}/${command.id}`)
      .set(bearer(tenant.merchantToken))
      .expect(404);
  });
});

(DATABASE_URL && REDIS_URL ? describe : describe.skip)('device commands across two nodes', () => {
  it('a command created on node A reaches the tablet on node B, and its result is seen on A', async () => {
    const shared = { JWT_KEYS: testKey('k1') };
    const a = await startHub(shared);
    const b = await startHub(shared);
    try {
      const tenant = await makeTenant(a, 1);
      const device = await pairDevice(a, tenant);
      const tablet = deviceSocket(b.url, device.token);
      tablet.socket.on('command', (_p: unknown, received: () => void) => received());
      await tablet.session();
      const { command } = (
        await a.http.post(base(device.id)).set(bearer(tenant.merchantToken)).send({ type: 'ping' }).expect(201)
      ).body;
      await tablet.next('command', (p) => p.id === command.id);
      expect(await tablet.emitWithAck('command:result', { id: command.id, ok: true })).to.deep.equal({
        status: 'succeeded',
      });
      const seen = await a.http.get(`${base(device.id)}/${command.id}`).set(bearer(tenant.merchantToken));
      expect(seen.body.command.status).to.equal('succeeded');
      tablet.close();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
