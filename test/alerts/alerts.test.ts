import { expect } from 'chai';
import {
  bearer,
  deviceRow,
  holdDeviceTokenChecks,
  makeStaff,
  makeTenant,
  type MadeTenant,
  pairDevice,
  suite,
  updateDeviceRow,
  waitFor,
} from '../helpers';
import { closedAfterEach, dashboardSocket, deviceSocket, tabletOnline } from '../socket-helpers';
import { Receiver } from '../webhooks/receiver';

const ALERTS = '/api/v1/merchants/loyalty/alerts';
const DEVICES = '/api/v1/merchants/loyalty/devices';
const FLUSH_MS = 200;

describe('offline alerts (§13): one per outage, then back online; dashboard, webhook and audit', function () {
  this.timeout(30_000);
  const t = suite({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_MS: '100', LAST_SEEN_FLUSH_MS: String(FLUSH_MS) });
  const open = closedAfterEach();
  let tenant: MadeTenant;
  let receiver: Receiver;
  before(async () => {
    tenant = await makeTenant(t, 1);
    receiver = await new Receiver().start();
    await t.http
      .post('/api/v1/merchants/webhooks')
      .set(bearer(tenant.merchantToken))
      .send({ url: `${receiver.url}/hook`, events: ['device.offline_alert', 'device.back_online'] })
      .expect(201);
  });
  after(() => receiver.close());
  const alerts = () => t.hub.ctx.alerts;
  /** The check as the scheduler runs it, `s` seconds from now (the outage has lasted that long). */
  const checkIn = (s: number) => alerts().check(new Date(Date.now() + s * 1000 + FLUSH_MS));
  const setThreshold = (value: unknown, token = tenant.merchantToken) =>
    t.http.put(ALERTS).set(bearer(token)).send({ offline_after_s: value });

  it('the setting: off by default, 10..86400 or null; bad values are 400 and change nothing; audited', async () => {
    expect((await t.http.get(ALERTS).set(bearer(tenant.merchantToken)).expect(200)).body).to.deep.equal({
      offline_after_s: null,
    });
    for (const bad of [9, 86_401, 30.5, '60', undefined]) {
      const res = await setThreshold(bad).expect(400);
      expect(res.body.error.code).to.equal('VALIDATION_ERROR');
    }
    expect((await t.http.get(ALERTS).set(bearer(tenant.merchantToken))).body.offline_after_s).to.equal(null);
    expect((await setThreshold(600).expect(200)).body).to.deep.equal({ offline_after_s: 600 });
    const staff = await makeStaff(t, tenant, [tenant.stores[0].id]);
    await setThreshold(60, staff.token).expect(403);
    const admin = `/api/v1/admin/merchants/${tenant.merchantId}/loyalty/alerts`;
    await t.http.put(admin).set(bearer(t.admin.token)).send({ offline_after_s: 60 }).expect(200);
    expect((await t.http.get(ALERTS).set(bearer(tenant.merchantToken))).body.offline_after_s).to.equal(60);
    const audit = await t.http
      .get('/api/v1/merchants/audit?action=alerts.updated')
      .set(bearer(tenant.merchantToken))
      .expect(200);
    expect(audit.body.items.map((e: any) => [e.details.offline_after_s, e.on_behalf])).to.deep.equal([
      [60, true],
      [600, false],
    ]);
  });

  it('offline past the threshold: exactly one alert, on the dashboard, the webhook and the audit log; then back online', async () => {
    await setThreshold(10).expect(200);
    const dash = open(dashboardSocket(t.url, tenant.merchantToken));
    await dash.connected();
    const device = await pairDevice(t, tenant, 0, 'Till Alert');
    const tablet = open(await tabletOnline(t.url, device.token));
    tablet.close();
    await waitFor(async () => (await deviceRow(t, device.id))?.lastSeenAt, 5000);
    expect(await checkIn(5), 'not yet').to.equal(0);
    // Two checks racing (two nodes): one alert.
    const [a, b] = await Promise.all([checkIn(11), checkIn(11)]);
    expect(a + b).to.equal(1);
    expect(await checkIn(60), 'the same outage').to.equal(0);

    const onDash = await dash.next('device:offline_alert', (p) => p.device.id === device.id);
    const seen = (await deviceRow(t, device.id))!.lastSeenAt!.toISOString();
    expect(onDash.payload.offline_since).to.equal(seen);
    const hook = await receiver.next('device.offline_alert');
    expect(hook.json.data.offline_since).to.equal(seen);
    expect(hook.json.data.device).to.deep.include({ id: device.id, online: false });
    expect(hook.json.data.device.offline_alert_at).to.be.a('string');
    const rest = await t.http.get(`${DEVICES}/${device.id}`).set(bearer(tenant.merchantToken)).expect(200);
    expect(rest.body.device.offline_alert_at).to.be.a('string');

    open(await tabletOnline(t.url, device.token));
    const back = await receiver.next('device.back_online');
    expect(back.json.data.device.id).to.equal(device.id);
    expect(back.json.data.offline_for_s).to.be.a('number').and.at.least(0);
    expect((await deviceRow(t, device.id))!.offlineAlertAt).to.equal(null);
    const audit = await t.http
      .get(`/api/v1/merchants/audit?device_id=${device.id}`)
      .set(bearer(tenant.merchantToken))
      .expect(200);
    const actions = audit.body.items.map((e: any) => e.action);
    expect(actions.filter((x: string) => x === 'device.offline_alert')).to.have.length(1);
    expect(actions).to.include('device.back_online');
    const entry = audit.body.items.find((e: any) => e.action === 'device.offline_alert');
    expect(entry.actor).to.deep.equal({ kind: 'system', id: null });
    expect(receiver.of('device.offline_alert')).to.have.length(1);
  });

  it('no alert for an online device, a revoked one, one never connected, or a merchant with alerts off', async () => {
    await setThreshold(10).expect(200);
    const online = await pairDevice(t, tenant, 0, 'Online');
    open(await tabletOnline(t.url, online.token));
    const revoked = await pairDevice(t, tenant, 0, 'Revoked');
    const never = await pairDevice(t, tenant, 0, 'Never');
    await t.http.post(`${DEVICES}/${revoked.id}/revoke`).set(bearer(tenant.merchantToken)).send({}).expect(200);
    const long = new Date(Date.now() - 3_600_000);
    for (const d of [online, revoked]) await updateDeviceRow(t, d.id, { lastSeenAt: long });
    const off = await makeTenant(t, 1);
    const quiet = await pairDevice(t, off, 0, 'Alerts off');
    await updateDeviceRow(t, quiet.id, { lastSeenAt: long });
    await checkIn(11);
    for (const d of [online, revoked, never, quiet])
      expect((await deviceRow(t, d.id))!.offlineAlertAt, String(d.id)).to.equal(null);
  });

  it('a tablet that stays away for two outages gets one alert for each', async () => {
    await setThreshold(10).expect(200);
    const device = await pairDevice(t, tenant, 0, 'Twice');
    for (let outage = 0; outage < 2; outage++) {
      const s = open(deviceSocket(t.url, device.token));
      await s.session();
      s.close();
      await waitFor(async () => {
        const row = await deviceRow(t, device.id);
        return row?.lastSeenAt && !row.offlineAlertAt && (await t.hub.ctx.devices.views([row]))[0].online === false;
      }, 5000);
      await new Promise((r) => setTimeout(r, FLUSH_MS * 2)); // the disconnect's last_seen written
      await checkIn(11);
      expect((await deviceRow(t, device.id))!.offlineAlertAt, `outage ${outage + 1}`).to.be.instanceOf(Date);
    }
    const audit = await t.http
      .get(`/api/v1/merchants/audit?device_id=${device.id}&action=device.offline_alert`)
      .set(bearer(tenant.merchantToken))
      .expect(200);
    expect(audit.body.items).to.have.length(2);
  });

  it('an alert raised while the tablet is coming back (its token check read no alert) ends as it connects', async () => {
    await setThreshold(10).expect(200);
    const device = await pairDevice(t, tenant, 0, 'Racing back');
    const first = open(await tabletOnline(t.url, device.token));
    first.close();
    await waitFor(async () => (await deviceRow(t, device.id))?.lastSeenAt, 5000);
    await new Promise((r) => setTimeout(r, FLUSH_MS * 2));
    const hold = holdDeviceTokenChecks(t);
    try {
      const back = open(deviceSocket(t.url, device.token));
      await hold.read; // the row it read has no alert
      await checkIn(11);
      expect((await deviceRow(t, device.id))!.offlineAlertAt).to.be.instanceOf(Date);
      hold.release();
      await back.session();
      await waitFor(async () => (await deviceRow(t, device.id))!.offlineAlertAt === null, 5000);
      const ended = await waitFor(() =>
        receiver.of('device.back_online').find((r) => r.json.data.device.id === device.id),
      );
      expect(ended!.json.data.device.offline_alert_at).to.equal(null);
    } finally {
      hold.restore();
    }
  });
});
