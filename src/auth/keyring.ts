import { createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errors, SignJWT, type JWTPayload } from 'jose';
import type { Config } from '../config';

/** How far ahead of this node's clock a token's `iat` may be. */
const MAX_CLOCK_SKEW_S = 60;
/** Tokens whose signature and claims verified lately, kept to be recognised (the oldest goes first beyond this). */
const REMEMBERED_TOKENS = 10_000;

/** The only algorithm accepted; pinned so `alg: none` or an algorithm swap can never verify. */
export const JWT_ALG = 'HS256';
export const JWT_ISSUER = 'terminal-hub';

interface StoredKey {
  kid: string;
  secret: string;
}

/**
 * The signing keys, imported once. Tokens are signed with the active key and carry its `kid`;
 * any configured key verifies, so a rotation (add a new key, make it active, keep the old one listed) keeps
 * issued tokens valid. With no JWT_KEYS, a key is generated once into DATA_DIR/jwt-keys.json (mode 0600).
 */
export class Keyring {
  /** The same keys as WebCrypto keys, imported on first use, for jose to sign with. */
  private readonly cryptoKeys = new Map<string, Promise<CryptoKey>>();
  /**
   * Tokens verified with `remember` (REST calls), with what they were verified for and their claims: the same string
   * again needs neither the HMAC (a WebCrypto job on the thread pool) nor the parse, only its `exp` against the clock.
   * An HMAC is a function of the string, so an equal string is an equally genuine token; everything else (the device
   * or user row: revoked, renewed, password changed) is still read by the caller on every request.
   */
  private readonly remembered = new Map<string, { typ: string; audience: string; payload: JWTPayload }>();

  private constructor(
    private readonly keys: Map<string, KeyObject>,
    readonly activeKid: string,
  ) {}

  private cryptoKey(kid: string | undefined): Promise<CryptoKey> {
    const key = kid ? this.keys.get(kid) : undefined;
    if (!kid || !key) return Promise.reject(new Error('unknown kid'));
    let imported = this.cryptoKeys.get(kid);
    if (!imported) {
      imported = webcrypto.subtle.importKey('raw', key.export(), { name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
        'verify',
      ]);
      this.cryptoKeys.set(kid, imported);
    }
    return imported;
  }

  static load(config: Pick<Config, 'jwtKeys' | 'jwtActiveKid' | 'dataDir'>): Keyring {
    const list =
      config.jwtKeys ??
      readOrCreateKeyFile(config.dataDir).map((k) => ({ kid: k.kid, secret: Buffer.from(k.secret, 'base64url') }));
    const keys = new Map(list.map((k) => [k.kid, createSecretKey(k.secret)]));
    return new Keyring(keys, config.jwtActiveKid ?? list[0].kid);
  }

