import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Keyring } from '../../src/auth/keyring';
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
