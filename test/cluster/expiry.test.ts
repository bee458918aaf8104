import { expect } from 'chai';
import Redis from 'ioredis';
import { bearer, DATABASE_URL, makeTenant, pairDevice, REDIS_URL, sleep, startHub, type Tenant } from '../helpers';
import { dashboardSocket, type TestSocket } from '../socket-helpers';
import { CLUSTER_KEY, startNode, stopNode, type Node } from './nodes';

const counter = (metrics: string, name: string) =>
  Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);

describe('cluster expiry job: two nodes, one Redis lock, each device flagged once (needs DATABASE_URL and REDIS_URL)', function () {
  this.timeout(90_000);
  let a: Node;
  let b: Node;
  let tenant: Tenant;
  let dash: TestSocket;
  let redis: Redis;
  let startedAt: number;

  before(async function () {
    if (!DATABASE_URL || !REDIS_URL) this.skip();
    const setup = await startHub({ JWT_KEYS: CLUSTER_KEY });
    tenant = await makeTenant(setup, 1);
    await setup.close();
    const env = { EXPIRY_SCAN_CRON: '* * * * * *', DEVICE_TOKEN_TTL: '40d', EXPIRY_WARNING_DAYS: '60' };
    startedAt = Date.now() - 1000;
    [a, b] = await Promise.all([startNode('a', env), startNode('b', env)]);
    redis = new Redis(REDIS_URL!);
  });
  after(async () => {
    dash?.close();
    await Promise.all([a, b].filter(Boolean).map(stopNode));
    await redis?.quit();
  });

  it('over ten one-second ticks, exactly one node runs each tick and every device is flagged exactly once', async () => {
    dash = dashboardSocket(a.url, tenant.merchantToken);
    await dash.connected();
    const devices = [];
    for (let i = 0; i < 5; i++) devices.push(await pairDevice(i % 2 ? b : a, tenant, 0, `cluster-expiry-${i}`));
    await sleep(10_500);
    // Read both nodes' counters and the lock keys between two ticks.
    while (Date.now() % 1000 < 300 || Date.now() % 1000 > 600) await sleep(20);
    const [ma, mb] = await Promise.all([a.http.get('/metrics'), b.http.get('/metrics')]);
    // One lock key per tick (SET NX: one owner each), named by node-cron's slot time.
    const slots = (await redis.keys('th:cron:expiry-scan:*')).filter(
      (k) => Date.parse(k.slice('th:cron:expiry-scan:'.length)) >= startedAt,
    );
    const owners = new Set(await Promise.all(slots.map((k) => redis.get(k))));

    const ran =
      counter(ma.text, 'job_runs_total{job="expiry-scan",outcome="ran"}') +
      counter(mb.text, 'job_runs_total{job="expiry-scan",outcome="ran"}');
    const skipped =
      counter(ma.text, 'job_runs_total{job="expiry-scan",outcome="skipped"}') +
      counter(mb.text, 'job_runs_total{job="expiry-scan",outcome="skipped"}');
    expect(ran, 'ticks run').to.be.at.least(10);
    expect(ran, 'one run per tick').to.equal(slots.length);
    expect(owners.size, 'lock owners').to.be.within(1, 2);
    expect(skipped, 'ticks the other node was turned away from').to.be.at.least(ran - 3);
    const flagged = counter(ma.text, 'expiry_scan_flagged_total') + counter(mb.text, 'expiry_scan_flagged_total');
    expect(flagged).to.equal(5);

    for (const d of devices) {
      expect(
        dash.events.filter((e) => e.name === 'device:expiring' && e.payload.device.id === d.id),
        `device ${d.id}`,
      ).to.have.length(1);
      const got = await a.http
        .get(`/api/v1/merchants/loyalty/devices/${d.id}`)
        .set(bearer(tenant.merchantToken))
        .expect(200);
      expect(got.body.device.expiring_soon).to.equal(true);
    }
  });
});
