/**
 * How many tablets one node holds, at what cost: device sockets on `/devices` against a stock Socket.IO server
 * (same socket.io, same options; a `jose` HS256 check of the handshake token with typ/aud/iss, two rooms per socket,
 * `session` emitted; no database) measured in the same run with the same client load.
 *
 *   npx tsx bench/sockets.ts [N=1000]                                                   # embedded SQLite
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/th_bench npx tsx bench/sockets.ts 1000      # MariaDB
 *   env: N (sockets, default 1000, at most 5000 unless MAX_N is raised), CLIENTS (load-generator processes, 1, each
 *        from its own source address 127.0.0.<k+2>),
 *        CONCURRENCY (handshakes in flight over all clients, 100), WINDOW_S (idle window for last_seen/CPU, 10),
 *        SETTLE_S (seconds after the last connect before the idle window, their CPU shown apart; 0),
 *        REVOKES (revokes timed one after another, 5), DEADLINE_S (whole run, 900), FLUSH_MS (the hub's
 *        LAST_SEEN_FLUSH_MS, 2000),
 *        PAIR_API (devices paired through POST …/loyalty/devices, in parallel batches of 20; default 100),
 *        BASELINE_REF (a commit: its hub is run too, from a git worktree, and compared with this one),
 *        PROFILE_DIR (a folder: CPU profiles of each server while the sockets connect and while they idle, taken
 *        through the inspector, and a heap snapshot with all connected; `npx tsx bench/profile.ts <file>` sums a
 *        profile up, `npx tsx bench/heap-diff.ts` compares what each socket added on two servers)
 *
 * Pairing through the API runs at ~10–20/s on this machine (each pairing signs a token and renders a QR PNG), so
 * beyond PAIR_API the devices are inserted in bulk into the hub's own database (its data-source factory, chunks of
 * 500 rows, the same columns as DeviceService.pair) and their tokens signed with its own keyring and
 * Tokens.createDeviceToken — the same tokens the API would hand out.
 *
 * Every server is its own process (the hub: node_modules/.bin/tsx src/main.ts with a temp DATA_DIR, LOG_LEVEL=warn,
 * LAST_SEEN_FLUSH_MS=FLUSH_MS, random port; the stock baseline: bench/stock.ts) and the sockets come from other processes
 * (bench/load-client.ts, socket.io-client, websocket only, one Manager per socket). Memory is read from each
 * server's /metrics (prom-client default metrics in both) after forcing a full GC through the inspector protocol
 * (servers start with --inspect on 127.0.0.1), before and after the N sockets connect.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { ADMIN, apiClient, bulkPair, spawnLoadClient } from './harness';
import { type FromClient, LOAD_CLIENT, nextMessage, type ToClient } from './load-client';
import { stockTokens } from './stock';

const now = () => performance.timeOrigin + performance.now();
const env = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);
/** Below the ephemeral range (32768+), so that the clients' own ports never take the servers'. */
const randomPort = () => 12000 + Math.floor(Math.random() * 20000);
// ---------------------------------------------------------------------------------------------------------------
// The orchestrator.
const N = Number(process.argv[2] ?? env('N', 1000));
const MAX_N = env('MAX_N', 5000);
const CLIENTS = env('CLIENTS', 1);
const CONCURRENCY = env('CONCURRENCY', 100);
const WINDOW_S = env('WINDOW_S', 10);
/** Seconds between the last connect and the idle window, measured apart (the connections' aftermath); 0: none. */
const SETTLE_S = env('SETTLE_S', 0);
/** The hub's LAST_SEEN_FLUSH_MS: 2 s shows flushes within the window; the server's default is 15 s. */
const FLUSH_MS = env('FLUSH_MS', 2000);
const REVOKES = env('REVOKES', 5);
const DEADLINE_S = env('DEADLINE_S', 900);
const PAIR_API = env('PAIR_API', 100);
/** A commit to measure in the same run (a worktree of it, sharing node_modules): the hub before a change. */
const BASELINE_REF = process.env.BASELINE_REF;
/** A folder: each server's CPU profile of the handshakes and of the idle window is written there (inspector). */
const PROFILE_DIR = process.env.PROFILE_DIR;

