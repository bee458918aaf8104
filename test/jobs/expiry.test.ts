import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { TerminalDevice } from '../../src/devices/entities';
import {
  bearer,
  dataSource,
  deviceRow,
  insertDevice,
  makeTenant,
  pairDevice,
  signDeviceToken,
  sleep,
  suite,
  updateDeviceRow,
  waitFor,
  type Tenant,
} from '../helpers';
import { closedAfterEach, dashboardSocket, deviceSocket } from '../socket-helpers';

const BASE = '/api/v1/merchants/loyalty/devices';
const DAY = 86_400_000;

describe('expiry job: flags devices nearing expiry, once per token', function () {
  this.timeout(60_000);
  // Every second, a 60-day window, and tokens that live 40 days: every new device is inside the window.
  const t = suite({ DEVICE_TOKEN_TTL: '40d', EXPIRY_WARNING_DAYS: '60', EXPIRY_SCAN_CRON: '* * * * * *' });
  const track = closedAfterEach();
  let m: Tenant;
  before(async () => {
    m = await makeTenant(t, 1);
  });

  const row = (id: number) => deviceRow(t, id);
  /** Moves a device's expiry (and creation, to keep the CHECK) — setting up a device paired long ago. */
  const setExpiry = (id: number, expiresAt: Date) =>
    updateDeviceRow(t, id, { createdAt: new Date(expiresAt.getTime() - 365 * DAY), expiresAt, expiryWarnedAt: null });

  it('flags a device in the window at the next tick, tells the dashboard and the device, and only once', async () => {
    const other = await makeTenant(t, 1);
    const outsider = track(dashboardSocket(t.url, other.merchantToken));
    const dash = track(dashboardSocket(t.url, m.merchantToken));
    await Promise.all([dash.connected(), outsider.connected()]);

    const inWindow = await pairDevice(t, m, 0, 'Soon');
    // Inserted as they are (paired through the API they would sit in the window until moved, and a tick may come).
    const far = { id: await insertDevice(t, m, { label: 'Far', expiresAt: new Date(Date.now() + 90 * DAY) }) };
    const revoked = {
      id: await insertDevice(t, m, {
        label: 'Revoked',
        expiresAt: new Date(Date.now() + 20 * DAY), // within the window, but revoked
        revokedAt: new Date(),
      }),
    };
    const expired = { id: await insertDevice(t, m, { label: 'Expired', expiresAt: new Date(Date.now() - DAY) }) };
    // A tablet paired long ago and connected now, whose expiry then comes within the window.
    // Inserted outside the window with a token signed for it: paired through the API, it would sit in the window
    // until moved, and a tick reading it then could flag it with that expiry after the move.
    const old = { id: await insertDevice(t, m, { label: 'Old tablet', expiresAt: new Date(Date.now() + 90 * DAY) }) };
    const token = await signDeviceToken(t, await row(old.id), m.stores[0].code);
    const tablet = track(deviceSocket(t.url, token));
    await tablet.connected();
    const oldExpiry = new Date(Date.now() + 40 * DAY);
    await setExpiry(old.id, oldExpiry);

    const onDashboard = await dash.next('device:expiring', (p) => p.device.id === inWindow.id, 3000);
    expect(onDashboard.payload.device).to.include({ id: inWindow.id, status: 'active', expiring_soon: true });
    const onDevice = await tablet.next('expiring', () => true, 3000);
    expect(onDevice.payload.expires_at).to.equal(oldExpiry.toISOString());
    expect(onDevice.payload.days_left).to.be.oneOf([39, 40]);

    const warnedAt = (await row(inWindow.id)).expiryWarnedAt;
    expect(warnedAt).to.be.instanceOf(Date);
    await sleep(2500); // two or three more ticks
    expect(
      dash.events.filter((e) => e.name === 'device:expiring' && e.payload.device.id === inWindow.id),
    ).to.have.length(1);
    expect(tablet.events.filter((e) => e.name === 'expiring')).to.have.length(1);
    expect((await row(inWindow.id)).expiryWarnedAt!.getTime()).to.equal(warnedAt!.getTime());
    for (const id of [far.id, revoked.id, expired.id])
      expect((await row(id)).expiryWarnedAt, `device ${id}`).to.equal(null);
    const never = [far.id, revoked.id, expired.id];
    expect(
      dash.events.filter((e) => e.name === 'device:expiring' && never.includes(e.payload.device.id)),
    ).to.deep.equal([]);
    expect(outsider.events.filter((e) => e.name === 'device:expiring')).to.have.length(0);

    const listed = (await t.http.get(BASE).set(bearer(m.merchantToken)).expect(200)).body.items;
    expect(listed.find((d: { id: number }) => d.id === inWindow.id).expiring_soon).to.equal(true);
    expect(listed.find((d: { id: number }) => d.id === far.id).expiring_soon).to.equal(false);
    const metrics = (await t.http.get('/metrics').expect(200)).text;
    expect(metrics).to.match(/job_runs_total\{job="expiry-scan",outcome="ran"\} [1-9]/);
  });

  it('reissue renews the device: old token refused and its socket dropped, new token works, same id, flagged anew', async () => {
    const d = await pairDevice(t, m, 0, 'Renewed');
    const old = track(deviceSocket(t.url, d.token));
    await old.connected();
    const firstWarning = (await waitFor(async () => (await row(d.id)).expiryWarnedAt, 3000))!;

    const res = await t.http.post(`${BASE}/${d.id}/reissue`).set(bearer(m.merchantToken)).expect(200);
    expect(res.body.device).to.include({ id: d.id, label: 'Renewed' });
    expect(new Date(res.body.device.expires_at).getTime()).to.be.greaterThan(
      new Date(d.body.device.expires_at).getTime(),
    );
    expect((await old.next('revoked', () => true, 2000)).payload.reason).to.equal('reissued');
    await old.disconnected(2000);
    expect(
      (await t.http.get('/api/v1/store/loyalty/session').set(bearer(d.token)).expect(401)).body.error.code,
    ).to.equal('INVALID_TOKEN');
    await t.http.get('/api/v1/store/loyalty/session').set(bearer(res.body.pairing.auth_token)).expect(200);
    await track(deviceSocket(t.url, res.body.pairing.auth_token)).connected();
    // The new token's expiry is also within the window: a later tick flags it again (once per token).
    await waitFor(async () => ((await row(d.id)).expiryWarnedAt?.getTime() ?? 0) > firstWarning.getTime(), 3000);
    const all = (await t.http.get(BASE).set(bearer(m.merchantToken)).expect(200)).body.items.filter(
      (x: { label: string }) => x.label === 'Renewed',
    );
    expect(all).to.have.length(1);
    expect(all[0].id).to.equal(d.id);
  });
});

