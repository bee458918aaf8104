import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { loadConfig, loadDotEnv, type Config } from '../config';
import { assertDatabaseExists, describeDatabase, openDatabase } from '../db/open';
import { AppError } from '../errors';
import { createLogger, type Logger } from '../logger';
import { TenancyService } from '../tenancy/service';

/** A refusal an operator command explains in one sentence (exit code 1, no stack). */
export class CliError extends Error {}

/**
 * The frame of every operator command: `.env`, the configuration, then the database the server uses. It prints
 * which database it acts on, and refuses (one line, exit code 1) one that does not exist yet rather than create a
 * second, empty database whose logins the running server would not know.
 */
export async function runCommand(
  usage: string,
  options: Record<string, { type: 'string' }>,
  fn: (ctx: { config: Config; logger: Logger; args: Record<string, string | undefined> }) => Promise<void>,
) {
  try {
    let values: Record<string, unknown>;
    try {
      ({ values } = parseArgs({ options, strict: true }));
    } catch (err) {
      // Node's messages go on ("To specify a positional argument…"): the first sentence and the usage say enough.
      throw new CliError(
        `${String((err as Error).message)
          .split(/\.\s/)[0]
          .replace(/\.$/, '')}. Usage: ${usage}`,
      );
    }
    loadDotEnv();
    const config = loadConfig(process.env);
    await assertDatabaseExists(config);
    process.stdout.write(`Database: ${describeDatabase(config)}\n`);
    const logger = createLogger(config.logLevel, config.logFormat);
    await fn({ config, logger, args: values as Record<string, string | undefined> });
  } catch (err) {
    process.stderr.write(`${describeError(err)}\n`);
    process.exitCode = 1;
  }
}

/** runCommand with the database opened (and migrated, like the server does) and the tenancy service. */
export function runCli(
  usage: string,
  options: Record<string, { type: 'string' }>,
  fn: (ctx: {
    config: Config;
    db: DataSource;
    tenancy: TenancyService;
    args: Record<string, string | undefined>;
  }) => Promise<void>,
) {
  return runCommand(usage, options, async ({ config, logger, args }) => {
    const db = await openDatabase(config, { logger });
    try {
      await fn({ config, db, tenancy: new TenancyService(db), args });
    } finally {
      await db.destroy();
    }
  });
}

const APP_ERRORS: Record<string, string> = {
  email_taken: 'That email is already used by another user.',
  store_code_taken: 'That store code is already used by another store.',
  NOT_FOUND: 'Not found.',
  VALIDATION_ERROR: 'Some values are not valid',
};

/** One human line: our own messages as they are, a service error as a sentence rather than its code. */
export function describeError(err: unknown): string {
  if (err instanceof AppError) {
    const reason = typeof err.details?.reason === 'string' ? err.details.reason : undefined;
    const fields = err.details?.fields as Record<string, string> | undefined;
    const text = (reason && APP_ERRORS[reason]) ?? APP_ERRORS[err.code] ?? `Refused (${err.code}).`;
    return fields
      ? `${text}: ${Object.entries(fields)
          .map(([k, v]) => `${k} ${v}`)
          .join('; ')}.`
      : text;
  }
  return err instanceof Error ? err.message : String(err);
}
