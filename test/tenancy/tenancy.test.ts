import { expect } from 'chai';
import { bearer, createTenantThroughApi, makeStaff, makeTenant, PASSWORD, suite, uniq } from '../helpers';

describe('tenancy: login, admin endpoints, merchant scoping', () => {
  const t = suite();
  let admin: string;
  before(() => {
    admin = t.admin.token;
  });

  it('an admin creates a merchant, a store and a merchant user, who logs in and lists only its stores', async () => {
    const a = await createTenantThroughApi(t, admin, 2);
    const b = await createTenantThroughApi(t, admin, 1);
    const res = await t.http.get('/api/v1/merchants/stores').set(bearer(a.merchantToken)).expect(200);
    expect(res.body.items.map((s: { id: number }) => s.id)).to.deep.equal(a.stores.map((s) => s.id));
    expect(res.body.items.map((s: { merchant_id: number }) => s.merchant_id)).to.deep.equal([
      a.merchantId,
      a.merchantId,
    ]);
    const other = await t.http.get('/api/v1/merchants/stores').set(bearer(b.merchantToken)).expect(200);
    expect(other.body.items).to.have.length(1);
    expect(other.body.items[0].id).to.equal(b.stores[0].id);
  });

  it('login answers a token and the user; /auth/me returns the same user', async () => {
    const email = `${uniq('m-')}@Example.com`;
    const tenant = await makeTenant(t, 1);
    await t.http
      .post(`/api/v1/admin/merchants/${tenant.merchantId}/users`)
      .set(bearer(admin))
      .send({ email, password: PASSWORD, role: 'merchant' })
      .expect(201);
    const login = await t.http
      .post('/api/v1/auth/login')
      .send({ email: email.toUpperCase(), password: PASSWORD })
      .expect(200);
    expect(login.headers['cache-control']).to.equal('no-store');
    expect(login.body.user).to.include({
      email: email.toLowerCase(),
      role: 'merchant',
      merchant_id: tenant.merchantId,
    });
    const me = await t.http.get('/api/v1/auth/me').set(bearer(login.body.token)).expect(200);
    expect(me.body.user).to.deep.equal(login.body.user);
  });

  it('an unknown email and a wrong password get the same INVALID_CREDENTIALS answer', async () => {
    const tenant = await makeTenant(t, 1);
    const unknown = await t.http
      .post('/api/v1/auth/login')
      .send({ email: 'nobody@example.com', password: 'whatever-password' })
      .expect(401);
    expect(unknown.body.error.code).to.equal('INVALID_CREDENTIALS');
    await t.http.post('/api/v1/auth/login').send({ email: tenant.merchant.email, password: PASSWORD }).expect(200);
    const wrong = await t.http
      .post('/api/v1/auth/login')
      .send({ email: tenant.merchant.email, password: 'wrong-password!' })
      .expect(401);
    expect(wrong.body).to.deep.equal(unknown.body);
  });

  it('store staff see their assigned stores only, and cannot use admin or device routes', async () => {
    const tenant = await makeTenant(t, 3);
    const staff = (await makeStaff(t, tenant, [tenant.stores[1].id])).token;
    const res = await t.http.get('/api/v1/merchants/stores').set(bearer(staff)).expect(200);
    expect(res.body.items.map((s: { id: number }) => s.id)).to.deep.equal([tenant.stores[1].id]);
    expect((await t.http.get('/api/v1/admin/merchants').set(bearer(staff)).expect(403)).body.error.code).to.equal(
      'FORBIDDEN',
    );
    expect(
      (await t.http.get('/api/v1/merchants/loyalty/devices').set(bearer(staff)).expect(403)).body.error.code,
    ).to.equal('FORBIDDEN');
  });

  it('merchant users cannot reach the admin endpoints', async () => {
    const tenant = await makeTenant(t, 1);
    const res = await t.http
      .post('/api/v1/admin/merchants')
      .set(bearer(tenant.merchantToken))
      .send({ name: 'Sneaky' })
      .expect(403);
    expect(res.body.error.code).to.equal('FORBIDDEN');
    const names = (await t.http.get('/api/v1/admin/merchants?limit=500').set(bearer(admin)).expect(200)).body.items.map(
      (m: { name: string }) => m.name,
    );
    expect(names).to.not.include('Sneaky');
  });

  it('a duplicate store code or email is 409 CONFLICT and creates nothing', async () => {
    const tenant = await makeTenant(t, 1);
    const dup = await t.http
      .post(`/api/v1/admin/merchants/${tenant.merchantId}/stores`)
      .set(bearer(admin))
      .send({ name: 'Again', code: tenant.stores[0].code.toLowerCase() })
      .expect(409);
    expect(dup.body.error.code).to.equal('CONFLICT');
    const stores = await t.http
      .get(`/api/v1/admin/merchants/${tenant.merchantId}/stores`)
      .set(bearer(admin))
      .expect(200);
    expect(stores.body.items).to.have.length(1);
    const users = (
      await t.http.get(`/api/v1/admin/merchants/${tenant.merchantId}/users`).set(bearer(admin)).expect(200)
    ).body.items;
    const again = await t.http
      .post(`/api/v1/admin/merchants/${tenant.merchantId}/users`)
      .set(bearer(admin))
      .send({ email: users[0].email, password: PASSWORD, role: 'merchant' })
      .expect(409);
    expect(again.body.error.code).to.equal('CONFLICT');
    expect(
      (await t.http.get(`/api/v1/admin/merchants/${tenant.merchantId}/users`).set(bearer(admin)).expect(200)).body
        .total,
    ).to.equal(1);
  });

  it("a store_staff user cannot be assigned another merchant's store (404) and nothing is created", async () => {
    const a = await makeTenant(t, 1);
    const b = await makeTenant(t, 1);
    const email = `${uniq('s-')}@example.com`;
    const res = await t.http
      .post(`/api/v1/admin/merchants/${a.merchantId}/users`)
      .set(bearer(admin))
      .send({ email, password: PASSWORD, role: 'store_staff', store_ids: [b.stores[0].id] })
      .expect(404);
    expect(res.body.error.code).to.equal('NOT_FOUND');
    await t.http.post('/api/v1/auth/login').send({ email, password: PASSWORD }).expect(401);
  });

  it('bad input is 400 VALIDATION_ERROR naming each bad field', async () => {
    const tenant = await makeTenant(t, 1);
    const res = await t.http
      .post(`/api/v1/admin/merchants/${tenant.merchantId}/users`)
      .set(bearer(admin))
      .send({ email: 'not-an-email', password: 'short', role: 'store_staff' })
      .expect(400);
    expect(res.body.error.code).to.equal('VALIDATION_ERROR');
    expect(res.body.error.details.fields).to.have.keys('email', 'password', 'store_ids');
    const store = await t.http
      .post(`/api/v1/admin/merchants/${tenant.merchantId}/stores`)
      .set(bearer(admin))
      .send({ name: '', code: 'has spaces' })
      .expect(400);
    expect(store.body.error.details.fields).to.have.keys('name', 'code');
    const unknownField = await t.http
      .post('/api/v1/admin/merchants')
      .set(bearer(admin))
      .send({ name: 'x', is_admin: true })
      .expect(400);
    expect(unknownField.body.error.code).to.equal('VALIDATION_ERROR');
  });

  it('an unknown merchant is 404 on every admin route', async () => {
    for (const path of [
      '/api/v1/admin/merchants/999999',
      '/api/v1/admin/merchants/999999/stores',
      '/api/v1/admin/merchants/999999/users',
    ]) {
      expect((await t.http.get(path).set(bearer(admin)).expect(404)).body.error.code).to.equal('NOT_FOUND');
    }
    const res = await t.http
      .post('/api/v1/admin/merchants/999999/stores')
      .set(bearer(admin))
      .send({ name: 'X', code: uniq('X-') })
      .expect(404);
    expect(res.body.error.code).to.equal('NOT_FOUND');
  });

  it('failed logins are rate limited with 429 RATE_LIMITED and Retry-After', async () => {
    const email = `${uniq('victim-')}@example.com`;
    for (let i = 0; i < 10; i++)
      await t.http.post('/api/v1/auth/login').send({ email, password: 'wrong-password' }).expect(401);
    const res = await t.http.post('/api/v1/auth/login').send({ email, password: 'wrong-password' }).expect(429);
    expect(res.body.error.code).to.equal('RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).to.be.greaterThan(0);
  });
});
