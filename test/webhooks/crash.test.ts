import { expect } from 'chai';
import { bearer, DATABASE_URL, makeTenant, pairDevice, REDIS_URL, startHub, tempDir, waitFor } from '../helpers';
import { CLUSTER_KEY, killHard, type Node, startNode, stopped } from '../cluster/nodes';
import { Receiver } from './receiver';

const WEBHOOKS = '/api/v1/merchants/webhooks';

/**
 * The outbox's promise: a server killed (-9) after the change committed, with the delivery in flight, delays the
 * event and never loses it. Runs on the suite's database (SQLite: a data folder the two processes take in turn).
 */
describe('webhooks: a server killed mid-delivery loses nothing', function () {
  this.timeout(90_000);
  const nodes: Node[] = [];
  let receiver: Receiver;
  after(async () => {
    for (const n of nodes) killHard(n);
    await receiver?.close();
  });

  it('kill -9 while the receiver holds the request: the next server delivers the same event (same webhook-id)', async () => {
    receiver = await new Receiver().start();
    const dataDir = tempDir();
    const env = {
      DATA_DIR: dataDir,
      DATABASE_URL: DATABASE_URL ?? '',
      REDIS_URL: REDIS_URL ?? '',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_POLL_MS: '100',
    };
    const setup = await startHub({ ...env, JWT_KEYS: CLUSTER_KEY });
    const tenant = await makeTenant(setup, 1);
    const created = await setup.http
      .post(WEBHOOKS)
      .set(bearer(tenant.merchantToken))
      .send({ url: `${receiver.url}/hook`, events: ['device.paired'] })
      .expect(201);
    await setup.close();

    receiver.answer = 'hang';
    const a = await startNode('a', env);
    nodes.push(a);
    const device = await pairDevice(a, tenant);
    const first = await receiver.next('device.paired');
    expect(first.json.data.device.id).to.equal(device.id);
    killHard(a);
    await stopped(a);

    receiver.answer = 200;
    const b = await startNode('b', env);
    nodes.push(b);
    // Once the dead node's lease (about 20 s) runs out, the delivery is claimed again.
    const second = await receiver.next('device.paired', 1, 40_000);
    expect(second.headers['webhook-id']).to.equal(first.headers['webhook-id']);
    expect(second.body).to.equal(first.body);
    const delivery = await waitFor(async () => {
      const res = await b.http
        .get(`${WEBHOOKS}/${created.body.webhook.id}/deliveries`)
        .set(bearer(tenant.merchantToken))
        .expect(200);
      return res.body.items[0]?.status === 'succeeded' ? res.body.items[0] : undefined;
    }, 5000);
    expect(delivery.event_id).to.equal(first.json.id);
    expect(receiver.of('device.paired')).to.have.length(2);
  });
});
