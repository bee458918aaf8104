import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { openDatabase } from '../src/db/open';
import { startMain, TSX } from './cli/process';
import { DATABASE_URL, tempDir, testConfig } from './helpers';

const startProcess = (env: Record<string, string>) => startMain({ LOG_LEVEL: 'warn', ...env });

describe('first run and operator commands', function () {
  this.timeout(60_000);

  it('with no admin and no BOOTSTRAP_ADMIN_*, the first start creates one and shows its password once (file, no TTY)', async function () {
    if (DATABASE_URL) this.skip(); // the embedded default is what a fresh machine runs
    const dataDir = path.join(tempDir(), 'data'); // created by the server
    const umask = process.umask(0o022); // the usual one, which leaves new files readable by everyone
    let first: Awaited<ReturnType<typeof startProcess>>;
    try {
      first = await startProcess({ DATA_DIR: dataDir });
    } finally {
      process.umask(umask);
    }
    // Owner-only: the folder, the database and its WAL files (there while the server runs), the keys.
    const mode = (f: string) => (fs.statSync(path.join(dataDir, f)).mode & 0o777).toString(8);
    expect(mode('.')).to.equal('700');
    for (const f of ['terminal-hub.sqlite', 'terminal-hub.sqlite-wal', 'terminal-hub.sqlite-shm', 'jwt-keys.json'])
      expect(mode(f), f).to.equal('600');
    expect(first.output()).to.include(`Database: SQLite ${dataDir}/terminal-hub.sqlite`);
    const file = path.join(dataDir, 'first-admin.txt');
    const text = fs.readFileSync(file, 'utf8');
    expect((fs.statSync(file).mode & 0o777).toString(8)).to.equal('600');
    const [, email] = /email:\s+(\S+)/.exec(text)!;
    const [, password] = /password:\s+(\S+)/.exec(text)!;
    expect(first.output()).to.include(file).and.not.include(password);
    const login = await request(first.url).post('/api/v1/auth/login').send({ email, password }).expect(200);
    expect(login.body.user.role).to.equal('admin');
    expect(await first.stop()).to.equal(0);
    fs.unlinkSync(file);

    const second = await startProcess({ DATA_DIR: dataDir });
    expect(fs.existsSync(file)).to.equal(false);
    expect(second.output()).to.not.include(password);
    await request(second.url).post('/api/v1/auth/login').send({ email, password }).expect(200);
    await second.stop();
  });

  it('BOOTSTRAP_ADMIN_* creates that admin when none exists; SIGTERM stops the server cleanly', async () => {
    const dataDir = tempDir();
    const env: Record<string, string> = {
      DATA_DIR: dataDir,
      BOOTSTRAP_ADMIN_EMAIL: 'Boss@Example.com',
      BOOTSTRAP_ADMIN_PASSWORD: 'a very long password',
    };
    if (DATABASE_URL) Object.assign(env, { DATABASE_URL });
    const s = await startProcess(env);
    const login = await request(s.url)
      .post('/api/v1/auth/login')
      .send({ email: 'boss@example.com', password: 'a very long password' });
    // On a shared MariaDB an admin may already exist from another test: then the bootstrap rightly does nothing.
    if (!DATABASE_URL) expect(login.status).to.equal(200);
    expect(fs.existsSync(path.join(dataDir, 'first-admin.txt'))).to.equal(false);
    expect(await s.stop()).to.equal(0);
  });

  it('npm run admin:create creates an admin (or resets its password) and refuses a bad email', async () => {
    const env = { ...process.env, DATA_DIR: tempDir(), DATABASE_URL: DATABASE_URL ?? '' };
    await (await openDatabase(testConfig({ DATA_DIR: env.DATA_DIR }))).destroy(); // the server's database
    const run = (...args: string[]) =>
      spawnSync(TSX, ['src/cli/create-admin.ts', ...args], { env, encoding: 'utf8', timeout: 30_000 });
    const email = `ops-${Date.now()}@example.com`;
    const created = run('--email', email);
    expect(created.status).to.equal(0);
    expect(created.stdout).to.match(new RegExp(`^Database: .+\\nCreated admin ${email}\\npassword: \\S{12,}\\n$`));
    const again = run('--email', email, '--password', 'another long password');
    expect(again.stdout).to.include(`Updated the password of admin ${email}`);
    const bad = run('--email', 'nope');
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.include('--email must be an email address');
  });

  it('npm run seed:demo, next to a running server, adds a demo merchant, stores and users with logins that work', async function () {
    if (DATABASE_URL) this.skip();
    const dataDir = tempDir();
    const s = await startProcess({
      DATA_DIR: dataDir,
      BOOTSTRAP_ADMIN_EMAIL: 'a@example.com',
      BOOTSTRAP_ADMIN_PASSWORD: 'a very long password',
    });
    try {
      const seeded = spawnSync(TSX, ['src/cli/seed-demo.ts'], {
        env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(seeded.status, seeded.stderr).to.equal(0);
      expect(seeded.stdout.split('\n')[0]).to.equal(`Database: SQLite ${dataDir}/terminal-hub.sqlite`);
      const [, email, password] = /merchant\s+(\S+)\s+password: (\S+)/.exec(seeded.stdout)!;
      const login = await request(s.url).post('/api/v1/auth/login').send({ email, password }).expect(200);
      const stores = await request(s.url)
        .get('/api/v1/merchants/stores')
        .set('Authorization', `Bearer ${login.body.token}`)
        .expect(200);
      expect(stores.body.items.map((x: { code: string }) => x.code)).to.deep.equal(['DEMO-LUX-GARE', 'DEMO-KIRCHBERG']);
    } finally {
      await s.stop();
    }
  });
});