// Its own block: on a shared MariaDB, the every-second hub above must be closed before this one counts.
describe('expiry job: paging', function () {
  this.timeout(60_000);
  const s = suite({ EXPIRY_WARNING_DAYS: '60', EXPIRY_SCAN_CRON: '0 0 1 1 *' });

  it('works in pages: flags every one of 1,100 devices in one run', async () => {
    const tenant = await makeTenant(s, 1);
    const now = new Date();
    const rows = Array.from({ length: 1100 }, (_, i) => ({
      merchantId: tenant.merchantId,
      storeId: tenant.stores[0].id,
      label: `bulk ${i}`,
      jti: randomUUID(),
      expiresAt: new Date(now.getTime() + (i % 2 ? 10 : 90) * DAY),
      createdAt: now,
      updatedAt: now,
    }));
    const repo = dataSource(s).getRepository(TerminalDevice);
    for (let i = 0; i < rows.length; i += 200) await repo.insert(rows.slice(i, i + 200));
    const ours = new Set((await repo.findBy({ merchantId: tenant.merchantId })).map((d) => d.id));
    const flagged = (await s.hub.jobs.runExpiryScan()).filter((id) => ours.has(id));
    expect(flagged).to.have.length(550);
    expect((await s.hub.jobs.runExpiryScan()).filter((id) => ours.has(id))).to.have.length(0);
  });
});
