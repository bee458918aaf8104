import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { RunCoordinator } from 'node-cron';

/**
 * node-cron's run coordinator over Redis: exactly one node runs each scheduled slot. node-cron names the slot
 * (`expiry-scan:2026-11-24T10:00:00.000Z`); the first node to `SET key <owner> NX PX lease` runs it, the others
 * skip. The slot key is not deleted when the run ends (a node whose timer fires a little later must still find it
 * taken); it expires with its lease. `release` deletes a key only if this owner holds it (compare-and-delete in Lua).
 */
export class RedisRunCoordinator implements RunCoordinator {
  readonly owner = `${process.pid}-${randomBytes(6).toString('hex')}`;
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'th:cron:',
  ) {}

  async shouldRun(key: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.prefix + key, this.owner, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async release(key: string): Promise<boolean> {
    const script = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
    return (await this.redis.eval(script, 1, this.prefix + key, this.owner)) === 1;
  }
}
