import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisRunCoordinator } from '../../src/jobs/lock';
import { REDIS_URL, uniq } from '../helpers';

describe('job lock: one owner per tick, released only by its owner (needs REDIS_URL)', () => {
  let redis: Redis;
  before(function () {
    if (!REDIS_URL) this.skip();
    redis = new Redis(REDIS_URL!);
  });
  after(() => redis?.quit());

  it('the first node takes a tick; another can neither take it nor release it; the owner can', async () => {
    const a = new RedisRunCoordinator(redis);
    const b = new RedisRunCoordinator(redis);
    const tick = `test:${uniq()}`;
    expect(await a.shouldRun(tick, 60_000)).to.equal(true);
    expect(await b.shouldRun(tick, 60_000)).to.equal(false);
    expect(await b.release(tick)).to.equal(false);
    expect(await redis.get(`th:cron:${tick}`)).to.equal(a.owner);
    expect(await a.release(tick)).to.equal(true);
    expect(await b.shouldRun(tick, 60_000)).to.equal(true);
    expect(await redis.pttl(`th:cron:${tick}`)).to.be.within(1, 60_000);
    await b.release(tick);
  });
});