  async sign(
    claims: JWTPayload,
    opts: { typ: string; audience: string; subject: string; jti: string; expiresAt: Date },
  ): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: JWT_ALG, typ: opts.typ, kid: this.activeKid })
      .setIssuer(JWT_ISSUER)
      .setAudience(opts.audience)
      .setSubject(opts.subject)
      .setJti(opts.jti)
      .setIssuedAt()
      .setExpirationTime(Math.floor(opts.expiresAt.getTime() / 1000))
      .sign(await this.cryptoKey(this.activeKid));
  }

  /**
   * Signature, algorithm, typ, iss, aud, exp and required claims; an `iat` more than a minute ahead of this clock
   * is refused too (a token from the future was not issued by us, or a clock is badly off). Throws jose's errors
   * (`JWTExpired` with the payload for a genuine token past its `exp`). `remember`: keep the verified token (up to
   * REMEMBERED_TOKENS), so that its next verification is a lookup and a clock check.
   *
   * The HMAC is computed here, synchronously with node:crypto, rather than by jose: jose 6 verifies through
   * WebCrypto, a job on the thread pool that cost 83 µs a verify against 7 µs (measured); jose signs. The checks
   * are jose's `jwtVerify` options, stricter where they differ: `typ` must equal exactly, the signature must be the
   * canonical base64url of the HMAC, and a header with `crit` or `b64` is refused.
   */
  async verify(token: string, opts: { typ: string; audience: string }, remember = false): Promise<JWTPayload> {
    const known = this.remembered.get(token);
    if (known) {
      if (known.typ === opts.typ && known.audience === opts.audience && Number(known.payload.exp) > Date.now() / 1000)
        return known.payload;
      this.remembered.delete(token); // expired (or asked for as something else): verified afresh
    }
    const payload = this.check(token, opts);
    if (remember) {
      if (this.remembered.size >= REMEMBERED_TOKENS) this.remembered.delete(this.remembered.keys().next().value!);
      this.remembered.set(token, { typ: opts.typ, audience: opts.audience, payload: Object.freeze(payload) });
    }
    return payload;
  }

  private check(token: string, opts: { typ: string; audience: string }): JWTPayload {
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) throw new errors.JWSInvalid('not a JWS');
    const [h, p, signature] = parts;
    const header = json(h);
    if (header.alg !== JWT_ALG) throw new errors.JOSEAlgNotAllowed('alg not allowed');
    if ('crit' in header || 'b64' in header) throw new errors.JWSInvalid('unsupported header');
    const key = typeof header.kid === 'string' ? this.keys.get(header.kid) : undefined;
    if (!key) throw new errors.JWSInvalid('unknown kid');
    const expected = Buffer.from(createHmac('sha256', key).update(`${h}.${p}`).digest('base64url'));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new errors.JWSSignatureVerificationFailed();
    // Genuine from here on: the claims.
    if (header.typ !== opts.typ)
      throw new errors.JWTClaimValidationFailed('unexpected "typ"', {}, 'typ', 'check_failed');
    const payload = json(p) as JWTPayload;
    for (const claim of ['iss', 'aud', 'sub', 'exp', 'iat', 'jti'] as const)
      if (payload[claim] === undefined)
        throw new errors.JWTClaimValidationFailed(`missing "${claim}"`, payload, claim, 'missing');
    const fail = (claim: string) =>
      new errors.JWTClaimValidationFailed(`bad "${claim}"`, payload, claim, 'check_failed');
    if (payload.iss !== JWT_ISSUER) throw fail('iss');
    const aud = payload.aud;
    if (aud !== opts.audience && !(Array.isArray(aud) && aud.includes(opts.audience))) throw fail('aud');
    if (typeof payload.sub !== 'string') throw fail('sub');
    if (typeof payload.jti !== 'string') throw fail('jti');
    const { exp, iat, nbf } = payload;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw fail('exp');
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw fail('iat');
    const now = Math.floor(Date.now() / 1000);
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now)) throw fail('nbf');
    if (iat > now + MAX_CLOCK_SKEW_S) throw fail('iat'); // a token from the future
    if (exp <= now) throw new errors.JWTExpired('"exp" claim timestamp check failed', payload, 'exp', 'check_failed');
    return payload;
  }
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A JWS part's JSON object, or throws. */
function json(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new errors.JWSInvalid('not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new errors.JWSInvalid('not an object');
  return value as Record<string, unknown>;
}

function readOrCreateKeyFile(dataDir: string): StoredKey[] {
  const file = path.join(dataDir, 'jwt-keys.json');
  fs.mkdirSync(dataDir, { recursive: true });
  const key: StoredKey = {
    kid: `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`,
    secret: randomBytes(32).toString('base64url'),
  };
  // Written whole to a temporary file, then linked into place: link fails if the file exists, so two processes
  // starting on one DATA_DIR agree on the key (the second reads the first one's file), and nobody reads half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ keys: [key] }, null, 2)}\n`, { mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.unlinkSync(tmp);
  }
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { keys?: unknown };
  if (!Array.isArray(stored.keys) || stored.keys.length === 0) throw new Error(`${file} holds no keys`);
  // The same rules as JWT_KEYS: a short or malformed key in the file stops start-up rather than signing weakly.
  for (const k of stored.keys as Partial<StoredKey>[]) {
    const secret = Buffer.from(String(k?.secret ?? ''), 'base64url');
    if (typeof k?.kid !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(k.kid) || secret.length < 32)
      throw new Error(`${file}: every key needs a kid and a base64url secret of at least 32 bytes`);
  }
  return stored.keys as StoredKey[];
}