/**
 * bulkPair with another checkout's code, in a process started in that checkout: tsx compiles its sources (TypeORM's
 * decorators) only under the tsconfig of the folder it runs in.
 */
function bulkPairIn(root: string, job: Parameters<typeof bulkPair>[0]): { id: number; token: string }[] {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.resolve(__filename), '--bulk-pair'], {
    cwd: root,
    input: JSON.stringify(job),
    maxBuffer: 1 << 28,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return JSON.parse(out.toString());
}

function baselineWorktree(ref: string): string {
  const dir = path.join(os.tmpdir(), `th-baseline-${ref.replace(/[^\w.-]/g, '_')}`);
  if (!fs.existsSync(dir)) {
    execFileSync('git', ['worktree', 'add', '--detach', dir, ref], { stdio: 'ignore' });
    fs.symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
  }
  return dir;
}

const children = new Set<ChildProcess>();
function killAll() {
  for (const c of children) {
    try {
      if (c.pid) process.kill(c.spawnargs[0].endsWith('tsx') ? -c.pid : c.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  children.clear();
}

/** Servers: own process group (detached), stderr filtered of the inspector's banner. */
function startServer(cmd: string, args: string[], cwd: string, extraEnv: Record<string, string>): ChildProcess {
  const child = spawn(path.resolve(cwd, cmd), args, {
    cwd,
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: cmd.endsWith('tsx'),
  });
  child.stderr!.on('data', (b: Buffer) => {
    const text = b
      .toString()
      .split('\n')
      .filter((l) => l && !/Debugger (listening|ending|attached)|For help, see|Waiting for the debugger/.test(l))
      .join('\n');
    if (text) process.stderr.write(`[server] ${text}\n`);
  });
  children.add(child);
  return child;
}

async function waitHttp(url: string, child: ChildProcess) {
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}) before ${url} answered`);
    if ((await fetch(url).catch(() => undefined))?.ok) return;
    if (i > 300) throw new Error(`${url} did not answer`);
    await sleep(100);
  }
}

/** The server's inspector (servers start with --inspect): one DevTools protocol call at a time. */
async function inspector(inspectPort: number) {
  const [target] = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const ws = new WebSocket(target.webSocketDebuggerUrl, { maxPayload: 1 << 30 });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let id = 0;
  const listeners = new Map<string, (params: Record<string, unknown>) => void>();
  ws.on('message', (d) => {
    const msg = JSON.parse(String(d));
    if (msg.method) listeners.get(msg.method)?.(msg.params);
  });
  return {
    onEvent: (method: string, fn: (params: Record<string, unknown>) => void) => listeners.set(method, fn),
    call: (method: string, params: object = {}) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const mine = ++id;
        const on = (d: WebSocket.RawData) => {
          const msg = JSON.parse(String(d));
          if (msg.id !== mine) return;
          ws.off('message', on);
          resolve(msg.result);
        };
        ws.on('message', on);
        ws.send(JSON.stringify({ id: mine, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** A full GC in the server (HeapProfiler.collectGarbage), twice. */
async function forceGc(inspectPort: number) {
  const i = await inspector(inspectPort);
  for (const _ of [1, 2]) await i.call('HeapProfiler.collectGarbage');
  i.close();
}

/** With PROFILE_DIR: a heap snapshot of the server (after a full GC) into `<name>.heapsnapshot`. */
async function heapSnapshot(inspectPort: number, name: string): Promise<void> {
  if (!PROFILE_DIR) return;
  const i = await inspector(inspectPort);
  fs.mkdirSync(PROFILE_DIR, { recursive: true });
  const out = fs.createWriteStream(path.join(PROFILE_DIR, `${name}.heapsnapshot`));
  i.onEvent('HeapProfiler.addHeapSnapshotChunk', (p) => out.write(p.chunk as string));
  await i.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await new Promise((resolve) => out.end(resolve));
  i.close();
}

/** With PROFILE_DIR: profiles the server from now until the returned function is called, into `<name>.cpuprofile`. */
async function profile(inspectPort: number, name: string): Promise<() => Promise<void>> {
  if (!PROFILE_DIR) return async () => {};
  const i = await inspector(inspectPort);
  await i.call('Profiler.enable');
  await i.call('Profiler.setSamplingInterval', { interval: 200 });
  await i.call('Profiler.start');
  return async () => {
    const { profile: p } = await i.call('Profiler.stop');
    fs.mkdirSync(PROFILE_DIR, { recursive: true });
    fs.writeFileSync(path.join(PROFILE_DIR, `${name}.cpuprofile`), JSON.stringify(p));
    i.close();
  };
}

async function metrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
const get = (m: Map<string, number>, key: string) => m.get(key) ?? 0;

async function memory(url: string, inspectPort: number) {
  await forceGc(inspectPort);
  await sleep(300);
  const m = await metrics(url);
  return { rss: get(m, 'process_resident_memory_bytes'), heap: get(m, 'nodejs_heap_size_used_bytes'), m };
}

function spawnClient(): ChildProcess {
  const child = spawnLoadClient(LOAD_CLIENT);
  children.add(child);
  return child;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

interface Result {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  seconds: number;
  perSec: number;
  p50: number;
  p99: number;
  rssBefore: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
  cpuIdlePct: number;
  /** CPU over the SETTLE_S before the idle window (NaN without one). */
  cpuSettlePct: number;
  disconnects: Record<string, number>;
  clients: ChildProcess[];
  /** /metrics at the start of the idle window (after SETTLE_S), and at its end. */
  afterMetrics: Map<string, number>;
  lastMetrics: Map<string, number>;
}

/** Connects tokens.length sockets from CLIENTS processes, measures, and keeps them open (caller closes). */
async function connectAll(
  name: string,
  url: string,
  inspectPort: number,
  tokens: string[],
  onConnected?: () => Promise<void>,
): Promise<Result> {
  const clients = Array.from({ length: CLIENTS }, spawnClient);
  await sleep(1500); // let the clients load their modules
  const before = await memory(url, inspectPort);
  await heapSnapshot(inspectPort, `${name}-0`);
  const per = Math.ceil(tokens.length / CLIENTS);
  const stopProfile = await profile(inspectPort, `${name}-handshakes`);
  const done = clients.map((c) => nextMessage(c, 'connected', 180_000));
  clients.forEach((c, k) => {
    c.send({
      type: 'connect',
      url,
      auths: tokens.slice(k * per, (k + 1) * per).map((token) => ({ token })),
      first: k * per,
      concurrency: Math.max(1, Math.round(CONCURRENCY / CLIENTS)),
      localAddress: `127.0.0.${k + 2}`, // each client process from its own source address
    } satisfies ToClient);
  });
  const reports = await Promise.all(done);
  await stopProfile();
  const start = Math.min(...reports.map((r) => r.start));
  const end = Math.max(...reports.map((r) => r.end));
  const latencies = reports.flatMap((r) => r.latencies);
  const errors: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  if (onConnected) await onConnected();
  await sleep(2000);
  const after = await memory(url, inspectPort);
  await heapSnapshot(inspectPort, `${name}-${tokens.length}`);
  // Settling (SETTLE_S): what the connections leave to do (on the hub, the audit rows of the connects and the
  // webhook outbox, written by batches every LAST_SEEN_FLUSH_MS), measured apart from the steady state.
  const settle0 = get(after.m, 'process_cpu_seconds_total');
  const ts = now();
  await sleep(SETTLE_S * 1000);
  const settled = SETTLE_S ? await metrics(url) : after.m;
  const cpuSettlePct = SETTLE_S
    ? ((get(settled, 'process_cpu_seconds_total') - settle0) / ((now() - ts) / 1000)) * 100
    : Number.NaN;
  // Idle window: heartbeats (and on the hub the last_seen flushes) with every socket open.
  const cpu0 = get(settled, 'process_cpu_seconds_total');
  const t0 = now();
  const stopIdleProfile = await profile(inspectPort, `${name}-idle`);
  await sleep(WINDOW_S * 1000);
  const m1 = await metrics(url);
  await stopIdleProfile();
  const cpuIdlePct = ((get(m1, 'process_cpu_seconds_total') - cpu0) / ((now() - t0) / 1000)) * 100;
  const stats = await Promise.all(
    clients.map((c) => {
      c.send({ type: 'stats' } satisfies ToClient);
      return nextMessage(c, 'stats', 10_000);
    }),
  );
  const disconnects: Record<string, number> = {};
  for (const s of stats) for (const [k, v] of Object.entries(s.disconnects)) disconnects[k] = (disconnects[k] ?? 0) + v;
  const ok = reports.reduce((a, r) => a + r.ok, 0);
  return {
    ok,
    failed: reports.reduce((a, r) => a + r.failed, 0),
    errors,
    seconds: (end - start) / 1000,
    perSec: ok / ((end - start) / 1000),
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapBefore: before.heap,
    heapAfter: after.heap,
    cpuIdlePct,
    cpuSettlePct,
    disconnects,
    clients,
    afterMetrics: settled,
    lastMetrics: m1,
  };
}

async function closeClients(clients: ChildProcess[]) {
  await Promise.all(
    clients.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.once('exit', () => resolve());
          c.send({ type: 'close' } satisfies ToClient);
          setTimeout(() => {
            c.kill('SIGKILL');
            resolve();
          }, 5000);
        }),
    ),
  );
  for (const c of clients) children.delete(c);
}

async function runBare(): Promise<Result> {
  const secret = randomBytes(32);
  const tokens = await stockTokens(secret, N);
  const port = randomPort();
  const inspect = randomPort();
  const server = startServer(
    process.execPath,
    ['--import', 'tsx', `--inspect=127.0.0.1:${inspect}`, path.resolve(__dirname, 'stock.ts'), String(port)],
    '.',
    { STOCK_SECRET: secret.toString('base64url') },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(`${url}/metrics`, server);
    const r = await connectAll('stock', url, inspect, tokens);
    await closeClients(r.clients);
    return r;
  } finally {
    server.kill('SIGTERM');
    children.delete(server);
  }
}

/** The hub from `root` (this checkout, or a worktree of BASELINE_REF: the code before a change, in the same run). */
async function runHub(root = '.') {
  const port = randomPort();
  const inspect = randomPort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'th-bench-sockets-'));
  const server = startServer('node_modules/.bin/tsx', [`--inspect=127.0.0.1:${inspect}`, 'src/main.ts'], root, {
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    LAST_SEEN_FLUSH_MS: String(FLUSH_MS),
    // Every tablet of the bench comes from a few loopback addresses: lift the per-address limits.
    SOCKET_MAX_PER_ADDRESS: '1000000',
    SOCKET_CONNECTS_PER_MINUTE: '1000000',
    PAIRINGS_PER_MINUTE: '1000000',
    BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
  });
  const api = apiClient(url);
  try {
    await waitHttp(`${url}/readyz`, server);
    // Tenant: one merchant, stores of 100 devices, N devices paired through the API in parallel batches of 20.
    // On a shared database (MariaDB) an admin already exists, so BOOTSTRAP_ADMIN_* did nothing: make ours with the CLI.
    const admin = await api('POST', '/api/v1/auth/login', undefined, ADMIN)
      .catch(async () => {
        const creds = { email: 'bench-sockets-admin@example.com', password: ADMIN.password };
        await new Promise<void>((resolve, reject) =>
          spawn(
            'node_modules/.bin/tsx',
            ['src/cli/create-admin.ts', '--email', creds.email, '--password', creds.password],
            { cwd: root, env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: 'ignore' },
          ).once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`admin:create exited with ${code}`)))),
        );
        return api('POST', '/api/v1/auth/login', undefined, creds);
      })
      .then((r) => r.token as string);
    const stamp = Date.now().toString(36);
    const merchant = (await api('POST', '/api/v1/admin/merchants', admin, { name: `Sockets ${stamp}` })).merchant;
    const email = `sockets-${stamp}@example.com`;
    await api('POST', `/api/v1/admin/merchants/${merchant.id}/users`, admin, {
      email,
      password: ADMIN.password,
      role: 'merchant',
    });
    const merchantToken = (await api('POST', '/api/v1/auth/login', undefined, { email, password: ADMIN.password }))
      .token;
    const stores: { id: number; code: string }[] = [];
    for (let s = 0; s < Math.ceil(N / 100); s++)
      stores.push(
        (
          await api('POST', `/api/v1/admin/merchants/${merchant.id}/stores`, admin, {
            name: `Store ${s}`,
            code: `S${s}-${stamp}`,
          })
        ).store,
      );
    const merchantUserId = (await api('GET', '/api/v1/auth/me', merchantToken)).user.id;
    const devices: { id: number; token: string }[] = [];
    const viaApi = Math.min(N, PAIR_API);
    const tPair = now();
    for (let i = 0; i < viaApi; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, viaApi - i) }, (_, k) =>
          api('POST', '/api/v1/merchants/loyalty/devices', merchantToken, {
            store_id: stores[Math.floor((i + k) / 100)].id,
            label: `Till ${i + k}`,
          }),
        ),
      );
      for (const b of batch) devices.push({ id: b.device.id, token: b.pairing.auth_token });
    }
    const pairSecs = (now() - tPair) / 1000;
    const tBulk = now();
    if (N > viaApi) {
      const job = { dataDir, merchantId: merchant.id, actorId: merchantUserId, stores, from: viaApi, to: N, out: [] };
      if (root === '.') await bulkPair({ ...job, out: devices });
      else devices.push(...bulkPairIn(root, job));
    }
    const bulkSecs = (now() - tBulk) / 1000;

    // A merchant dashboard counts device:online from the first connection on.
    const dash = io(`${url}/dashboard`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token: merchantToken },
    });
    await new Promise((resolve, reject) =>
      dash.once('connect', () => resolve(undefined)).once('connect_error', reject),
    );
    let online = 0;
    let allOnlineAt = 0;
    let firstOnlineAt = 0;
    dash.on('device:online', () => {
      firstOnlineAt ||= now();
      if (++online === N) allOnlineAt = now();
    });
    const last0 = await metrics(url);
    let dashSecs = NaN;
    const r = await connectAll(
      root === '.' ? 'hub' : 'baseline',
      url,
      inspect,
      devices.map((d) => d.token),
      async () => {
        for (let i = 0; i < 300 && online < N; i++) await sleep(100);
        dashSecs = allOnlineAt ? (allOnlineAt - firstOnlineAt) / 1000 : NaN;
      },
    );
    const m = r.lastMetrics;
    const mAfter = r.afterMetrics;
    // last_seen over the idle window (from right after the connections settled to the end of the window).
    const flush = (mm: Map<string, number>) => ({
      statements: get(mm, 'realtime_last_seen_flush_rows_count'),
      rows: get(mm, 'realtime_last_seen_flush_rows_sum'),
      seconds: get(mm, 'realtime_last_seen_flush_seconds_sum'),
      slow:
        get(mm, 'realtime_last_seen_flush_seconds_count') -
        get(mm, 'realtime_last_seen_flush_seconds_bucket{le="0.1"}'),
    });
    const fAll0 = flush(last0);
    const f0 = flush(mAfter);
    const f1 = flush(m);
    const lastSeen = {
      statements: f1.statements - f0.statements,
      rows: f1.rows - f0.rows,
      seconds: f1.seconds - f0.seconds,
      slow: f1.slow - f0.slow,
      connectStatements: f0.statements - fAll0.statements,
      connectRows: f0.rows - fAll0.rows,
      connectSeconds: f0.seconds - fAll0.seconds,
    };
    const handshakeOk = get(m, 'realtime_handshakes_total{namespace="/devices",outcome="ok"}');

    // Revokes with N connected: REST call → `revoked` on that device's socket.
    const revokes: { total: number; rest: number }[] = [];
    const byIndex = new Map<number, (at: number) => void>();
    for (const c of r.clients)
      c.on('message', (msg: FromClient) => msg.type === 'revoked' && byIndex.get(msg.index)?.(msg.at));
    for (let k = 0; k < REVOKES; k++) {
      const index = Math.floor(((k + 0.5) / REVOKES) * N);
      const got = new Promise<number>((resolve, reject) => {
        byIndex.set(index, resolve);
        setTimeout(() => reject(new Error(`no revoked event for device #${index} within 10 s`)), 10_000);
      });
      const t0 = now();
      await api('POST', `/api/v1/merchants/loyalty/devices/${devices[index].id}/revoke`, merchantToken, {
        reason: 'bench',
      });
      const rest = now() - t0;
      revokes.push({ total: (await got) - t0, rest });
    }
    const sockets = get(await metrics(url), 'realtime_device_sockets');
    dash.disconnect();
    await closeClients(r.clients);
    return { r, pairSecs, viaApi, bulkSecs, dashSecs, lastSeen, revokes, handshakeOk, socketsAfterRevokes: sockets };
  } finally {
    try {
      process.kill(-server.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    children.delete(server);
    await sleep(500);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const mb = (b: number) => (b / 1048576).toFixed(1);
const kb = (b: number) => (b / 1024).toFixed(1);

async function main() {
  if (!Number.isInteger(N) || N < 1 || N > MAX_N)
    throw new Error(
      `N must be a whole number from 1 to ${MAX_N} (raise MAX_N knowingly: each socket is a file descriptor on both sides)`,
    );
  const deadline = setTimeout(() => {
    console.error(`deadline of ${DEADLINE_S} s reached; stopping`);
    killAll();
    process.exit(2);
  }, DEADLINE_S * 1000);
  deadline.unref();
  console.log(
    `database: ${process.env.DATABASE_URL ? 'MySQL/MariaDB' : 'SQLite (embedded)'}; ${os.cpus().length} cores; node ${process.version}; load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    `N=${N} sockets from ${CLIENTS} client process(es), ${CONCURRENCY} handshakes in flight, idle window ${WINDOW_S} s, LAST_SEEN_FLUSH_MS=${FLUSH_MS}, ping 8 s`,
  );

  const bare = await runBare();
  const before = BASELINE_REF ? await runHub(baselineWorktree(BASELINE_REF)) : undefined;
  const hub = await runHub();
  const h = hub.r;
  const row = (label: string, hv: string, bv: string, ratio: string) =>
    console.log(`${label.padEnd(40)} ${hv.padStart(14)} ${bv.padStart(14)} ${ratio.padStart(8)}`);
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log('');
  row('', 'terminal-hub', 'stock socket.io', 'hub/stock');
  row('sockets connected (session received)', `${h.ok}/${N}`, `${bare.ok}/${N}`, '');
  row('handshakes/s', h.perSec.toFixed(0), bare.perSec.toFixed(0), ratio(h.perSec, bare.perSec));
  row(
    'time until all have `session` (s)',
    h.seconds.toFixed(2),
    bare.seconds.toFixed(2),
    ratio(h.seconds, bare.seconds),
  );
  row(
    'handshake p50 / p99 (ms)',
    `${h.p50.toFixed(0)} / ${h.p99.toFixed(0)}`,
    `${bare.p50.toFixed(0)} / ${bare.p99.toFixed(0)}`,
    ratio(h.p50, bare.p50),
  );
  row(
    'RSS before → after (MB)',
    `${mb(h.rssBefore)} → ${mb(h.rssAfter)}`,
    `${mb(bare.rssBefore)} → ${mb(bare.rssAfter)}`,
    '',
  );
  const rssPer = (x: Result) => (x.rssAfter - x.rssBefore) / x.ok;
  const heapPer = (x: Result) => (x.heapAfter - x.heapBefore) / x.ok;
  row('RSS per socket (KB)', kb(rssPer(h)), kb(rssPer(bare)), ratio(rssPer(h), rssPer(bare)));
  row(
    'heap used before → after (MB)',
    `${mb(h.heapBefore)} → ${mb(h.heapAfter)}`,
    `${mb(bare.heapBefore)} → ${mb(bare.heapAfter)}`,
    '',
  );
  row('heap per socket (KB)', kb(heapPer(h)), kb(heapPer(bare)), ratio(heapPer(h), heapPer(bare)));
  if (SETTLE_S)
    row(
      `CPU settling, ${SETTLE_S} s after the connects (% of a core)`,
      h.cpuSettlePct.toFixed(1),
      bare.cpuSettlePct.toFixed(1),
      ratio(h.cpuSettlePct, bare.cpuSettlePct),
    );
  row(
    `CPU with all idle over ${WINDOW_S} s (% of a core)`,
    h.cpuIdlePct.toFixed(1),
    bare.cpuIdlePct.toFixed(1),
    ratio(h.cpuIdlePct, bare.cpuIdlePct),
  );
  row('client-side disconnects in the window', JSON.stringify(h.disconnects), JSON.stringify(bare.disconnects), '');
  if (h.failed || bare.failed)
    console.log(`handshake failures: hub ${JSON.stringify(h.errors)}, stock ${JSON.stringify(bare.errors)}`);
  console.log('');
  console.log(
    `pairing: ${hub.viaApi} devices through the API (batches of 20) in ${hub.pairSecs.toFixed(1)} s (${(hub.viaApi / hub.pairSecs).toFixed(0)}/s)` +
      (N > hub.viaApi ? `, ${N - hub.viaApi} inserted in bulk in ${hub.bulkSecs.toFixed(1)} s` : ''),
  );
  console.log(
    `dashboard: all ${N} device:online received ${hub.dashSecs.toFixed(2)} s after the first one (${h.seconds.toFixed(2)} s for the handshakes)`,
  );
  const ls = hub.lastSeen;
  console.log(
    `last_seen during the connections: ${ls.connectStatements} UPDATEs, ${ls.connectRows} rows, ${(ls.connectSeconds * 1000).toFixed(0)} ms; ` +
      `idle ${WINDOW_S} s: ${ls.statements} UPDATEs, ${ls.rows} rows (${(ls.rows / Math.max(1, ls.statements)).toFixed(0)}/statement), ` +
      `${(ls.seconds * 1000).toFixed(0)} ms total, ${((ls.seconds / Math.max(1, ls.statements)) * 1000).toFixed(1)} ms/statement, ${ls.slow} over 100 ms`,
  );
  const rv = hub.revokes.map((x) => x.total);
  console.log(
    `revoke → \`revoked\` on the socket with ${N} connected: median ${pct(rv, 50).toFixed(1)} ms, max ${Math.max(...rv).toFixed(1)} ms ` +
      `(REST round trip median ${pct(
        hub.revokes.map((x) => x.rest),
        50,
      ).toFixed(1)} ms; ${hub.revokes.length} revokes); sockets left ${hub.socketsAfterRevokes}`,
  );
  console.log(`server counters: realtime_handshakes_total{/devices,ok} = ${hub.handshakeOk}`);
  if (before) {
    const b = before.r;
    console.log('');
    row('', 'terminal-hub', `at ${BASELINE_REF}`, 'now/then');
    row('sockets connected (session received)', `${h.ok}/${N}`, `${b.ok}/${N}`, '');
    row('handshakes/s', h.perSec.toFixed(0), b.perSec.toFixed(0), ratio(h.perSec, b.perSec));
    row(
      'handshake p50 / p99 (ms)',
      `${h.p50.toFixed(0)} / ${h.p99.toFixed(0)}`,
      `${b.p50.toFixed(0)} / ${b.p99.toFixed(0)}`,
      ratio(h.p50, b.p50),
    );
    row('heap per socket (KB)', kb(heapPer(h)), kb(heapPer(b)), ratio(heapPer(h), heapPer(b)));
    row('CPU idle (% of a core)', h.cpuIdlePct.toFixed(1), b.cpuIdlePct.toFixed(1), ratio(h.cpuIdlePct, b.cpuIdlePct));
  }
}

if (process.argv[2] === '--bulk-pair')
  bulkPair(JSON.parse(fs.readFileSync(0, 'utf8'))).then(
    (out) => process.stdout.write(JSON.stringify(out)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
else
  main()
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => {
      killAll();
      setTimeout(() => process.exit(), 300).unref();
    });
