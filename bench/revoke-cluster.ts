/**
 * A revoke across nodes: N tablets connected to node B; node A answers the revoke (REST) and the tablet's socket on
 * node B gets `revoked` and is dropped. Timed from sending the HTTP request (this process) to the client process
 * receiving `revoked` (both clocks: performance.timeOrigin + performance.now(), one machine); p50 / p90 / p99 / max
 * over REVOKES revokes one after another, each of a different tablet, spread over the N.
 *
 *   npm run bench:revoke-cluster        # N=15000 REVOKES=200 CLIENTS=3, MariaDB + Redis on 127.0.0.1
 *   env: N (tablets on node B), REVOKES, CLIENTS (client processes, each from its own source address 127.0.0.<k+2>),
 *        CONCURRENCY (handshakes in flight over all clients, 100), WARMUP (revokes of devices with no socket first,
 *        not counted, 10), SETTLE_S (pause between the last handshake and the first revoke, 5),
 *        STOCK_WAY (server-side-emit, the default: one `serverSideEmit('drop', room)` publish, node B emits
 *        `revoked` to the room and disconnects it locally, as the hub does; or emit: `to(room).emit('revoked')` then
 *        `in(room).disconnectSockets(true)`, two publishes),
 *        DATABASE_URL (mysql://root@127.0.0.1:3306/th_revoke_bench: dropped and created afresh), REDIS_URL (redis://127.0.0.1:6379),
 *        DEADLINE_S (whole run, 1200)
 *
 * The floor, in the same run: two stock Socket.IO processes (this file with --stock: bench/stock.ts's socket.io
 * options, @socket.io/redis-adapter on the same Redis with ioredis pub/sub clients, no database); the N sockets on
 * stock B, each in a room `device:<i>`; an HTTP request to stock A (`POST /revoke/<i>`) does the STOCK_WAY and
 * answers. So both sides include one HTTP round trip to A and one Redis hop to B; the hub's is the real REST revoke
 * (`POST /api/v1/merchants/loyalty/devices/{id}/revoke`, merchant token: token check, database transaction with the
 * audit and outbox rows, then the `drop` to every node).
 *
 * The hub: two nodes (bench/harness.ts startBenchServer: `tsx src/main.ts`) on the same MariaDB database and Redis,
 * the same DATA_DIR (shared JWT keys), per-address limits lifted; N + WARMUP devices bulk-paired (harness bulkPair).
 * Tablets are raw socket.io-client sockets (websocket only, no reconnection, one Manager each) from CLIENTS
 * processes (bench/load-client.ts, open-file limit raised to the hard limit), ~CONCURRENCY handshakes in flight;
 * each counts once it has `session` (hub) / `connect` (stock). Appends a dated row to bench/RESULTS.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import {
  benchMerchant,
  benchStores,
  bulkPair,
  freshDatabase,
  recordResult,
  spawnLoadClient,
  startBenchServer,
} from './harness';
import { type FromClient, LOAD_CLIENT, nextMessage, type ToClient } from './load-client';
import { SERVER_OPTS } from './stock';

const env = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);
const N = env('N', 15_000);
const REVOKES = env('REVOKES', 200);
const CLIENTS = env('CLIENTS', 3);
const CONCURRENCY = env('CONCURRENCY', 100);
const WARMUP = env('WARMUP', 10);
const SETTLE_S = env('SETTLE_S', 5);
const DEADLINE_S = env('DEADLINE_S', 1200);
const STOCK_WAY = process.env.STOCK_WAY ?? 'server-side-emit';
const LIMITS = {
  SOCKET_MAX_PER_ADDRESS: '1000000',
  SOCKET_CONNECTS_PER_MINUTE: '1000000',
  PAIRINGS_PER_MINUTE: '1000000',
};
const now = () => performance.timeOrigin + performance.now();
const randomPort = () => 12000 + Math.floor(Math.random() * 20000);

// ---------------------------------------------------------------------------------------------------------------
// --stock <port>: stock Socket.IO with the Redis adapter. Sockets (auth {id}) join `device:<id>`; `POST /revoke/<id>`
// tells every node to send that room `revoked` and drop it; `GET /servers` counts the nodes on the adapter.
function stockServer(port: number) {
  const pub = new Redis(String(process.env.REDIS_URL), { maxRetriesPerRequest: null });
  const sub = pub.duplicate();
  const payload = { reason: 'revoked', revoked_reason: 'bench' };
  const httpServer = http.createServer(async (req, res) => {
    const revoke = /^\/revoke\/(\d+)$/.exec(req.url ?? '');
    if (req.method === 'POST' && revoke) {
      const room = `device:${Number(revoke[1])}`;
      if (STOCK_WAY === 'server-side-emit') nsp.serverSideEmit('drop', room);
      else {
        nsp.to(room).emit('revoked', payload);
        nsp.in(room).disconnectSockets(true);
      }
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    } else if (req.url === '/servers') res.end(String(await nsp.adapter.serverCount()));
    else if (req.url === '/sockets') res.end(String(nsp.sockets.size));
    else res.writeHead(404).end();
  });
  const ioServer = new Server(httpServer, {
    ...SERVER_OPTS,
    serveClient: false,
    adapter: createAdapter(pub, sub, { key: 'revoke-bench-stock' }),
  });
  const nsp = ioServer.of('/devices');
  nsp.on('connection', (socket) => void socket.join(`device:${Number(socket.handshake.auth.id)}`));
  // server-side-emit: the node holding the room sends `revoked` and drops the socket itself.
  nsp.on('drop', (room: string) => {
    nsp.local.to(room).emit('revoked', payload);
    nsp.local.in(room).disconnectSockets(true);
  });
  sub.once('ready', () => httpServer.listen(port, '127.0.0.1', () => process.send?.('ready')));
  process.on('SIGTERM', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------------------------
// The orchestrator.
const children = new Set<ChildProcess>();
const stops = new Set<() => void>();
function killAll() {
  for (const c of children) c.kill('SIGKILL');
  for (const stop of stops) {
    try {
      stop();
    } catch {
      /* already gone */
    }
  }
}

