import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { Keyring } from '../../src/auth/keyring';
import { DEVICE_TOKEN, USER_TOKEN } from '../../src/auth/tokens';
import { tempDir } from '../helpers';

describe('keyring: the key file is held to the same rules as JWT_KEYS', () => {
  const load = (keys: unknown) => {
    const dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, 'jwt-keys.json'), JSON.stringify({ keys }), { mode: 0o600 });
    return () => Keyring.load({ jwtKeys: undefined, jwtActiveKid: undefined, dataDir });
  };

  it('refuses a short secret, a missing kid or an empty list, naming the file', () => {
    const short = Buffer.alloc(16, 1).toString('base64url');
    const good = Buffer.alloc(32, 1).toString('base64url');
    expect(load([{ kid: 'k1', secret: short }])).to.throw(/jwt-keys\.json.*at least 32 bytes/);
    expect(load([{ secret: good }])).to.throw(/jwt-keys\.json/);
    expect(
      load([
        { kid: 'k1', secret: good },
        { kid: 'bad kid!', secret: good },
      ]),
    ).to.throw(/kid/);
    expect(load([])).to.throw(/holds no keys/);
  });

  it('loads a good file and signs with its first key', async () => {
    const keyring = load([{ kid: 'k2026', secret: Buffer.alloc(32, 2).toString('base64url') }])();
    expect(keyring.activeKid).to.equal('k2026');
  });
});

describe('keyring: a verified token is remembered for REST, and refused as soon as it would be refused', () => {
  const keyring = Keyring.load({
    jwtKeys: [{ kid: 'k1', secret: Buffer.alloc(32, 3) }],
    jwtActiveKid: undefined,
    dataDir: tempDir(),
  });
  const kind = DEVICE_TOKEN;
  const sign = (expiresAt: Date) => keyring.sign({}, { ...kind, subject: '1', jti: 'j1', expiresAt });

  it('a remembered token verifies again until its exp, then is refused as expired', async () => {
    const token = await sign(new Date(Date.now() + 1500));
    expect((await keyring.verify(token, kind, true)).jti).to.equal('j1');
    expect((await keyring.verify(token, kind, true)).sub).to.equal('1');
    await new Promise((r) => setTimeout(r, 2100));
    const err = await keyring.verify(token, kind, true).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.name).to.equal('JWTExpired');
  });

  it('a remembered token is still refused as another kind, and a changed byte is not it', async () => {
    const token = await sign(new Date(Date.now() + 60_000));
    await keyring.verify(token, kind, true);
    const refused = (t: string, k: { typ: string; audience: string }) =>
      keyring.verify(t, k, true).then(
        () => false,
        () => true,
      );
    expect(await refused(token, USER_TOKEN)).to.equal(true);
    expect(await refused(token, { ...kind, audience: USER_TOKEN.audience })).to.equal(true);
    const [h, p, sig] = token.split('.');
    expect(await refused(`${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`, kind)).to.equal(true);
    expect((await keyring.verify(token, kind, true)).jti).to.equal('j1');
  });
});

describe('keyring: the HS256 check refuses every altered token (property)', () => {
  const keyring = Keyring.load({
    jwtKeys: [{ kid: 'k1', secret: Buffer.alloc(32, 4) }],
    jwtActiveKid: undefined,
    dataDir: tempDir(),
  });
  it('any one character changed, added or removed anywhere in a genuine token is refused', async () => {
    const token = await keyring.sign(
      { store_code: 'S-1', merchant_id: 1 },
      { ...DEVICE_TOKEN, subject: '7', jti: 'j7', expiresAt: new Date(Date.now() + 3_600_000) },
    );
    expect((await keyring.verify(token, DEVICE_TOKEN)).sub).to.equal('7');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: token.length }),
        fc.constantFrom(...alphabet),
        fc.constantFrom('replace', 'insert', 'delete'),
        async (at, ch, how) => {
          const altered =
            how === 'replace'
              ? token.slice(0, at) + ch + token.slice(at + 1)
              : how === 'insert'
                ? token.slice(0, at) + ch + token.slice(at)
                : token.slice(0, at) + token.slice(at + 1);
          fc.pre(altered !== token);
          const refused = await keyring.verify(altered, DEVICE_TOKEN).then(
            () => false,
            () => true,
          );
          expect(refused, altered).to.equal(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
