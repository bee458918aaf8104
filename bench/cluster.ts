/**
 * A cluster on this machine: NODES hub processes on one MariaDB and one Redis, TABLETS device sockets spread over
 * them (client process k connects its share to node k from source address 127.0.0.<k+2>), a merchant dashboard on
 * node 0. Measures: the connections (rate, time until the dashboard shows every device online), the Redis commands
 * per connect and per second at idle (`INFO commandstats`, by command), revokes answered by one node reaching a
 * tablet on another, and `kill -9` of the last node: how long until the dashboard shows its tablets offline
 * (`node_lost`), against PRESENCE_TTL_MS.
 *
 *   npm run bench:cluster         # NODES=6 TABLETS=100000
 *   env: NODES, TABLETS, CONCURRENCY (handshakes in flight per client process, 40), PING_MS (the nodes'
 *        SOCKET_PING_INTERVAL_MS, 25000: at 8 s the heartbeats of 100k sockets alone would take these 2 cores),
 *        IDLE_S (idle window, 30), REVOKES (12), DEADLINE_S (per phase, 900),
 *        DATABASE_URL (default mysql://root@127.0.0.1:3306/th_cluster_bench: dropped and created afresh), REDIS_URL
 *
 * The per-address limits are lifted (a few loopback addresses stand for thousands of stores). Appends a dated row to
 * bench/RESULTS.md.
 */
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { io } from 'socket.io-client';
import {
  freshDatabase,
  benchMerchant,
  benchStores,
  bulkPair,
  recordResult,
  spawnLoadClient,
  startBenchServer,
  until,
} from './harness';
import { type FromClient, LOAD_CLIENT, type ToClient } from './load-client';

const env = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);
const NODES = env('NODES', 6);
const TABLETS = env('TABLETS', 100_000);
const CONCURRENCY = env('CONCURRENCY', 40);
const PING_MS = env('PING_MS', 25_000);
const IDLE_S = env('IDLE_S', 30);
const REVOKES = env('REVOKES', 12);
const DEADLINE_S = env('DEADLINE_S', 900);
const PRESENCE_TTL_MS = 30_000; // the server's default
const DATABASE_URL = process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/th_cluster_bench';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const now = () => performance.timeOrigin + performance.now();

/** Redis's calls per command since the server started (INFO commandstats). */
async function commandstats(redis: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    out.set(m[1], Number(m[2]));
  return out;
}
const delta = (a: Map<string, number>, b: Map<string, number>, per: number) =>
  [...b]
    .map(([k, v]) => [k, (v - (a.get(k) ?? 0)) / per] as const)
    .filter(([k, v]) => v > 0 && k !== 'info')
    .sort((x, y) => y[1] - x[1]);
const show = (d: (readonly [string, number])[]) =>
  d.map(([k, v]) => `${k} ${v < 10 ? v.toFixed(2) : v.toFixed(0)}`).join(', ');

