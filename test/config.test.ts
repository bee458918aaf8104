import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { ConfigError, loadConfig, parseDuration } from '../src/config';

describe('configuration: read once, validated, one clear line', () => {
  it('has the contract defaults', () => {
    const c = loadConfig({});
    expect(c).to.deep.include({
      port: 3000,
      publicUrl: 'http://localhost:3000',
      deviceTokenTtlMs: 365 * 86_400_000,
      userTokenTtlMs: 12 * 3_600_000,
      expiryScanCron: '0 * * * *',
      expiryWarningDays: 30,
      lastSeenFlushMs: 15000,
      presenceTtlMs: 30000,
    });
    expect(c.databaseUrl).to.equal(undefined);
    expect(c.redisUrl).to.equal(undefined);
    expect(loadConfig({ PORT: '8080' }).publicUrl).to.equal('http://localhost:8080');
  });

  it('parses durations and six-field cron expressions', () => {
    expect(parseDuration('90s')).to.equal(90_000);
    expect(parseDuration('40d')).to.equal(40 * 86_400_000);
    expect(parseDuration('12h')).to.equal(43_200_000);
    expect(parseDuration('soon')).to.equal(undefined);
    expect(loadConfig({ EXPIRY_SCAN_CRON: '* * * * * *' }).expiryScanCron).to.equal('* * * * * *');
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).to.equal(1);
  });

  for (const [name, value] of [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'postgres://x'],
    ['REDIS_URL', 'localhost:6379'],
    ['DEVICE_TOKEN_TTL', 'forever'],
    ['EXPIRY_SCAN_CRON', 'every hour'],
    ['EXPIRY_WARNING_DAYS', '-1'],
    ['JWT_KEYS', 'k1:tooshort'],
    ['BOOTSTRAP_ADMIN_EMAIL', 'not-an-email'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_FORMAT', 'fancy'],
  ]) {
    it(`a bad ${name} (${value}) is refused naming the variable`, () => {
      expect(() =>
        loadConfig({
          [name]: value,
          BOOTSTRAP_ADMIN_PASSWORD: name === 'BOOTSTRAP_ADMIN_EMAIL' ? 'long enough password' : undefined,
        }),
      ).to.throw(ConfigError, new RegExp(`^Invalid configuration: ${name} `));
    });
  }

  it('BOOTSTRAP_ADMIN_* go together; JWT_ACTIVE_KID must be one of JWT_KEYS', () => {
    expect(() => loadConfig({ BOOTSTRAP_ADMIN_EMAIL: 'a@example.com' })).to.throw(
      ConfigError,
      /BOOTSTRAP_ADMIN_PASSWORD/,
    );
    const key = `k1:${Buffer.alloc(32, 1).toString('base64url')}`;
    expect(() => loadConfig({ JWT_KEYS: key, JWT_ACTIVE_KID: 'k2' })).to.throw(ConfigError, /JWT_ACTIVE_KID/);
    expect(loadConfig({ JWT_KEYS: key }).jwtKeys).to.have.length(1);
  });

  it('BOOTSTRAP_ADMIN_PASSWORD follows the one password rule: 12 to 200 characters', () => {
    const bootstrap = (password: string) =>
      loadConfig({ BOOTSTRAP_ADMIN_EMAIL: 'a@example.com', BOOTSTRAP_ADMIN_PASSWORD: password });
    for (const bad of ['x'.repeat(11), 'x'.repeat(201)])
      expect(() => bootstrap(bad)).to.throw(
        ConfigError,
        'Invalid configuration: BOOTSTRAP_ADMIN_PASSWORD must be 12 to 200 characters (got "***")',
      );
    expect(bootstrap('x'.repeat(12)).bootstrapAdmin?.password).to.equal('x'.repeat(12));
    expect(bootstrap('x'.repeat(200)).bootstrapAdmin?.password).to.have.length(200);
  });

  it('LOG_FORMAT is json or pretty; unset, the logger decides by the terminal', () => {
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).to.equal('pretty');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).to.equal('json');
    expect(loadConfig({}).logFormat).to.equal(undefined);
  });

  it('never echoes a secret in the error', () => {
    try {
      loadConfig({ BOOTSTRAP_ADMIN_EMAIL: 'a@example.com', BOOTSTRAP_ADMIN_PASSWORD: 'short' });
      expect.fail('should throw');
    } catch (err) {
      expect((err as Error).message)
        .to.match(/BOOTSTRAP_ADMIN_PASSWORD/)
        .and.not.include('short"');
    }
  });

  it('the server refuses to start on bad configuration with one line on stderr and exit code 1', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: 'eighty', DATABASE_URL: '' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).to.equal(1);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/^Invalid configuration: PORT must be a whole number/);
  });
});
