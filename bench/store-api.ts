/**
 * Store API: a card lookup and a stamp with device auth, against the same handlers without it, in the same run.
 *
 *   npm run bench:store-api                                                          # embedded SQLite
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/th_store_bench npm run bench:store-api  # MariaDB
 *   RUN_SECONDS=7 DEVICES=8 CARDS=100 npm run bench:store-api                        # the defaults
 *   CPU_PROF=/tmp/prof npm run bench:store-api    # and a CPU profile of each server (npx tsx bench/profile.ts …)
 *
 * Two server processes on the same database (the same SQLite file and keys, or the same MySQL database), started
 * the same way (tsx, same environment), loaded one at a time with the same autocannon requests (10 connections,
 * the same Authorization headers of DEVICES real device tokens of one store, CARDS cards in turn):
 * - "with device auth": the real server, src/main.ts;
 * - "without auth": this script with `--no-auth`, which builds the very same server (createServer, as main.ts
 *   does) and then replaces the one auth middleware of `/api/v1` (src/http/auth.ts: token check + device row read)
 *   by a Map from the Authorization header to the principal that real check produced for that device at start-up.
 *   The routes, their parsing, Policy.storeScope, LoyaltyService and the database are the same code.
 * Each side looks its own CARDS cards up, then stamps them (`{count: 1}`, no Idempotency-Key). Per kind: two
 * warm-ups per side, then four runs in the order with, without, without, with (a drift of the machine falls on both
 * sides alike), each a fixed number of requests (so every stamp sent is answered and can be checked) sized to last
 * ~RUN_SECONDS / 2. At the end each side's card balances must equal the stamps it sent. Prints req/s, p50 and p99 of
 * each side and kind and the ratios with ÷ without, and adds a row to bench/RESULTS.md.
 */
import '../src/threadpool'; // first, as in main.ts: sizes libuv's pool of the --no-auth server
import autocannon from 'autocannon';
import { spawn, spawnSync } from 'node:child_process';
import type { NextFunction, Request, Response } from 'express';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Principal } from '../src/auth/principals';
import { loadConfig, loadDotEnv } from '../src/config';
import { ensureDataDir } from '../src/db/open';
import { AppError } from '../src/errors';
import { createServer } from '../src/server';
import { ADMIN, apiClient, benchMerchant, recordResult } from './harness';

const SECONDS = Number(process.env.RUN_SECONDS ?? 7);
const DEVICES = Number(process.env.DEVICES ?? 8);
const CARDS = Number(process.env.CARDS ?? 100);
const CONNECTIONS = 10;
const WARMUP = 1000; // requests per warm-up (JIT, caches): not a result, but their stamps count
const S = '/api/v1/store/loyalty';

