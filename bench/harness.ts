import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The first admin of every bench server (BOOTSTRAP_ADMIN_*). */
export const ADMIN = { email: 'bench-admin@example.com', password: 'bench password 123' };

export type Api = (method: string, p: string, token?: string, body?: unknown) => Promise<any>;

/** JSON calls to a server; a non-2xx answer throws with its body. */
export const apiClient =
  (url: string): Api =>
  async (method, p, token, body) => {
    const res = await fetch(url + p, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return res.json();
  };

/** The MySQL/MariaDB database a `mysql://` URL names, dropped and created afresh (the `mysql` client, as root). */
export function freshDatabase(url: string): void {
  const { hostname, port, pathname } = new URL(url);
  const db = pathname.slice(1);
  if (!/^\w+$/.test(db)) throw new Error(`not a database name: ${db}`);
  execFileSync('mysql', [
    '-uroot',
    `-h${hostname}`,
    `-P${port || 3306}`,
    '-e',
    `DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}`,
  ]);
}

/**
 * The real server (src/main.ts) in its own process group on a random port and a fresh DATA_DIR (unless `env` names
 * one: a second node shares the first one's keys), on SQLite or DATABASE_URL from the environment, ready to answer.
 * `stop()` sends SIGTERM to the group, `kill()` SIGKILL (a node lost); `exited` resolves when it is gone.
 */
export async function startBenchServer(
  env: Record<string, string> = {},
): Promise<{ url: string; api: Api; dataDir: string; stop(): void; kill(): void; exited: Promise<unknown> }> {
  // Below the ephemeral range the clients' ports come from; env.PORT to start a node again where it was.
  const port = env.PORT ? Number(env.PORT) : 12000 + Math.floor(Math.random() * 20000);
  const dataDir = env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'th-bench-'));
  const url = `http://127.0.0.1:${port}`;
  // One process, as bench/stock.ts runs (the `tsx` command would run the server in a child of its own).
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  const stop = () => process.kill(-server.pid!, 'SIGTERM');
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const api = apiClient(url);
  for (let i = 0; ; i++) {
    if ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok) break;
    if (server.exitCode !== null) throw new Error(`server exited with code ${server.exitCode}`);
    if (i > 200) {
      stop();
      throw new Error('server did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, api, dataDir, stop, kill: () => process.kill(-server.pid!, 'SIGKILL'), exited };
}

/** A merchant with one store and a merchant user, made through the API; the user's token. */
export async function benchMerchant(api: Api, name: string) {
  const admin = (await api('POST', '/api/v1/auth/login', undefined, ADMIN)).token as string;
  const stamp = Date.now().toString(36);
  const merchant = (await api('POST', '/api/v1/admin/merchants', admin, { name: `${name} ${stamp}` })).merchant;
  const store = (
    await api('POST', `/api/v1/admin/merchants/${merchant.id}/stores`, admin, {
      name: `${name} store`,
      code: `B-${stamp}`,
    })
  ).store as { id: number; code: string };
  const email = `bench-${stamp}@example.com`;
  await api('POST', `/api/v1/admin/merchants/${merchant.id}/users`, admin, {
    email,
    password: ADMIN.password,
    role: 'merchant',
  });
  const merchantToken = (await api('POST', '/api/v1/auth/login', undefined, { email, password: ADMIN.password }))
    .token as string;
  return { admin, merchant, store, merchantToken };
}

/** `store` and count − 1 more stores of the merchant (bulkPair puts 100 devices in each). */
export async function benchStores(
  api: Api,
  admin: string,
  merchantId: number,
  store: { id: number; code: string },
  count: number,
): Promise<{ id: number; code: string }[]> {
  const stores = [store];
  for (let s = 1; s < count; s++) {
    const body = { name: `Store ${s}`, code: `${store.code}-${s}` };
    stores.push((await api('POST', `/api/v1/admin/merchants/${merchantId}/stores`, admin, body)).store);
  }
  return stores;
}

/**
 * Devices from..to-1 straight into a hub's database (the row DeviceService.pair writes: newDeviceRow), tokens signed
 * with the keys in its dataDir (the hub generated them there) by Tokens.createDeviceToken: the tokens
 * the API would hand out, without a QR render per device. `root` is the checkout whose code the hub runs (a worktree
 * of an earlier commit for a before/after run). Stores hold 100 devices each: device i is in stores[⌊i/100⌋].
 */
export async function bulkPair(opts: {
  root?: string;
  dataDir: string;
  merchantId: number;
  actorId: number;
  stores: { id: number; code: string }[];
  from: number;
  to: number;
  out: { id: number; token: string }[];
}): Promise<{ id: number; token: string }[]> {
  const { dataDir, merchantId, actorId, stores, from, to, out } = opts;
  const src = (m: string) => path.resolve(opts.root ?? '.', 'src', m);
  const [{ Keyring }, { Tokens }, { createDataSource }, { newDeviceRow, TerminalDevice }, { In }] = await Promise.all([
    import(src('auth/keyring.ts')),
    import(src('auth/tokens.ts')),
    import(src('db/data-source.ts')),
    import(src('devices/entities.ts')),
    import('typeorm'),
  ]);
  const db = createDataSource({ databaseUrl: process.env.DATABASE_URL, databasePoolSize: 2, dataDir });
  await db.initialize();
  try {
    const tokens = new Tokens(Keyring.load({ jwtKeys: undefined, jwtActiveKid: undefined, dataDir }), db, 3_600_000);
    const repo = db.getRepository(TerminalDevice);
    const createdAt = new Date();
    const expiresAt = new Date(Math.floor((createdAt.getTime() + 365 * 86_400_000) / 1000) * 1000);
    const store = (i: number) => stores[Math.floor(i / 100)];
    for (let i = from; i < to; i += 500) {
      const rows = Array.from({ length: Math.min(500, to - i) }, (_, k) =>
        repo.create(
          newDeviceRow({
            merchantId,
            storeId: store(i + k).id,
            label: `Till ${i + k}`,
            createdById: actorId,
            expiresAt,
            now: createdAt,
          }),
        ),
      );
      await repo.insert(rows);
      const found: { id: number; jti: string }[] = await repo.find({
        where: { jti: In(rows.map((r: { jti: string }) => r.jti)) },
        select: { id: true, jti: true },
      });
      const ids = new Map(found.map((d) => [d.jti, d.id]));
      for (const [k, row] of rows.entries()) {
        row.id = ids.get(row.jti)!;
        out.push({ id: row.id, token: await tokens.createDeviceToken(row, store(i + k).code) });
      }
    }
    return out;
  } finally {
    await db.destroy();
  }
}

/**
 * Adds a dated row to the table of the bench's own section of bench/RESULTS.md (the first table after the heading
 * that names `bench/<script>`), or to the end of the file when there is no such section yet.
 */
export function recordResult(script: string, row: string): void {
  const file = path.join(__dirname, 'RESULTS.md');
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const heading = lines.findIndex((l) => l.startsWith('## ') && l.includes(`bench/${script}`));
  let at = -1;
  if (heading >= 0) {
    const start = lines.findIndex((l, i) => i > heading && l.startsWith('|'));
    if (start >= 0) {
      at = start;
      while (lines[at + 1]?.startsWith('|')) at++;
    }
  }
  if (at < 0) lines.push(row);
  else lines.splice(at + 1, 0, row);
  fs.writeFileSync(file, lines.join('\n'));
}

/**
 * A load-generating process (`node --import tsx <file> --client`: bench/load-client.ts, or a bench's own client
 * mode; an IPC channel to it) with its open-file limit
 * raised to the hard limit: each of its sockets is a file.
 */
export function spawnLoadClient(file: string): ChildProcess {
  return spawn(
    'sh',
    ['-c', 'ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"', process.execPath, '--import', 'tsx', file, '--client'],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
}

/**
 * Waits until `done()`, saying how it goes (`progress()`) every 10 s; throws past `deadlineS`. Resolves with the
 * moment it was done (ms, `performance.timeOrigin + performance.now()`: one clock across processes).
 */
export async function until(
  what: string,
  done: () => boolean | Promise<boolean>,
  deadlineS: number,
  progress: () => string = () => '',
): Promise<number> {
  const now = () => performance.timeOrigin + performance.now();
  const t0 = now();
  let said = t0;
  while (!(await done())) {
    if (now() - t0 > deadlineS * 1000) throw new Error(`${what}: not within ${deadlineS} s (${progress()})`);
    if (now() - said > 10_000) {
      said = now();
      console.log(`  … ${what}: ${((said - t0) / 1000).toFixed(0)} s, ${progress()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return now();
}
