import { expect } from 'chai';
import { getDevice, interceptQueries, makeTenant, pairDevice, sleep, suite, waitFor } from '../helpers';
import { closedAfterEach, tabletOnline } from '../socket-helpers';

describe('realtime: last_seen survives a failed flush', () => {
  const FLUSH_MS = 300;
  const t = suite({ LAST_SEEN_FLUSH_MS: String(FLUSH_MS) });
  const track = closedAfterEach();
  let failing = false;
  let failures = 0;
  before(() => {
    // The database refuses the last_seen writes while `failing` (as during an outage); other queries go through.
    interceptQueries(t, (sql, _params, run) => {
      if (failing && /^UPDATE loyalty_terminal_devices SET last_seen_at/.test(sql)) {
        failures++;
        return Promise.reject(new Error('database unavailable'));
      }
      return run();
    });
  });

  it('keeps what it could not write and writes it once the database answers again', async () => {
    const tenant = await makeTenant(t, 1);
    const device = await pairDevice(t, tenant);
    failing = true;
    const tablet = track(await tabletOnline(t.url, device.token));
    const connectedAt = Date.now();
    tablet.close();
    await waitFor(() => failures >= 2, 5000); // two flushes failed, a few hundred ms apart
    const get = () => getDevice(t, tenant, device.id);
    expect((await get()).last_seen_at).to.equal(null);

    failing = false;
    const seen = await waitFor(async () => (await get()).last_seen_at, 5000);
    expect(new Date(seen).getTime()).to.be.within(connectedAt - 2000, connectedAt + 2000);
    expect((await get()).last_seen_ip).to.equal('127.0.0.1');
    await sleep(FLUSH_MS * 2);
  });
});

describe('realtime: last_seen of many connected devices, written alike and one by one', () => {
  const FLUSH_MS = 1000; // as often as the ping: every connected device counts seen at every flush
  const t = suite({ LAST_SEEN_FLUSH_MS: String(FLUSH_MS), SOCKET_PING_INTERVAL_MS: String(FLUSH_MS) });
  const track = closedAfterEach();
  const statements = { alike: 0, each: 0 };
  before(() => {
    interceptQueries(t, (sql, _params, run) => {
      if (/^UPDATE loyalty_terminal_devices SET last_seen_at = \?, last_seen_ip = \? WHERE id IN/.test(sql))
        statements.alike++;
      else if (/^UPDATE loyalty_terminal_devices SET last_seen_at = CASE/.test(sql)) statements.each++;
      return run();
    });
  });

  it('twelve tablets behind one address and two behind another each show their own address and a moving time', async () => {
    const tenant = await makeTenant(t, 1);
    const devices = await Promise.all(Array.from({ length: 14 }, () => pairDevice(t, tenant)));
    const addressOf = (i: number) => (i < 12 ? '127.0.0.1' : '127.0.0.2');
    const tablets = await Promise.all(
      devices.map((d, i) => tabletOnline(t.url, d.token, { localAddress: addressOf(i) } as never).then(track)),
    );
    expect(await tablets[0].emitWithAck('state', { battery_pct: 41 })).to.deep.equal({ ok: true });
    const from = Date.now();
    const before = { ...statements };
    await waitFor(() => statements.alike > before.alike && statements.each > before.each, 5000);
    await sleep(FLUSH_MS);
    const views = await Promise.all(devices.map((d) => getDevice(t, tenant, d.id)));
    views.forEach((v, i) => {
      expect(v.last_seen_ip, `device ${i}`).to.equal(addressOf(i));
      expect(new Date(v.last_seen_at).getTime(), `device ${i}`).to.be.at.least(from);
    });
    expect(views[0].state).to.include({ battery_pct: 41 });
  });
});
