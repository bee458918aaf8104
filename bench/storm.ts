/**
 * Reconnect storm: TABLETS reference tablet clients (src/client: their own reconnection, exponential backoff with full
 * jitter, base 1 s, cap 60 s) connected to one node; the node is restarted (SIGTERM, then started again on the same
 * port and data) and every tablet comes back by itself. Measured from the restart: when every tablet has its
 * `session` again, when a merchant dashboard has seen every device online again, and the failures (a handshake the
 * server refused: a `connect_error` carrying a code, or a tablet that stopped). Transport errors while the node is
 * down are expected and counted apart.
 *
 *   npm run bench:storm                 # TABLETS=19000 CLIENTS=4, embedded SQLite
 *   env: TABLETS, CLIENTS (client processes, each from its own 127.0.0.x source address), RAMP_PER_S (first
 *        connections per second, 1000), DEADLINE_S (per phase, 180), ONLY (stock or hub: that one only)
 *
 * Baseline in the same run: the same clients against the stock Socket.IO server (bench/stock.ts: jose HS256 check,
 * two rooms, `session`), restarted the same way. The per-address limits of the hub are lifted (every tablet of the
 * bench comes from a few loopback addresses; real tablets come from their stores' addresses).
 * Appends a dated row to bench/RESULTS.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { io } from 'socket.io-client';
import { MemoryCredentialStore, TabletClient } from '../src/client';
import {
  benchMerchant,
  benchStores,
  bulkPair,
  recordResult,
  spawnLoadClient,
  startBenchServer,
  until,
} from './harness';
import { stockTokens } from './stock';

const env = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);
const TABLETS = env('TABLETS', 19_000);
const CLIENTS = env('CLIENTS', 4);
const RAMP_PER_S = env('RAMP_PER_S', 1000);
const DEADLINE_S = env('DEADLINE_S', 180);
const now = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------------------------
// --client: TabletClients from one source address; reports what it sees every 250 ms.
type ToClient =
  | { type: 'start'; url: string; tokens: string[]; localAddress: string; perSecond: number }
  | { type: 'close' };
type Report = {
  type: 'report';
  online: number;
  stopped: number;
  /** connect_error by code (the server's) or message (transport), since the last `reset`. */
  errors: Record<string, number>;
  /** When each tablet last got its `session` (ms, wall clock). */
  sessionAt: number[];
};

