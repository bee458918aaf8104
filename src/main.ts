import './threadpool'; // first: sizes libuv's thread pool before anything starts it
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config';
import { describeDatabase, ensureDataDir } from './db/open';
import { createServer } from './server';
import { ensureFirstAdmin, type FirstAdmin } from './tenancy/bootstrap';

async function main() {
  let config: Config;
  let envFile: string | undefined;
  try {
    envFile = loadDotEnv();
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  ensureDataDir(config.dataDir); // owner-only (0700) before anything (keys, SQLite) is written into it
  const hub = await createServer(config);
  const { logger } = hub.ctx;
  const firstAdmin = await ensureFirstAdmin(hub.ctx.tenancy, config);
  const port = await hub.listen();
  logger.info({ port, database: hub.ctx.db.options.type, redis: Boolean(config.redisUrl) }, 'terminal-hub listening');
  announce(config, port, firstAdmin, envFile);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000).unref();
    try {
      await hub.close();
    } finally {
      clearTimeout(force);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/**
 * How to log in. A generated password is shown once: on the terminal when there is one, never through the logger;
 * without a terminal (a service manager capturing output) it goes to DATA_DIR/first-admin.txt, mode 0600, instead.
 */
function announce(config: Config, port: number, admin: FirstAdmin, envFile: string | undefined) {
  const url = config.publicUrl.includes(`:${config.port}`)
    ? config.publicUrl.replace(`:${config.port}`, `:${port}`)
    : config.publicUrl;
  const lines = [``, `  terminal-hub is running at ${url}`, `  Database: ${describeDatabase(config)}`];
  if (envFile) lines.push(`  Settings: ${envFile} (variables set in the environment win over it)`);
  if (admin.kind === 'generated') {
    const secret = `email:    ${admin.email}\npassword: ${admin.password}\n`;
    if (process.stdout.isTTY) {
      lines.push(
        `  First start: an admin was created. This password is shown only now:`,
        ``,
        ...secret
          .trimEnd()
          .split('\n')
          .map((l) => `    ${l}`),
        ``,
      );
    } else {
      const file = path.join(config.dataDir, 'first-admin.txt');
      fs.writeFileSync(file, secret, { mode: 0o600 });
      lines.push(`  First start: an admin was created; its email and password are in ${file} (delete it once read).`);
    }
  } else if (admin.kind === 'bootstrapped') {
    lines.push(`  Admin ${admin.email} created from BOOTSTRAP_ADMIN_EMAIL / BOOTSTRAP_ADMIN_PASSWORD.`);
  } else {
    lines.push(`  Log in with your admin account. Forgot it? npm run admin:create -- --email you@example.com`);
  }
  lines.push(`  Log in: ${url}/login  ·  API: POST ${url}/api/v1/auth/login  ·  Demo data: npm run seed:demo`, ``);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`terminal-hub failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
