import type { DataSource, EntityManager } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';

const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

/** How often a MySQL transaction chosen as a deadlock's victim is run again before the error goes to the caller. */
const DEADLOCK_RETRIES = 3;

const isDeadlock = (err: unknown) => {
  const e = err as { code?: string; driverError?: { code?: string } } | null;
  return (e?.driverError?.code ?? e?.code) === 'ER_LOCK_DEADLOCK';
};

/**
 * Runs fn in one transaction. TypeORM shares a single connection for better-sqlite3, so two concurrent
 * transactions would interleave on it; on SQLite they are queued one after another (SQLite has one writer anyway).
 * MySQL transactions run in parallel on the pool; one that InnoDB rolled back to break a deadlock is run again
 * (fn must only write through the manager it is given). `isolation` applies to MySQL (SQLite is serialised).
 */
export async function transaction<T>(
  ds: DataSource,
  fn: (em: EntityManager) => Promise<T>,
  isolation?: IsolationLevel,
): Promise<T> {
  if (ds.options.type !== 'better-sqlite3') {
    for (let attempt = 1; ; attempt++) {
      try {
        return await (isolation ? ds.transaction(isolation, fn) : ds.transaction(fn));
      } catch (err) {
        if (!isDeadlock(err) || attempt > DEADLOCK_RETRIES) throw err;
      }
    }
  }
  const prev = sqliteQueues.get(ds) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(() => ds.transaction(fn));
  sqliteQueues.set(
    ds,
    run.catch(() => undefined),
  );
  return run;
}

export const isMysql = (ds: DataSource) => ds.options.type === 'mysql';
