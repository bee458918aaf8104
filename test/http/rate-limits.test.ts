import { expect } from 'chai';
import {
  adminToken,
  bearer,
  createTenant,
  PASSWORD,
  pairDevice,
  REDIS_URL,
  startHub,
  type TestHub,
  testKey,
  uniq,
} from '../helpers';

const DEVICES = '/api/v1/merchants/loyalty/devices';

describe('rate limits: logins and pairings', () => {
  it('failed logins are limited per address too: rotating emails does not help', async function () {
    this.timeout(120_000);
    // Behind a proxy, so that the attacker's address is its own (with Redis, limits outlive this server).
    const t = await startHub({ TRUST_PROXY: 'loopback' });
    const from = { 'X-Forwarded-For': `198.51.100.${1 + Math.floor(Math.random() * 250)}` };
    try {
      const admin = (await adminToken(t)).token;
      const tenant = await createTenant(t, admin, 1);
      const email = (await t.http.get('/api/v1/auth/me').set(bearer(tenant.merchantToken))).body.user.email;
      for (let i = 0; i < 50; i++)
        await t.http
          .post('/api/v1/auth/login')
          .set(from)
          .send({ email: `${uniq('nobody-')}@example.com`, password: 'wrong password' })
          .expect(401);
      // Even the right password of a real account is refused from this address now; other addresses log in.
      const res = await t.http.post('/api/v1/auth/login').set(from).send({ email, password: PASSWORD }).expect(429);
      await t.http.post('/api/v1/auth/login').send({ email, password: PASSWORD }).expect(200);
      expect(res.body.error.code).to.equal('RATE_LIMITED');
      expect(Number(res.headers['retry-after'])).to.be.greaterThan(0);
    } finally {
      await t.close();
    }
  });

  it('pairings and reissues are limited per user (PAIRINGS_PER_MINUTE) and per merchant (four times that)', async () => {
    const t = await startHub({ PAIRINGS_PER_MINUTE: '2' });
    try {
      const admin = (await adminToken(t)).token;
      const tenant = await createTenant(t, admin, 1);
      const first = await pairDevice(t, tenant);
      await t.http.post(`${DEVICES}/${first.id}/reissue`).set(bearer(tenant.merchantToken)).expect(200);
      const refused = await t.http
        .post(DEVICES)
        .set(bearer(tenant.merchantToken))
        .send({ store_id: tenant.stores[0].id, label: 'Third' })
        .expect(429);
      expect(refused.body.error.code).to.equal('RATE_LIMITED');
      expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
      const list = await t.http.get(DEVICES).set(bearer(tenant.merchantToken)).expect(200);
      expect(list.body.total).to.equal(1); // the refused pairing created nothing
      // Another user of another merchant is not affected.
      const other = await createTenant(t, admin, 1);
      await pairDevice(t, other);
    } finally {
      await t.close();
    }
  });

  (REDIS_URL ? it : it.skip)('with Redis the limits hold across nodes', async () => {
    const shared = { PAIRINGS_PER_MINUTE: '2', JWT_KEYS: testKey('k1') };
    const a = await startHub(shared);
    const b: TestHub = await startHub(shared);
    try {
      const tenant = await createTenant(a, (await adminToken(a)).token, 1);
      await pairDevice(a, tenant);
      await pairDevice(b, tenant);
      const third = await a.http
        .post(DEVICES)
        .set(bearer(tenant.merchantToken))
        .send({ store_id: tenant.stores[0].id, label: 'Third' })
        .expect(429);
      expect(third.body.error.code).to.equal('RATE_LIMITED');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
