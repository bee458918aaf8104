import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { migrations } from '../../migrations';
import { DATABASE_URL, tempDir, withScratchMysqlDatabase } from '../helpers';
import { childEnv, ROOT, TSX } from './process';

const NAMES = migrations.map((M) => new M().name as string);

/** `npm run migration:run` / `migration:revert`: the TypeORM CLI on ormconfig.ts. */
const typeorm = (command: string, env: Record<string, string>) =>
  spawnSync(TSX, ['./node_modules/typeorm/cli.js', '-d', 'ormconfig.ts', command], {
    cwd: ROOT,
    env: childEnv(env),
    encoding: 'utf8',
    timeout: 60_000,
  });

function expectQuietRuns(env: Record<string, string>, database: string) {
  const first = typeorm('migration:run', env);
  expect(first.status, first.stderr).to.equal(0);
  expect(first.stdout).to.equal(
    [`Database: ${database}`, ...NAMES.map((n) => `Applied migration ${n}`), ''].join('\n'),
  );
  expect(first.stderr).to.equal('');
  const again = typeorm('migration:run', env);
  expect(again.stdout).to.equal(`Database: ${database}\nNo migrations are pending\n`);
  const revert = typeorm('migration:revert', env);
  expect(revert.stdout).to.equal(`Database: ${database}\nReverted migration ${NAMES.at(-1)}\n`);
}

describe('npm run migration:run: the database, then one line per migration, no SQL', function () {
  this.timeout(120_000);

  it('on SQLite, creating the database owner-only like the server', () => {
    const dataDir = path.join(tempDir(), 'data');
    const umask = process.umask(0o022); // the usual one, which leaves new files readable by everyone
    try {
      expectQuietRuns({ DATA_DIR: dataDir }, `SQLite ${dataDir}/terminal-hub.sqlite`);
    } finally {
      process.umask(umask);
    }
    const mode = (f: string) => (fs.statSync(f).mode & 0o777).toString(8);
    expect(mode(dataDir)).to.equal('700');
    expect(mode(path.join(dataDir, 'terminal-hub.sqlite'))).to.equal('600');
  });

  it('on MySQL/MariaDB (a database of its own, dropped after)', async function () {
    if (!DATABASE_URL) this.skip();
    await withScratchMysqlDatabase('th_migrate', async (url, name) => {
      expectQuietRuns({ DATABASE_URL: url.toString() }, `MySQL ${url.hostname}:${url.port || 3306}/${name}`);
    });
  });
});
