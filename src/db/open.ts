import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { createDataSource, sqliteFile } from './data-source';

type DbConfig = Pick<Config, 'databaseUrl' | 'databasePoolSize' | 'dataDir'>;

/** The database for people: the SQLite file's absolute path, or MySQL `host:port/db` (never user or password). */
export function describeDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  if (!config.databaseUrl) return `SQLite ${sqliteFile(config)}`;
  const url = new URL(config.databaseUrl);
  return `MySQL ${url.hostname}:${url.port || 3306}${url.pathname}`;
}

/** DATA_DIR, created owner-only (0700) when missing. An existing folder is left as it is. */
export function ensureDataDir(dataDir: string) {
  if (!fs.existsSync(dataDir)) fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/**
 * Without DATABASE_URL: DATA_DIR (0700) and the SQLite file (0600), created before SQLite opens it, which gives its
 * -wal and -shm the database file's mode. For the app and the TypeORM CLI (ormconfig.ts).
 */
export function prepareSqliteFile(config: Pick<Config, 'databaseUrl' | 'dataDir'>) {
  if (config.databaseUrl) return;
  const file = sqliteFile(config);
  ensureDataDir(path.dirname(file));
  fs.closeSync(fs.openSync(file, 'a', 0o600));
}

/** The SQLite file and its -wal/-shm, owner-only (0600). */
function restrictSqliteFiles(file: string) {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      fs.chmodSync(f, 0o600);
    } catch (err) {
      // Not there (no WAL yet), or not ours to change: nothing to tighten.
      if (!['ENOENT', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
}

/**
 * Opens the data source and applies pending migrations, logging one line per applied migration. On MySQL a named
 * lock (GET_LOCK) makes nodes that start together take turns, so only one applies them. An embedded SQLite file is
 * created owner-only (its folder 0700, the file and its -wal/-shm 0600).
 */
export async function openDatabase(config: DbConfig, opts: { logger?: Logger } = {}): Promise<DataSource> {
  prepareSqliteFile(config);
  const db = createDataSource(config);
  await db.initialize();
  try {
    if (db.options.type !== 'mysql') {
      restrictSqliteFiles(sqliteFile(config));
      logApplied(await db.runMigrations(), opts.logger);
      return db;
    }
    const lockConn = db.createQueryRunner();
    try {
      const [row] = await lockConn.query(`SELECT GET_LOCK('terminal_hub_migrations', 120) AS got`);
      if (Number(row.got) !== 1) throw new Error('could not take the migration lock within 120 s');
      logApplied(await db.runMigrations(), opts.logger);
    } finally {
      await lockConn.query(`SELECT RELEASE_LOCK('terminal_hub_migrations')`).catch(() => undefined);
      await lockConn.release();
    }
    return db;
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
}

function logApplied(applied: { name: string }[], logger: Logger | undefined) {
  for (const m of applied) logger?.info({ migration: m.name }, `applied migration ${m.name}`);
}

/** The database an operator command needs does not exist yet (or was never migrated). */
export class DatabaseMissingError extends Error {}

const START_ONCE = 'start the server once (npm start) to create';
const SAME_AS_SERVER = 'set the same DATA_DIR (or DATABASE_URL) as the server';

/**
 * For operator commands: refuses, with one line, a database the server has not created yet, rather than create a
 * second, empty one next to the real one. SQLite: the file must exist; both: the migrations table must exist.
 */
export async function assertDatabaseExists(config: DbConfig): Promise<void> {
  const where = describeDatabase(config);
  if (!config.databaseUrl) {
    const file = sqliteFile(config);
    if (!fs.existsSync(file))
      throw new DatabaseMissingError(`No database at ${file}: ${START_ONCE} it, or ${SAME_AS_SERVER}.`);
    let migrated: boolean;
    try {
      // Straight through better-sqlite3, which changes nothing (TypeORM would switch the file to WAL first).
      const sqlite = new Sqlite(file, { fileMustExist: true, timeout: 10_000 });
      try {
        migrated = Boolean(
          sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(MIGRATIONS),
        );
      } finally {
        sqlite.close();
      }
    } catch (err) {
      throw new Error(`Cannot open the database ${where}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!migrated) throw new DatabaseMissingError(noTables(where));
    return;
  }
  const db = createDataSource(config);
  try {
    await db.initialize();
  } catch (err) {
    const { code, message } = err as { code?: string; message?: string };
    if (code === 'ER_BAD_DB_ERROR')
      throw new DatabaseMissingError(
        `No database ${where}: create it (CREATE DATABASE) and ${START_ONCE} its tables, or set the server's DATABASE_URL.`,
      );
    throw new Error(`Cannot open the database ${where}: ${message ?? String(err)}`);
  }
  try {
    const qr = db.createQueryRunner();
    try {
      if (!(await qr.hasTable(MIGRATIONS))) throw new DatabaseMissingError(noTables(where));
    } finally {
      await qr.release();
    }
  } finally {
    await db.destroy();
  }
}

/** TypeORM's migrations table (the data source keeps the default name). */
const MIGRATIONS = 'migrations';
const noTables = (where: string) =>
  `The database ${where} has no terminal-hub tables yet: ${START_ONCE} them, or ${SAME_AS_SERVER}.`;
