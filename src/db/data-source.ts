import 'reflect-metadata';
import path from 'node:path';
import { DataSource } from 'typeorm';
import type { Config } from '../config';
import { entities } from './entities';
import { migrations } from '../../migrations';

/** The embedded database file, absolute (DATA_DIR is resolved by the config). */
export const sqliteFile = (config: Pick<Config, 'dataDir'>) => path.join(config.dataDir, 'terminal-hub.sqlite');

/**
 * The one TypeORM data source factory, used by the app (src/db/open.ts) and the TypeORM CLI (ormconfig.ts).
 * No DATABASE_URL: an embedded SQLite file under DATA_DIR (WAL, foreign keys on).
 * DATABASE_URL=mysql://…: MySQL/MariaDB through mysql2, UTC on the wire, a pool of DATABASE_POOL_SIZE.
 * Never synchronize: the schema is the migrations'. No SQL is logged (`logging: false`); openDatabase logs each
 * applied migration by name.
 */
export function createDataSource(config: Pick<Config, 'databaseUrl' | 'databasePoolSize' | 'dataDir'>): DataSource {
  const common = {
    entities,
    migrations,
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each' as const,
    logging: false,
  };
  if (config.databaseUrl) {
    return new DataSource({
      ...common,
      type: 'mysql',
      url: config.databaseUrl.replace(/^mariadb:/, 'mysql:'),
      timezone: 'Z',
      charset: 'utf8mb4_unicode_ci',
      poolSize: config.databasePoolSize,
      // Bounded waits: a server that does not accept within 3 s is unavailable; at most 1000 queries wait for a
      // connection (beyond, an immediate error, answered 503). Requests are bounded on top by REQUEST_TIMEOUT_MS.
      connectTimeout: 3000,
      extra: { connectionLimit: config.databasePoolSize, enableKeepAlive: true, queueLimit: 1000 },
    });
  }
  return new DataSource({
    ...common,
    type: 'better-sqlite3',
    database: sqliteFile(config),
    enableWAL: true,
    // In WAL mode NORMAL never corrupts the database; a power cut may lose the last commits, not a crash of the
    // process. It spares an fsync per commit.
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('synchronous = NORMAL');
    },
    timeout: 10_000,
  });
}
