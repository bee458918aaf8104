import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, tempDir } from '../helpers';
import { runCommand, startMain } from './process';

describe('.env in the working folder: read by npm start and the operator commands, never over the environment', function () {
  this.timeout(60_000);

  it('the server takes PORT and DATA_DIR from .env; LOG_LEVEL set in the environment wins over the file', async () => {
    const cwd = tempDir();
    const port = await freePort();
    fs.writeFileSync(
      path.join(cwd, '.env'),
      `# settings for this machine\nPORT=${port}\nDATA_DIR=./from-dotenv\nLOG_LEVEL=info\nLOG_FORMAT=json\n`,
    );
    // No PORT or DATA_DIR in the environment (startMain would set PORT: it is given the same one to wait on).
    const s = await startMain({ LOG_LEVEL: 'warn' }, { cwd, port, noPortEnv: true });
    const out = s.output();
    const dataDir = path.join(fs.realpathSync(cwd), 'from-dotenv');
    expect(out).to.include(`Database: SQLite ${dataDir}/terminal-hub.sqlite`);
    expect(out).to.include(`Settings: ${fs.realpathSync(cwd)}/.env (variables set in the environment win over it)`);
    expect(fs.existsSync(path.join(dataDir, 'terminal-hub.sqlite'))).to.equal(true);
    expect(out, 'LOG_LEVEL=warn from the environment: no info lines').to.not.include('"level":30');
    expect(await s.stop()).to.equal(0);

    // An operator command run in the same folder finds the same database through .env.
    const seeded = runCommand('seed-demo.ts', [], {}, cwd);
    expect(seeded.status, seeded.stderr).to.equal(0);
    expect(seeded.stdout.split('\n')[0]).to.equal(`Database: SQLite ${dataDir}/terminal-hub.sqlite`);
  });

  it('a variable set in the environment, even to an empty string, wins over .env', () => {
    const cwd = tempDir();
    const dataDir = path.join(cwd, 'nowhere');
    const r = runCommand('seed-demo.ts', [], { DATA_DIR: dataDir }, cwd);
    expect(r.stderr).to.match(new RegExp(`^No database at ${dataDir}/terminal-hub.sqlite`));
    fs.writeFileSync(path.join(cwd, '.env'), 'PORT=eighty\n');
    for (const port of ['8080', '']) {
      const set = runCommand('seed-demo.ts', [], { DATA_DIR: dataDir, PORT: port }, cwd);
      expect(set.stderr, `PORT="${port}" from the environment wins`).to.match(/^No database at /);
    }
    const bad = runCommand('seed-demo.ts', [], { DATA_DIR: dataDir }, cwd);
    expect(bad.stderr, 'PORT from .env is read').to.equal(
      'Invalid configuration: PORT must be a whole number from 0 to 65535 (got "eighty")\n',
    );
  });
});
