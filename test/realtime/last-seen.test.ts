import { expect } from 'chai';
import { getDevice, interceptQueries, makeTenant, pairDevice, sleep, suite, waitFor } from '../helpers';
import { newDeviceRow, TerminalDevice } from '../../src/devices/entities';
import { Metrics } from '../../src/metrics';
import { LastSeenBatcher } from '../../src/realtime/last-seen';
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

describe('realtime: a big last_seen flush spaces its statements out', () => {
  const t = suite();
  const repo = () => t.hub.ctx.db.getRepository(TerminalDevice);
  /** `n` devices of a new merchant's one store, inserted as they are; their ids. */
  async function insertTills(n: number, now: Date): Promise<{ merchantId: number; ids: number[] }> {
    const tenant = await makeTenant(t, 1);
    const rows = Array.from({ length: n }, (_, i) =>
      newDeviceRow({
        merchantId: tenant.merchantId,
        storeId: tenant.stores[0].id,
        label: `Till ${i}`,
        createdById: null,
        expiresAt: new Date(now.getTime() + 86_400_000),
        now,
      }),
    );
    for (let i = 0; i < rows.length; i += 200) await repo().insert(rows.slice(i, i + 200));
    const found = await repo().find({ where: { merchantId: tenant.merchantId }, select: { id: true } });
    return { merchantId: tenant.merchantId, ids: found.map((r) => r.id) };
  }

  it('1,200 connected devices: three statements, a pause between each, all written', async () => {
    const { devices, logger } = t.hub.ctx;
    const { merchantId, ids } = await insertTills(1200, new Date());
    expect(ids).to.have.length(1200);
    const at: number[] = [];
    interceptQueries(t, (sql, _params, run) => {
      if (sql.startsWith('UPDATE loyalty_terminal_devices SET last_seen_at')) at.push(Date.now());
      return run();
    });
    const FLUSH_MS = 1200; // half of it over 3 statements: 200 ms apart
    const batcher = new LastSeenBatcher(devices, FLUSH_MS, new Metrics(false), logger);
    try {
      batcher.watch(function* (visit) {
        for (const [k, id] of ids.entries()) {
          visit(id, '127.0.0.9');
          if (k % 500 === 499) yield; // the sweep goes on after the event loop's turn
        }
      }, FLUSH_MS);
      await batcher.flush();
      expect(at).to.have.length(3);
      expect(at[1] - at[0]).to.be.at.least(180);
      expect(at[2] - at[1]).to.be.at.least(180);
      const written = await repo().countBy({ merchantId, lastSeenIp: '127.0.0.9' });
      expect(written).to.equal(1200);
    } finally {
      await batcher.close();
    }
  });

  it('a device that goes away while a flush counts the connected ones keeps its newer time and address', async () => {
    const { devices, logger } = t.hub.ctx;
    const now = new Date();
    const { merchantId, ids } = await insertTills(40, now);
    const [early, late] = [ids[5], ids[30]]; // one counted before it goes, one going before it is counted
    const batcher = new LastSeenBatcher(devices, 60_000, new Metrics(false), logger);
    const goneAt = (k: number) => new Date(Date.now() + 1000 + k); // later than the flush's own time
    try {
      batcher.watch(function* (visit) {
        for (const [k, id] of ids.entries()) {
          visit(id, '10.0.0.1');
          if (k === 19) {
            yield; // between two slices of the sweep, both tablets disconnect
            batcher.touch(early, '10.0.0.7', goneAt(1));
            batcher.touch(late, '10.0.0.8', goneAt(2));
          }
        }
      }, 60_000);
      await batcher.flush(); // `early` is written twice, its touch last; `late` once, its touch
      const seen = async (id: number) => {
        const r = await repo().findOneByOrFail({ id });
        return { ip: r.lastSeenIp, later: r.lastSeenAt!.getTime() > now.getTime() + 900 };
      };
      expect(await seen(early)).to.deep.equal({ ip: '10.0.0.7', later: true });
      expect(await seen(late)).to.deep.equal({ ip: '10.0.0.8', later: true });
      expect(await repo().countBy({ merchantId, lastSeenIp: '10.0.0.1' })).to.equal(38);
    } finally {
      await batcher.close();
    }
  });
});
