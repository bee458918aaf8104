import { expect } from 'chai';
import { bearer, makeTenant, pairDevice, suite } from '../helpers';

describe('a login flood waits in line or is turned away; tablets are served meanwhile', () => {
  // Behind a proxy: the flood comes from many addresses, so the per-address limit does not stop it.
  const t = suite({ TRUST_PROXY: 'loopback' });

  it('120 concurrent failed logins: 401 or 503 with Retry-After (none waits forever, none is a 500)', async function () {
    this.timeout(60_000);
    const tenant = await makeTenant(t);
    const device = await pairDevice(t, tenant);
    const flood = Array.from({ length: 120 }, (_, i) =>
      t.http
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', `10.9.${i >> 8}.${i & 255}`)
        .send({ email: `nobody-${i}@example.com`, password: 'not the password at all' }),
    );
    // While the flood is queued, a tablet's call is answered (its token check does not wait for the hashing).
    const session = await t.http.get('/api/v1/store/loyalty/session').set(bearer(device.token));
    expect(session.status).to.equal(200);
    const answers = await Promise.all(flood);
    const statuses = answers.map((r) => r.status);
    expect(
      statuses.every((s) => s === 401 || s === 503),
      statuses.join(','),
    ).to.equal(true);
    const refused = answers.filter((r) => r.status === 503);
    expect(refused.length, 'more logins than the queue holds are turned away').to.be.greaterThan(0);
    for (const r of refused) {
      expect(r.body.error.code).to.equal('SERVICE_UNAVAILABLE');
      expect(Number(r.headers['retry-after'])).to.be.greaterThan(0);
    }
    expect(statuses.filter((s) => s === 401).length, 'the queue is worked through').to.be.greaterThan(10);
  });
});
