import { expect } from 'chai';
import { bearer, PASSWORD, suite, uniq, upsertAdmin } from '../helpers';

describe('a password reset ends the sessions before it', () => {
  const t = suite();

  it('a user token issued before the password changed is refused; one from a login after it works', async () => {
    const email = `${uniq('reset-')}@example.com`;
    await upsertAdmin(t, email, PASSWORD);
    const before = (await t.http.post('/api/v1/auth/login').send({ email, password: PASSWORD }).expect(200)).body.token;
    await t.http.get('/api/v1/auth/me').set(bearer(before)).expect(200);

    const fresh = 'a brand new passphrase 2026';
    await upsertAdmin(t, email, fresh); // what `npm run admin:create -- --email …` does

    const refused = await t.http.get('/api/v1/auth/me').set(bearer(before)).expect(401);
    expect(refused.body.error.code).to.equal('INVALID_TOKEN');
    await t.http.post('/api/v1/auth/login').send({ email, password: PASSWORD }).expect(401);
    const after = (await t.http.post('/api/v1/auth/login').send({ email, password: fresh }).expect(200)).body.token;
    expect((await t.http.get('/api/v1/auth/me').set(bearer(after)).expect(200)).body.user.email).to.equal(email);
  });
});
