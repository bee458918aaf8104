import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import type { PresenceReader } from '../devices/presence-reader';
import { LuaScript, REDIS_PREFIX } from './redis';

export interface PresenceListener {
  /** Devices of a dead node that now have no socket on any node (reason `node_lost`). */
  lost(deviceIds: number[]): void;
  /** Devices this node announces again after other nodes took it for dead (a long pause); they are online. */
  restored(deviceIds: number[]): void;
}

/**
 * Which devices have sockets, counted per node. `connected`/`disconnected` report the cluster-wide transitions
 * (first socket anywhere, last socket anywhere), so exactly one node announces each `device:online`/`device:offline`.
 */
export interface PresenceRegistry extends PresenceReader {
  connected(deviceId: number): Promise<boolean>;
  disconnected(deviceId: number): Promise<boolean>;
  start(listener: PresenceListener): Promise<void>;
  /** Takes this node out (shutdown): stops its timers and returns its devices that are now offline everywhere. */
  leave(): Promise<number[]>;
}

/** One process, no Redis: a count of sockets per device. */
export class LocalPresence implements PresenceRegistry {
  protected readonly sockets = new Map<number, number>();

  async onlineDeviceIds(deviceIds: number[]): Promise<Set<number>> {
    return new Set(deviceIds.filter((id) => this.sockets.has(id)));
  }
  async connected(deviceId: number): Promise<boolean> {
    return this.add(deviceId) === 1;
  }
  async disconnected(deviceId: number): Promise<boolean> {
    return this.remove(deviceId) === 0;
  }
  async start(_listener: PresenceListener): Promise<void> {}
  async leave(): Promise<number[]> {
    const ids = [...this.sockets.keys()];
    this.sockets.clear();
    return ids;
  }

  protected add(deviceId: number): number {
    const n = (this.sockets.get(deviceId) ?? 0) + 1;
    this.sockets.set(deviceId, n);
    return n;
  }
  protected remove(deviceId: number): number {
    const n = (this.sockets.get(deviceId) ?? 1) - 1;
    if (n > 0) this.sockets.set(deviceId, n);
    else this.sockets.delete(deviceId);
    return n;
  }
}

const P = `${REDIS_PREFIX}presence:`;
const KEYS = { nodes: `${P}nodes` };

/** Lua shared by the scripts: ARGV[1] is the key prefix; node hashes are `<prefix>node:<id>` (device id → sockets). */
const LUA_LIB = `
local P = ARGV[1]
local function onAnyNode(nodes, dev, skip)
  for _, n in ipairs(nodes) do
    if n ~= skip and redis.call('HEXISTS', P .. 'node:' .. n, dev) == 1 then return true end
  end
  return false
end
local function dropNode(n)
  local key = P .. 'node:' .. n
  local devs = redis.call('HKEYS', key)
  redis.call('DEL', key, P .. 'hb:' .. n)
  redis.call('SREM', KEYS[1], n)
  local nodes, out = redis.call('SMEMBERS', KEYS[1]), {}
  for _, d in ipairs(devs) do
    if not onAnyNode(nodes, d, nil) then out[#out + 1] = d end
  end
  return out
end
`;
const lua = (body: string) => new LuaScript(LUA_LIB + body);

const SCRIPTS = {
  /** ARGV: prefix, ids… → the ids online on some live node. */
  online: lua(`
local nodes, out = redis.call('SMEMBERS', KEYS[1]), {}
for i = 2, #ARGV do if onAnyNode(nodes, ARGV[i], nil) then out[#out + 1] = ARGV[i] end end
return out`),
  /** ARGV: prefix, node, device → 1 if the device had no socket on any node before. */
  connect: lua(`
local was = onAnyNode(redis.call('SMEMBERS', KEYS[1]), ARGV[3], nil)
redis.call('HINCRBY', P .. 'node:' .. ARGV[2], ARGV[3], 1)
if was then return 0 end
return 1`),
  /** ARGV: prefix, node, device → 1 if the device has no socket left on any node. */
  disconnect: lua(`
local key = P .. 'node:' .. ARGV[2]
if redis.call('HINCRBY', key, ARGV[3], -1) <= 0 then redis.call('HDEL', key, ARGV[3]) end
if onAnyNode(redis.call('SMEMBERS', KEYS[1]), ARGV[3], nil) then return 0 end
return 1`),
  /** ARGV: prefix, node, ttl ms → 1 if the node was not (or no longer) in the live set. */
  heartbeat: lua(`
redis.call('SET', P .. 'hb:' .. ARGV[2], '1', 'PX', ARGV[3])
redis.call('PEXPIRE', P .. 'node:' .. ARGV[2], ARGV[3] * 3)
return redis.call('SADD', KEYS[1], ARGV[2])`),
  /**
   * ARGV: prefix, this node → {nodes reaped, devices now offline}. Atomic: when two nodes reap at once, the second
   * finds nothing left to reap, so only one announces the devices.
   */
  reap: lua(`
local reaped, out = 0, {}
for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if n ~= ARGV[2] and redis.call('EXISTS', P .. 'hb:' .. n) == 0 then
    reaped = reaped + 1
    for _, d in ipairs(dropNode(n)) do out[#out + 1] = d end
  end
end
return {reaped, out}`),
  /** ARGV: prefix, node → devices of that node now offline everywhere. */
  leave: lua(`return dropNode(ARGV[2])`),
  /** ARGV: prefix, node, device, count, device, count… → the devices that were offline elsewhere. */
  restore: lua(`
local key = P .. 'node:' .. ARGV[2]
redis.call('DEL', key)
local nodes, out = redis.call('SMEMBERS', KEYS[1]), {}
for i = 3, #ARGV, 2 do
  if not onAnyNode(nodes, ARGV[i], ARGV[2]) then out[#out + 1] = ARGV[i] end
  redis.call('HSET', key, ARGV[i], ARGV[i + 1])
end
return out`),
};

