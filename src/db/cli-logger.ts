import type { Logger as TypeOrmLogger } from 'typeorm';

/**
 * The TypeORM CLI's logger (`npm run migration:run`, `migration:revert`, …): the CLI turns query logging on, which
 * would echo every statement of every migration. This one prints one line per migration applied or reverted, the
 * "nothing to do" answers and errors, and no SQL.
 */
export function migrationCliLogger(out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): TypeOrmLogger {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  return {
    logQuery: () => undefined,
    logQuerySlow: () => undefined,
    logQueryError: (error) => err(`Query failed: ${error instanceof Error ? error.message : error}`),
    logSchemaBuild: (message) => {
      const done = /^Migration (\S+) has been (\(fake\) )?(executed|reverted) successfully\.$/.exec(message);
      if (done)
        out(`${done[3] === 'executed' ? 'Applied' : 'Reverted'}${done[2] ? ' (fake)' : ''} migration ${done[1]}`);
      else if (/^No migrations (are pending|were found)/.test(message)) out(message);
    },
    logMigration: (message) => err(message),
    log: (level, message) => {
      if (level === 'warn') err(String(message));
    },
  };
}
