import type { DataSource } from 'typeorm';
import { createDataSource } from './data-source';
import type { Config } from '../config';

/**
 * Opens the data source and applies pending migrations. On MySQL a named lock (GET_LOCK) makes nodes that start
 * together take turns, so only one applies them.
 */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'databasePoolSize' | 'dataDir'>,
): Promise<DataSource> {
  const db = createDataSource(config);
  await db.initialize();
  try {
    if (db.options.type !== 'mysql') {
      await db.runMigrations();
      return db;
    }
    const lockConn = db.createQueryRunner();
    try {
      const [row] = await lockConn.query(`SELECT GET_LOCK('terminal_hub_migrations', 120) AS got`);
      if (Number(row.got) !== 1) throw new Error('could not take the migration lock within 120 s');
      await db.runMigrations();
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
