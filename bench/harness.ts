import { spawn } from 'node:child_process';
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

/**
 * The real server (src/main.ts) in its own process group on a random port and a fresh DATA_DIR (SQLite, or
 * DATABASE_URL from the environment), ready to answer. `stop()` sends SIGTERM to the group.
 */
export async function startBenchServer(
  env: Record<string, string> = {},
): Promise<{ url: string; api: Api; stop(): void }> {
  const port = 3900 + Math.floor(Math.random() * 90);
  const url = `http://127.0.0.1:${port}`;
  const server = spawn('node_modules/.bin/tsx', ['src/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'th-bench-')),
      LOG_LEVEL: 'warn',
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  const stop = () => process.kill(-server.pid!, 'SIGTERM');
  const api = apiClient(url);
  for (let i = 0; ; i++) {
    if ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok) break;
    if (i > 200) {
      stop();
      throw new Error('server did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, api, stop };
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