async function main() {
  console.log(
    `${NODES} nodes, ${TABLETS} tablets; ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; ping ${PING_MS} ms`,
  );
  freshDatabase(DATABASE_URL);
  process.env.DATABASE_URL = DATABASE_URL; // bulkPair writes there
  const nodeEnv = {
    DATABASE_URL,
    REDIS_URL,
    SOCKET_MAX_PER_ADDRESS: '1000000',
    SOCKET_CONNECTS_PER_MINUTE: '1000000',
    PAIRINGS_PER_MINUTE: '1000000',
    SOCKET_PING_INTERVAL_MS: String(PING_MS),
    SOCKET_PING_TIMEOUT_MS: '20000',
  };
  const first = await startBenchServer(nodeEnv);
  const nodes = [first];
  const children: ChildProcess[] = [];
  const redis = new Redis(REDIS_URL);
  try {
    const { admin, merchant, store, merchantToken } = await benchMerchant(first.api, 'Cluster');
    const stores = await benchStores(first.api, admin, merchant.id, store, Math.ceil(TABLETS / 100));
    const me = await first.api('GET', '/api/v1/auth/me', merchantToken);
    const t0 = now();
    const devices = await bulkPair({
      dataDir: first.dataDir,
      merchantId: merchant.id,
      actorId: me.user.id,
      stores,
      from: 0,
      to: TABLETS,
      out: [],
    });
    console.log(`paired ${TABLETS} devices in bulk in ${((now() - t0) / 1000).toFixed(0)} s`);
    nodes.push(
      ...(await Promise.all(
        Array.from({ length: NODES - 1 }, () => startBenchServer({ ...nodeEnv, DATA_DIR: first.dataDir })),
      )),
    );

    // The dashboard on node 0 hears every node through the adapter.
    const online = new Set<number>();
    const lost = new Set<number>();
    const dash = io(`${first.url}/dashboard`, { transports: ['websocket'], auth: { token: merchantToken } });
    dash.on('device:online', (p: { device: { id: number } }) => online.add(p.device.id));
    dash.on('device:offline', (p: { device: { id: number }; reason: string }) => {
      online.delete(p.device.id);
      if (p.reason === 'node_lost') lost.add(p.device.id);
    });
    await new Promise((resolve) => dash.once('connect', () => resolve(undefined)));

    // Tablet i goes to node ⌊i / per⌋, from that node's client process.
    const per = Math.ceil(TABLETS / NODES);
    const nodeOf = (i: number) => Math.floor(i / per);
    const revokedAt = new Map<number, (at: number) => void>();
    const connected: Extract<FromClient, { type: 'connected' }>[] = [];
    for (let k = 0; k < NODES; k++) {
      const child = spawnLoadClient(LOAD_CLIENT);
      child.on('message', (m: FromClient) => {
        if (m.type === 'connected') connected.push(m);
        if (m.type === 'revoked') revokedAt.get(m.index)?.(m.at);
      });
      children.push(child);
    }
    await sleep(2000);
    const redis0 = await commandstats(redis);
    const tConnect = now();
    for (const [k, c] of children.entries())
      c.send({
        type: 'connect',
        url: nodes[k].url,
        auths: devices.slice(k * per, (k + 1) * per).map((d) => ({ token: d.token })),
        first: k * per,
        concurrency: CONCURRENCY,
        localAddress: `127.0.0.${k + 2}`,
      } satisfies ToClient);
    const progress = () =>
      `${connected.length}/${NODES} clients done, dashboard ${online.size} online, ${lost.size} node_lost`;
    await until('connections', () => connected.length === NODES, DEADLINE_S, progress);
    const tSockets = Math.max(...connected.map((c) => c.end));
    const ok = connected.reduce((a, c) => a + c.ok, 0);
    const errors: Record<string, number> = {};
    for (const c of connected) for (const [k, v] of Object.entries(c.errors)) errors[k] = (errors[k] ?? 0) + v;
    const tDashboard = await until('dashboard', () => online.size === ok, DEADLINE_S, progress);
    const redis1 = await commandstats(redis);
    console.log(
      `connected ${ok}/${TABLETS} (failed ${JSON.stringify(errors)}) in ${((tSockets - tConnect) / 1000).toFixed(0)} s, ` +
        `${(ok / ((tSockets - tConnect) / 1000)).toFixed(0)}/s over ${NODES} nodes; all online on the dashboard ` +
        `${((tDashboard - tConnect) / 1000).toFixed(0)} s after the first connect`,
    );
    const perConnect = delta(redis0, redis1, ok);
    console.log(`Redis commands per connect: ${show(perConnect)}`);

    await sleep(5000);
    const idle0 = await commandstats(redis);
    await sleep(IDLE_S * 1000);
    const idle1 = await commandstats(redis);
    const perSecond = delta(idle0, idle1, IDLE_S);
    const idleTotal = perSecond.reduce((a, [, v]) => a + v, 0);
    console.log(`Redis commands per second at idle (${ok} connected): ${idleTotal.toFixed(0)}: ${show(perSecond)}`);

    // Revokes: answered by one node, the tablet is on another.
    const revokes: number[] = [];
    for (let r = 0; r < REVOKES; r++) {
      const i = Math.floor(((r + 0.5) / REVOKES) * (per * (NODES - 1))); // not on the node killed below
      const answering = (nodeOf(i) + 1 + (r % (NODES - 1))) % NODES;
      const got = new Promise<number>((resolve, reject) => {
        revokedAt.set(i, resolve);
        setTimeout(() => reject(new Error(`no revoked for tablet ${i} within 10 s`)), 10_000);
      });
      const t = now();
      await nodes[answering].api('POST', `/api/v1/merchants/loyalty/devices/${devices[i].id}/revoke`, merchantToken, {
        reason: 'bench',
      });
      revokes.push((await got) - t);
    }
    revokes.sort((a, b) => a - b);
    console.log(
      `revoke on one node → \`revoked\` on a tablet of another: median ${revokes[Math.floor(revokes.length / 2)].toFixed(1)} ms, ` +
        `max ${revokes[revokes.length - 1].toFixed(1)} ms (${REVOKES} revokes)`,
    );

    // kill -9 of the last node: its tablets go offline on the dashboard (node_lost) once its heartbeat expires.
    const victim = nodes[NODES - 1];
    const expected = Math.min(per, TABLETS - per * (NODES - 1));
    const onlineBefore = online.size;
    const tKill = now();
    victim.kill();
    const tLost = await until('node_lost', () => lost.size >= expected, DEADLINE_S, progress);
    console.log(
      `kill -9 of node ${NODES - 1} (${expected} tablets): all offline (node_lost) on the dashboard after ` +
        `${((tLost - tKill) / 1000).toFixed(1)} s (PRESENCE_TTL_MS ${PRESENCE_TTL_MS}); online ${onlineBefore} → ${online.size}`,
    );
    dash.close();
    recordResult(
      'cluster.ts',
      `| ${new Date().toISOString().slice(0, 16).replace('T', ' ')} | ${NODES} | ${ok} / ${TABLETS} | ` +
        `${((tSockets - tConnect) / 1000).toFixed(0)} s (${(ok / ((tSockets - tConnect) / 1000)).toFixed(0)}/s) | ` +
        `${((tDashboard - tConnect) / 1000).toFixed(0)} s | ${show(perConnect)} | ${idleTotal.toFixed(0)} (${show(perSecond.slice(0, 3))}) | ` +
        `${revokes[Math.floor(revokes.length / 2)].toFixed(0)} / ${revokes[revokes.length - 1].toFixed(0)} ms | ` +
        `${((tLost - tKill) / 1000).toFixed(1)} s |`,
    );
  } finally {
    for (const c of children) c.kill('SIGKILL');
    for (const n of nodes) {
      try {
        n.stop();
      } catch {
        /* killed */
      }
    }
    redis.disconnect();
  }
}

main().then(
  () => setTimeout(() => process.exit(0), 1000),
  (err) => {
    console.error(err);
    setTimeout(() => process.exit(1), 1000);
  },
);
