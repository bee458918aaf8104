/**
 * Redelivery: TABLETS reference tablet clients (src/client) go offline, PER commands each are queued for them
 * (TABLETS × PER in all), then they all come back at once. Measures the time until every command is `succeeded`, and
 * checks that none ran twice on a tablet although, halfway through, every tablet's connection is dropped and made
 * again (so the commands delivered but not yet answered are delivered a second time).
 *
 *   npm run bench:redelivery                    # embedded SQLite; TABLETS=1000 PER=10
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/bench npm run bench:redelivery
 *
 * The baseline in the same run: the same tablets' first connection (all at once, nothing queued) until every one
 * has its `session`. Appends a dated row to bench/RESULTS.md.
 */
import os from 'node:os';
import { io } from 'socket.io-client';
import { MemoryCredentialStore, TabletClient } from '../src/client';
import { benchMerchant, benchStores, bulkPair, recordResult, startBenchServer } from './harness';

const TABLETS = Number(process.env.TABLETS ?? 1000);
const PER = Number(process.env.PER ?? 10);
const CREATE_CONCURRENCY = 20;
const DEADLINE_MS = Number(process.env.DEADLINE_MS ?? 600_000);

const now = () => performance.now();
const until = async (what: string, done: () => boolean) => {
  const t0 = now();
  while (!done()) {
    if (now() - t0 > DEADLINE_MS) dumpStuck();
    if (now() - t0 > DEADLINE_MS) throw new Error(`${what}: not within ${DEADLINE_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

let closeDash = () => undefined as unknown;
let dumpStuck = () => undefined as unknown;
async function main() {
  const server = await startBenchServer({
    PAIRINGS_PER_MINUTE: '1000000',
    SOCKET_MAX_PER_ADDRESS: '1000000',
    SOCKET_CONNECTS_PER_MINUTE: '1000000',
  });
  const { api, url } = server;
  let clients: TabletClient[] = [];
  try {
    const { admin, merchant, store, merchantToken } = await benchMerchant(api, 'Redelivery');
    const stores = await benchStores(api, admin, merchant.id, store, Math.ceil(TABLETS / 100));
    const devices: { id: number; token: string }[] = [];
    const me = (await api('GET', '/api/v1/auth/me', merchantToken)).user.id as number;
    await bulkPair({
      dataDir: server.dataDir,
      merchantId: merchant.id,
      actorId: me,
      stores,
      from: 0,
      to: TABLETS,
      out: devices,
    });
    const credStores = devices.map(
      (d, i) =>
        new MemoryCredentialStore({
          credentials: { api_url: url, store_code: stores[Math.floor(i / 100)].code, auth_token: d.token },
          executed: [],
        }),
    );

    // What the tablets do, counted over all of them.
    const runs = new Map<number, number>(); // command id → times a tablet ran it
    let duplicatesAbsorbed = 0; // redelivered, recognised, not run
    // The merchant's dashboard says when a command succeeded (a tablet may not see the ack of its result: its
    // connection can be replaced while the ack is on its way).
    const succeeded = new Set<number>();
    const dash = io(`${url}/dashboard`, { transports: ['websocket'], auth: { token: merchantToken } });
    dash.on('command:updated', ({ command }) => {
      if (command.status === 'succeeded') succeeded.add(command.id);
      lastStatus.set(command.id, `${command.status} dev ${command.device_id} @${Math.round(now())}`);
      if (process.env.TRACE) console.error(Math.round(now()), 'upd', command.id, command.device_id, command.status);
    });
    await new Promise((resolve, reject) =>
      dash.once('connect', () => resolve(undefined)).once('connect_error', reject),
    );
    closeDash = () => dash.close();
    let refusedResults = 0; // a result re-sent for a command already final: answered with an error, changes nothing
    let sessions = 0;
    const errors: Record<string, number> = {};
    const traces = new Map<number, string[]>();
    const lastStatus = new Map<number, string>();
    dumpStuck = () => {
      let n = 0;
      for (const [id, st] of lastStatus)
        if (!st.startsWith('succeeded') && n++ < 3) {
          const dev = Number(st.split(' ')[2]);
          console.error('stuck', id, st, '\n  ', (traces.get(dev) ?? []).join('\n   '));
        }
    };
    const start = async () => {
      clients = [];
      for (const cs of credStores) {
        const c = (await TabletClient.fromStore(cs, { baseDelayMs: 500, maxDelayMs: 5000 }))!;
        const trace: string[] = [];
        traces.set(devices[credStores.indexOf(cs)].id, trace);
        c.on('session', () => {
          sessions++;
          trace.push(`${Math.round(now())} session`);
        });
        c.on('reconnecting', (n, ms) => trace.push(`${Math.round(now())} reconnecting ${n} ${ms}`));
        c.on('command', (cmd) => trace.push(`${Math.round(now())} run ${cmd.id}`));
        c.on('command:duplicate', (cmd) => trace.push(`${Math.round(now())} dup ${cmd.id}`));
        c.on('command:result', (r, ack) => trace.push(`${Math.round(now())} result ${r.id} ${JSON.stringify(ack)}`));
        c.on('command', (cmd) => runs.set(cmd.id, (runs.get(cmd.id) ?? 0) + 1));
        c.on('command:duplicate', () => duplicatesAbsorbed++);
        c.on('error', (e) => {
          errors[e.message] = (errors[e.message] ?? 0) + 1;
        });
        c.on('command:result', (_r, ack) => {
          if (!ack || !('status' in ack)) refusedResults++;
        });
        clients.push(c);
      }
      for (const c of clients) void c.start();
    };

    // Baseline: all tablets connect at once, nothing queued.
    let t0 = now();
    await start();
    await until('first sessions', () => sessions >= TABLETS);
    const firstConnectMs = now() - t0;
    for (const c of clients) c.close();
    await new Promise((r) => setTimeout(r, 1000));

    // Queue PER commands for every (offline) tablet.
    t0 = now();
    let next = 0;
    const total = TABLETS * PER;
    await Promise.all(
      Array.from({ length: CREATE_CONCURRENCY }, async () => {
        while (next < total) {
          const d = devices[next++ % TABLETS];
          await api('POST', `/api/v1/merchants/loyalty/devices/${d.id}/commands`, merchantToken, {
            type: 'identify',
            args: { seconds: 1 },
          });
        }
      }),
    );
    const queueMs = now() - t0;

    // Back all at once; halfway, every connection dropped and made again.
    sessions = 0;
    t0 = now();
    await start();
    await until('half succeeded', () => succeeded.size >= total / 2);
    const halfMs = now() - t0;
    console.error(Math.round(now()), 'reconnecting all');
    for (const c of clients) c.reconnect();
    await until('all succeeded', () => succeeded.size >= total);
    const allMs = now() - t0;

    const ranTwice = [...runs.values()].filter((n) => n > 1).length;
    // The server's view: every queued command succeeded, once.
    let serverSucceeded = 0;
    for (const d of devices)
      serverSucceeded += (
        await api('GET', `/api/v1/merchants/loyalty/devices/${d.id}/commands?status=succeeded&limit=100`, merchantToken)
      ).items.length;

    const db = process.env.DATABASE_URL ? 'MariaDB' : 'SQLite';
    console.log(`${db}; ${os.cpus().length} cores; ${TABLETS} tablets, ${PER} commands each (${total})`);
    console.log(
      `baseline: ${TABLETS} tablets connect at once, nothing queued: all sessions in ${(firstConnectMs / 1000).toFixed(1)} s`,
    );
    console.log(
      `queued ${total} commands through REST (${CREATE_CONCURRENCY} at a time) in ${(queueMs / 1000).toFixed(1)} s`,
    );
    console.log(
      `back at once: half succeeded in ${(halfMs / 1000).toFixed(1)} s, then every connection dropped and made again; ` +
        `all ${total} succeeded in ${(allMs / 1000).toFixed(1)} s (${(total / (allMs / 1000)).toFixed(0)}/s)`,
    );
    console.log(
      `ran on a tablet: ${runs.size} commands, ${ranTwice} twice; redeliveries recognised and not run: ${duplicatesAbsorbed}; ` +
        `results answered with an error (re-sent for a final command: nothing changed): ${refusedResults}; server: ${serverSucceeded} succeeded; client errors ${JSON.stringify(errors)}`,
    );
    if (ranTwice || runs.size !== total || serverSucceeded !== total)
      throw new Error('a command was lost or run twice');
    const row = `| ${new Date().toISOString().slice(0, 16).replace('T', ' ')} | ${db} | ${TABLETS} × ${PER} | ${(firstConnectMs / 1000).toFixed(1)} s | ${(queueMs / 1000).toFixed(1)} s | ${(halfMs / 1000).toFixed(1)} s | ${(allMs / 1000).toFixed(1)} s | ${duplicatesAbsorbed} | ${ranTwice} |`;
    recordResult('redelivery.ts', row);
  } finally {
    for (const c of clients) c.close();
    closeDash();
    server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
