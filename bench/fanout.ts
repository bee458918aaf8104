/**
 * Dashboard fan-out: DASHBOARDS merchant dashboards (`/dashboard` sockets of the merchant's users) watch while
 * TABLETS tablets come online one after another; for each, the delay from the tablet opening its connection to every
 * dashboard's `device:online` is measured (TABLETS × DASHBOARDS samples; the handshake included, as a user sees
 * it), p50 / p99 / max, and the spread within one broadcast (last dashboard − first).
 *
 *   npm run bench:fanout                       # embedded SQLite; DASHBOARDS=100 TABLETS=200
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/th_bench REDIS_URL=redis://127.0.0.1:6379 npm run bench:fanout
 *
 * Baseline in the same run: a stock Socket.IO server (its own process, same options) that, when a "tablet" socket
 * connects, emits one event to a room of DASHBOARDS sockets: the floor of a room broadcast on this machine. The
 * dashboards and tablets run in this process. Appends a dated row to bench/RESULTS.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { benchMerchant, bulkPair, recordResult, startBenchServer } from './harness';

const DASHBOARDS = Number(process.env.DASHBOARDS ?? 100);
const TABLETS = Number(process.env.TABLETS ?? 200);
const OPTS = { transports: ['websocket'], reconnection: false, forceNew: true };

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const stats = (samples: number[]) => {
  const s = [...samples].sort((x, y) => x - y);
  return { p50: pct(s, 0.5), p99: pct(s, 0.99), max: s[s.length - 1], n: s.length };
};
const connected = (s: Socket) =>
  new Promise<void>((resolve, reject) => s.once('connect', () => resolve()).once('connect_error', reject));

/** --stock: on a `/tablets` connection, one `device:online` to the room every `/dashboard` socket is in. */
function stockServer(port: number) {
  const httpServer = http.createServer();
  const ioServer = new Server(httpServer, { perMessageDeflate: false, httpCompression: false });
  ioServer.of('/dashboard').on('connection', (s) => void s.join('merchant:1'));
  ioServer.of('/tablets').on('connection', (s) => {
    ioServer
      .of('/dashboard')
      .to('merchant:1')
      .emit('device:online', { device: { id: Number(s.handshake.auth.id) } });
    s.emit('session', {});
  });
  httpServer.listen(port, '127.0.0.1', () => process.send?.('ready'));
}

/** Brings TABLETS tablets online one by one; the delays from opening the connection to each dashboard's event. */
async function measure(
  dashboards: Socket[],
  connectTablet: (i: number) => Socket,
  idOf: (i: number) => number,
): Promise<{ samples: number[]; spreads: number[] }> {
  const samples: number[] = [];
  const spreads: number[] = [];
  let waiting: { id: number; at: number; got: number[]; done: () => void } | undefined;
  for (const d of dashboards)
    d.on('device:online', ({ device }: { device: { id: number } }) => {
      if (!waiting || waiting.id !== device.id) return;
      waiting.got.push(performance.now() - waiting.at);
      if (waiting.got.length === DASHBOARDS) waiting.done();
    });
  for (let i = 0; i < TABLETS; i++) {
    const id = idOf(i);
    const heard = new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`device ${id}: not every dashboard heard it`)), 10_000);
      waiting = {
        id,
        at: performance.now(),
        got: [],
        done: () => {
          clearTimeout(timer);
          resolve(waiting!.got);
        },
      };
    });
    const tablet = connectTablet(i);
    const got = await heard;
    samples.push(...got);
    spreads.push(Math.max(...got) - Math.min(...got));
    waiting = undefined;
    tablet.close();
  }
  return { samples, spreads };
}

async function runStock(): Promise<{ samples: number[]; spreads: number[] }> {
  const port = 12000 + Math.floor(Math.random() * 20000);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', __filename, '--stock', String(port)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  try {
    await new Promise((resolve) => child.once('message', resolve));
    const url = `http://127.0.0.1:${port}`;
    const dashboards = Array.from({ length: DASHBOARDS }, () => io(`${url}/dashboard`, OPTS));
    await Promise.all(dashboards.map(connected));
    const r = await measure(
      dashboards,
      (i) => io(`${url}/tablets`, { ...OPTS, auth: { id: i + 1 } }),
      (i) => i + 1,
    );
    for (const d of dashboards) d.close();
    return r;
  } finally {
    child.kill('SIGTERM');
  }
}

async function runHub(): Promise<{ samples: number[]; spreads: number[] }> {
  const server = await startBenchServer({
    SOCKET_MAX_PER_ADDRESS: '1000000',
    SOCKET_CONNECTS_PER_MINUTE: '1000000',
    PAIRINGS_PER_MINUTE: '1000000',
  });
  try {
    const { merchant, store, merchantToken } = await benchMerchant(server.api, 'Fanout');
    const me = (await server.api('GET', '/api/v1/auth/me', merchantToken)).user.id as number;
    const devices: { id: number; token: string }[] = [];
    await bulkPair({
      dataDir: server.dataDir,
      merchantId: merchant.id,
      actorId: me,
      stores: Array.from({ length: Math.ceil(TABLETS / 100) }, () => store),
      from: 0,
      to: TABLETS,
      out: devices,
    });
    // One merchant user's token on every dashboard (a merchant with many people watching).
    const dashboards = Array.from({ length: DASHBOARDS }, () =>
      io(`${server.url}/dashboard`, { ...OPTS, auth: { token: merchantToken } }),
    );
    await Promise.all(dashboards.map(connected));
    const r = await measure(
      dashboards,
      (i) => io(`${server.url}/devices`, { ...OPTS, auth: { token: devices[i].token } }),
      (i) => devices[i].id,
    );
    for (const d of dashboards) d.close();
    return r;
  } finally {
    server.stop();
  }
}

async function main() {
  const db = process.env.DATABASE_URL ? 'MariaDB' : 'SQLite';
  console.log(
    `${db}${process.env.REDIS_URL ? ' + Redis' : ''}; ${os.cpus().length} cores; ${DASHBOARDS} dashboards, ${TABLETS} tablets online one by one`,
  );
  const stockRun = await runStock();
  const hubRun = await runHub();
  const [stock, hub] = [stats(stockRun.samples), stats(hubRun.samples)];
  const [stockSpread, hubSpread] = [stats(stockRun.spreads), stats(hubRun.spreads)];
  const f = (x: number) => x.toFixed(1);
  const line = (name: string, s: typeof stock, spread: typeof stock) =>
    console.log(
      `${name}: p50 ${f(s.p50)} ms, p99 ${f(s.p99)} ms, max ${f(s.max)} ms (${s.n} samples); spread within a broadcast p99 ${f(spread.p99)} ms`,
    );
  line('stock Socket.IO (handshake + room broadcast)', stock, stockSpread);
  line('hub (handshake + device:online to every dashboard)', hub, hubSpread);
  console.log(`p99 hub ÷ stock: ${(hub.p99 / stock.p99).toFixed(2)}`);
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  recordResult(
    'fanout.ts',
    `| ${when} | ${db}${process.env.REDIS_URL ? ' + Redis' : ''} | ${DASHBOARDS} × ${TABLETS} | ${f(stock.p50)} / ${f(stock.p99)} | ${f(hub.p50)} / ${f(hub.p99)} | ${f(hub.max)} | ${f(hubSpread.p99)} | ${(hub.p99 / stock.p99).toFixed(2)} |`,
  );
  process.exit(0);
}

if (process.argv[2] === '--stock') stockServer(Number(process.argv[3]));
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
