import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort, waitFor } from '../helpers';

export const ROOT = path.resolve(__dirname, '../..');
export const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

/**
 * The environment of a child process: this one's, without anything that would pick a database or log format for
 * it, plus `env`. tsx is told where the tsconfig is, so a child may run in another working folder.
 */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, TSX_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json') };
  for (const key of ['DATA_DIR', 'DATABASE_URL', 'REDIS_URL', 'LOG_FORMAT', 'PORT', 'LOG_LEVEL']) delete base[key];
  return { ...base, ...env };
}

/** Runs an operator command (`src/cli/<file>`) to its end. */
export function runCommand(file: string, args: string[], env: Record<string, string>, cwd = ROOT) {
  return spawnSync(TSX, [path.join(ROOT, 'src/cli', file), ...args], {
    env: childEnv(env),
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

export interface Started {
  proc: ChildProcess;
  url: string;
  output: () => string;
  stop: () => Promise<number | null>;
}

/**
 * Starts `src/main.ts` as its own process (no TTY) on `port` (`noPortEnv`: set elsewhere) and waits for /healthz.
 * Without a given port it takes a free one, and tries another if that was taken in the meantime.
 */
export async function startMain(
  env: Record<string, string>,
  opts: { cwd?: string; port?: number; noPortEnv?: boolean } = {},
): Promise<Started> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnMain(env, opts.port ?? (await freePort()), opts);
    } catch (err) {
      if (opts.port !== undefined || attempt === 3 || !String((err as Error).message).includes('EADDRINUSE')) throw err;
    }
  }
}

async function spawnMain(
  env: Record<string, string>,
  port: number,
  opts: { cwd?: string; noPortEnv?: boolean },
): Promise<Started> {
  let out = '';
  const proc = spawn(TSX, [path.join(ROOT, 'src/main.ts')], {
    env: childEnv(opts.noPortEnv ? env : { PORT: String(port), ...env }),
    cwd: opts.cwd ?? ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const stop = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    return exited;
  };
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`exited with code ${proc.exitCode}`);
        return (await fetch(`${url}/healthz`).catch(() => undefined))?.ok;
      },
      20_000,
      100,
    );
  } catch (err) {
    await stop();
    throw new Error(`the server did not start: ${out}`, { cause: err });
  }
  return { proc, url, output: () => out, stop };
}