/**
 * Cluster presence in Redis. Each node keeps a hash of its devices' socket counts and refreshes a heartbeat key
 * with a TTL; a node whose heartbeat key has expired is dead, and any live node reaps it (its devices go offline
 * with reason `node_lost`). Timings from PRESENCE_TTL_MS (T): heartbeat every T/6, heartbeat key lives 2T/3, the
 * reaper runs every T/6, so a dead node's devices go offline within about 5T/6 and a node survives a pause of ~T/2.
 */
export class RedisPresence extends LocalPresence {
  readonly nodeId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer: NodeJS.Timeout | undefined;
  private listener: PresenceListener | undefined;
  private ticking: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {
    super();
  }

  // While Redis does not answer, this node answers for itself: its own sockets are what it knows. When Redis comes
  // back (empty after a restart), the next heartbeat finds this node missing and writes its devices back.
  async onlineDeviceIds(deviceIds: number[]): Promise<Set<number>> {
    if (deviceIds.length === 0) return new Set();
    try {
      return new Set(ids(await SCRIPTS.online.run<string[]>(this.redis, [KEYS.nodes], [P, ...deviceIds])));
    } catch (err) {
      this.degraded(err);
      return super.onlineDeviceIds(deviceIds);
    }
  }

  async connected(deviceId: number): Promise<boolean> {
    const here = this.add(deviceId);
    try {
      return (await SCRIPTS.connect.run<number>(this.redis, [KEYS.nodes], [P, this.nodeId, deviceId])) === 1;
    } catch (err) {
      this.degraded(err);
      return here === 1;
    }
  }

  async disconnected(deviceId: number): Promise<boolean> {
    const here = this.remove(deviceId);
    try {
      return (await SCRIPTS.disconnect.run<number>(this.redis, [KEYS.nodes], [P, this.nodeId, deviceId])) === 1;
    } catch (err) {
      this.degraded(err);
      return here === 0;
    }
  }

  private lastWarning = 0;
  /** One warning per 10 s at most while Redis is away. */
  private degraded(err: unknown): void {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn({ err: (err as Error).message }, 'presence answers from this node alone: Redis does not answer');
  }

  /** Joins the live set (the first heartbeat must succeed: Redis down stops start-up), then beats and reaps. */
  async start(listener: PresenceListener): Promise<void> {
    this.listener = listener;
    await this.beat(true);
    const every = Math.max(100, Math.floor(this.ttlMs / 6));
    this.timer = setInterval(() => {
      this.ticking = this.ticking
        .then(() => this.tick())
        .catch((err: Error) => this.logger.warn({ err: err.message }, 'presence heartbeat failed'));
    }, every);
  }

  async leave(): Promise<number[]> {
    clearInterval(this.timer);
    await this.ticking;
    this.sockets.clear();
    return ids(await SCRIPTS.leave.run<string[]>(this.redis, [KEYS.nodes], [P, this.nodeId]));
  }

  private async tick(): Promise<void> {
    await this.beat(false);
    const [reaped, offline] = await SCRIPTS.reap.run<[number, string[]]>(this.redis, [KEYS.nodes], [P, this.nodeId]);
    if (reaped > 0) {
      this.logger.warn({ nodes: reaped, devices: offline.length }, 'reaped the presence of dead nodes');
      this.listener?.lost(ids(offline));
    }
  }

  /** A beat that finds this node missing from the live set (taken for dead) writes its devices back. */
  private async beat(first: boolean): Promise<void> {
    const added = await SCRIPTS.heartbeat.run<number>(
      this.redis,
      [KEYS.nodes],
      [P, this.nodeId, Math.floor((this.ttlMs * 2) / 3)],
    );
    if (first || added !== 1) return;
    const pairs = [...this.sockets].flat();
    const back = ids(await SCRIPTS.restore.run<string[]>(this.redis, [KEYS.nodes], [P, this.nodeId, ...pairs]));
    this.logger.warn({ devices: back.length }, 'this node was taken for dead; its presence is restored');
    if (back.length) this.listener?.restored(back);
  }
}

const ids = (values: string[]) => values.map(Number);