function client() {
  const tablets: TabletClient[] = [];
  const online = new Set<number>();
  const errors: Record<string, number> = {};
  const sessionAt: number[] = [];
  let stopped = 0;
  const report = () =>
    process.send!({ type: 'report', online: online.size, stopped, errors, sessionAt } satisfies Report);
  setInterval(report, 250);
  process.on('disconnect', () => process.exit(0)); // the orchestrator is gone
  process.on('message', async (m: ToClient) => {
    if (m.type === 'close') {
      for (const t of tablets) t.close();
      setTimeout(() => process.exit(0), 200);
      return;
    }
    for (const [i, token] of m.tokens.entries()) {
      const tablet = new TabletClient(
        { api_url: m.url, store_code: 'bench', auth_token: token },
        new MemoryCredentialStore(),
        { localAddress: m.localAddress, stateIntervalMs: 3_600_000 },
      );
      tablet.on('session', () => {
        online.add(i);
        sessionAt[i] = now();
      });
      tablet.on('error', (err: Error & { data?: { code?: string } }) => {
        const key = err.data?.code ?? err.message;
        errors[key] = (errors[key] ?? 0) + 1;
      });
      tablet.on('reconnecting', () => online.delete(i));
      void tablet.stopped.then((reason) => reason !== 'closed' && stopped++);
      tablets.push(tablet);
      void tablet.start();
      if (i % 50 === 49) await sleep((50 / m.perSecond) * 1000);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The orchestrator.
interface Server {
  url: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** The dashboard's view (hub only): how many devices it shows online. */
  dashboardOnline?: () => number;
  refusals?: () => Promise<Record<string, number>>;
}

function spawnClients(): { children: ChildProcess[]; reports: Report[] } {
  const reports: Report[] = [];
  const children = Array.from({ length: CLIENTS }, (_, k) => {
    const child = spawnLoadClient(__filename);
    child.on('message', (r: Report) => {
      reports[k] = r;
    });
    return child;
  });
  return { children, reports };
}

const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function storm(name: string, server: Server, tokens: string[]) {
  const { children, reports } = spawnClients();
  await sleep(1500); // the clients load their modules
  const per = Math.ceil(tokens.length / CLIENTS);
  for (const [k, c] of children.entries())
    c.send({
      type: 'start',
      url: server.url,
      tokens: tokens.slice(k * per, (k + 1) * per),
      localAddress: `127.0.0.${k + 2}`,
      perSecond: RAMP_PER_S / CLIENTS,
    } satisfies ToClient);
  const online = () => reports.length === CLIENTS && sum(reports, (r) => r.online) === tokens.length;
  const progress = () =>
    `${sum(reports.filter(Boolean), (r) => r.online)} online, ${sum(reports.filter(Boolean), (r) => r.stopped)} stopped, ` +
    `dashboard ${server.dashboardOnline?.() ?? '—'}, errors ${JSON.stringify(Object.assign({}, ...reports.filter(Boolean).map((r) => r.errors)))}`;
  const t0 = now();
  await until(
    `${name}: first connections`,
    () => online() && (server.dashboardOnline?.() ?? tokens.length) === tokens.length,
    DEADLINE_S,
    progress,
  );
  console.log(
    `${name}: ${tokens.length} tablets online in ${((now() - t0) / 1000).toFixed(1)} s (ramp ${RAMP_PER_S}/s)`,
  );
  await sleep(3000);
  const errorsBefore = JSON.parse(JSON.stringify(reports.map((r) => r.errors))) as Record<string, number>[];

  const restartAt = now();
  await server.restart();
  const upAt = now();
  const allSessions = await until(`${name}: every tablet back`, online, DEADLINE_S, progress);
  const allOnDashboard = server.dashboardOnline
    ? await until(
        `${name}: every device online on the dashboard`,
        () => server.dashboardOnline!() === tokens.length,
        DEADLINE_S,
        progress,
      )
    : Number.NaN;
  await sleep(1000);
  const back = reports.flatMap((r) => r.sessionAt).map((t) => t - restartAt);
  const errors: Record<string, number> = {};
  reports.forEach((r, k) => {
    for (const [code, n] of Object.entries(r.errors)) {
      const d = n - (errorsBefore[k][code] ?? 0);
      if (d) errors[code] = d;
    }
  });
  const stopped = sum(reports, (r) => r.stopped);
  const refusals = (await server.refusals?.()) ?? {};
  for (const c of children) c.send({ type: 'close' } satisfies ToClient);
  await sleep(500);
  for (const c of children) c.kill('SIGKILL');
  return {
    downS: (upAt - restartAt) / 1000,
    sessionsS: (allSessions - restartAt) / 1000,
    dashboardS: (allOnDashboard - restartAt) / 1000,
    p50: pct(back, 50) / 1000,
    p99: pct(back, 99) / 1000,
    errors,
    stopped,
    refusals,
  };
}

/** The hub on SQLite (or DATABASE_URL), TABLETS devices bulk-paired, a merchant dashboard watching. */
async function hub(): Promise<{ server: Server; tokens: string[] }> {
  const limits = {
    SOCKET_MAX_PER_ADDRESS: '1000000',
    SOCKET_CONNECTS_PER_MINUTE: '1000000',
    PAIRINGS_PER_MINUTE: '1000000',
  };
  let node = await startBenchServer(limits);
  const port = new URL(node.url).port;
  const { admin, merchant, store, merchantToken } = await benchMerchant(node.api, 'Storm');
  const stores = await benchStores(node.api, admin, merchant.id, store, Math.ceil(TABLETS / 100));
  const me = await node.api('GET', '/api/v1/auth/me', merchantToken);
  const devices = await bulkPair({
    dataDir: node.dataDir,
    merchantId: merchant.id,
    actorId: me.user.id,
    stores,
    from: 0,
    to: TABLETS,
    out: [],
  });

  // The dashboard: live events, and on every (re)connect the REST list (as a page reload would).
  const online = new Set<number>();
  const dash = io(`${node.url}/dashboard`, {
    transports: ['websocket'],
    auth: { token: merchantToken },
    reconnectionDelay: 100,
    reconnectionDelayMax: 300,
  });
  dash.on('device:online', (p: { device: { id: number } }) => online.add(p.device.id));
  dash.on('device:offline', (p: { device: { id: number } }) => online.delete(p.device.id));
  dash.on('connect', async () => {
    const seen = new Set<number>();
    const mark = (p: { device: { id: number } }) => seen.add(p.device.id);
    dash.on('device:online', mark).on('device:offline', mark);
    try {
      for (let offset = 0; ; offset += 500) {
        const page = await node.api(
          'GET',
          `/api/v1/merchants/loyalty/devices?limit=500&offset=${offset}`,
          merchantToken,
        );
        for (const d of page.items as { id: number; online: boolean }[])
          if (!seen.has(d.id)) d.online ? online.add(d.id) : online.delete(d.id);
        if (offset + 500 >= page.total) break;
      }
    } catch {
      /* the node went away meanwhile: the next connect reads again */
    } finally {
      dash.off('device:online', mark).off('device:offline', mark);
    }
  });

  const server: Server = {
    url: node.url,
    async restart() {
      node.stop();
      await node.exited;
      node = await startBenchServer({ ...limits, PORT: port, DATA_DIR: node.dataDir });
    },
    async stop() {
      dash.close();
      node.stop();
      await node.exited;
    },
    dashboardOnline: () => online.size,
    async refusals() {
      const text = await (await fetch(`${node.url}/metrics`)).text();
      const out: Record<string, number> = {};
      for (const m of text.matchAll(/^realtime_handshakes_total\{namespace="\/devices",outcome="([A-Z_]+)"\} (\d+)/gm))
        if (m[1] !== 'ok' && Number(m[2])) out[m[1]] = Number(m[2]);
      return out;
    },
  };
  return { server, tokens: devices.map((d) => d.token) };
}

/** bench/stock.ts on a port of its own, restarted the same way. */
async function stock(): Promise<{ server: Server; tokens: string[] }> {
  const secret = randomBytes(32);
  const port = 12000 + Math.floor(Math.random() * 20000);
  const url = `http://127.0.0.1:${port}`;
  const start = async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'stock.ts'), String(port)], {
      env: { ...process.env, STOCK_SECRET: secret.toString('base64url') },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    while (!(await fetch(`${url}/metrics`).catch(() => undefined))?.ok) await sleep(50);
    return child;
  };
  let child = await start();
  const stopChild = async () => {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  };
  const server: Server = {
    url,
    async restart() {
      await stopChild();
      child = await start();
    },
    stop: stopChild,
  };
  return { server, tokens: await stockTokens(secret, TABLETS) };
}

async function main() {
  console.log(
    `${TABLETS} tablets from ${CLIENTS} client processes (127.0.0.2–${CLIENTS + 1}); ${os.cpus().length} cores; load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; database: ${process.env.DATABASE_URL ? 'MySQL/MariaDB' : 'SQLite (embedded)'}`,
  );
  const results: Record<string, Awaited<ReturnType<typeof storm>>> = {};
  for (const [name, make] of [
    ['stock', stock],
    ['hub', hub],
  ] as const) {
    if (process.env.ONLY && process.env.ONLY !== name) continue;
    const { server, tokens } = await make();
    try {
      results[name] = await storm(name, server, tokens);
    } finally {
      await server.stop();
    }
    const r = results[name];
    console.log(
      `${name}: down ${r.downS.toFixed(1)} s; every tablet back ${r.sessionsS.toFixed(1)} s after the restart` +
        (Number.isNaN(r.dashboardS) ? '' : `, all online on the dashboard at ${r.dashboardS.toFixed(1)} s`) +
        `; back p50 ${r.p50.toFixed(1)} s, p99 ${r.p99.toFixed(1)} s; connect errors ${JSON.stringify(r.errors)}; ` +
        `refused by the server ${JSON.stringify(r.refusals)}; tablets stopped ${r.stopped}`,
    );
  }
  const h = results.hub;
  const s = results.stock;
  if (!h) return; // a stock-only run records nothing
  const serverErrors = (e: Record<string, number>) =>
    Object.entries(e)
      .filter(([k]) => /^[A-Z_]+$/.test(k))
      .reduce((a, [, n]) => a + n, 0);
  recordResult(
    'storm.ts',
    `| ${new Date().toISOString().slice(0, 16).replace('T', ' ')} | ${process.env.DATABASE_URL ? 'MariaDB' : 'SQLite'} | ${TABLETS} | ` +
      `${s ? `${s.sessionsS.toFixed(1)} s` : '—'} | ${h.downS.toFixed(1)} s | ${h.sessionsS.toFixed(1)} s | ${h.dashboardS.toFixed(1)} s | ` +
      `${h.p50.toFixed(1)} / ${h.p99.toFixed(1)} s | ${serverErrors(h.errors) + h.stopped} | ${s ? (h.sessionsS / s.sessionsS).toFixed(2) : '—'} |`,
  );
}

if (process.argv[2] === '--client') client();
else
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
