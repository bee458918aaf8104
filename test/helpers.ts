import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { loadConfig, type Config } from '../src/config';
import { createServer, type TerminalHub } from '../src/server';

/** The database (and Redis) the suite runs on: MariaDB + Redis in CI's second pass, else embedded SQLite and no Redis. */
export const DATABASE_URL = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
export const REDIS_URL = process.env.TEST_REDIS_URL || process.env.REDIS_URL || undefined;
export const onMysql = Boolean(DATABASE_URL);

export const uniq = (prefix = '') => `${prefix}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'th-test-'));
}

/** A config as a test wants it: own data folder, any free port, silent logs, the suite's database. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
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

export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig(testEnv(overrides));
}

export interface TestHub {
  hub: TerminalHub;
  url: string;
  port: number;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

/** A real server on a free port, built by the same factory as main.ts. */
export async function startHub(overrides: Record<string, string | undefined> = {}): Promise<TestHub> {
  const config = testConfig(overrides);
  const hub = await createServer(config);
  const port = await hub.listen(0);
  const url = `http://127.0.0.1:${port}`;
  return { hub, url, port, http: request(url), close: () => hub.close() };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export const PASSWORD = 'correct horse battery staple';

export interface Tenant {
  merchantId: number;
  merchantName: string;
  stores: { id: number; code: string }[];
  merchantToken: string;
  merchantUserId: number;
}

/** An admin (created through the service) and its token. */
export async function adminToken(t: TestHub): Promise<{ token: string; id: number }> {
  const email = `${uniq('admin-')}@example.com`;
  const { user } = await t.hub.ctx.tenancy.createUser(null, { email, password: PASSWORD, role: 'admin' });
  return { token: (await t.hub.ctx.tokens.createUserToken(user)).token, id: user.id };
}

/** A merchant with `storeCount` stores and a merchant user, made through the admin API. */
export async function createTenant(t: TestHub, admin: string, storeCount = 2): Promise<Tenant> {
  const merchantName = uniq('Merchant ');
  const m = await t.http.post('/api/v1/admin/merchants').set(bearer(admin)).send({ name: merchantName }).expect(201);
  const merchantId = m.body.merchant.id as number;
  const stores: { id: number; code: string }[] = [];
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
  const login = await t.http.post('/api/v1/auth/login').send({ email, password: PASSWORD }).expect(200);
  return { merchantId, merchantName, stores, merchantToken: login.body.token, merchantUserId: u.body.user.id };
}

/** A store_staff user of a tenant, assigned to the given stores, and its token. */
export async function staffToken(t: TestHub, admin: string, tenant: Tenant, storeIds: number[]): Promise<string> {
  const email = `${uniq('staff-')}@example.com`;
  await t.http
    .post(`/api/v1/admin/merchants/${tenant.merchantId}/users`)
    .set(bearer(admin))
    .send({ email, password: PASSWORD, role: 'store_staff', store_ids: storeIds })
    .expect(201);
  return (await t.http.post('/api/v1/auth/login').send({ email, password: PASSWORD }).expect(200)).body.token;
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
