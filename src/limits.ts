import type { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from './errors';
import { REDIS_PREFIX } from './realtime/redis';

/** How many per how long. */
export interface LimitRule {
  points: number;
  durationS: number;
}

const tooMany = (msBeforeNext: number) => {
  const retryAfter = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new AppError('RATE_LIMITED', { retry_after_seconds: retryAfter }, { 'Retry-After': String(retryAfter) });
};

/**
 * A count per key over a window. With Redis it holds cluster-wide (one counter in Redis for every node); while
 * Redis does not answer, and without it, each process counts for itself.
 */
export class RateLimit {
  private readonly limiter: RateLimiterAbstract;
  private readonly local: RateLimiterMemory;

  constructor(name: string, rule: LimitRule, redis?: Redis) {
    const opts = { points: rule.points, duration: rule.durationS };
    this.local = new RateLimiterMemory({ ...opts, keyPrefix: name });
    this.limiter = redis
      ? new RateLimiterRedis({
          ...opts,
          storeClient: redis,
          keyPrefix: `${REDIS_PREFIX}limit:${name}`,
          rejectIfRedisNotReady: true,
          insuranceLimiter: this.local,
        })
      : this.local;
  }

  /** Counts one for the key; throws 429 RATE_LIMITED (with Retry-After) once the key is over its rule. */
  async take(key: string | number): Promise<void> {
    try {
      await this.limiter.consume(String(key));
    } catch (err) {
      if (err instanceof RateLimiterRes) throw tooMany(err.msBeforeNext);
      throw err;
    }
  }

  /** Throws 429 RATE_LIMITED if the key has used up its rule, without counting. */
  async check(key: string | number): Promise<void> {
    const res = await this.limiter.get(String(key)).catch(() => this.local.get(String(key)));
    if (res && res.consumedPoints >= this.limiter.points) throw tooMany(res.msBeforeNext);
  }
}

/** The limits of the REST API; see docs/security.md for the figures and why. */
export interface Limits {
  /** Failed logins per client address (rotating emails does not help an attacker). */
  loginPerAddress: RateLimit;
  /** Failed logins per client address and email. */
  loginPerAccount: RateLimit;
  /** Pairings and reissues (each signs a token and renders a QR) per user, and per merchant. */
  pairingPerUser: RateLimit;
  pairingPerMerchant: RateLimit;
  /** Token renewals per device (a tablet renews about once a year; a few retries are allowed). */
  renewalPerDevice: RateLimit;
}

export function createLimits(config: { pairingsPerMinute: number }, redis?: Redis): Limits {
  return {
    loginPerAddress: new RateLimit('login-address', { points: 50, durationS: 15 * 60 }, redis),
    loginPerAccount: new RateLimit('login-account', { points: 10, durationS: 15 * 60 }, redis),
    pairingPerUser: new RateLimit('pairing-user', { points: config.pairingsPerMinute, durationS: 60 }, redis),
    pairingPerMerchant: new RateLimit(
      'pairing-merchant',
      { points: config.pairingsPerMinute * 4, durationS: 60 },
      redis,
    ),
    renewalPerDevice: new RateLimit('renewal-device', { points: 5, durationS: 3600 }, redis),
  };
}
