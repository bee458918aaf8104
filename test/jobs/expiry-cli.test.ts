import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeDatabase } from '../../src/db/open';
import { DATABASE_URL, deviceRow, makeTenant, pairDevice, REDIS_URL, suite, tempDir } from '../helpers';
import { dashboardSocket } from '../socket-helpers';

const run = promisify(execFile);

describe('npm run job:expiry: the scan once, on demand', function () {
  this.timeout(60_000);
  const dataDir = tempDir();
  const t = suite({ DATA_DIR: dataDir });

  it('flags the devices in the window, prints them, and with Redis tells the live dashboards', async () => {
    const m = await makeTenant(t, 1);
    const d = await pairDevice(t, m);
    const dash = dashboardSocket(t.url, m.merchantToken);
    await dash.connected();
    const env = {
      ...process.env,
      DATA_DIR: dataDir,
      DATABASE_URL: DATABASE_URL ?? '',
      REDIS_URL: REDIS_URL ?? '',
      EXPIRY_WARNING_DAYS: '400',
      LOG_LEVEL: 'warn',
    };
    try {
      const first = await run('node_modules/.bin/tsx', ['src/cli/expiry-scan.ts'], { env });
      const [database, flaggedLine] = first.stdout.split('\n');
      expect(database).to.equal(`Database: ${describeDatabase(t.hub.ctx.config)}`);
      expect(flaggedLine).to.match(/^Flagged \d+ device\(s\) expiring within 400 days: /);
      const ids = /: ([\d, ]+)\./.exec(first.stdout)![1].split(', ').map(Number);
      expect(ids).to.include(d.id);
      expect((await deviceRow(t, d.id)).expiryWarnedAt).to.be.instanceOf(Date);
      if (REDIS_URL)
        expect(
          (await dash.next('device:expiring', (p) => p.device.id === d.id, 3000)).payload.device.expiring_soon,
        ).to.equal(true);
      const second = await run('node_modules/.bin/tsx', ['src/cli/expiry-scan.ts'], { env });
      const [, secondFlagged] = second.stdout.split('\n');
      expect(secondFlagged)
        .to.match(/^Flagged \d+ device/)
        .and.not.match(new RegExp(`\\b${d.id}\\b`));
    } finally {
      dash.close();
    }
  });
});
