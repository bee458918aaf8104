import { spawn, type ChildProcess } from 'node:child_process';
import request from 'supertest';
import { DATABASE_URL, freePort, PASSWORD, REDIS_URL, tempDir, testKey, waitFor } from '../helpers';

export interface Node {
  name: string;
  url: string;
  http: ReturnType<typeof request>;
  proc: ChildProcess;
  /** What the process wrote to stderr (warnings and errors at LOG_LEVEL=warn), for failure reports. */
  stderr: () => string;
}

export const CLUSTER_KEY = testKey('cluster');

/**
 * A real server process (the production entry point) on the suite's MariaDB and Redis, sharing the cluster's
 * signing key; ready once /readyz answers 200.
 */
export async function startNode(name: string, env: Record<string, string> = {}): Promise<Node> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn('node_modules/.bin/tsx', ['src/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: tempDir(),
      DATABASE_URL,
      REDIS_URL,
      JWT_KEYS: CLUSTER_KEY,
      BOOTSTRAP_ADMIN_EMAIL: 'cluster-admin@example.com',
      BOOTSTRAP_ADMIN_PASSWORD: PASSWORD,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true, // its own process group: tsx runs the server in a child process, and kill -9 must reach both
  });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`node ${name} exited: ${stderr}`);
      return fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    30_000,
    200,
  );
  return { name, url, http: request(url), proc, stderr: () => stderr };
}

export const stopped = (n: Node) =>
  new Promise((resolve) =>
    n.proc.exitCode !== null || n.proc.signalCode !== null ? resolve(null) : n.proc.once('exit', resolve),
  );

/** kill -9 of the server and the tsx wrapper around it (the wrapper forwards SIGTERM, not SIGKILL). */
export const killHard = (n: Node) =>
  n.proc.exitCode === null && n.proc.signalCode === null && process.kill(-n.proc.pid!, 'SIGKILL');

/** A graceful stop (SIGTERM to the process group), awaited. */
export async function stopNode(n: Node): Promise<void> {
  if (n.proc.exitCode === null && n.proc.signalCode === null) process.kill(-n.proc.pid!, 'SIGTERM');
  await stopped(n);
}