/** `--no-auth`: the server main.ts builds, with the `/api/v1` auth middleware replaced by pre-resolved principals. */
async function noAuthServer(tokensFile: string) {
  loadDotEnv();
  const config = loadConfig(process.env);
  ensureDataDir(config.dataDir);
  const hub = await createServer(config);

  // What the auth middleware produces for each device: the real check, once per token.
  const principals = new Map<string, Principal>();
  for (const token of JSON.parse(fs.readFileSync(tokensFile, 'utf8')) as string[])
    principals.set(`Bearer ${token}`, await hub.ctx.tokens.principalFromToken(token));

  // createApp mounts `authenticate` with app.use('/api/v1', …): the one top-level layer that matches /api/v1 and not
  // /healthz (helmet, logging, metrics, the routers and the error handlers are mounted at /).
  type Layer = { match(p: string): boolean; handle: (req: Request, res: Response, next: NextFunction) => void };
  const stack = (hub.app.router as unknown as { stack: Layer[] }).stack;
  const auth = stack.filter((l) => l.match(`${S}/session`) && !l.match('/healthz'));
  if (auth.length !== 1) throw new Error(`expected one auth layer on /api/v1, found ${auth.length}`);
  auth[0].handle = (req, _res, next) => {
    const principal = principals.get(req.headers.authorization ?? '');
    if (!principal) throw new AppError('UNAUTHENTICATED');
    req.principal = principal;
    next();
  };

  await hub.listen();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await hub.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

/**
 * A server process as harness.startBenchServer starts one (tsx, its own process group, a random port, LOG_LEVEL
 * warn, the bench admin), ready to answer: `src/main.ts`, or this script `--no-auth`. Both sides start here, so they
 * differ only in the script. CPU_PROF: node's --cpu-prof into CPU_PROF/<name>, written as the process exits.
 */
async function startServer(name: string, args: string[], env: Record<string, string>) {
  const port = 12000 + Math.floor(Math.random() * 20000); // below the ephemeral range the clients' ports come from
  const url = `http://127.0.0.1:${port}`;
  const prof = process.env.CPU_PROF ? path.resolve(process.env.CPU_PROF, name) : undefined;
  if (prof) fs.mkdirSync(prof, { recursive: true });
  const flags = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  const child = spawn('node_modules/.bin/tsx', [...flags, ...args], {
    env: {
      ...process.env,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  // SIGTERM to the node process tsx started (its only child), which closes and exits (writing its CPU profile);
  // tsx then exits too. Signalling tsx itself lets it SIGKILL a child that has not answered within 60 ms.
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const ps = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(child.pid)], { encoding: 'utf8' });
    const node = Number(/^\s*(\d+)\s+node$/m.exec(ps.stdout)?.[1]);
    signal(node > 0 ? node : -child.pid!, 'SIGTERM');
    const late = setTimeout(() => signal(-child.pid!, 'SIGKILL'), 20_000);
    await exited;
    clearTimeout(late);
  };
  for (let i = 0; ; i++) {
    if ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok) break;
    if (i > 200 || child.exitCode !== null) {
      await stop();
      throw new Error(`${name}: the server did not start`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, api: apiClient(url), stop };
}

type Kind = 'lookup' | 'stamp';

/**
 * `amount` requests of one kind, 10 connections; request i: device i mod DEVICES, card i mod CARDS. Every answer
 * must be a 2xx. `seconds`: from the start to the last answer (autocannon's `duration` ends on its next 1 s tick).
 */
async function run(url: string, kind: Kind, tokens: string[], cards: string[], amount: number) {
  let i = 0;
  const t0 = performance.now();
  let last = t0;
  const opts: autocannon.Options = {
    url,
    connections: CONNECTIONS,
    amount,
    requests: [
      {
        setupRequest: (req) => {
          const n = i++;
          const authorization = `Bearer ${tokens[n % tokens.length]}`;
          const card = cards[n % cards.length];
          if (kind === 'lookup')
            return { ...req, method: 'GET', path: `${S}/cards/${card}`, headers: { authorization } };
          return {
            ...req,
            method: 'POST',
            path: `${S}/cards/${card}/stamps`,
            headers: { authorization, 'content-type': 'application/json' },
            body: '{"count":1}',
          };
        },
      },
    ],
  };
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(opts, (err, r) => (err ? reject(err) : resolve(r)));
    instance.on('response', (_client, _status, _bytes, ms) => {
      last = performance.now();
      latencies.push(ms);
    });
  });
  if (result.non2xx || result.errors || result.timeouts)
    throw new Error(
      `${kind} on ${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  return { ok: result['2xx'], seconds: (last - t0) / 1000, latencies };
}

interface Side {
  url: string;
  cards: string[];
  /** Requests answered 2xx, warm-ups included (the stamps each side's cards must add up to). */
  ok: number;
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  seconds: number;
  requests: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

/**
 * One kind on both sides: two warm-ups each (the second sizes the runs), then runs of ~RUN_SECONDS / 2 in the order
 * with, without, without, with, so that a drift of the machine (the client warming up, other load) falls on both
 * alike. Figures per side over its two runs: answers ÷ seconds, p50 and p99 of every answer's latency.
 */
async function measure(kind: Kind, tokens: string[], sides: [Side, Side], labels: [string, string]) {
  const amounts: number[] = [];
  for (const side of sides) {
    side.ok += (await run(side.url, kind, tokens, side.cards, WARMUP)).ok;
    const warm = await run(side.url, kind, tokens, side.cards, WARMUP);
    side.ok += warm.ok;
    amounts.push(Math.max(CONNECTIONS * 20, Math.round(((warm.ok / warm.seconds) * SECONDS) / 2)));
  }
  const total = sides.map(() => ({ ok: 0, seconds: 0, latencies: [] as number[] }));
  for (const s of [0, 1, 1, 0]) {
    const r = await run(sides[s].url, kind, tokens, sides[s].cards, amounts[s]);
    sides[s].ok += r.ok;
    total[s].ok += r.ok;
    total[s].seconds += r.seconds;
    total[s].latencies.push(...r.latencies);
  }
  return total.map((t, s) => {
    const sorted = t.latencies.sort((x, y) => x - y);
    const f: Figures = {
      rps: t.ok / t.seconds,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      seconds: t.seconds,
      requests: t.ok,
    };
    console.log(
      `${labels[s].padEnd(26)} ${f.rps.toFixed(0).padStart(6)} req/s  p50 ${ms(f.p50)}  p99 ${ms(f.p99)}  (${f.requests} in ${f.seconds.toFixed(1)} s)`,
    );
    return f;
  }) as [Figures, Figures];
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

async function main() {
  const db = `${process.env.DATABASE_URL ? 'MariaDB' : 'SQLite'}${process.env.CPU_PROF ? ', --cpu-prof' : ''}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'th-bench-'));
  const withAuth = await startServer('with-auth', ['src/main.ts'], { DATA_DIR: dataDir });
  let without: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const { api } = withAuth;
    const { store, merchantToken } = await benchMerchant(api, 'Store API');
    const tokens: string[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const body = { store_id: store.id, label: `Till ${i}` };
      tokens.push((await api('POST', '/api/v1/merchants/loyalty/devices', merchantToken, body)).pairing.auth_token);
    }
    const enrol = async () => (await api('POST', `${S}/cards`, tokens[0], {})).card.card_number as string;
    const cardsWith: string[] = [];
    const cardsWithout: string[] = [];
    for (let i = 0; i < CARDS; i++) cardsWith.push(await enrol());
    for (let i = 0; i < CARDS; i++) cardsWithout.push(await enrol());

    const tokensFile = path.join(dataDir, 'store-api-tokens.json');
    fs.writeFileSync(tokensFile, JSON.stringify(tokens), { mode: 0o600 });
    // The same DATA_DIR: the same keys and, on SQLite, the same database file.
    without = await startServer('without-auth', ['bench/store-api.ts', '--no-auth', tokensFile], { DATA_DIR: dataDir });
    // The short-circuit is in place: the no-auth server answers a device call, the real one refuses a bad token.
    await without.api('GET', `${S}/session`, tokens[0]);
    const bad = await fetch(`${withAuth.url}${S}/session`, { headers: { authorization: `Bearer ${tokens[0]}x` } });
    if (bad.status !== 401) throw new Error(`the real server answered a bad token with ${bad.status}`);

    console.log(
      `database: ${db}; ${os.cpus().length} cores; node ${process.version}; ${DEVICES} devices of one store, ${CARDS} cards per side, ${CONNECTIONS} connections, ~${SECONDS} s per side and kind`,
    );
    const sides: [Side, Side] = [
      { url: withAuth.url, cards: cardsWith, ok: 0 },
      { url: without.url, cards: cardsWithout, ok: 0 },
    ];
    const [lookupWith, lookupWithout] = await measure('lookup', tokens, sides, [
      'lookup, with device auth',
      'lookup, without auth',
    ]);
    sides[0].ok = sides[1].ok = 0; // from here on, the stamps
    const [stampWith, stampWithout] = await measure('stamp', tokens, sides, [
      'stamp, with device auth',
      'stamp, without auth',
    ]);
    const lookupRatio = lookupWith.rps / lookupWithout.rps;
    const stampRatio = stampWith.rps / stampWithout.rps;
    const goal = (x: number) => (x >= 0.7 ? 'meets' : 'BELOW');
    console.log(`ratio with ÷ without: lookup ${lookupRatio.toFixed(2)} (${goal(lookupRatio)} 0.7)`);
    console.log(`ratio with ÷ without: stamp  ${stampRatio.toFixed(2)} (${goal(stampRatio)} 0.7)`);

    // Every stamp sent was answered 201 (checked above); each side's balances must add up to its stamps.
    const balance = async (cards: string[]) => {
      let sum = 0;
      for (const n of cards) sum += (await api('GET', `${S}/cards/${n}`, tokens[0])).stamps as number;
      return sum;
    };
    const [onWith, onWithout] = [await balance(cardsWith), await balance(cardsWithout)];
    const counted = onWith === sides[0].ok && onWithout === sides[1].ok;
    console.log(
      `stamps on the cards: with auth ${onWith} of ${sides[0].ok} sent, without auth ${onWithout} of ${sides[1].ok} sent${counted ? ' (all counted)' : ' — MISMATCH'}`,
    );

    const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const pair = (a: Figures, b: Figures) => `${a.rps.toFixed(0)} / ${b.rps.toFixed(0)}`;
    const f1 = (x: number) => x.toFixed(1);
    const lat = (a: Figures, b: Figures) => `${f1(a.p50)} / ${f1(a.p99)}; ${f1(b.p50)} / ${f1(b.p99)}`;
    const row = `| ${when} | ${db} | ${pair(lookupWith, lookupWithout)} | ${lat(lookupWith, lookupWithout)} | **${lookupRatio.toFixed(2)}** | ${pair(stampWith, stampWithout)} | ${lat(stampWith, stampWithout)} | **${stampRatio.toFixed(2)}** | ${counted ? 'yes' : 'NO'} (${sides[0].ok + sides[1].ok}) |`;
    recordResult('store-api.ts', row);
    if (!counted) throw new Error('stamps were lost');
  } finally {
    await Promise.all([withAuth.stop(), without?.stop()]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--no-auth')
  noAuthServer(process.argv[3]).catch((err) => {
    process.stderr.write(`--no-auth server failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
else
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
