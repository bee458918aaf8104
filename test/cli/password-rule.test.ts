import { expect } from 'chai';
import { PASSWORD_RULE } from '../../src/auth/passwords';
import { ConfigError, loadConfig } from '../../src/config';
import { adminToken, bearer, startHub, tempDir, uniq, type TestHub } from '../helpers';
import { runCommand } from './process';

const RULE = 'must be 12 to 200 characters';

describe('one password rule: 12 to 200 characters, for the API, the configuration and admin:create', function () {
  this.timeout(60_000);
  let t: TestHub;
  const dataDir = tempDir();
  before(async () => {
    t = await startHub({ DATA_DIR: dataDir });
  });
  after(() => t.close());

  it('is 12 to 200', () => {
    expect(PASSWORD_RULE).to.deep.equal({ min: 12, max: 200 });
  });

  it('the API refuses 11 and 201 characters naming the rule, and takes 12 and 200', async () => {
    const { token } = await adminToken(t);
    const m = await t.http
      .post('/api/v1/admin/merchants')
      .set(bearer(token))
      .send({ name: uniq('M ') })
      .expect(201);
    const create = (password: string) =>
      t.http
        .post(`/api/v1/admin/merchants/${m.body.merchant.id}/users`)
        .set(bearer(token))
        .send({ email: `${uniq('u-')}@example.com`, password, role: 'merchant' });
    for (const bad of ['x'.repeat(11), 'x'.repeat(201)]) {
      const res = await create(bad).expect(400);
      expect(res.body.error.details.fields.password).to.equal(RULE);
    }
    await create('x'.repeat(12)).expect(201);
    await create('x'.repeat(200)).expect(201);
  });

  it('BOOTSTRAP_ADMIN_PASSWORD: the same rule', () => {
    const env = { BOOTSTRAP_ADMIN_EMAIL: 'a@example.com' };
    expect(() => loadConfig({ ...env, BOOTSTRAP_ADMIN_PASSWORD: 'x'.repeat(11) })).to.throw(ConfigError, RULE);
    expect(loadConfig({ ...env, BOOTSTRAP_ADMIN_PASSWORD: 'x'.repeat(12) }).bootstrapAdmin).to.not.equal(undefined);
  });

  it('npm run admin:create --password: the same rule', () => {
    const env = { DATA_DIR: dataDir, DATABASE_URL: t.hub.ctx.config.databaseUrl ?? '', LOG_LEVEL: 'warn' };
    const email = `${uniq('ops-')}@example.com`;
    const short = runCommand('create-admin.ts', ['--email', email, '--password', 'x'.repeat(11)], env);
    expect(short.status).to.equal(1);
    expect(short.stderr).to.equal(`--password ${RULE}.\n`);
    const ok = runCommand('create-admin.ts', ['--email', email, '--password', 'x'.repeat(12)], env);
    expect(ok.status, ok.stderr).to.equal(0);
    expect(ok.stdout).to.include(`Created admin ${email}`);
  });
});