interface Tablets {
  clients: ChildProcess[];
  ok: number;
  failed: number;
  errors: Record<string, number>;
  seconds: number;
  /** Waits for `revoked` and the disconnect of tablet `index`. */
  expect(index: number): { revoked: Promise<number>; dropped: Promise<{ at: number; why: string }> };
  stats(): Promise<{ open: number; disconnects: Record<string, number> }>;
  close(): Promise<void>;
}

/** CLIENTS processes, each with its share of `auths` (tablet i is auths[i]), connected to `url`. */
async function connectTablets(url: string, auths: Record<string, unknown>[], ready: 'session' | 'connect') {
  const clients = Array.from({ length: CLIENTS }, () => {
    const child = spawnLoadClient(LOAD_CLIENT);
    children.add(child);
    return child;
  });
  await Promise.all(clients.map((c) => nextMessage(c, 'ready', 60_000)));
  const waiting = {
    revoked: new Map<number, (at: number) => void>(),
    dropped: new Map<number, (d: { at: number; why: string }) => void>(),
  };
  for (const c of clients)
    c.on('message', (m: FromClient) => {
      if (m.type === 'revoked') waiting.revoked.get(m.index)?.(m.at);
      else if (m.type === 'dropped') waiting.dropped.get(m.index)?.(m);
    });
  const per = Math.ceil(auths.length / CLIENTS);
  const reports = await Promise.all(
    clients.map((c, k) => {
      const done = nextMessage(c, 'connected', DEADLINE_S * 1000);
      c.send({
        type: 'connect',
        url,
        auths: auths.slice(k * per, (k + 1) * per),
        first: k * per,
        concurrency: Math.max(1, Math.round(CONCURRENCY / CLIENTS)),
        localAddress: `127.0.0.${k + 2}`,
        ready,
        relayDrops: true,
      } satisfies ToClient);
      return done;
    }),
  );
  const errors: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const within = <T>(what: string, map: Map<number, (v: T) => void>, index: number) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        map.delete(index);
        reject(new Error(`tablet #${index}: no ${what} within 10 s`));
      }, 10_000);
      map.set(index, (v) => {
        clearTimeout(timer);
        map.delete(index);
        resolve(v);
      });
    });
  const tablets: Tablets = {
    clients,
    ok: reports.reduce((a, r) => a + r.ok, 0),
    failed: reports.reduce((a, r) => a + r.failed, 0),
    errors,
    seconds: (Math.max(...reports.map((r) => r.end)) - Math.min(...reports.map((r) => r.start))) / 1000,
    expect: (index) => ({
      revoked: within('`revoked`', waiting.revoked, index),
      dropped: within('disconnect', waiting.dropped, index),
    }),
    async stats() {
      const all = await Promise.all(
        clients.map((c) => {
          const got = nextMessage(c, 'stats', 10_000);
          c.send({ type: 'stats' } satisfies ToClient);
          return got;
        }),
      );
      const disconnects: Record<string, number> = {};
      for (const s of all)
        for (const [k, v] of Object.entries(s.disconnects)) disconnects[k] = (disconnects[k] ?? 0) + v;
      return { open: all.reduce((a, s) => a + s.open, 0), disconnects };
    },
    async close() {
      await Promise.all(
        clients.map(
          (c) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
              c.once('exit', () => {
                clearTimeout(timer);
                children.delete(c);
                resolve();
              });
              c.send({ type: 'close' } satisfies ToClient);
            }),
        ),
      );
    },
  };
  return tablets;
}

