import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { createPool } from 'mysql2/promise';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { hashPassword } from '../src/auth/passwords';
import { loadConfig, type Config } from '../src/config';
import { newDeviceRow, TerminalDevice } from '../src/devices/entities';
import { createServer, type TerminalHub } from '../src/server';
import { Merchant, Store, User, UserStore, type Role } from '../src/tenancy/entities';

/** The database (and Redis) the suite runs on: MariaDB + Redis in CI's second pass, else embedded SQLite and no Redis. */
export const DATABASE_URL = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
export const REDIS_URL = process.env.TEST_REDIS_URL || process.env.REDIS_URL || undefined;
export const onMysql = Boolean(DATABASE_URL);

/**
 * Runs `fn` with the URL of a fresh MySQL/MariaDB database next to DATABASE_URL's (named `<prefix>_<unique>`),
 * and drops it afterwards.
 */
export async function withScratchMysqlDatabase<T>(prefix: string, fn: (url: URL, name: string) => Promise<T> | T) {
  const url = new URL(DATABASE_URL!);
  const name = `${prefix}_${uniq()}`;
  const admin = createPool({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
  await admin.query(`CREATE DATABASE \`${name}\``);
  try {
    url.pathname = `/${name}`;
    return await fn(url, name);
  } finally {
    await admin.query(`DROP DATABASE \`${name}\``);
    await admin.end();
  }
}

export const uniq = (prefix = '') => `${prefix}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

/** A port nothing listens on right now (the kernel's pick, so outside the range outgoing connections use). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'th-test-'));
}

export type Env = Record<string, string | undefined>;

/** A config as a test wants it: own data folder, any free port, silent logs, the suite's database. */
export function testEnv(overrides: Env = {}): Env {
  return {
    DATA_DIR: tempDir(),
    PORT: '0',
    LOG_LEVEL: 'silent',
    VALIDATE_RESPONSES: 'true',
    DATABASE_URL,
    REDIS_URL,
    ...overrides,
  };
}

export function testConfig(overrides: Env = {}): Config {
  return loadConfig(testEnv(overrides));
}

export interface TestHub {
  hub: TerminalHub;
  url: string;
  port: number;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

/** Wraps a listening server for tests. */
export async function listening(hub: TerminalHub): Promise<TestHub> {
  const port = await hub.listen(0);
  const url = `http://127.0.0.1:${port}`;
  return { hub, url, port, http: request(url), close: () => hub.close() };
}

/** A real server on a free port, built by the same factory as main.ts. */
export async function startHub(overrides: Env = {}): Promise<TestHub> {
  return listening(await createServer(testConfig(overrides)));
}

/** A server for a whole `describe`, with an admin: started in `before`, closed in `after`. */
export interface Suite extends TestHub {
  readonly admin: Actor;
}

/**
 * Call once inside a `describe`: starts a real server (see startHub) and makes an admin before its tests, and closes
 * the server after them. The returned object is usable wherever a TestHub is (its fields read through to the
 * running server), from inside hooks and tests only.
 */
export function suite(env: Env = {}): Suite {
  let t: TestHub | undefined;
  let admin: Actor | undefined;
  const get = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('suite(): the server only exists inside hooks and tests of its describe');
    return v;
  };
  before(async () => {
    t = await startHub(env);
    admin = await makeAdmin(t);
  });
  after(async () => {
    const running = t;
    t = admin = undefined;
    await running?.close();
  });
  return {
    get hub() {
      return get(t).hub;
    },
    get url() {
      return get(t).url;
    },
    get port() {
      return get(t).port;
    },
    get http() {
      return get(t).http;
    },
    get admin() {
      return get(admin);
    },
    close: () => get(t).close(),
  };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Every user the factories make has this password. */
export const PASSWORD = 'correct horse battery staple';

/** A user (or device) that can call the API: its id and a bearer token; users also have an email. */
export interface Actor {
  id: number;
  token: string;
  email: string;
}

export interface Tenant {
  merchantId: number;
  merchantName: string;
  /** Named "Store 0", "Store 1", … */
  stores: { id: number; code: string }[];
  merchantToken: string;
  merchantUserId: number;
}

/** A tenant made by a factory here: with its merchant user as an Actor. */
export interface MadeTenant extends Tenant {
  merchant: Actor;
}

// ---------------------------------------------------------------------------------------------------------------
// The server's internals, reached in one place (hub.ctx may lose fields; only this block then needs to change).

/** The server's TypeORM data source (the real database: SQLite or MariaDB). */
export const dataSource = (t: Pick<TestHub, 'hub'>): DataSource => t.hub.ctx.db;
export const keyring = (t: Pick<TestHub, 'hub'>) => t.hub.ctx.keyring;
export const eventBus = (t: Pick<TestHub, 'hub'>) => t.hub.ctx.events;
export const loyaltyService = (t: Pick<TestHub, 'hub'>) => t.hub.ctx.loyalty;
export const dataDir = (t: Pick<TestHub, 'hub'>) => t.hub.ctx.config.dataDir;
export const commandService = (t: Pick<TestHub, 'hub'>) => t.hub.ctx.commands;
/** A device token signed for a row as it stands (a device inserted directly has none). */
export const signDeviceToken = (t: Pick<TestHub, 'hub'>, row: TerminalDevice, storeCode: string) =>
  t.hub.ctx.tokens.createDeviceToken(row, storeCode);
const userToken = async (t: Pick<TestHub, 'hub'>, user: { id: number; role: Role; tokenVersion: number }) =>
  (await t.hub.ctx.tokens.createUserToken(user)).token;

/** What `npm run admin:create` does: creates the admin, or sets a new password (and ends its older sessions). */
export const upsertAdmin = (t: Pick<TestHub, 'hub'>, email: string, password: string) =>
  t.hub.ctx.tenancy.upsertAdmin(email, password);

/**
 * Puts `wrap` in front of the server's raw SQL (`DataSource.query`, which the last_seen flush uses): it sees each
 * statement and its parameters, and either calls `run` to pass it to the database unchanged or answers itself.
 */
export function interceptQueries(
  t: Pick<TestHub, 'hub'>,
  wrap: (sql: string, params: unknown[], run: () => Promise<unknown>) => Promise<unknown>,
): void {
  const db = dataSource(t);
  const query = db.query.bind(db);
  db.query = ((sql: string, params?: unknown[]) =>
    wrap(sql, params ?? [], () => query(sql, params))) as typeof db.query;
}

/** A device's row as stored. */
export const deviceRow = (t: Pick<TestHub, 'hub'>, id: number) =>
  dataSource(t).getRepository(TerminalDevice).findOneByOrFail({ id });
export const updateDeviceRow = (t: Pick<TestHub, 'hub'>, id: number, changes: Partial<TerminalDevice>) =>
  dataSource(t).getRepository(TerminalDevice).update({ id }, changes);

// ---------------------------------------------------------------------------------------------------------------
// Factories. Users are inserted with a hash of PASSWORD computed once per process, and get their token signed
// directly: no scrypt per user and no login. Tests about creating users or logging in go through the API instead.

let passwordHash: Promise<string> | undefined;
const knownPasswordHash = () => (passwordHash ??= hashPassword(PASSWORD));

/** A user inserted in the database, with PASSWORD, and its token. */
export async function makeUser(
  t: Pick<TestHub, 'hub'>,
  role: Role,
  opts: { merchantId?: number | null; storeIds?: number[] } = {},
): Promise<Actor> {
  const db = dataSource(t);
  const email = `${uniq(`${role.replace('_', '-')}-`)}@example.com`;
  const now = new Date();
  const inserted = await db.getRepository(User).insert({
    email,
    passwordHash: await knownPasswordHash(),
    role,
    tokenVersion: 0,
    merchantId: opts.merchantId ?? null,
    lastLoginAt: null,
    createdAt: now,
    updatedAt: now,
  });
  const id = inserted.identifiers[0].id as number;
  if (opts.storeIds?.length)
    await db.getRepository(UserStore).insert(opts.storeIds.map((storeId) => ({ userId: id, storeId })));
  return { id, email, token: await userToken(t, { id, role, tokenVersion: 0 }) };
}

export const makeAdmin = (t: Pick<TestHub, 'hub'>) => makeUser(t, 'admin');

/** A merchant with `storeCount` stores ("Store 0", "Store 1", …) and a merchant user, inserted in the database. */
export async function makeTenant(t: Pick<TestHub, 'hub'>, storeCount = 2): Promise<MadeTenant> {
  const db = dataSource(t);
  const now = new Date();
  const merchantName = uniq('Merchant ');
  const merchantId = (await db.getRepository(Merchant).insert({ name: merchantName, createdAt: now, updatedAt: now }))
    .identifiers[0].id as number;
  const stores: Tenant['stores'] = [];
  for (let i = 0; i < storeCount; i++) {
    const store = { merchantId, name: `Store ${i}`, code: uniq('S-').toUpperCase(), createdAt: now, updatedAt: now };
    const id = (await db.getRepository(Store).insert(store)).identifiers[0].id as number;
    stores.push({ id, code: store.code });
  }
  const merchant = await makeUser(t, 'merchant', { merchantId });
  return { merchantId, merchantName, stores, merchant, merchantToken: merchant.token, merchantUserId: merchant.id };
}

/** A store_staff user of a tenant, assigned to the given stores. */
export const makeStaff = (t: Pick<TestHub, 'hub'>, tenant: Tenant, storeIds: number[]) =>
  makeUser(t, 'store_staff', { merchantId: tenant.merchantId, storeIds });

/** A merchant with stores and a merchant user made through the admin API, the user logged in through the API. */
export async function createTenantThroughApi(
  t: Pick<TestHub, 'http'>,
  admin: string,
  storeCount = 2,
): Promise<MadeTenant> {
  const merchantName = uniq('Merchant ');
  const m = await t.http.post('/api/v1/admin/merchants').set(bearer(admin)).send({ name: merchantName }).expect(201);
  const merchantId = m.body.merchant.id as number;
  const stores: Tenant['stores'] = [];
  for (let i = 0; i < storeCount; i++) {
    const s = await t.http
      .post(`/api/v1/admin/merchants/${merchantId}/stores`)
      .set(bearer(admin))
      .send({ name: `Store ${i}`, code: uniq('S-').toUpperCase() })
      .expect(201);
    stores.push({ id: s.body.store.id, code: s.body.store.code });
  }
  const email = `${uniq('merchant-')}@example.com`;
  const u = await t.http
    .post(`/api/v1/admin/merchants/${merchantId}/users`)
    .set(bearer(admin))
    .send({ email, password: PASSWORD, role: 'merchant' })
    .expect(201);
  const token = (await t.http.post('/api/v1/auth/login').send({ email, password: PASSWORD }).expect(200)).body.token;
  const merchant = { id: u.body.user.id as number, email, token };
  return { merchantId, merchantName, stores, merchant, merchantToken: token, merchantUserId: merchant.id };
}

/** Pairs a device through the merchant portal; returns the device and its one-time token. */
export async function pairDevice(
  t: Pick<TestHub, 'http'>,
  tenant: Tenant,
  storeIndex = 0,
  label = 'Counter 1',
): Promise<{ id: number; token: string; body: any }> {
  const res = await t.http
    .post('/api/v1/merchants/loyalty/devices')
    .set(bearer(tenant.merchantToken))
    .send({ store_id: tenant.stores[storeIndex].id, label })
    .expect(201);
  return { id: res.body.device.id, token: res.body.pairing.auth_token, body: res.body };
}

/**
 * A device row inserted directly, already in the state a test needs (no token, no pairing event): for devices that
 * must never be seen in another state, e.g. by a job ticking every second. Created a year before it expires.
 */
export async function insertDevice(
  t: Pick<TestHub, 'hub'>,
  tenant: Tenant,
  opts: { expiresAt: Date; storeIndex?: number; label?: string; revokedAt?: Date },
): Promise<number> {
  const row = {
    ...newDeviceRow({
      merchantId: tenant.merchantId,
      storeId: tenant.stores[opts.storeIndex ?? 0].id,
      label: opts.label ?? 'Inserted',
      createdById: tenant.merchantUserId,
      expiresAt: opts.expiresAt,
      now: new Date(),
    }),
    createdAt: new Date(opts.expiresAt.getTime() - 365 * 86_400_000),
    ...(opts.revokedAt ? { revokedAt: opts.revokedAt, revokedById: tenant.merchantUserId } : {}),
  };
  return (await dataSource(t).getRepository(TerminalDevice).insert(row)).identifiers[0].id as number;
}

/** The Device as its merchant reads it through the portal API. */
export async function getDevice(t: Pick<TestHub, 'http'>, tenant: Tenant, id: number): Promise<any> {
  return (await t.http.get(`/api/v1/merchants/loyalty/devices/${id}`).set(bearer(tenant.merchantToken)).expect(200))
    .body.device;
}

// Old names, kept for the test files that still use them.

/** An admin and its token. */
export const adminToken = (t: Pick<TestHub, 'hub'>) => makeAdmin(t);
/** @deprecated The admin is not needed any more: use makeTenant. */
export const createTenant = (t: Pick<TestHub, 'hub'>, _admin: string, storeCount = 2) => makeTenant(t, storeCount);
/** @deprecated Use makeStaff. */
export const staffToken = async (t: Pick<TestHub, 'hub'>, _admin: string, tenant: Tenant, storeIds: number[]) =>
  (await makeStaff(t, tenant, storeIds)).token;

// ---------------------------------------------------------------------------------------------------------------

/** Decodes the QR code in a PNG (bytes, or base64 as the pairing answer has it); undefined when there is none. */
export function decodeQr(png: Buffer | string): string | undefined {
  const img = PNG.sync.read(typeof png === 'string' ? Buffer.from(png, 'base64') : png);
  return jsQR(new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length), img.width, img.height)
    ?.data;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until fn returns a truthy value or the time is up. */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 5000, stepMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
    await sleep(stepMs);
  }
}

/** A fixed set of JWT keys (base64url, 32 bytes each) for tests that need to share or rotate keys. */
export const testKey = (kid: string) => `${kid}:${Buffer.alloc(32, kid).toString('base64url')}`;

/**
 * Holds every device token check of the hub after its read, until `release()`: the window between the read and the
 * socket joining its room, where a change made meanwhile is not in the row the check saw. REST calls with a user
 * token pass. `restore()` puts the real check back.
 */
export function holdDeviceTokenChecks(t: Pick<TestHub, 'hub'>) {
  const tokens = t.hub.ctx.tokens;
  const original = tokens.principalFromToken.bind(tokens);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const read = new Promise<void>((resolve) => (reached = resolve));
  tokens.principalFromToken = async (token, opts) => {
    const principal = await original(token, opts);
    if (principal.kind !== 'device') return principal;
    reached();
    await gate;
    return principal;
  };
  return { read, release, restore: () => (tokens.principalFromToken = original) };
}
