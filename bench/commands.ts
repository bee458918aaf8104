/**
 * Command round trip: create (REST) → the tablet receives `command`, acknowledges, sends `command:result` → the
 * server answers `succeeded`, with TABLETS tablets connected; against the baseline of an authenticated REST read of
 * the same device in the same run.
 *
 *   npm run bench:commands                      # embedded SQLite; TABLETS=5000 COMMANDS=1000 CONCURRENCY=10
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/bench npm run bench:commands
 *   NODES=2 DATABASE_URL=… REDIS_URL=redis://127.0.0.1:6379/5 npm run bench:commands
 *        # two server processes: commands are created on node A, every tablet is connected to node B
 *
 * The first 20 tablets are paired through the API, the rest inserted in bulk (bench/harness.ts bulkPair). Appends a
 * dated row to bench/RESULTS.md.
 */
import os from 'node:os';
import { io, type Socket } from 'socket.io-client';
import { benchMerchant, benchStores, bulkPair, recordResult, startBenchServer } from './harness';

const TABLETS = Number(process.env.TABLETS ?? 5000);
const COMMANDS = Number(process.env.COMMANDS ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 10);
const NODES = Number(process.env.NODES ?? 1);
const OPEN = 100; // handshakes in flight while the tablets connect

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function main() {
  if (NODES !== 1 && NODES !== 2) throw new Error('NODES is 1 or 2');
  if (NODES === 2 && !(process.env.DATABASE_URL && process.env.REDIS_URL))
    throw new Error('NODES=2 needs DATABASE_URL and REDIS_URL (two processes share the database and Redis)');
  const limits = {
    PAIRINGS_PER_MINUTE: '1000000',
    SOCKET_MAX_PER_ADDRESS: '1000000',
    SOCKET_CONNECTS_PER_MINUTE: '1000000',
  };
  const a = await startBenchServer(limits);
  // Node B shares A's DATA_DIR: the same generated JWT keys (on MariaDB the database is not in it).
  const b = NODES === 2 ? await startBenchServer({ ...limits, DATA_DIR: a.dataDir }) : a;
  const { api } = a;
  const sockets: Socket[] = [];
  try {
    const { admin, merchant, store, merchantToken } = await benchMerchant(api, 'Commands');
    const stores = await benchStores(api, admin, merchant.id, store, Math.ceil(TABLETS / 100));
    const devices: { id: number; token: string }[] = [];
    const viaApi = Math.min(TABLETS, 20);
    for (let i = 0; i < viaApi; i++) {
      const r = await api('POST', '/api/v1/merchants/loyalty/devices', merchantToken, {
        store_id: stores[Math.floor(i / 100)].id,
        label: `Till ${i}`,
      });
      devices.push({ id: r.device.id, token: r.pairing.auth_token });
    }
    const me = (await api('GET', '/api/v1/auth/me', merchantToken)).user.id as number;
    if (TABLETS > viaApi)
      await bulkPair({
        dataDir: a.dataDir,
        merchantId: merchant.id,
        actorId: me,
        stores,
        from: viaApi,
        to: TABLETS,
        out: devices,
      });

    // Each tablet acknowledges and reports at once; the result's answer resolves the command's waiter.
    const waiting = new Map<number, (status: string) => void>();
    const connectOne = (d: { token: string }) =>
      new Promise<void>((resolve, reject) => {
        const s = io(`${b.url}/devices`, {
          auth: { token: d.token },
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          timeout: 60_000,
        });
        sockets.push(s);
        s.on('command', async (c: { id: number }, received: () => void) => {
          received();
          const ack = await s.emitWithAck('command:result', { id: c.id, ok: true, result: { pong: true } });
          waiting.get(c.id)?.(ack.status ?? ack.error?.code);
        });
        s.once('session', () => resolve());
        s.once('connect_error', reject);
      });
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: OPEN }, async () => {
        while (next < devices.length) await connectOne(devices[next++]);
      }),
    );
    const connectSecs = (performance.now() - t0) / 1000;

    const run = async (one: (i: number) => Promise<void>) => {
      const latencies: number[] = [];
      let n = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (n < COMMANDS) {
            const i = n++;
            const start = performance.now();
            await one(i);
            latencies.push(performance.now() - start);
          }
        }),
      );
      return latencies.sort((x, y) => x - y);
    };
    // Spread over the tablets: command i goes to device i × a stride coprime with the count.
    const stride = TABLETS > 7 && TABLETS % 7 ? 7 : 1;
    const device = (i: number) => devices[(i * stride) % TABLETS];
    const read = (i: number) =>
      api('GET', `/api/v1/merchants/loyalty/devices/${device(i).id}`, merchantToken).then(() => undefined);
    const roundTrip = async (i: number) => {
      const created = await api('POST', `/api/v1/merchants/loyalty/devices/${device(i).id}/commands`, merchantToken, {
        type: 'ping',
      });
      const id = created.command.id as number;
      const status = await new Promise<string>((resolve, reject) => {
        waiting.set(id, resolve);
        setTimeout(() => reject(new Error(`command ${id}: no result within 30 s`)), 30_000).unref();
      });
      waiting.delete(id);
      if (status !== 'succeeded') throw new Error(`command ${id}: ${status}`);
    };
    await run(read); // warm-up
    const baseline = await run(read);
    const trips = await run(roundTrip);
    const db = process.env.DATABASE_URL ? 'MariaDB' : 'SQLite';
    const where = NODES === 2 ? `${db}, 2 nodes (created on A, tablets on B)` : `${db}, 1 node`;
    const [b50, b99, r50, r99] = [pct(baseline, 0.5), pct(baseline, 0.99), pct(trips, 0.5), pct(trips, 0.99)];
    console.log(
      `${where}; ${os.cpus().length} cores; ${TABLETS} tablets connected in ${connectSecs.toFixed(1)} s; ${COMMANDS} commands, ${CONCURRENCY} at a time`,
    );
    console.log(`baseline GET one device: p50 ${b50.toFixed(1)} ms  p99 ${b99.toFixed(1)} ms`);
    console.log(
      `command round trip:      p50 ${r50.toFixed(1)} ms  p99 ${r99.toFixed(1)} ms  (p50 ×${(r50 / b50).toFixed(1)})`,
    );
    const row = `| ${new Date().toISOString().slice(0, 16).replace('T', ' ')} | ${where} | ${TABLETS} | ${COMMANDS} × ${CONCURRENCY} | ${b50.toFixed(1)} / ${b99.toFixed(1)} ms | ${r50.toFixed(1)} / ${r99.toFixed(1)} ms | ${(r50 / b50).toFixed(1)} |`;
    recordResult('commands.ts', row);
  } finally {
    for (const s of sockets) s.close();
    a.stop();
    if (b !== a) b.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
