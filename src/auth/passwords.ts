import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';
import { unavailable } from '../errors';
import { HASHING_THREADS } from '../threadpool';

/** The one password rule: the API, BOOTSTRAP_ADMIN_PASSWORD and `npm run admin:create` all check it. */
export const PASSWORD_RULE = { min: 12, max: 200 } as const;
export const PASSWORD_RULE_TEXT = `must be ${PASSWORD_RULE.min} to ${PASSWORD_RULE.max} characters`;
export const passwordSchema = z
  .string()
  .min(PASSWORD_RULE.min, PASSWORD_RULE_TEXT)
  .max(PASSWORD_RULE.max, PASSWORD_RULE_TEXT);

/**
 * At most `running` hashes at a time, and a short queue behind them; beyond it a hash is refused at once
 * (503 SERVICE_UNAVAILABLE, Retry-After): a login flood waits in line or is turned away, it never takes the thread
 * pool from token checks.
 */
class HashingGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    private readonly running: number,
    private readonly queue: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active < this.running) this.active++;
    else if (this.waiting.length >= this.queue) throw unavailable();
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // a finishing hash hands over its slot
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

const gate = new HashingGate(HASHING_THREADS, 64);

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  gate.run(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
      ),
  );

// scrypt, memory-hard: N=2^15, r=8, p=1 uses 32 MiB per hash (OWASP's minimum is 2^17 with r=8 … or 2^15 with more p;
// this is the interactive-login setting of the scrypt paper). Parameters are stored with each hash so they can be raised.
const PARAMS = { N: 1 << 15, r: 8, p: 1 };
const KEYLEN = 32;
const maxmem = 128 * PARAMS.N * PARAMS.r * 2;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, { ...PARAMS, maxmem });
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const N = Number(n);
  const key = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N,
    r: Number(r),
    p: Number(p),
    maxmem: 128 * N * Number(r) * 2,
  });
  return timingSafeEqual(key, expected);
}

/** A hash to verify against when the email is unknown, so both failures take the same time. */
let dummy: Promise<string> | undefined;
export const dummyHash = () => (dummy ??= hashPassword(randomBytes(16).toString('hex')));

/** 20 characters of base64url (120 bits): within PASSWORD_RULE. */
export const randomPassword = () => randomBytes(15).toString('base64url');
