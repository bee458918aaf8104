import { expect } from 'chai';
import { bearer, eventBus, makeTenant, type MadeTenant, pairDevice, suite, waitFor } from '../helpers';
import { closedAfterEach, deviceSocket, tabletOnline } from '../socket-helpers';

const AUDIT = '/api/v1/merchants/audit';
const DEVICES = '/api/v1/merchants/loyalty/devices';

describe('audit log (§12): who did what, written with the change, newest first, per merchant', () => {
  const t = suite({ LAST_SEEN_FLUSH_MS: '200' });
  const open = closedAfterEach();
  let tenant: MadeTenant;
  let other: MadeTenant;
  before(async () => {
    tenant = await makeTenant(t, 1);
    other = await makeTenant(t, 1);
  });
  const audit = async (query = '', token = tenant.merchantToken) =>
    (await t.http.get(`${AUDIT}${query}`).set(bearer(token)).expect(200)).body;

  it('pair, rename, revoke: each entry names the user (with email), the address, the device and the details', async () => {
    const device = await pairDevice(t, tenant, 0, 'Till A');
    await t.http
      .patch(`${DEVICES}/${device.id}`)
      .set(bearer(tenant.merchantToken))
      .send({ label: 'Till B' })
      .expect(200);
    await t.http
      .post(`${DEVICES}/${device.id}/revoke`)
      .set(bearer(tenant.merchantToken))
      .send({ reason: 'stolen' })
      .expect(200);
    const { items } = await audit(`?device_id=${device.id}`);
    expect(items.map((e: { action: string }) => e.action)).to.deep.equal([
      'device.revoked',
      'device.renamed',
      'device.paired',
    ]);
    const [revoked, renamed] = items;
    expect(revoked.actor).to.deep.equal({ kind: 'user', id: tenant.merchant.id, email: tenant.merchant.email });
    expect(revoked).to.deep.include({ on_behalf: false, merchant_id: tenant.merchantId });
    expect(revoked.target).to.deep.equal({ type: 'device', id: device.id });
    expect(revoked.details).to.deep.equal({ reason: 'stolen' });
    expect(revoked.ip).to.be.a('string').and.not.equal('');
    expect(renamed.details).to.deep.equal({ from: 'Till A', to: 'Till B' });
    // A second revoke changes nothing, so it records nothing.
    await t.http.post(`${DEVICES}/${device.id}/revoke`).set(bearer(tenant.merchantToken)).send({}).expect(200);
    expect((await audit(`?device_id=${device.id}&action=device.revoked`)).items).to.have.length(1);
    // Another merchant sees none of it, even asking for the device.
    expect((await audit(`?device_id=${device.id}`, other.merchantToken)).items).to.deep.equal([]);
  });

  it('an admin acting for the merchant is recorded on_behalf, and reads the log on the admin portal', async () => {
    const res = await t.http
      .post(`/api/v1/admin/merchants/${tenant.merchantId}/loyalty/devices`)
      .set(bearer(t.admin.token))
      .send({ store_id: tenant.stores[0].id, label: 'By admin' })
      .expect(201);
    const id = res.body.device.id;
    const body = (
      await t.http
        .get(`/api/v1/admin/merchants/${tenant.merchantId}/audit?device_id=${id}`)
        .set(bearer(t.admin.token))
        .expect(200)
    ).body;
    expect(body.items).to.have.length(1);
    expect(body.items[0]).to.deep.include({ action: 'device.paired', on_behalf: true });
    expect(body.items[0].actor).to.deep.equal({ kind: 'user', id: t.admin.id, email: t.admin.email });
    // The merchant sees the admin's action in its own log too; a merchant user cannot use the admin twin.
    expect((await audit(`?device_id=${id}`)).items[0].on_behalf).to.equal(true);
    await t.http
      .get(`/api/v1/admin/merchants/${tenant.merchantId}/audit`)
      .set(bearer(tenant.merchantToken))
      .expect(403);
  });

  it('no action without its entry: when the entry cannot be written, the change is rolled back', async () => {
    const device = await pairDevice(t, tenant, 0, 'Kept');
    let fail = true;
    eventBus(t).onTransaction('device.renamed', async () => {
      if (fail) throw new Error('audit write refused');
    });
    await t.http.patch(`${DEVICES}/${device.id}`).set(bearer(tenant.merchantToken)).send({ label: 'Lost' }).expect(500);
    fail = false;
    const now = (await t.http.get(`${DEVICES}/${device.id}`).set(bearer(tenant.merchantToken)).expect(200)).body;
    expect(now.device.label).to.equal('Kept');
    expect((await audit(`?device_id=${device.id}&action=device.renamed`)).items).to.deep.equal([]);
  });

  it('commands: created and canceled by the user, completed by the device with its status', async () => {
    const device = await pairDevice(t, tenant);
    const base = `${DEVICES}/${device.id}/commands`;
    const first = (await t.http.post(base).set(bearer(tenant.merchantToken)).send({ type: 'ping' }).expect(201)).body;
    await t.http.post(`${base}/${first.command.id}/cancel`).set(bearer(tenant.merchantToken)).expect(200);
    const second = (await t.http.post(base).set(bearer(tenant.merchantToken)).send({ type: 'ping' }).expect(201)).body;
    const tablet = open(deviceSocket(t.url, device.token));
    tablet.socket.on('command', (_c: unknown, received: () => void) => received());
    await tablet.session();
    await tablet.next('command');
    await tablet.emitWithAck('command:result', { id: second.command.id, ok: true, result: {} });
    const { items } = await audit(`?device_id=${device.id}`);
    const commands = items.filter((e: { target: { type: string } }) => e.target.type === 'command');
    expect(commands.map((e: { action: string; details: object }) => [e.action, e.details])).to.deep.equal([
      ['command.completed', { type: 'ping', status: 'succeeded' }],
      ['command.created', { type: 'ping' }],
      ['command.canceled', { type: 'ping', status: 'canceled' }],
      ['command.created', { type: 'ping' }],
    ]);
    expect(commands[0].actor).to.deep.equal({ kind: 'device', id: device.id });
    expect(commands[2].actor.kind).to.equal('user');
  });

  it('a revoke cancels the unfinished commands in the name of who revoked', async () => {
    const device = await pairDevice(t, tenant);
    const base = `${DEVICES}/${device.id}/commands`;
    const queued = (await t.http.post(base).set(bearer(tenant.merchantToken)).send({ type: 'sync' }).expect(201)).body;
    await t.http.post(`${DEVICES}/${device.id}/revoke`).set(bearer(tenant.merchantToken)).send({}).expect(200);
    const canceled = await waitFor(async () =>
      (await audit(`?device_id=${device.id}&action=command.canceled`)).items.find(
        (e: { target: { id: number } }) => e.target.id === queued.command.id,
      ),
    );
    expect(canceled.actor).to.deep.equal({ kind: 'user', id: tenant.merchant.id, email: tenant.merchant.email });
  });

  it('device connects and disconnects are recorded in batches, with the address and the reason', async () => {
    const device = await pairDevice(t, tenant);
    const tablet = await tabletOnline(t.url, device.token);
    tablet.close();
    const items = await waitFor(async () => {
      const got = (await audit(`?device_id=${device.id}`)).items.filter((e: { action: string }) =>
        e.action.startsWith('device.'),
      );
      return got.length >= 3 ? got : undefined;
    });
    expect(items.map((e: { action: string }) => e.action)).to.deep.equal([
      'device.disconnected',
      'device.connected',
      'device.paired',
    ]);
    expect(items[0].details).to.deep.equal({ reason: 'client_disconnect' });
    expect(items[1].details.ip).to.be.a('string');
    expect(items[1].actor).to.deep.equal({ kind: 'device', id: device.id });
  });

  it('pages with a cursor: no entry twice, none skipped, while new entries are written between pages', async () => {
    const fresh = await makeTenant(t, 1);
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await pairDevice(t, fresh, 0, `P${i}`)).id);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const body = await audit(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`, fresh.merchantToken);
      for (const e of body.items) seen.push(e.target.id);
      cursor = body.next_cursor;
      if (pages++ === 0) await pairDevice(t, fresh, 0, 'Written meanwhile');
    } while (cursor);
    expect(seen).to.deep.equal([...ids].reverse());
    expect(pages).to.equal(3);
  });

  it('filters by action, actor and time; bad filters are 400 VALIDATION_ERROR', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const device = await pairDevice(t, tenant, 0, 'Filtered');
    const byActor = await audit(`?actor_id=${tenant.merchant.id}&action=device.paired&since=${since}`);
    expect(byActor.items.map((e: { target: { id: number } }) => e.target.id)).to.include(device.id);
    expect((await audit(`?until=${since}&device_id=${device.id}`)).items).to.deep.equal([]);
    for (const q of ['?limit=0', '?limit=201', '?cursor=nope', '?since=yesterday', '?action=DROP%20TABLE']) {
      const res = await t.http.get(`${AUDIT}${q}`).set(bearer(tenant.merchantToken)).expect(400);
      expect(res.body.error.code).to.equal('VALIDATION_ERROR');
    }
  });

  it("a renewal is the device's own act; a program change the user's", async () => {
    const device = await pairDevice(t, tenant);
    await t.http.post('/api/v1/store/loyalty/device/token').set(bearer(device.token)).expect(200);
    const [renewed] = (await audit(`?device_id=${device.id}&action=device.token_renewed`)).items;
    expect(renewed.actor).to.deep.equal({ kind: 'device', id: device.id });
    expect(renewed.details.expires_at).to.be.a('string');
    await t.http
      .put('/api/v1/merchants/loyalty/program')
      .set(bearer(tenant.merchantToken))
      .send({ stamps_required: 7, reward_label: 'Free croissant' })
      .expect(200);
    const [program] = (await audit('?action=program.updated')).items;
    expect(program.details).to.deep.equal({ stamps_required: 7, reward_label: 'Free croissant' });
    expect(program.actor.email).to.equal(tenant.merchant.email);
  });

  it('the retention purge deletes entries older than the cutoff, and only those', async () => {
    const device = await pairDevice(t, tenant, 0, 'Old');
    const before = (await audit(`?device_id=${device.id}`)).items.length;
    expect(await t.hub.ctx.audit.purge(new Date(Date.now() - 86_400_000))).to.equal(0);
    expect((await audit(`?device_id=${device.id}`)).items).to.have.length(before);
    expect(await t.hub.ctx.audit.purge(new Date(Date.now() + 1000))).to.be.greaterThan(0);
    expect((await audit(`?device_id=${device.id}`)).items).to.deep.equal([]);
  });
});

describe('audit log: socket connects are batched, not one write per socket', () => {
  const t = suite({ LAST_SEEN_FLUSH_MS: '3600000' });
  const open = closedAfterEach();

  it('20 tablets connecting write nothing until the flush, then all 20 entries in one batch', async () => {
    const tenant = await makeTenant(t, 1);
    const devices = [];
    for (let i = 0; i < 20; i++) devices.push(await pairDevice(t, tenant, 0, `T${i}`));
    await t.hub.ctx.audit.flush();
    await Promise.all(devices.map(async (d) => open(await tabletOnline(t.url, d.token))));
    await waitFor(() => t.hub.ctx.audit.buffered >= 20);
    const list = () =>
      t.http.get('/api/v1/merchants/audit?action=device.connected').set(bearer(tenant.merchantToken)).expect(200);
    expect((await list()).body.items).to.deep.equal([]);
    expect(await t.hub.ctx.audit.flush()).to.equal(20);
    expect((await list()).body.items).to.have.length(20);
  });
});
