import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { ConfigError, loadConfig, type Config } from '../config';
import { openDatabase } from '../db/open';
import { TenancyService } from '../tenancy/service';

/** Runs an operator command with the configured database (migrated), printing a one-line error on failure. */
export async function runCli(
  fn: (ctx: {
    config: Config;
    db: DataSource;
    tenancy: TenancyService;
    args: Record<string, string | undefined>;
  }) => Promise<void>,
  options: Record<string, { type: 'string' }> = {},
) {
  let db: DataSource | undefined;
  try {
    const { values } = parseArgs({ options, strict: true });
    const config = loadConfig(process.env);
    db = await openDatabase(config);
    await fn({ config, db, tenancy: new TenancyService(db), args: values as Record<string, string | undefined> });
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  } finally {
    await db?.destroy();
  }
}
