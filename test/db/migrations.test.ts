import { expect } from 'chai';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { migrations } from '../../migrations';
import { DATABASE_URL, tempDir, uniq, withScratchMysqlDatabase } from '../helpers';

async function tableNames(ds: DataSource): Promise<string[]> {
  const rows: { name: string }[] =
    ds.options.type === 'mysql'
      ? await ds.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()')
      : await ds.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  return rows
    .map((r) => r.name)
    .filter((n) => n !== 'migrations')
    .sort();
}

/** Every migration up, all down one by one, and up again; the schema ends where it started. */
async function upDownUp(ds: DataSource) {
  await ds.initialize();
  try {
    expect(await tableNames(ds)).to.deep.equal([]);
    const applied = await ds.runMigrations();
    expect(applied.map((m) => m.name)).to.deep.equal(migrations.map((M) => new M().name));
    const full = await tableNames(ds);
    expect(full).to.include.members(['merchants', 'stores', 'users', 'user_stores', 'loyalty_terminal_devices']);
    for (let i = 0; i < migrations.length; i++) await ds.undoLastMigration();
    expect(await tableNames(ds)).to.deep.equal([]);
    await ds.runMigrations();
    expect(await tableNames(ds)).to.deep.equal(full);
    // The CHECK constraint holds on both databases.
    // Instants as 'YYYY-MM-DD HH:MM:SS.mmm' UTC strings, which both drivers bind (SQLite binds no Date).
    const now = new Date();
    const at = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
    await ds.query('INSERT INTO merchants (name, created_at, updated_at) VALUES (?, ?, ?)', ['m', at(now), at(now)]);
    await ds.query('INSERT INTO stores (merchant_id, name, code, created_at, updated_at) VALUES (1, ?, ?, ?, ?)', [
      's',
      'S1',
      at(now),
      at(now),
    ]);
    const insertDevice = (expires: Date) =>
      ds.query(
        'INSERT INTO loyalty_terminal_devices (merchant_id, store_id, label, jti, expires_at, created_at, updated_at) VALUES (1, 1, ?, ?, ?, ?, ?)',
        ['d', uniq(), at(expires), at(now), at(now)],
      );
    await insertDevice(new Date(now.getTime() + 1000));
    let refused = false;
    await insertDevice(new Date(now.getTime() - 1000)).catch(() => (refused = true));
    expect(refused, 'CHECK expires_at > created_at').to.equal(true);
  } finally {
    await ds.destroy();
  }
}

describe('migrations: every one runs up and down', () => {
  it('on SQLite', async () => {
    await upDownUp(
      createDataSource({ dataDir: path.join(tempDir(), 'nested'), databaseUrl: undefined, databasePoolSize: 1 }),
    );
  });

  it('on MySQL/MariaDB (a database of its own, dropped after)', async function () {
    if (!DATABASE_URL) this.skip();
    await withScratchMysqlDatabase('th_migrations', async (url) => {
      await upDownUp(createDataSource({ databaseUrl: url.toString(), databasePoolSize: 2, dataDir: tempDir() }));
    });
  });
});
