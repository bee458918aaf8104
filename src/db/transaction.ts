import type { DataSource, EntityManager } from 'typeorm';

const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

/**
 * Runs fn in one transaction. TypeORM shares a single connection for better-sqlite3, so two concurrent
 * transactions would interleave on it; on SQLite they are queued one after another (SQLite has one writer anyway).
 * MySQL transactions run in parallel on the pool.
 */
export function transaction<T>(ds: DataSource, fn: (em: EntityManager) => Promise<T>): Promise<T> {
  if (ds.options.type !== 'better-sqlite3') return ds.transaction(fn);
  const prev = sqliteQueues.get(ds) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(() => ds.transaction(fn));
  sqliteQueues.set(
    ds,
    run.catch(() => undefined),
  );
  return run;
}

export const isMysql = (ds: DataSource) => ds.options.type === 'mysql';
