import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { Keyring } from '../../src/auth/keyring';
import { DEVICE_TOKEN, USER_TOKEN } from '../../src/auth/tokens';
import {
  bearer,
  keyring,
  makeAdmin,
  makeTenant,
  pairDevice,
  sleep,
  startHub,
  suite,
  tempDir,
  testKey,
  type Tenant,
} from '../helpers';

const SESSION = '/api/v1/store/loyalty/session';
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const parts = (token: string) => token.split('.');
const header = (token: string) => JSON.parse(Buffer.from(parts(token)[0], 'base64url').toString());
const payload = (token: string) => JSON.parse(Buffer.from(parts(token)[1], 'base64url').toString());

describe('tokens: pinned algorithm, typ/aud/iss, kinds kept apart, expiry, key rotation', () => {
  const keysDir = tempDir();
  const t = suite({ DATA_DIR: keysDir });
  let tenant: Tenant;
  let device: { id: number; token: string };
  before(async () => {
    tenant = await makeTenant(t, 1);
    device = await pairDevice(t, tenant);
  });

  const refusedWith = async (token: string, code: string, path = SESSION) => {
    const res = await t.http.get(path).set(bearer(token)).expect(401);
    expect(res.body.error.code).to.equal(code);
  };

  it('a genuine device token works', async () => {
    await t.http.get(SESSION).set(bearer(device.token)).expect(200);
  });

  it('alg "none" is refused with INVALID_TOKEN', async () => {
    const none = `${b64({ ...header(device.token), alg: 'none' })}.${parts(device.token)[1]}.`;
    await refusedWith(none, 'INVALID_TOKEN');
  });

  it('a tampered payload is refused with INVALID_TOKEN', async () => {
    const [h, , s] = parts(device.token);
    const forged = `${h}.${b64({ ...payload(device.token), merchant_id: 999, store_code: 'OTHER' })}.${s}`;
    await refusedWith(forged, 'INVALID_TOKEN');
  });

  it('a token signed with another key (same kid) is refused with INVALID_TOKEN', async () => {
    const real = payload(device.token);
    const foreign = Keyring.load({
      jwtKeys: [{ kid: keyring(t).activeKid, secret: Buffer.alloc(32, 7) }],
      jwtActiveKid: undefined,
      dataDir: tempDir(),
    });
    const token = await foreign.sign(
      { store_code: real.store_code, merchant_id: real.merchant_id },
      { ...DEVICE_TOKEN, subject: real.sub, jti: real.jti, expiresAt: new Date(real.exp * 1000) },
    );
    await refusedWith(token, 'INVALID_TOKEN');
  });

  it('a wrong aud or typ, or a token of the other kind, is refused with INVALID_TOKEN', async () => {
    const real = payload(device.token);
    const sign = (typ: string, audience: string) =>
      keyring(t).sign(
        { store_code: real.store_code, merchant_id: real.merchant_id },
        { typ, audience, subject: real.sub, jti: real.jti, expiresAt: new Date(real.exp * 1000) },
      );
    await refusedWith(await sign(DEVICE_TOKEN.typ, USER_TOKEN.audience), 'INVALID_TOKEN');
    await refusedWith(await sign(DEVICE_TOKEN.typ, 'someone-else'), 'INVALID_TOKEN');
    await refusedWith(await sign('JWT', DEVICE_TOKEN.audience), 'INVALID_TOKEN');
    // A device token's claims under the user typ would name user `sub` = device id: refused (aud differs).
    await refusedWith(await sign(USER_TOKEN.typ, DEVICE_TOKEN.audience), 'INVALID_TOKEN', '/api/v1/auth/me');
    // Swapping the typ header of a real device token breaks its signature.
    const [, p, s] = parts(device.token);
    await refusedWith(
      `${b64({ ...header(device.token), typ: USER_TOKEN.typ })}.${p}.${s}`,
      'INVALID_TOKEN',
      '/api/v1/auth/me',
    );
  });

  it('a wrong iss is refused with INVALID_TOKEN', async () => {
    const stored = JSON.parse(fs.readFileSync(path.join(keysDir, 'jwt-keys.json'), 'utf8')).keys[0];
    const real = payload(device.token);
    const token = await new SignJWT({ store_code: real.store_code, merchant_id: real.merchant_id })
      .setProtectedHeader({ alg: 'HS256', typ: DEVICE_TOKEN.typ, kid: stored.kid })
      .setIssuer('https://evil.example.com')
      .setAudience(DEVICE_TOKEN.audience)
      .setSubject(real.sub)
      .setJti(real.jti)
      .setIssuedAt()
      .setExpirationTime(real.exp)
      .sign(Buffer.from(stored.secret, 'base64url'));
    await refusedWith(token, 'INVALID_TOKEN');
  });

  it('a user token cannot pass as a device token, nor a device token as a user token', async () => {
    const userAsDevice = await t.http.get(SESSION).set(bearer(tenant.merchantToken)).expect(400);
    expect(userAsDevice.body.error.details.fields).to.have.keys('X-Store-Code'); // treated as a user: must name a store
    expect((await t.http.get('/api/v1/auth/me').set(bearer(device.token)).expect(403)).body.error.code).to.equal(
      'FORBIDDEN',
    );
  });

  it('an unknown jti (a token for a row that does not exist) is INVALID_TOKEN; garbage too', async () => {
    const real = payload(device.token);
    const token = await keyring(t).sign(
      {},
      { ...DEVICE_TOKEN, subject: real.sub, jti: randomUUID(), expiresAt: new Date(real.exp * 1000) },
    );
    await refusedWith(token, 'INVALID_TOKEN');
    await refusedWith('not-a-jwt', 'INVALID_TOKEN');
    await refusedWith('a.b.c', 'INVALID_TOKEN');
    expect((await t.http.get(SESSION).set('Authorization', 'Basic abc').expect(401)).body.error.code).to.equal(
      'UNAUTHENTICATED',
    );
  });

  it('an expired device token gets TERMINAL_DEVICE_EXPIRED, a revoked one REVOKED even after expiry', async () => {
    const s = await startHub({ DEVICE_TOKEN_TTL: '2s' });
    try {
      const m = await makeTenant(s, 1);
      const d = await pairDevice(s, m);
      const r = await pairDevice(s, m);
      await s.http.get(SESSION).set(bearer(d.token)).expect(200);
      await s.http
        .post(`/api/v1/merchants/loyalty/devices/${r.id}/revoke`)
        .set(bearer(m.merchantToken))
        .send({})
        .expect(200);
      await sleep(2100);
      expect((await s.http.get(SESSION).set(bearer(d.token)).expect(401)).body.error.code).to.equal(
        'TERMINAL_DEVICE_EXPIRED',
      );
      expect((await s.http.get(SESSION).set(bearer(r.token)).expect(401)).body.error.code).to.equal(
        'TERMINAL_DEVICE_REVOKED',
      );
      const listed = await s.http
        .get(`/api/v1/merchants/loyalty/devices/${d.id}`)
        .set(bearer(m.merchantToken))
        .expect(200);
      expect(listed.body.device.status).to.equal('expired');
    } finally {
      await s.close();
    }
  });

  it('an expired user token gets TOKEN_EXPIRED', async () => {
    const s = await startHub({ USER_TOKEN_TTL: '1s' });
    try {
      const { token } = await makeAdmin(s);
      await s.http.get('/api/v1/admin/merchants').set(bearer(token)).expect(200);
      await sleep(2100);
      expect((await s.http.get('/api/v1/admin/merchants').set(bearer(token)).expect(401)).body.error.code).to.equal(
        'TOKEN_EXPIRED',
      );
    } finally {
      await s.close();
    }
  });

  it('the generated key is kept in DATA_DIR: tokens survive a restart', async () => {
    const dataDir = tempDir();
    const first = await startHub({ DATA_DIR: dataDir });
    const m = await makeTenant(first, 1);
    const d = await pairDevice(first, m);
    await first.close();
    const second = await startHub({ DATA_DIR: dataDir });
    try {
      await second.http.get(SESSION).set(bearer(d.token)).expect(200);
    } finally {
      await second.close();
    }
  });

  it('key rotation: tokens of the old key stay valid, new ones are signed with the new kid', async () => {
    const dataDir = tempDir();
    const first = await startHub({ DATA_DIR: dataDir, JWT_KEYS: testKey('old') });
    const m = await makeTenant(first, 1);
    const before = await pairDevice(first, m);
    expect(header(before.token).kid).to.equal('old');
    await first.close();

    const rotated = await startHub({
      DATA_DIR: dataDir,
      JWT_KEYS: `${testKey('new')},${testKey('old')}`,
      JWT_ACTIVE_KID: 'new',
    });
    try {
      await rotated.http.get(SESSION).set(bearer(before.token)).expect(200);
      await rotated.http.get('/api/v1/merchants/stores').set(bearer(m.merchantToken)).expect(200);
      const after = await pairDevice(rotated, m);
      expect(header(after.token).kid).to.equal('new');
      await rotated.http.get(SESSION).set(bearer(after.token)).expect(200);
    } finally {
      await rotated.close();
    }
    // Once the old key is dropped from the list, its tokens are refused.
    const dropped = await startHub({ DATA_DIR: dataDir, JWT_KEYS: testKey('new') });
    try {
      expect((await dropped.http.get(SESSION).set(bearer(before.token)).expect(401)).body.error.code).to.equal(
        'INVALID_TOKEN',
      );
    } finally {
      await dropped.close();
    }
  });
});