interface Sample {
  /** HTTP request sent → `revoked` at the tablet. */
  revoked: number;
  /** HTTP request sent → the tablet's socket closed by the server. */
  dropped: number;
  /** HTTP request sent → its answer read. */
  answer: number;
  why: string;
}

/** WARMUP requests for tablets with no socket (not counted), then REVOKES timed one after another. */
async function revokeAll(
  tablets: Tablets,
  send: (index: number) => Promise<unknown>,
): Promise<{ samples: Sample[]; warmup: number[] }> {
  const warmup: number[] = [];
  for (let k = 0; k < WARMUP; k++) {
    const t0 = now();
    await send(N + k);
    warmup.push(now() - t0);
  }
  await sleep(200);
  const samples: Sample[] = [];
  for (let k = 0; k < REVOKES; k++) {
    const index = Math.floor(((k + 0.5) / REVOKES) * N);
    const { revoked, dropped } = tablets.expect(index);
    const t0 = now();
    const answered = send(index).then(() => now());
    const [rv, dr, an] = await Promise.all([revoked, dropped, answered]);
    samples.push({ revoked: rv - t0, dropped: dr.at - t0, answer: an - t0, why: dr.why });
  }
  return { samples, warmup };
}

interface Run {
  name: string;
  tablets: { ok: number; failed: number; errors: Record<string, number>; seconds: number };
  samples: Sample[];
  warmup: number[];
  open: number;
  serverSockets: number;
  disconnects: Record<string, number>;
}

async function runStock(): Promise<Run> {
  const start = () => {
    const port = randomPort();
    const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--stock', String(port)], {
      env: { ...process.env, STOCK_WAY },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.add(child);
    const ready = new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`a stock server exited (${code})`)));
    });
    return { url: `http://127.0.0.1:${port}`, child, ready };
  };
  const a = start();
  const b = start();
  try {
    await Promise.all([a.ready, b.ready]);
    while (Number(await (await fetch(`${a.url}/servers`)).text()) < 2) await sleep(100);
    const tablets = await connectTablets(
      b.url,
      Array.from({ length: N }, (_, i) => ({ id: i })),
      'connect',
    );
    console.log(
      `stock: ${tablets.ok}/${N} connected to B in ${tablets.seconds.toFixed(1)} s${tablets.failed ? `, ${tablets.failed} failed ${JSON.stringify(tablets.errors)}` : ''}`,
    );
    await sleep(SETTLE_S * 1000);
    const { samples, warmup } = await revokeAll(tablets, async (i) => {
      const res = await fetch(`${a.url}/revoke/${i}`, { method: 'POST' });
      if (!res.ok) throw new Error(`stock revoke ${i}: ${res.status}`);
      return res.json();
    });
    await sleep(500);
    const { open, disconnects } = await tablets.stats();
    const serverSockets = Number(await (await fetch(`${b.url}/sockets`)).text());
    await tablets.close();
    return { name: 'stock', tablets, samples, warmup, open, serverSockets, disconnects };
  } finally {
    for (const s of [a, b]) {
      s.child.kill('SIGTERM');
      children.delete(s.child);
    }
  }
}

