import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { SignJWT } from 'jose';
import { type DEVICE_TOKEN, USER_TOKEN } from '../../src/auth/tokens';
import { adminToken, bearer, createTenant, pairDevice, startHub, type Tenant, type TestHub, tempDir } from '../helpers';
import { refusal, TestSocket } from '../socket-helpers';

const DEVICES = '/api/v1/merchants/loyalty/devices';

describe('hostile input: a clear 400 or 401, never a 500, nothing changed', () => {
  let t: TestHub;
  let admin: string;
  let tenant: Tenant;
  let dataDir: string;
  before(async () => {
    dataDir = tempDir();
    t = await startHub({ DATA_DIR: dataDir });
    admin = (await adminToken(t)).token;
    tenant = await createTenant(t, admin, 1);
  });
  after(() => t.close());

  const deviceCount = async () =>
    (await t.http.get(DEVICES).set(bearer(tenant.merchantToken)).expect(200)).body.total as number;
  const fieldError = (res: { body: any }) => {
    expect(res.body.error.code).to.equal('VALIDATION_ERROR');
    return res.body.error.details.fields as Record<string, string>;
  };

  describe('bodies the server cannot read', () => {
    const login = () => t.http.post('/api/v1/auth/login').set('Content-Type', 'application/json');

    it('a "gzip" or "br" body that is not compressed is 400, as is a charset it cannot decode', async () => {
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const res = await login().set('Content-Encoding', encoding).send('{"email":"a@b.c"}').expect(400);
        expect(fieldError(res).body).to.match(/decoded/);
      }
      const latin = await t.http
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json; charset=x-unknown')
        .send('{}')
        .expect(400);
      expect(fieldError(latin)).to.have.key('body');
      // Real gzip is read (and then judged on its content).
      const zipped = gzipSync(JSON.stringify({ email: 'nobody@example.com', password: 'whatever-it-is' }));
      const read = await fetch(`${t.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
        body: zipped,
      });
      expect(read.status).to.equal(401);
      expect((await read.json()).error.code).to.equal('INVALID_CREDENTIALS');
    });

    it('a body that is not JSON is 400 and creates nothing', async () => {
      const before = await deviceCount();
      const res = await t.http
        .post(DEVICES)
        .set(bearer(tenant.merchantToken))
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ store_id: tenant.stores[0].id, label: 'Till' }))
        .expect(400);
      expect(fieldError(res).body).to.match(/JSON/);
      expect(await deviceCount()).to.equal(before);
    });

    it('nothing is parsed before the caller is known: a garbage body without a token is 401', async () => {
      const res = await t.http
        .post(DEVICES)
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .send('not gzip at all')
        .expect(401);
      expect(res.body.error.code).to.equal('UNAUTHENTICATED');
    });
  });

  describe('text fields: one shared rule', () => {
    const pair = (label: string) =>
      t.http.post(DEVICES).set(bearer(tenant.merchantToken)).send({ store_id: tenant.stores[0].id, label });

    it('refuses NUL, ESC, CR/LF, TAB, bidi overrides and lone surrogates in a label, and pairs nothing', async () => {
      const before = await deviceCount();
      for (const label of ['Till\u0000', 'Till\u001b[31m', 'Till\r\nX', 'a\tb', 'Till \u202Egnp.exe', 'Till \uD800']) {
        expect(fieldError(await pair(label).expect(400))).to.have.key('label');
      }
      expect(await deviceCount()).to.equal(before);
    });

    it('treats a zero-width-only label as blank, and stores text normalised to NFC', async () => {
      expect(fieldError(await pair('\u200B\u200D\uFEFF').expect(400))).to.have.key('label');
      const res = await pair('  Cafe\u0301 till \u{1F600} ').expect(201);
      expect(res.body.device.label).to.equal('Caf\u00e9 till \u{1F600}');
    });

    it('applies to reasons, names, reward labels and customer names too', async () => {
      const device = await pairDevice(t, tenant);
      const revoke = await t.http
        .post(`${DEVICES}/${device.id}/revoke`)
        .set(bearer(tenant.merchantToken))
        .send({ reason: 'lost\u0007' })
        .expect(400);
      expect(fieldError(revoke)).to.have.key('reason');
      const merchant = await t.http.post('/api/v1/admin/merchants').set(bearer(admin)).send({ name: '\u202E' });
      expect(merchant.status).to.equal(400);
      expect(fieldError(merchant)).to.have.key('name');
      const program = await t.http
        .put('/api/v1/merchants/loyalty/program')
        .set(bearer(tenant.merchantToken))
        .send({ stamps_required: 5, reward_label: 'Free\ncoffee' })
        .expect(400);
      expect(fieldError(program)).to.have.key('reward_label');
      const card = await t.http
        .post('/api/v1/store/loyalty/cards')
        .set(bearer(device.token))
        .send({ customer_name: 'Ann\u0000' })
        .expect(400);
      expect(fieldError(card)).to.have.key('customer_name');
    });
  });

  describe('codes are checked as typed, then upper-cased', () => {
    it('refuses store codes that only become ASCII when upper-cased (ſtore, dıner, ﬀ-shop)', async () => {
      for (const code of ['\u017Ftore', 'd\u0131ner', '\uFB00-shop']) {
        const res = await t.http
          .post(`/api/v1/admin/merchants/${tenant.merchantId}/stores`)
          .set(bearer(admin))
          .send({ name: 'Trick', code })
          .expect(400);
        expect(fieldError(res)).to.have.key('code');
      }
      const ok = await t.http
        .post(`/api/v1/admin/merchants/${tenant.merchantId}/stores`)
        .set(bearer(admin))
        .send({ name: 'Fine', code: ` lux-${Date.now().toString(36)} ` })
        .expect(201);
      expect(ok.body.store.code).to.match(/^LUX-[0-9A-Z]+$/);
    });

    it('an X-Store-Code or card number that is not ASCII is 400, never another store or card', async () => {
      const header = await t.http
        .get('/api/v1/store/loyalty/session')
        .set(bearer(tenant.merchantToken))
        .set('X-Store-Code', encodeURIComponent('\u017F'))
        .expect(400);
      expect(fieldError(header)).to.have.key('X-Store-Code');
      const device = await pairDevice(t, tenant);
      const card = await t.http
        .get(`/api/v1/store/loyalty/cards/${encodeURIComponent('\u017Fcard-1')}`)
        .set(bearer(device.token))
        .expect(400);
      expect(fieldError(card)).to.have.key('card_number');
    });
  });

  describe('token claims', () => {
    const key = () => JSON.parse(fs.readFileSync(path.join(dataDir, 'jwt-keys.json'), 'utf8')).keys[0];
    const sign = (kind: typeof USER_TOKEN | typeof DEVICE_TOKEN, claims: { sub: string; iat?: number }) => {
      const k = key();
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ role: 'merchant' })
        .setProtectedHeader({ alg: 'HS256', typ: kind.typ, kid: k.kid })
        .setIssuer('terminal-hub')
        .setAudience(kind.audience)
        .setSubject(claims.sub)
        .setJti(crypto.randomUUID())
        .setIssuedAt(claims.iat ?? now)
        .setExpirationTime(now + 3600)
        .sign(Buffer.from(k.secret, 'base64url'));
    };
    const me = (token: string) => t.http.get('/api/v1/auth/me').set(bearer(token));

    it('refuses an iat more than a minute in the future; accepts a little skew', async () => {
      const sub = String(tenant.merchantUserId);
      const now = Math.floor(Date.now() / 1000);
      await me(await sign(USER_TOKEN, { sub, iat: now + 30 })).expect(200);
      const res = await me(await sign(USER_TOKEN, { sub, iat: now + 3600 })).expect(401);
      expect(res.body.error.code).to.equal('INVALID_TOKEN');
    });

    it('refuses a sub that is not a canonical decimal id ("0x2", "2.0", " 2", "+2")', async () => {
      const id = tenant.merchantUserId;
      await me(await sign(USER_TOKEN, { sub: String(id) })).expect(200);
      for (const sub of [`0x${id.toString(16)}`, `${id}.0`, ` ${id}`, `+${id}`, `0${id}`]) {
        expect((await me(await sign(USER_TOKEN, { sub })).expect(401)).body.error.code).to.equal('INVALID_TOKEN');
      }
    });
  });

  it('a socket with anything credential-like in its query string is refused, whatever the case', async () => {
    const device = await pairDevice(t, tenant);
    for (const query of [{ TOKEN: device.token }, { authorization: 'x' }, { Api_Key: 'x' }, { session_id: 'x' }]) {
      const s = new TestSocket(t.url, '/devices', { auth: { token: device.token }, query });
      expect((await refusal(s)).message).to.equal('UNAUTHENTICATED');
    }
    const fine = new TestSocket(t.url, '/devices', { auth: { token: device.token }, query: { lang: 'fr' } });
    await fine.connected();
    fine.close();
  });
});
