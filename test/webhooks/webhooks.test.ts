import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { bearer, dataSource, makeTenant, type MadeTenant, pairDevice, suite, tempDir, waitFor } from '../helpers';
import { closedAfterEach, deviceSocket } from '../socket-helpers';
import { WebhookEndpoint, WebhookEvent } from '../../src/webhooks/entities';
import { Receiver, verify } from './receiver';

const WEBHOOKS = '/api/v1/merchants/webhooks';
const DEVICES = '/api/v1/merchants/loyalty/devices';

describe('webhooks (§13): endpoints, signed deliveries from the outbox, retries, the delivery log', function () {
  this.timeout(30_000);
  const t = suite({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_MS: '100', LAST_SEEN_FLUSH_MS: '200' });
  const open = closedAfterEach();
  let tenant: MadeTenant;
  let other: MadeTenant;
  let receiver: Receiver;
  before(async () => {
    tenant = await makeTenant(t, 1);
    other = await makeTenant(t, 1);
  });
  beforeEach(async () => {
    receiver = await new Receiver().start();
  });
  afterEach(async () => {
    await receiver.close();
    // Each test starts without endpoints, so one test's events never reach another's receiver.
    for (const tn of [tenant, other]) {
      const { items } = (await t.http.get(WEBHOOKS).set(bearer(tn.merchantToken)).expect(200)).body;
      for (const w of items) await t.http.delete(`${WEBHOOKS}/${w.id}`).set(bearer(tn.merchantToken)).expect(204);
    }
  });
  const subscribe = async (events: string[], token = tenant.merchantToken, url = `${receiver.url}/hook`) =>
    (await t.http.post(WEBHOOKS).set(bearer(token)).send({ url, events, description: 'ERP' }).expect(201)).body;
  const deliveries = async (id: number, query = '') =>
    (await t.http.get(`${WEBHOOKS}/${id}/deliveries${query}`).set(bearer(tenant.merchantToken)).expect(200)).body.items;

  it('subscribe: the secret (whsec_) once, never again; list, get, change, remove; another merchant sees none', async () => {
    const created = await subscribe(['device.paired']);
    expect(created.secret).to.match(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(created.webhook).to.deep.include({
      url: `${receiver.url}/hook`,
      events: ['device.paired'],
      description: 'ERP',
      enabled: true,
      disabled_reason: null,
    });
    const id = created.webhook.id;
    const one = await t.http.get(`${WEBHOOKS}/${id}`).set(bearer(tenant.merchantToken)).expect(200);
    expect(JSON.stringify(one.body)).to.not.include(created.secret.slice(6, 20));
    const list = await t.http.get(WEBHOOKS).set(bearer(tenant.merchantToken)).expect(200);
    expect(list.body.items.map((w: { id: number }) => w.id)).to.deep.equal([id]);
    const changed = await t.http
      .patch(`${WEBHOOKS}/${id}`)
      .set(bearer(tenant.merchantToken))
      .send({ events: ['*'], enabled: false })
      .expect(200);
    expect(changed.body.webhook).to.deep.include({
      events: ['*'],
      enabled: false,
      disabled_reason: 'disabled_by_user',
    });
    const disabled = await t.http
      .get('/api/v1/merchants/audit?action=webhook.disabled')
      .set(bearer(tenant.merchantToken))
      .expect(200);
    expect(disabled.body.items[0]).to.deep.include({ details: { reason: 'disabled_by_user' } });
    expect(disabled.body.items[0].actor.id).to.equal(tenant.merchant.id);
    await t.http.get(`${WEBHOOKS}/${id}`).set(bearer(other.merchantToken)).expect(404);
    await t.http.delete(`${WEBHOOKS}/${id}`).set(bearer(other.merchantToken)).expect(404);
    expect((await t.http.get(WEBHOOKS).set(bearer(other.merchantToken)).expect(200)).body.items).to.deep.equal([]);
    await t.http.delete(`${WEBHOOKS}/${id}`).set(bearer(tenant.merchantToken)).expect(204);
    await t.http.get(`${WEBHOOKS}/${id}`).set(bearer(tenant.merchantToken)).expect(404);
  });

  it('bad input is 400 naming the field and stores nothing', async () => {
    const bad = async (body: object, field: string) => {
      const res = await t.http.post(WEBHOOKS).set(bearer(tenant.merchantToken)).send(body).expect(400);
      expect(res.body.error.code).to.equal('VALIDATION_ERROR');
      expect(res.body.error.details.fields).to.have.property(field);
    };
    await bad({ url: `${receiver.url}/hook`, events: [] }, 'events');
    await bad({ url: `${receiver.url}/hook`, events: ['device.exploded'] }, 'events');
    await bad({ url: `${receiver.url}/hook`, events: ['*', 'device.paired'] }, 'events');
    await bad({ url: 'not a url', events: ['*'] }, 'url');
    await bad({ url: 'ftp://example.com/x', events: ['*'] }, 'url');
    await bad({ url: 'https://name.invalid/x', events: ['*'] }, 'url');
    await bad({ url: `${receiver.url}/hook`, events: ['*'], secret: 'mine' }, 'body'); // no secret of one's own
    expect((await t.http.get(WEBHOOKS).set(bearer(tenant.merchantToken)).expect(200)).body.items).to.deep.equal([]);
  });

  it('a pairing is delivered signed (Standard Webhooks, verified with the package), with the REST Device', async () => {
    const { secret, webhook } = await subscribe(['device.paired']);
    const device = await pairDevice(t, tenant, 0, 'Till W');
    const got = await receiver.next('device.paired');
    const body = verify(secret, got) as any;
    expect(body).to.deep.include({ type: 'device.paired', merchant_id: tenant.merchantId });
    expect(body.id).to.match(/^evt_/).and.equal(got.headers['webhook-id']);
    expect(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000)).to.be.below(30);
    const rest = (await t.http.get(`${DEVICES}/${device.id}`).set(bearer(tenant.merchantToken)).expect(200)).body;
    expect(body.data.device).to.deep.include({ id: device.id, label: 'Till W', store_code: rest.device.store_code });
    expect(got.headers['content-type']).to.equal('application/json');
    expect(() => verify(`whsec_${Buffer.alloc(24, 1).toString('base64')}`, got)).to.throw();
    const [d] = await waitFor(async () => {
      const items = await deliveries(webhook.id);
      return items[0]?.status === 'succeeded' ? items : undefined;
    });
    expect(d).to.deep.include({ event_id: body.id, event_type: 'device.paired', attempts: 1, response_status: 200 });
    expect(d.response_excerpt).to.equal('ok');
    expect(d.next_attempt_at).to.equal(null);
  });

  it("the docs' 10-line receiver (docs/webhooks.md) verifies a real delivery and refuses a tampered one", async () => {
    const readme = fs.readFileSync(path.resolve('docs/webhooks.md'), 'utf8');
    const code = /\*\*Verifying a delivery\*\*[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)![1];
    const file = path.join(tempDir(), 'verify.mjs');
    fs.writeFileSync(file, code);
    const { verify: readmeVerify } = await import(file);
    const { secret } = await subscribe(['device.paired']);
    await pairDevice(t, tenant);
    const got = await receiver.next('device.paired');
    expect(readmeVerify(secret, got.headers, got.body)).to.equal(true);
    expect(readmeVerify(secret, got.headers, got.body.replace('"device.paired"', '"device.revoked"'))).to.equal(false);
  });

  it('only the subscribed types; "*" gets a tablet going online and offline (with the reason) too', async () => {
    await subscribe(['device.revoked']);
    const all = await subscribe(['*'], tenant.merchantToken, `${receiver.url}/all`);
    const device = await pairDevice(t, tenant);
    const tablet = open(deviceSocket(t.url, device.token));
    await tablet.session();
    const online = await receiver.next('device.online');
    expect(online.json.data.device).to.deep.include({ id: device.id, online: true });
    tablet.close();
    const offline = await receiver.next('device.offline');
    expect(offline.json.data).to.deep.include({ reason: 'client_disconnect' });
    expect(offline.json.data.device).to.deep.include({ id: device.id, online: false });
    await t.http.post(`${DEVICES}/${device.id}/revoke`).set(bearer(tenant.merchantToken)).send({}).expect(200);
    await waitFor(() => receiver.of('device.revoked').length === 2);
    for (const got of receiver.of('device.revoked'))
      expect(got.json.data.device).to.deep.include({ id: device.id, status: 'revoked', online: false });
    const paths = (type: string) => receiver.received.filter((r) => r.json.type === type).length;
    expect(paths('device.paired')).to.equal(1); // only "*" asked for it
    expect(paths('device.online')).to.equal(1);
    expect(all.webhook.events).to.deep.equal(['*']);
  });

  it('a failed attempt (500) is logged and retried by itself about 5 s later, with the same webhook-id', async () => {
    const { webhook } = await subscribe(['device.paired']);
    receiver.answer = 500;
    await pairDevice(t, tenant);
    const first = await receiver.next('device.paired');
    const [pending] = await waitFor(async () => {
      const items = await deliveries(webhook.id);
      return items[0]?.attempts === 1 && items[0].response_excerpt !== null ? items : undefined; // its outcome recorded
    });
    expect(pending).to.deep.include({ status: 'pending', response_status: 500, response_excerpt: 'refused with 500' });
    const due = Date.parse(pending.next_attempt_at) - Date.parse(pending.last_attempt_at);
    expect(due).to.be.within(4000, 6000);
    receiver.answer = 200;
    const second = await receiver.next('device.paired', 1, 15_000);
    expect(second.headers['webhook-id']).to.equal(first.headers['webhook-id']);
    expect(second.at - first.at).to.be.within(3500, 8000);
    await waitFor(async () => (await deliveries(webhook.id, '?status=succeeded')).length === 1);
  });

  it('a redirect is not followed: it is a failed attempt', async () => {
    const { webhook } = await subscribe(['device.paired']);
    receiver.answer = 302;
    await pairDevice(t, tenant);
    await receiver.next('device.paired');
    const [d] = await waitFor(async () => {
      const items = await deliveries(webhook.id);
      return items[0]?.attempts === 1 && items[0].response_excerpt !== null ? items : undefined; // its outcome recorded
    });
    expect(d).to.deep.include({ status: 'pending', response_status: 302 });
    expect(receiver.received.map((r) => r.json.type)).to.deep.equal(['device.paired']); // nothing at /elsewhere
  });

  it('test event and manual retry: 202, delivered at once, the retry with the same webhook-id', async () => {
    const { webhook, secret } = await subscribe(['device.paired']);
    const res = await t.http.post(`${WEBHOOKS}/${webhook.id}/test`).set(bearer(tenant.merchantToken)).expect(202);
    const got = await receiver.next('webhook.test');
    expect((verify(secret, got) as any).data.webhook).to.deep.equal({ id: webhook.id, url: webhook.url });
    expect(res.body.delivery.event_id).to.equal(got.json.id);
    await waitFor(async () => (await deliveries(webhook.id))[0]?.status === 'succeeded');
    await t.http
      .post(`${WEBHOOKS}/${webhook.id}/deliveries/${res.body.delivery.id}/retry`)
      .set(bearer(tenant.merchantToken))
      .expect(202);
    const again = await receiver.next('webhook.test', 1);
    expect(again.headers['webhook-id']).to.equal(got.headers['webhook-id']);
    await t.http
      .post(`${WEBHOOKS}/${webhook.id}/deliveries/${res.body.delivery.id}/retry`)
      .set(bearer(other.merchantToken))
      .expect(404);
  });

  it('a retry asked while the delivery is being attempted does not send it a second time meanwhile', async () => {
    const { webhook } = await subscribe(['device.paired']);
    receiver.answer = 'hang';
    await pairDevice(t, tenant);
    await receiver.next('device.paired'); // the attempt is in flight, its request held by the receiver
    const [d] = await deliveries(webhook.id);
    const res = await t.http
      .post(`${WEBHOOKS}/${webhook.id}/deliveries/${d.id}/retry`)
      .set(bearer(tenant.merchantToken))
      .expect(202);
    expect(res.body.delivery).to.deep.include({ status: 'pending', attempts: 1 });
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.of('device.paired')).to.have.length(1);
  });

  it('rotation: for 24 h a delivery carries two signatures, each verifying with its secret', async () => {
    const { webhook, secret: old } = await subscribe(['device.paired']);
    const rotated = await t.http
      .post(`${WEBHOOKS}/${webhook.id}/rotate-secret`)
      .set(bearer(tenant.merchantToken))
      .expect(200);
    const fresh = rotated.body.secret;
    expect(fresh)
      .to.match(/^whsec_/)
      .and.not.equal(old);
    await pairDevice(t, tenant);
    const got = await receiver.next('device.paired');
    expect(got.headers['webhook-signature'].split(' ')).to.have.length(2);
    verify(old, got);
    verify(fresh, got);
    // Past the overlap only the new one signs.
    await dataSource(t)
      .getRepository(WebhookEndpoint)
      .update({ id: webhook.id }, { previousSecretUntil: new Date(Date.now() - 1000) });
    await pairDevice(t, tenant);
    const later = await receiver.next('device.paired', 1);
    expect(later.headers['webhook-signature'].split(' ')).to.have.length(1);
    verify(fresh, later);
    expect(() => verify(old, later)).to.throw();
  });

  it('the admin on behalf: the same endpoints; every change is in the audit log', async () => {
    const admin = t.admin.token;
    const base = `/api/v1/admin/merchants/${tenant.merchantId}/webhooks`;
    const created = await t.http
      .post(base)
      .set(bearer(admin))
      .send({ url: `${receiver.url}/x`, events: ['command.updated'] })
      .expect(201);
    const id = created.body.webhook.id;
    await t.http.patch(`${base}/${id}`).set(bearer(admin)).send({ description: 'Ops' }).expect(200);
    await t.http.post(`${base}/${id}/rotate-secret`).set(bearer(admin)).expect(200);
    await t.http.delete(`${base}/${id}`).set(bearer(admin)).expect(204);
    await t.http.get(`/api/v1/admin/merchants/999999/webhooks`).set(bearer(admin)).expect(404);
    await t.http.get(base).set(bearer(tenant.merchantToken)).expect(403);
    const audit = await t.http.get('/api/v1/merchants/audit?limit=10').set(bearer(tenant.merchantToken)).expect(200);
    const mine = audit.body.items.filter((e: any) => e.target.type === 'webhook' && e.target.id === id);
    expect(mine.map((e: any) => e.action)).to.deep.equal([
      'webhook.deleted',
      'webhook.secret_rotated',
      'webhook.updated',
      'webhook.created',
    ]);
    expect(mine.every((e: any) => e.on_behalf && e.actor.id === t.admin.id)).to.equal(true);
    expect(mine[2].details).to.deep.equal({ changed: ['description'], url: `${receiver.url}/x` });
  });

  it('a command is followed through command.updated: queued, sent, delivered, succeeded (in any order)', async () => {
    await subscribe(['command.updated']);
    const device = await pairDevice(t, tenant);
    const tablet = open(deviceSocket(t.url, device.token));
    await tablet.session();
    tablet.socket.on('command', (c: { id: number }, ack: () => void) => {
      ack();
      setTimeout(
        () => tablet.socket.emit('command:result', { id: c.id, ok: true, result: { shown: true } }, () => {}),
        50,
      );
    });
    await t.http
      .post(`${DEVICES}/${device.id}/commands`)
      .set(bearer(tenant.merchantToken))
      .send({ type: 'identify' })
      .expect(201);
    // Created and finished commit with the change; sent and delivered come from the batch: order is not guaranteed.
    await waitFor(() => receiver.of('command.updated').length === 4);
    const statuses = receiver.of('command.updated').map((r) => r.json.data.command.status);
    expect([...statuses].sort()).to.deep.equal(['delivered', 'queued', 'sent', 'succeeded']);
  });

  it('3 days of failures: the delivery is failed, the endpoint disabled (audited, by the system) and sent nothing new', async () => {
    const { webhook } = await subscribe(['device.paired']);
    receiver.answer = 500;
    const test = await t.http.post(`${WEBHOOKS}/${webhook.id}/test`).set(bearer(tenant.merchantToken)).expect(202);
    await waitFor(async () => (await deliveries(webhook.id))[0]?.response_status === 500); // the first attempt recorded
    // As if the event and the failures were 3 days old.
    const old = new Date(Date.now() - 3 * 86_400_000 - 60_000);
    await dataSource(t).getRepository(WebhookEvent).update({ id: test.body.delivery.event_id }, { createdAt: old });
    await dataSource(t).getRepository(WebhookEndpoint).update({ id: webhook.id }, { failingSince: old });
    await t.http
      .post(`${WEBHOOKS}/${webhook.id}/deliveries/${test.body.delivery.id}/retry`)
      .set(bearer(tenant.merchantToken))
      .expect(202);
    const [d] = await waitFor(async () => {
      const items = await deliveries(webhook.id);
      return items[0]?.status === 'failed' ? items : undefined;
    });
    expect(d).to.deep.include({ attempts: 2, next_attempt_at: null, response_status: 500 });
    const one = (await t.http.get(`${WEBHOOKS}/${webhook.id}`).set(bearer(tenant.merchantToken)).expect(200)).body;
    expect(one.webhook).to.deep.include({ enabled: false, disabled_reason: 'failing' });
    const audit = await t.http
      .get('/api/v1/merchants/audit?action=webhook.disabled')
      .set(bearer(tenant.merchantToken))
      .expect(200);
    expect(audit.body.items[0]).to.deep.include({ action: 'webhook.disabled', details: { reason: 'failing' } });
    expect(audit.body.items[0].actor).to.deep.equal({ kind: 'system', id: null });
    await pairDevice(t, tenant);
    await new Promise((r) => setTimeout(r, 500));
    expect(await deliveries(webhook.id)).to.have.length(1);
    const refused = await t.http.post(`${WEBHOOKS}/${webhook.id}/test`).set(bearer(tenant.merchantToken)).expect(409);
    expect(refused.body.error.code).to.equal('CONFLICT');
  });

  it('retention: events older than WEBHOOK_RETENTION_DAYS go with their deliveries; newer ones stay', async () => {
    const { webhook } = await subscribe(['device.paired']);
    const old = await t.http.post(`${WEBHOOKS}/${webhook.id}/test`).set(bearer(tenant.merchantToken)).expect(202);
    await t.http.post(`${WEBHOOKS}/${webhook.id}/test`).set(bearer(tenant.merchantToken)).expect(202);
    await waitFor(async () => (await deliveries(webhook.id, '?status=succeeded')).length === 2);
    await dataSource(t)
      .getRepository(WebhookEvent)
      .update({ id: old.body.delivery.event_id }, { createdAt: new Date(Date.now() - 31 * 86_400_000) });
    expect(await t.hub.ctx.webhooks.purge(new Date(Date.now() - 30 * 86_400_000))).to.equal(1);
    const left = await deliveries(webhook.id);
    expect(left.map((d: { event_id: string }) => d.event_id)).to.not.include(old.body.delivery.event_id);
    expect(left).to.have.length(1);
  });
});