async function runHub(): Promise<Run> {
  const a = await startBenchServer(LIMITS);
  stops.add(a.stop);
  const b = await startBenchServer({ ...LIMITS, DATA_DIR: a.dataDir });
  stops.add(b.stop);
  try {
    const { admin, merchant, store, merchantToken } = await benchMerchant(a.api, 'Revoke cluster');
    const stores = await benchStores(a.api, admin, merchant.id, store, Math.ceil((N + WARMUP) / 100));
    const me = (await a.api('GET', '/api/v1/auth/me', merchantToken)).user.id as number;
    const t0 = now();
    const devices = await bulkPair({
      dataDir: a.dataDir,
      merchantId: merchant.id,
      actorId: me,
      stores,
      from: 0,
      to: N + WARMUP,
      out: [],
    });
    console.log(`hub: ${devices.length} devices bulk-paired in ${((now() - t0) / 1000).toFixed(1)} s`);
    const tablets = await connectTablets(
      b.url,
      devices.slice(0, N).map((d) => ({ token: d.token })),
      'session',
    );
    console.log(
      `hub: ${tablets.ok}/${N} have \`session\` from B in ${tablets.seconds.toFixed(1)} s${tablets.failed ? `, ${tablets.failed} failed ${JSON.stringify(tablets.errors)}` : ''}`,
    );
    await sleep(SETTLE_S * 1000);
    const { samples, warmup } = await revokeAll(tablets, (i) =>
      a.api('POST', `/api/v1/merchants/loyalty/devices/${devices[i].id}/revoke`, merchantToken, { reason: 'bench' }),
    );
    await sleep(500);
    const { open, disconnects } = await tablets.stats();
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    const serverSockets = Number(/^realtime_device_sockets (\d+)/m.exec(metrics)?.[1] ?? Number.NaN);
    await tablets.close();
    return { name: 'hub', tablets, samples, warmup, open, serverSockets, disconnects };
  } finally {
    for (const node of [a, b]) {
      node.stop();
      stops.delete(node.stop);
    }
    await Promise.all([a.exited, b.exited]);
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const summary = (xs: number[]) => ({ p50: pct(xs, 50), p90: pct(xs, 90), p99: pct(xs, 99), max: Math.max(...xs) });
const f = (x: number) => x.toFixed(1);
const fmt = (s: ReturnType<typeof summary>) => `${f(s.p50)} / ${f(s.p90)} / ${f(s.p99)} / ${f(s.max)}`;

async function main() {
  process.env.DATABASE_URL ??= 'mysql://root@127.0.0.1:3306/th_revoke_bench';
  freshDatabase(process.env.DATABASE_URL);
  process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
  if (STOCK_WAY !== 'emit' && STOCK_WAY !== 'server-side-emit')
    throw new Error('STOCK_WAY must be emit or server-side-emit');
  const deadline = setTimeout(() => {
    console.error(`deadline of ${DEADLINE_S} s reached; stopping`);
    killAll();
    process.exit(2);
  }, DEADLINE_S * 1000);
  deadline.unref();
  console.log(
    `${N} tablets on node B from ${CLIENTS} client processes (127.0.0.2–${CLIENTS + 1}), ${CONCURRENCY} handshakes in flight; ` +
      `${REVOKES} revokes answered by node A (after ${WARMUP} warm-up); stock way: ${STOCK_WAY}; ${os.cpus().length} cores; ` +
      `load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  const runs = [await runStock(), await runHub()];
  console.log('');
  console.log(
    `${''.padEnd(6)} ${'→ revoked p50 / p90 / p99 / max (ms)'.padStart(38)} ${'→ dropped p50 / p99'.padStart(20)} ${'HTTP answer p50 / p99'.padStart(22)} ${'warm-up p50'.padStart(12)}`,
  );
  const stats = runs.map((r) => ({
    revoked: summary(r.samples.map((s) => s.revoked)),
    dropped: summary(r.samples.map((s) => s.dropped)),
    answer: summary(r.samples.map((s) => s.answer)),
  }));
  runs.forEach((r, k) => {
    const s = stats[k];
    console.log(
      `${r.name.padEnd(6)} ${fmt(s.revoked).padStart(38)} ${`${f(s.dropped.p50)} / ${f(s.dropped.p99)}`.padStart(20)} ` +
        `${`${f(s.answer.p50)} / ${f(s.answer.p99)}`.padStart(22)} ${f(pct(r.warmup, 50)).padStart(12)}`,
    );
  });
  for (const r of runs) {
    const why = [...new Set(r.samples.map((s) => s.why))].join(', ');
    console.log(
      `${r.name}: ${r.open} of ${N} still connected after the revokes (expected ${N - REVOKES}; node B counts ${r.serverSockets}); ` +
        `revoked tablets closed by: ${why}; client-side disconnects ${JSON.stringify(r.disconnects)}; ` +
        `handshake failures ${r.tablets.failed}${r.tablets.failed ? ` ${JSON.stringify(r.tablets.errors)}` : ''}`,
    );
  }
  const [stock, hub] = stats;
  const ratio = hub.revoked.p99 / stock.revoked.p99;
  console.log(`p99 hub ÷ stock: ${ratio.toFixed(2)} (goal ≤ 1.5)`);
  const [sr, hr] = runs;
  recordResult(
    'revoke-cluster.ts',
    `| ${new Date().toISOString().slice(0, 16).replace('T', ' ')} | MariaDB + Redis | ${N} | ${REVOKES} | ${STOCK_WAY} | ` +
      `${fmt(stock.revoked)} | ${fmt(hub.revoked)} | ${f(hub.answer.p50)} / ${f(hub.answer.p99)} | **${ratio.toFixed(2)}** | ` +
      `${hr.open} / ${sr.open} | ${hr.tablets.failed} / ${sr.tablets.failed} |`,
  );
}

if (process.argv[2] === '--stock') stockServer(Number(process.argv[3]));
else
  main().then(
    () => {
      killAll();
      process.exit(0);
    },
    (err) => {
      console.error(err);
      killAll();
      process.exit(1);
    },
  );
