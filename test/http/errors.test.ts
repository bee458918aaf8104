import { expect } from 'chai';
import { Writable } from 'node:stream';
import pino from 'pino';
import { negotiateLocale, translate } from '../../src/i18n';
import { createServer } from '../../src/server';
import {
  bearer,
  createTenantThroughApi,
  dataSource,
  listening,
  makeAdmin,
  pairDevice,
  PASSWORD,
  startHub,
  suite,
  testConfig,
} from '../helpers';

describe('errors: one shape, stable codes, negotiated language, nothing internal', () => {
  const t = suite({ BODY_LIMIT: '2kb' });
  let admin: string;
  before(() => {
    admin = t.admin.token;
  });

  it('a body that is not JSON is 400 MALFORMED_JSON', async () => {
    const res = await t.http
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"email": "a@b.c",')
      .expect(400);
    expect(res.body).to.deep.equal({
      error: { code: 'MALFORMED_JSON', message: 'The request body is not valid JSON.' },
    });
  });

  it('a body over the limit is 413 PAYLOAD_TOO_LARGE and creates nothing', async () => {
    const res = await t.http
      .post('/api/v1/admin/merchants')
      .set(bearer(admin))
      .send({ name: 'x'.repeat(5000) })
      .expect(413);
    expect(res.body.error.code).to.equal('PAYLOAD_TOO_LARGE');
    const names = (await t.http.get('/api/v1/admin/merchants?limit=500').set(bearer(admin)).expect(200)).body.items.map(
      (m: { name: string }) => m.name,
    );
    expect(names.some((n: string) => n.startsWith('xxxx'))).to.equal(false);
  });

  it('validation errors name each bad field; a missing body is named "body"', async () => {
    const res = await t.http.post('/api/v1/auth/login').send({ email: 42 }).expect(400);
    expect(res.body.error).to.include({ code: 'VALIDATION_ERROR', message: 'Some fields are not valid.' });
    expect(res.body.error.details.fields).to.have.keys('email', 'password');
    const none = await t.http.post('/api/v1/admin/merchants').set(bearer(admin)).expect(400);
    expect(none.body.error.details.fields).to.have.keys('body');
    const array = await t.http.post('/api/v1/admin/merchants').set(bearer(admin)).send([1, 2]).expect(400);
    expect(array.body.error.code).to.equal('VALIDATION_ERROR');
  });

  it('no credentials is 401 UNAUTHENTICATED; an unknown route is 404 NOT_FOUND', async () => {
    expect((await t.http.get('/api/v1/merchants/stores').expect(401)).body.error.code).to.equal('UNAUTHENTICATED');
    expect((await t.http.get('/nope').expect(404)).body.error.code).to.equal('NOT_FOUND');
    expect((await t.http.get('/api/v1/nope').set(bearer(admin)).expect(404)).body.error.code).to.equal('NOT_FOUND');
  });

  it('messages follow Accept-Language: fr-LU → French, de → German, lb → Luxembourgish with German then English fallback', async () => {
    const msg = async (lang: string) =>
      (await t.http.get('/api/v1/merchants/stores').set('Accept-Language', lang).expect(401)).body.error.message;
    expect(await msg('fr-LU,fr;q=0.9')).to.equal('Une authentification est requise.');
    expect(await msg('de-DE')).to.equal('Anmeldung erforderlich.');
    expect(await msg('lb')).to.equal('Eng Umeldung ass néideg.');
    expect(await msg('ja, en;q=0.1')).to.equal('Authentication is required.');
    expect(await msg('en;q=0.5, de;q=0.8')).to.equal('Anmeldung erforderlich.');
    expect(negotiateLocale('fr-LU,fr;q=0.9')).to.equal('fr');
    expect(negotiateLocale('pt-BR')).to.equal('en');
    expect(negotiateLocale('*')).to.equal('en');
    // lb leaves IDEMPOTENCY_KEY_REUSED untranslated (null): German is used.
    expect(translate('lb', 'errors.IDEMPOTENCY_KEY_REUSED')).to.equal(translate('de', 'errors.IDEMPOTENCY_KEY_REUSED'));
  });

  it('an unexpected failure is 500 INTERNAL with nothing internal in the body', async () => {
    const broken = await startHub();
    const token = (await makeAdmin(broken)).token;
    await dataSource(broken).destroy(); // the database goes away under the server
    try {
      const res = await broken.http
        .get('/api/v1/admin/merchants')
        .set(bearer(token))
        .set('Accept-Language', 'de')
        .expect(500);
      expect(res.body).to.deep.equal({ error: { code: 'INTERNAL', message: 'Bei uns ist ein Fehler aufgetreten.' } });
    } finally {
      await dataSource(broken).initialize();
      await broken.close();
    }
  });

  it('no token and no password ever reach the logs', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk, _enc, cb) => {
        lines.push(String(chunk));
        cb();
      },
    });
    const local = await listening(await createServer(testConfig(), { logger: pino({ level: 'trace' }, sink) }));
    try {
      // Through the API: the password travels in a user creation and a login.
      const m = await createTenantThroughApi(local, (await makeAdmin(local)).token, 1);
      const d = await pairDevice(local, m);
      await local.http.get(`/api/v1/store/loyalty/session?token=${d.token}`).set(bearer(d.token)).expect(200);
      await local.http.post('/api/v1/auth/login').send({ email: 'x@example.com', password: PASSWORD }).expect(401);
      await local.http
        .post(`/api/v1/merchants/loyalty/devices/${d.id}/revoke`)
        .set(bearer(m.merchantToken))
        .send({})
        .expect(200);
      await local.http.get('/api/v1/store/loyalty/session').set(bearer(d.token)).expect(401);
    } finally {
      await local.close();
    }
    const all = lines.join('');
    expect(lines.length).to.be.greaterThan(5);
    expect(all).to.include('/api/v1/store/loyalty/session');
    for (const secret of [PASSWORD, 'eyJ', 'Bearer']) expect(all).to.not.include(secret);
  });
});
