import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeDatabase } from '../../src/db/open';
import { TerminalDevice } from '../../src/devices/entities';
import {
  adminToken,
  createTenant,
  DATABASE_URL,
  pairDevice,
  REDIS_URL,
  startHub,
  tempDir,
  type TestHub,
} from '../helpers';
import { dashboardSocket } from '../socket-helpers';

const run = promisify(execFile);

describe('npm run job:expiry: the scan once, on demand', function () {
  this.timeout(60_000);
  let t: TestHub;
  const dataDir = tempDir();
  before(async () => {
    t = await startHub({ DATA_DIR: dataDir });
  });
  after(() => t.close());

  it('flags the devices in the window, prints them, and with Redis tells the live dashboards', async () => {
    const m = await createTenant(t, (await adminToken(t)).token, 1);
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
      expect(
        (await t.hub.ctx.db.getRepository(TerminalDevice).findOneByOrFail({ id: d.id })).expiryWarnedAt,
      ).to.be.instanceOf(Date);
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
