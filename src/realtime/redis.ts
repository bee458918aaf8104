import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../logger';

/** Every key this server writes to Redis starts with this. */
export const REDIS_PREFIX = 'th:';

/** The three connections a node keeps: commands (presence, heartbeats) and the adapter's publisher and subscriber. */
export interface RedisConnections {
  cmd: Redis;
  pub: Redis;
  sub: Redis;
  quit(): Promise<void>;
}

export function openRedis(url: string, logger: Logger): RedisConnections {
  // A command fails after a few reconnect attempts instead of waiting forever, so start-up and /readyz report it;
  // one that a hung Redis never answers fails after commandTimeout (presence then answers for this node alone).
  const cmd = new Redis(url, { maxRetriesPerRequest: 2, connectTimeout: 5000, commandTimeout: 2000 });
  const pub = cmd.duplicate({ maxRetriesPerRequest: null, commandTimeout: undefined });
  const sub = cmd.duplicate({ maxRetriesPerRequest: null, commandTimeout: undefined });
  for (const [name, conn] of Object.entries({ cmd, pub, sub })) {
    // ioredis reconnects by itself; log the cause once per error, never the URL (it may carry a password).
    conn.on('error', (err: Error) => logger.warn({ redis: name, err: err.message }, 'redis connection error'));
  }
  return {
    cmd,
    pub,
    sub,
    async quit() {
      await Promise.all([cmd, pub, sub].map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

/** A Lua script run by its SHA1 (EVALSHA), loaded on first use or after a Redis restart (NOSCRIPT). */
export class LuaScript {
  private readonly sha: string;
  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run<T>(redis: Redis, keys: string[], args: (string | number)[]): Promise<T> {
    try {
      return (await redis.evalsha(this.sha, keys.length, ...keys, ...args)) as T;
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return (await redis.eval(this.lua, keys.length, ...keys, ...args)) as T;
    }
  }
}
