import { expect } from 'chai';
import {
  adminToken,
  bearer,
  createTenant,
  pairDevice,
  REDIS_URL,
  startHub,
  type Tenant,
  type TestHub,
  testKey,
  waitFor,
} from '../helpers';
import { dashboardSocket, deviceSocket } from '../socket-helpers';
import { redis } from './services';

const DEVICES = '/api/v1/merchants/loyalty/devices';

/** Redis stops and comes back (empty, as CI runs it). The test leaves it running. */
(REDIS_URL ? describe : describe.skip)('outages: Redis stops', function () {
  this.timeout(120_000);
  const TTL = 3000;
  const shared = { JWT_KEYS: testKey('k1'), PRESENCE_TTL_MS: String(TTL) };
  let a: TestHub;
  let tenant: Tenant;
  before(async () => {
    a = await startHub(shared);
    tenant = await createTenant(a, (await adminToken(a)).token, 1);
  });
  after(async () => {
    await redis.start();
    await a.close();
  });

  it('each node keeps serving its REST and sockets; presence converges once Redis is back', async () => {
    const first = await pairDevice(a, tenant, 0, 'Before');
    const second = await pairDevice(a, tenant, 0, 'During');
    const dash = dashboardSocket(a.url, tenant.merchantToken);
    const tabletA = deviceSocket(a.url, first.token);
    await dash.connected();
    await tabletA.session();
    const get = async (hub: TestHub, id: number) =>
      (await hub.http.get(`${DEVICES}/${id}`).set(bearer(tenant.merchantToken)).expect(200)).body.device;
    let b: TestHub | undefined;
    try {
      await redis.stop();
      // REST and presence from this node's own knowledge.
      expect((await get(a, first.id)).online).to.equal(true);
      // A tablet connects and leaves during the outage: this node's dashboards see both.
      const tabletB = deviceSocket(a.url, second.token);
      await tabletB.session();
      await dash.next('device:online', (p) => p.device.id === second.id, 10_000);
      tabletB.close();
      await dash.next('device:offline', (p) => p.device.id === second.id, 10_000);
      expect(tabletA.socket.connected).to.equal(true);
      // A revoke works, and drops the tablet on this node.
      await a.http.post(`${DEVICES}/${second.id}/revoke`).set(bearer(tenant.merchantToken)).expect(200);

      await redis.start();
      // Another node, started once Redis is back, sees the truth within PRESENCE_TTL_MS.
      b = await startHub(shared);
      const hubB = b;
      await waitFor(async () => (await get(hubB, first.id)).online === true, TTL * 2, 100);
      expect((await get(hubB, second.id)).online).to.equal(false);
    } finally {
      await redis.start();
      tabletA.close();
      dash.close();
      await b?.close();
    }
  });
});
