import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { createPool } from 'mysql2/promise';
import { loadConfig } from '../../src/config';
import { describeDatabase, openDatabase } from '../../src/db/open';
import { TenancyService } from '../../src/tenancy/service';
import { DATABASE_URL, PASSWORD, tempDir, uniq } from '../helpers';
import { runCommand } from './process';

const COMMANDS: [string, string, string[]][] = [
  ['seed:demo', 'seed-demo.ts', []],
  ['admin:create', 'create-admin.ts', ['--email', 'ops@example.com']],
  ['job:expiry', 'expiry-scan.ts', []],
];

/** A migrated embedded database in a DATA_DIR of its own, as `npm start` leaves it. */
async function existingSqlite(): Promise<{ dataDir: string; tenancy: TenancyService; close: () => Promise<void> }> {
  const dataDir = tempDir();
  const db = await openDatabase(loadConfig({ DATA_DIR: dataDir }));
  return { dataDir, tenancy: new TenancyService(db), close: () => db.destroy() };
}

describe('operator commands: which database, and never a second one', function () {
  this.timeout(60_000);

  for (const [name, file, args] of COMMANDS)
    it(`npm run ${name} refuses a DATA_DIR with no database: one line, exit code 1, nothing created`, () => {
      const dataDir = path.join(tempDir(), 'data');
      const r = runCommand(file, args, { DATA_DIR: dataDir });
      expect(r.status).to.equal(1);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.equal(
        `No database at ${dataDir}/terminal-hub.sqlite: start the server once (npm start) to create it, or set the same DATA_DIR (or DATABASE_URL) as the server.\n`,
      );
      expect(fs.existsSync(dataDir)).to.equal(false);
    });

  it('an empty SQLite file (never migrated) is refused too, and left empty', () => {
    const dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, 'terminal-hub.sqlite'), '');
    const r = runCommand('seed-demo.ts', [], { DATA_DIR: dataDir });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.equal(
      `The database SQLite ${dataDir}/terminal-hub.sqlite has no terminal-hub tables yet: start the server once (npm start) to create them, or set the same DATA_DIR (or DATABASE_URL) as the server.\n`,
    );
    expect(fs.statSync(path.join(dataDir, 'terminal-hub.sqlite')).size).to.equal(0);
  });

  it('on an existing database, each command first says which one (the absolute SQLite path)', async () => {
    const { dataDir, close } = await existingSqlite();
    await close();
    for (const [name, file, args] of COMMANDS) {
      // A relative DATA_DIR, as an operator types it: the line shows where it really is.
      const r = runCommand(file, args, { DATA_DIR: path.relative(process.cwd(), dataDir), LOG_LEVEL: 'warn' });
      expect(r.status, `${name}: ${r.stderr}`).to.equal(0);
      expect(r.stdout.split('\n')[0], name).to.equal(`Database: SQLite ${dataDir}/terminal-hub.sqlite`);
    }
  });

  it('the MySQL description is host:port/database, never the user or password', () => {
    expect(
      describeDatabase({ databaseUrl: 'mysql://hub:s3cret-pw@db.internal:3307/terminal_hub', dataDir: '/x' }),
    ).to.equal('MySQL db.internal:3307/terminal_hub');
    expect(describeDatabase({ databaseUrl: 'mariadb://hub:s3cret-pw@db/th', dataDir: '/x' })).to.equal(
      'MySQL db:3306/th',
    );
  });

  it('on MySQL: a database that does not exist, or has no tables yet, is refused naming it', async function () {
    if (!DATABASE_URL) this.skip();
    const url = new URL(DATABASE_URL!);
    const admin = createPool({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    });
    const name = `th_cli_${uniq()}`;
    const where = `MySQL ${url.hostname}:${url.port || 3306}/${name}`;
    url.pathname = `/${name}`;
    try {
      const missing = runCommand('seed-demo.ts', [], { DATABASE_URL: url.toString() });
      expect(missing.status).to.equal(1);
      expect(missing.stderr).to.equal(
        `No database ${where}: create it (CREATE DATABASE) and start the server once (npm start) to create its tables, or set the server's DATABASE_URL.\n`,
      );
      await admin.query(`CREATE DATABASE \`${name}\``);
      const empty = runCommand('create-admin.ts', ['--email', 'ops@example.com'], { DATABASE_URL: url.toString() });
      expect(empty.status).to.equal(1);
      expect(empty.stderr).to.equal(
        `The database ${where} has no terminal-hub tables yet: start the server once (npm start) to create them, or set the same DATA_DIR (or DATABASE_URL) as the server.\n`,
      );
      const [tables] = await admin.query(`SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ?`, [
        name,
      ]);
      expect(Number((tables as { n: number }[])[0].n), 'nothing created').to.equal(0);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    }
  });

  it('admin:create with a merchant user’s email says what conflicts', async () => {
    const { dataDir, tenancy, close } = await existingSqlite();
    const merchant = await tenancy.createMerchant('Bakery');
    await tenancy.createUser(merchant.id, { email: 'owner@bakery.example', password: PASSWORD, role: 'merchant' });
    await close();
    const r = runCommand('create-admin.ts', ['--email', 'Owner@Bakery.example'], { DATA_DIR: dataDir });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.equal('owner@bakery.example is already a merchant user; admins need their own email.\n');
    expect(r.stdout).to.not.include('password');
  });

  it('admin:create: a missing or bad --email, an unknown option and a short --password are sentences', async () => {
    const { dataDir, close } = await existingSqlite();
    await close();
    const usage = "Usage: npm run admin:create -- --email you@example.com [--password '…']";
    const cases: [string[], string][] = [
      [[], `--email is required. ${usage}`],
      [['--email', 'nope'], `--email must be an email address (got "nope"). ${usage}`],
      [['--emial', 'a@example.com'], `Unknown option '--emial'. ${usage}`],
      [['--email', 'a@example.com', '--password', 'elevenchars'], '--password must be 12 to 200 characters.'],
    ];
    for (const [args, line] of cases) {
      const r = runCommand('create-admin.ts', args, { DATA_DIR: dataDir });
      expect(r.status, args.join(' ')).to.equal(1);
      expect(r.stderr, args.join(' ')).to.equal(`${line}\n`);
    }
  });
});
