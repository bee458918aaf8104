import { expect } from 'chai';
import type { DeviceStatePayload, StateAck } from '../../src/wire';
import {
  bearer,
  getDevice,
  interceptQueries,
  makeTenant,
  pairDevice,
  sleep,
  suite,
  type Tenant,
  waitFor,
} from '../helpers';
import { closedAfterEach, dashboardSocket, type TestSocket, tabletOnline } from '../socket-helpers';

const FLUSH_MS = 300;
const WINDOW_MS = 5000;
/** The flush statement: last_seen, and the state column when some device reported. */
const FLUSH_SQL = /^UPDATE loyalty_terminal_devices SET last_seen_at/;

describe('realtime: device state reports', () => {
  // A burst of 50 reports must pass the per-socket event limit (default 10/s, bursts of 20).
  const t = suite({ LAST_SEEN_FLUSH_MS: String(FLUSH_MS), SOCKET_EVENTS_PER_SECOND: '1000' });
  const track = closedAfterEach();
  let tenant: Tenant;
  let failing = false;
  let failures = 0;
  const flushes: { at: number; sql: string; params: unknown[] }[] = [];
  before(async () => {
    tenant = await makeTenant(t, 1);
    interceptQueries(t, (sql, params, run) => {
      if (!FLUSH_SQL.test(sql)) return run();
      if (failing) {
        failures++;
        return Promise.reject(new Error('database unavailable'));
      }
      flushes.push({ at: Date.now(), sql, params });
      return run();
    });
  });

  const report = (tablet: TestSocket, payload: unknown): Promise<StateAck> => tablet.emitWithAck('state', payload);
  const stateOf = async (id: number) => (await getDevice(t, tenant, id)).state;
  const online = async () => {
    const device = await pairDevice(t, tenant);
    return { device, tablet: track(await tabletOnline(t.url, device.token)) };
  };

  it('Device.state is null before any report (GET …/devices and …/devices/{id})', async () => {
    const { device } = await online();
    expect(device.body.device.state).to.equal(null);
    await sleep(FLUSH_MS * 2); // a flush wrote last_seen, not state
    expect(await stateOf(device.id)).to.equal(null);
    const list = await t.http.get('/api/v1/merchants/loyalty/devices').set(bearer(tenant.merchantToken)).expect(200);
    expect(list.body.items.find((d: any) => d.id === device.id).state).to.equal(null);
  });

  it('a report is acked, shows in REST after a flush and in the subscribe ack; a partial report merges', async () => {
    const { device, tablet } = await online();
    const before = Date.now();
    const full = {
      app_version: '3.2.1',
      os_version: 'Android 14',
      model: 'Galaxy Tab A9',
      battery_pct: 80,
      charging: false,
      network: 'wifi',
      wifi_rssi_dbm: -61,
      free_storage_mb: 20480,
      locale: 'fr-FR',
    };
    expect(await report(tablet, full)).to.deep.equal({ ok: true });
    const first = await waitFor(() => stateOf(device.id), 5000);
    expect(first).to.deep.include(full);
    expect(new Date(first.updated_at).getTime()).to.be.within(before - 1000, Date.now() + 1000);

    expect(await report(tablet, { battery_pct: 42, charging: true })).to.deep.equal({ ok: true });
    const merged = await waitFor(async () => {
      const s = await stateOf(device.id);
      return s.battery_pct === 42 ? s : undefined;
    }, 5000);
    expect(merged).to.deep.include({ ...full, battery_pct: 42, charging: true });
    expect(merged.updated_at >= first.updated_at).to.equal(true);

    const dash = track(dashboardSocket(t.url, t.admin.token));
    await dash.connected();
    const ack = await dash.emitWithAck('subscribe', { merchant_id: tenant.merchantId });
    expect(ack.items.find((d: any) => d.id === device.id).state).to.deep.equal(merged);

    // dashboard events carry the state too, unwritten reports merged in
    await report(tablet, { locale: 'en-GB' });
    tablet.close();
    const offline = await dash.next('device:offline', (p) => p.device.id === device.id);
    expect(offline.payload.device.state).to.deep.include({ ...full, battery_pct: 42, charging: true, locale: 'en-GB' });
  });

  it('refuses bad values and unknown fields in the ack, and keeps nothing of them', async () => {
    const { device, tablet } = await online();
    expect(await report(tablet, { app_version: '1.0', battery_pct: 10 })).to.deep.equal({ ok: true });
    const good = await waitFor(() => stateOf(device.id), 5000);
    const bad: [unknown, string][] = [
      [{ battery_pct: 101 }, 'battery_pct'],
      [{ network: '5g' }, 'network'],
      [{ battery_pct: 5, color: 'red' }, 'body'],
      [{ app_version: 'x'.repeat(65) }, 'app_version'],
      [{ model: 'Tab\u0007A9' }, 'model'],
      [{ wifi_rssi_dbm: 3 }, 'wifi_rssi_dbm'],
      ['charging', 'body'],
    ];
    for (const [payload, field] of bad) {
      const answer: any = await report(tablet, payload);
      expect(answer.error, JSON.stringify(payload)).to.include({ code: 'VALIDATION_ERROR' });
      expect(answer.error.message).to.be.a('string');
      expect(answer.error.details.fields, JSON.stringify(payload)).to.have.property(field);
    }
    await sleep(FLUSH_MS * 3);
    expect(await stateOf(device.id)).to.deep.equal(good);
  });

  it('50 reports in a burst: one flush statement, one device:state at once and the latest at the end of the window', async function () {
    this.timeout(20_000);
    const { device, tablet } = await online();
    const dash = track(dashboardSocket(t.url, tenant.merchantToken));
    await dash.connected();
    const states = () => dash.events.filter((e) => e.name === 'device:state' && e.payload.device_id === device.id);

    await sleep(FLUSH_MS * 2); // the connection's last_seen is written
    const start = flushes.length;
    const started = Date.now();
    const acks = await Promise.all(
      Array.from({ length: 50 }, (_, i) => report(tablet, { battery_pct: i + 1, network: i % 2 ? 'wifi' : 'none' })),
    );
    expect(acks.every((a) => 'ok' in a)).to.equal(true);
    await waitFor(async () => (await stateOf(device.id))?.battery_pct === 50, 5000);
    const elapsed = Date.now() - started;
    const written = flushes
      .slice(start)
      .filter((f) => f.params.some((p) => typeof p === 'string' && p.includes('battery')));
    // one statement per flush whatever the number of reports (the burst may straddle two flushes)
    expect(written.length).to.be.within(1, 2);
    expect(flushes.length - start).to.be.at.most(Math.ceil(elapsed / FLUSH_MS) + 1);

    // the first report went out at once, the other 49 are coalesced into one event at the end of the window
    const first = await dash.next('device:state', (p: DeviceStatePayload) => p.device_id === device.id);
    expect(first.payload.state.battery_pct).to.equal(1);
    console.log(`      figures: 50 reports -> ${written.length} flush statement(s) carrying state in ${elapsed} ms`);
    await sleep(WINDOW_MS - (Date.now() - first.at) - 500);
    expect(states()).to.have.length(1);
    const last = await dash.next(
      'device:state',
      (p: DeviceStatePayload) => p.device_id === device.id && p.state.battery_pct === 50,
      3000,
    );
    expect(states()).to.have.length(2);
    expect(last.at - first.at).to.be.within(WINDOW_MS - 100, WINDOW_MS + 1000);
    expect(last.payload.state).to.include({ battery_pct: 50, network: 'wifi' });
    await sleep(WINDOW_MS + 500); // nothing more to send
    expect(states()).to.have.length(2);
  });

  it('a failed flush keeps the reported state and writes it once the database answers again', async () => {
    const { device, tablet } = await online();
    failing = true;
    try {
      failures = 0;
      expect(await report(tablet, { app_version: '9.9', locale: 'de-DE' })).to.deep.equal({ ok: true });
      await waitFor(() => failures >= 1, 5000);
      // a report while the database is down merges with the unwritten one
      expect(await report(tablet, { locale: 'it-IT', battery_pct: 7 })).to.deep.equal({ ok: true });
      await waitFor(() => failures >= 3, 5000);
      expect(await stateOf(device.id)).to.equal(null);
    } finally {
      failing = false;
    }
    const state = await waitFor(() => stateOf(device.id), 5000);
    expect(state).to.deep.include({ app_version: '9.9', locale: 'it-IT', battery_pct: 7 });
  });
});
