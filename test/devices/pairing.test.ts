import { expect } from 'chai';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { bearer, dataSource, decodeQr, makeTenant, pairDevice, suite, type Actor, type Tenant } from '../helpers';

const BASE = '/api/v1/merchants/loyalty/devices';
const adminBase = (merchantId: number) => `/api/v1/admin/merchants/${merchantId}/loyalty/devices`;

describe('devices: the 5 (+1) endpoints on both portals', () => {
  const t = suite({ PUBLIC_URL: 'https://hub.example.com' });
  let admin: Actor;
  let a: Tenant;
  let b: Tenant;
  before(async () => {
    admin = t.admin;
    a = await makeTenant(t, 2);
    b = await makeTenant(t, 1);
  });

  it('pairs a device: 201, the Device, the token once, a QR that decodes to exactly the payload, no-store', async () => {
    const res = await t.http
      .post(BASE)
      .set(bearer(a.merchantToken))
      .send({ store_id: a.stores[0].id, label: '  Counter 1 ' })
      .expect(201);
    expect(res.headers['cache-control']).to.equal('no-store');
    const { device, pairing } = res.body;
    expect(device).to.include({
      merchant_id: a.merchantId,
      store_id: a.stores[0].id,
      store_code: a.stores[0].code,
      label: 'Counter 1',
      status: 'active',
      online: false,
      expiring_soon: false,
      created_by_id: a.merchantUserId,
      revoked_at: null,
      last_seen_at: null,
    });
    expect(device).to.not.have.any.keys('jti', 'auth_token', 'token');
    expect(new Date(device.expires_at).getTime() - Date.now()).to.be.closeTo(365 * 86_400_000, 60_000);
    expect(pairing.expires_at).to.equal(device.expires_at);
    expect(JSON.parse(pairing.qr.payload)).to.deep.equal({
      api_url: 'https://hub.example.com',
      store_code: a.stores[0].code,
      auth_token: pairing.auth_token,
    });
    expect(Object.keys(JSON.parse(pairing.qr.payload))).to.deep.equal(['api_url', 'store_code', 'auth_token']);
    expect(decodeQr(pairing.qr.png_base64)).to.equal(pairing.qr.payload);
    const claims = decodeJwt(pairing.auth_token);
    expect(claims).to.include({
      sub: String(device.id),
      store_code: a.stores[0].code,
      merchant_id: a.merchantId,
      iss: 'terminal-hub',
    });
    expect(claims.exp).to.equal(new Date(device.expires_at).getTime() / 1000);
    expect(decodeProtectedHeader(pairing.auth_token)).to.include({ alg: 'HS256', typ: 'th-device+jwt' });
  });

  it('never returns the token or the jti again', async () => {
    const d = await pairDevice(t, a, 0, 'Secret keeper');
    const jti = String(decodeJwt(d.token).jti);
    const texts = [
      (await t.http.get(BASE).set(bearer(a.merchantToken)).expect(200)).text,
      (await t.http.get(`${BASE}/${d.id}`).set(bearer(a.merchantToken)).expect(200)).text,
      (await t.http.patch(`${BASE}/${d.id}`).set(bearer(a.merchantToken)).send({ label: 'Renamed' }).expect(200)).text,
      (await t.http.get(adminBase(a.merchantId)).set(bearer(admin.token)).expect(200)).text,
      (await t.http.post(`${BASE}/${d.id}/revoke`).set(bearer(a.merchantToken)).send({}).expect(200)).text,
    ];
    for (const text of texts) {
      expect(text).to.not.include(d.token);
      expect(text).to.not.include(jti);
    }
    const row = await dataSource(t).query('SELECT * FROM loyalty_terminal_devices WHERE id = ?', [d.id]);
    expect(JSON.stringify(row)).to.not.include(d.token);
  });

  it('lists newest first, with store and status filters, total and paging', async () => {
    const m = await makeTenant(t, 2);
    const d1 = await pairDevice(t, m, 0, 'one');
    const d2 = await pairDevice(t, m, 1, 'two');
    const d3 = await pairDevice(t, m, 0, 'three');
    await t.http.post(`${BASE}/${d2.id}/revoke`).set(bearer(m.merchantToken)).send({ reason: 'lost' }).expect(200);
    const all = await t.http.get(BASE).set(bearer(m.merchantToken)).expect(200);
    expect(all.body.total).to.equal(3);
    expect(all.body.items.map((d: { id: number }) => d.id)).to.deep.equal([d3.id, d2.id, d1.id]);
    const store0 = await t.http.get(`${BASE}?store_id=${m.stores[0].id}`).set(bearer(m.merchantToken)).expect(200);
    expect(store0.body.items.map((d: { id: number }) => d.id)).to.deep.equal([d3.id, d1.id]);
    const revoked = await t.http.get(`${BASE}?status=revoked`).set(bearer(m.merchantToken)).expect(200);
    expect(revoked.body).to.deep.include({ total: 1 });
    expect(revoked.body.items[0]).to.include({ id: d2.id, status: 'revoked', revoked_reason: 'lost' });
    const active = await t.http
      .get(`${BASE}?status=active&store_id=${m.stores[0].id}`)
      .set(bearer(m.merchantToken))
      .expect(200);
    expect(active.body.total).to.equal(2);
    const page = await t.http.get(`${BASE}?limit=1&offset=1`).set(bearer(m.merchantToken)).expect(200);
    expect(page.body).to.deep.include({ total: 3 });
    expect(page.body.items.map((d: { id: number }) => d.id)).to.deep.equal([d2.id]);
    expect((await t.http.get(`${BASE}?status=expired`).set(bearer(m.merchantToken)).expect(200)).body.total).to.equal(
      0,
    );
    const bad = await t.http.get(`${BASE}?status=lost&store_id=abc`).set(bearer(m.merchantToken)).expect(400);
    expect(bad.body.error.details.fields).to.have.keys('status', 'store_id');
  });

  it('renames a device; a label of 0 or 101 characters is 400 VALIDATION_ERROR and changes nothing', async () => {
    const d = await pairDevice(t, a, 1, 'Before');
    const ok = await t.http.patch(`${BASE}/${d.id}`).set(bearer(a.merchantToken)).send({ label: 'After' }).expect(200);
    expect(ok.body.device).to.include({ id: d.id, label: 'After' });
    for (const label of ['', '   ', 'x'.repeat(101)]) {
      const res = await t.http.patch(`${BASE}/${d.id}`).set(bearer(a.merchantToken)).send({ label }).expect(400);
      expect(res.body.error.code).to.equal('VALIDATION_ERROR');
      expect(res.body.error.details.fields).to.have.keys('label');
    }
    expect((await t.http.get(`${BASE}/${d.id}`).set(bearer(a.merchantToken)).expect(200)).body.device.label).to.equal(
      'After',
    );
    expect(
      (
        await t.http
          .patch(`${BASE}/${d.id}`)
          .set(bearer(a.merchantToken))
          .send({ label: 'x'.repeat(100) })
          .expect(200)
      ).body.device.label,
    ).to.have.length(100);
  });

  it('pairing with a bad label or store creates nothing', async () => {
    const m = await makeTenant(t, 1);
    for (const body of [
      { store_id: m.stores[0].id, label: '' },
      { store_id: m.stores[0].id, label: 'y'.repeat(101) },
      { store_id: 'one', label: 'x' },
      { label: 'no store' },
      { store_id: m.stores[0].id, label: 'x', jti: 'mine' },
    ]) {
      const res = await t.http.post(BASE).set(bearer(m.merchantToken)).send(body).expect(400);
      expect(res.body.error.code).to.equal('VALIDATION_ERROR');
    }
    expect(
      (await t.http.post(BASE).set(bearer(m.merchantToken)).send({ store_id: 99_999_999, label: 'x' }).expect(404)).body
        .error.code,
    ).to.equal('NOT_FOUND');
    expect((await t.http.get(BASE).set(bearer(m.merchantToken)).expect(200)).body.total).to.equal(0);
  });

  it('revokes now: the token is refused on the very next request with TERMINAL_DEVICE_REVOKED', async () => {
    const d = await pairDevice(t, a, 0, 'To revoke');
    const session = await t.http.get('/api/v1/store/loyalty/session').set(bearer(d.token)).expect(200);
    expect(session.body.principal).to.deep.equal({ kind: 'device', id: d.id });
    const res = await t.http
      .post(`${BASE}/${d.id}/revoke`)
      .set(bearer(a.merchantToken))
      .send({ reason: 'stolen' })
      .expect(200);
    expect(res.body.device).to.include({
      status: 'revoked',
      revoked_reason: 'stolen',
      revoked_by_id: a.merchantUserId,
    });
    const refused = await t.http.get('/api/v1/store/loyalty/session').set(bearer(d.token)).expect(401);
    expect(refused.body.error.code).to.equal('TERMINAL_DEVICE_REVOKED');
  });

  it('revoke is idempotent: the first revoked_at, actor and reason stay', async () => {
    const d = await pairDevice(t, a, 0, 'Twice');
    const first = (
      await t.http.post(`${BASE}/${d.id}/revoke`).set(bearer(a.merchantToken)).send({ reason: 'first' }).expect(200)
    ).body.device;
    const second = (
      await t.http
        .post(`${adminBase(a.merchantId)}/${d.id}/revoke`)
        .set(bearer(admin.token))
        .send({ reason: 'second' })
        .expect(200)
    ).body.device;
    expect(second).to.deep.equal(first);
    expect(second).to.include({ revoked_reason: 'first', revoked_by_id: a.merchantUserId });
    const noBody = (await t.http.post(`${BASE}/${d.id}/revoke`).set(bearer(a.merchantToken)).expect(200)).body.device;
    expect(noBody.revoked_at).to.equal(first.revoked_at);
  });

  it("another merchant's device or store is 404 on every route, and nothing changes", async () => {
    const d = await pairDevice(t, a, 0, 'Mine');
    const other = bearer(b.merchantToken);
    for (const res of [
      await t.http.get(`${BASE}/${d.id}`).set(other),
      await t.http.patch(`${BASE}/${d.id}`).set(other).send({ label: 'Hijacked' }),
      await t.http.post(`${BASE}/${d.id}/revoke`).set(other).send({}),
      await t.http.post(`${BASE}/${d.id}/reissue`).set(other).send({}),
      await t.http.post(BASE).set(other).send({ store_id: a.stores[0].id, label: 'Into your store' }),
      await t.http.get(`${adminBase(b.merchantId)}/${d.id}`).set(bearer(admin.token)),
      await t.http
        .post(adminBase(b.merchantId))
        .set(bearer(admin.token))
        .send({ store_id: a.stores[0].id, label: 'cross' }),
    ]) {
      expect(res.status).to.equal(404);
      expect(res.body.error.code).to.equal('NOT_FOUND');
    }
    const mine = (await t.http.get(`${BASE}/${d.id}`).set(bearer(a.merchantToken)).expect(200)).body.device;
    expect(mine).to.include({ label: 'Mine', status: 'active' });
    expect((await t.http.get(`${BASE}?store_id=${a.stores[0].id}`).set(other).expect(200)).body.total).to.equal(0);
    expect(
      (
        await t.http
          .get(`${adminBase(99_999_999)}`)
          .set(bearer(admin.token))
          .expect(404)
      ).body.error.code,
    ).to.equal('NOT_FOUND');
  });

  it('admin on behalf: pairs, renames and revokes for the merchant, recording the admin as the actor', async () => {
    const m = await makeTenant(t, 1);
    const paired = await t.http
      .post(adminBase(m.merchantId))
      .set(bearer(admin.token))
      .send({ store_id: m.stores[0].id, label: 'By admin' })
      .expect(201);
    expect(paired.headers['cache-control']).to.equal('no-store');
    const id = paired.body.device.id;
    expect(paired.body.device).to.include({ merchant_id: m.merchantId, created_by_id: admin.id });
    await t.http
      .patch(`${adminBase(m.merchantId)}/${id}`)
      .set(bearer(admin.token))
      .send({ label: 'Renamed by admin' })
      .expect(200);
    const revoked = await t.http
      .post(`${adminBase(m.merchantId)}/${id}/revoke`)
      .set(bearer(admin.token))
      .send({ reason: 'support ticket' })
      .expect(200);
    expect(revoked.body.device).to.include({ revoked_by_id: admin.id, label: 'Renamed by admin', status: 'revoked' });
    const seenByMerchant = (await t.http.get(BASE).set(bearer(m.merchantToken)).expect(200)).body.items;
    expect(seenByMerchant).to.have.length(1);
    expect(seenByMerchant[0]).to.include({ id, created_by_id: admin.id, revoked_by_id: admin.id });
  });

  it('portal roles: merchants cannot use the admin base, admins cannot use the merchant base, devices neither', async () => {
    const d = await pairDevice(t, a, 0, 'Curious');
    expect(
      (await t.http.get(adminBase(a.merchantId)).set(bearer(a.merchantToken)).expect(403)).body.error.code,
    ).to.equal('FORBIDDEN');
    expect((await t.http.get(BASE).set(bearer(admin.token)).expect(403)).body.error.code).to.equal('FORBIDDEN');
    for (const path of [
      BASE,
      adminBase(a.merchantId),
      '/api/v1/admin/merchants',
      '/api/v1/merchants/stores',
      '/api/v1/auth/me',
    ]) {
      expect((await t.http.get(path).set(bearer(d.token)).expect(403)).body.error.code).to.equal('FORBIDDEN');
    }
    expect((await t.http.get(BASE).expect(401)).body.error.code).to.equal('UNAUTHENTICATED');
  });

  it('reissue: a new token for the same device; the old one is refused at once; one device in the list', async () => {
    const m = await makeTenant(t, 1);
    const d = await pairDevice(t, m, 0, 'Renew me');
    const res = await t.http.post(`${BASE}/${d.id}/reissue`).set(bearer(m.merchantToken)).expect(200);
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(res.body.device).to.include({ id: d.id, label: 'Renew me', status: 'active' });
    expect(res.body.pairing.auth_token).to.not.equal(d.token);
    expect(decodeQr(res.body.pairing.qr.png_base64)).to.equal(res.body.pairing.qr.payload);
    expect(
      (await t.http.get('/api/v1/store/loyalty/session').set(bearer(d.token)).expect(401)).body.error.code,
    ).to.equal('INVALID_TOKEN');
    await t.http.get('/api/v1/store/loyalty/session').set(bearer(res.body.pairing.auth_token)).expect(200);
    const list = (await t.http.get(BASE).set(bearer(m.merchantToken)).expect(200)).body;
    expect(list.total).to.equal(1);
    expect(list.items[0].id).to.equal(d.id);
    await t.http.post(`${BASE}/${d.id}/revoke`).set(bearer(m.merchantToken)).send({}).expect(200);
    expect(
      (await t.http.post(`${BASE}/${d.id}/reissue`).set(bearer(m.merchantToken)).expect(409)).body.error.code,
    ).to.equal('CONFLICT');
  });

  it('the store API knows the device and its store', async () => {
    const d = await pairDevice(t, a, 1, 'Till');
    const res = await t.http.get('/api/v1/store/loyalty/session').set(bearer(d.token)).expect(200);
    expect(res.body.principal).to.deep.equal({ kind: 'device', id: d.id });
    expect(res.body.store).to.deep.include({ id: a.stores[1].id, code: a.stores[1].code });
    expect(res.body.merchant).to.deep.include({ id: a.merchantId, name: a.merchantName });
    const elsewhere = await t.http
      .get('/api/v1/store/loyalty/session')
      .set(bearer(d.token))
      .set('X-Store-Code', a.stores[0].code)
      .expect(403);
    expect(elsewhere.body.error.code).to.equal('FORBIDDEN');
  });
});
