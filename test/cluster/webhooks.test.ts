import { expect } from 'chai';
import { bearer, DATABASE_URL, makeTenant, pairDevice, REDIS_URL, sleep, startHub, type Tenant } from '../helpers';
import { deviceSocket } from '../socket-helpers';
import { Receiver } from '../webhooks/receiver';
import { CLUSTER_KEY, killHard, type Node, startNode } from './nodes';

describe('cluster: webhooks from two nodes, each event delivered once (runs only with DATABASE_URL and REDIS_URL)', function () {
  this.timeout(60_000);
  let nodes: Node[] = [];
  let tenant: Tenant;
  let receiver: Receiver;
  before(async function () {
    if (!DATABASE_URL || !REDIS_URL) this.skip();
    receiver = await new Receiver().start();
    const setup = await startHub({ JWT_KEYS: CLUSTER_KEY, WEBHOOK_ALLOW_PRIVATE: 'true' });
    tenant = await makeTenant(setup, 1);
    await setup.http
      .post('/api/v1/merchants/webhooks')
      .set(bearer(tenant.merchantToken))
      .send({ url: `${receiver.url}/hook`, events: ['*'] })
      .expect(201);
    await setup.close();
    const env = {
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_POLL_MS: '50',
      PAIRINGS_PER_MINUTE: '1000',
      PRESENCE_TTL_MS: '3000',
      LAST_SEEN_FLUSH_MS: '200',
    };
    nodes = await Promise.all(['a', 'b'].map((name) => startNode(name, env)));
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') for (const n of nodes) console.error(`--- ${n.name}:\n${n.stderr()}`);
  });
  after(async () => {
    for (const n of nodes) killHard(n);
    await receiver?.close();
  });

  it('40 pairings on two nodes whose dispatchers both poll every 50 ms: 40 deliveries, none twice', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => pairDevice(nodes[i % 2], tenant, 0, `Till ${i}`)));
    const end = Date.now() + 20_000;
    while (receiver.of('device.paired').length < 40 && Date.now() < end) await sleep(50);
    await sleep(1000); // a second delivery of any of them would arrive by now
    const ids = receiver.of('device.paired').map((r) => r.headers['webhook-id']);
    expect(ids).to.have.length(40);
    expect(new Set(ids).size).to.equal(40);
  });

  it('a tablet connecting to node B: one device.online, whichever node delivers it', async () => {
    const { id, token } = await pairDevice(nodes[0], tenant, 0, 'Presence');
    const tablet = deviceSocket(nodes[1].url, token);
    try {
      await tablet.session();
      const end = Date.now() + 10_000;
      const mine = () => receiver.of('device.online').filter((r) => r.json.data.device.id === id);
      while (mine().length === 0 && Date.now() < end) await sleep(50);
      await sleep(1500);
      expect(mine()).to.have.length(1);
    } finally {
      tablet.close();
    }
  });

  it('a tablet on a node that is killed (-9) goes offline (node_lost) and gets one offline alert, from the other node', async () => {
    await nodes[0].http
      .put('/api/v1/merchants/loyalty/alerts')
      .set(bearer(tenant.merchantToken))
      .send({ offline_after_s: 10 })
      .expect(200);
    const { id, token } = await pairDevice(nodes[0], tenant, 0, 'On the doomed node');
    const tablet = deviceSocket(nodes[1].url, token);
    await tablet.session();
    await sleep(500); // its last_seen written by B
    killHard(nodes[1]);
    const end = Date.now() + 40_000;
    const alerts = () => receiver.of('device.offline_alert').filter((r) => r.json.data.device.id === id);
    while (alerts().length === 0 && Date.now() < end) await sleep(100);
    await sleep(6000); // the next check ticks (every 5 s) would raise a second one by now
    expect(alerts()).to.have.length(1);
    const offline = receiver.of('device.offline').find((r) => r.json.data.device.id === id);
    expect(offline?.json.data.reason).to.equal('node_lost');
    tablet.close();
  });
});
