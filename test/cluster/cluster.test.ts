import { expect } from 'chai';
import {
  bearer,
  DATABASE_URL,
  getDevice,
  makeTenant,
  pairDevice,
  REDIS_URL,
  sleep,
  startHub,
  type Tenant,
} from '../helpers';
import {
  closedAfterEach,
  dashboardSocket,
  deviceSocket,
  refusal,
  tabletOnline,
  type TestSocket,
} from '../socket-helpers';
import { CLUSTER_KEY, killHard, startNode, stopped, type Node } from './nodes';

const PRESENCE_TTL_MS = 3000;

describe('cluster: server processes sharing one database and one Redis (runs only when DATABASE_URL and REDIS_URL are both set)', function () {
  this.timeout(60_000);
  let nodes: Record<'a' | 'b' | 'c', Node>;
  let tenant: Tenant;
  const track = closedAfterEach();
  const open = (s: TestSocket) => track(s).connected();
  const tablet = async (url: string, token: string) => track(await tabletOnline(url, token));
  const online = async (node: Node, id: number) => (await getDevice(node, tenant, id)).online;

  before(async function () {
    if (!DATABASE_URL || !REDIS_URL) this.skip();
    // Tenant and tokens made in-process with the cluster's signing key, on the shared database.
    const setup = await startHub({ JWT_KEYS: CLUSTER_KEY });
    tenant = await makeTenant(setup, 1);
    await setup.close();
    const [a, b, c] = await Promise.all(
      ['a', 'b', 'c'].map((name) => startNode(name, { PRESENCE_TTL_MS: String(PRESENCE_TTL_MS) })),
    );
    nodes = { a, b, c };
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed')
      for (const n of Object.values(nodes)) console.error(`--- node ${n.name} stderr:\n${n.stderr()}`);
  });
  after(async () => {
    for (const n of Object.values(nodes ?? {})) killHard(n);
  });

  it('a device on node B is online on node A’s dashboard and REST, until its last socket on any node closes', async () => {
    const dash = dashboardSocket(nodes.a.url, tenant.merchantToken);
    await open(dash);
    const { id, token } = await pairDevice(nodes.a, tenant);
    const onB = await tablet(nodes.b.url, token);
    expect((await dash.next('device:online', (p) => p.device.id === id)).payload.device).to.include({
      id,
      online: true,
    });
    expect(await online(nodes.a, id)).to.equal(true);

    const onC = await tablet(nodes.c.url, token);
    onB.close();
    await sleep(500);
    expect(await online(nodes.a, id)).to.equal(true);
    expect(dash.about(id).map((e) => e.name)).to.deep.equal(['device:paired', 'device:online']);

    onC.close();
    expect((await dash.next('device:offline', (p) => p.device.id === id, 1000)).payload.reason).to.equal(
      'client_disconnect',
    );
    expect(await online(nodes.a, id)).to.equal(false);
  });

  it('a revoke sent to node A is refused on REST at once on B and C, and drops the device’s socket on node B', async () => {
    const dash = dashboardSocket(nodes.c.url, tenant.merchantToken);
    await open(dash);
    const { id, token } = await pairDevice(nodes.a, tenant);
    const onB = await tablet(nodes.b.url, token);
    await dash.next('device:online', (p) => p.device.id === id);
    await nodes.b.http.get('/api/v1/store/loyalty/session').set(bearer(token)).expect(200);
    await nodes.a.http
      .post(`/api/v1/merchants/loyalty/devices/${id}/revoke`)
      .set(bearer(tenant.merchantToken))
      .send({ reason: 'lost' })
      .expect(200);
    // The very next request after the revoke's answer is refused on every node (no cache serves a stale "active").
    for (const node of [nodes.b, nodes.c]) {
      expect(
        (await node.http.get('/api/v1/store/loyalty/session').set(bearer(token)).expect(401)).body.error.code,
      ).to.equal('TERMINAL_DEVICE_REVOKED');
    }
    expect((await onB.next('revoked', () => true, 1000)).payload).to.deep.equal({
      reason: 'revoked',
      revoked_reason: 'lost',
    });
    await onB.disconnected(1000);
    expect((await dash.next('device:offline', (p) => p.device.id === id)).payload.reason).to.equal('revoked');
    expect((await refusal(deviceSocket(nodes.b.url, token))).message).to.equal('TERMINAL_DEVICE_REVOKED');
  });

  it('kill -9 of node B turns its devices offline on every dashboard within PRESENCE_TTL_MS, reason node_lost, announced once', async () => {
    const dashes = [
      dashboardSocket(nodes.a.url, tenant.merchantToken),
      dashboardSocket(nodes.c.url, tenant.merchantToken),
    ];
    await Promise.all(dashes.map(open));
    const devices = [await pairDevice(nodes.a, tenant), await pairDevice(nodes.a, tenant)];
    await Promise.all(devices.map((d) => tablet(nodes.b.url, d.token)));
    for (const d of devices) await dashes[0].next('device:online', (p) => p.device.id === d.id);

    const killedAt = Date.now();
    killHard(nodes.b);
    for (const dash of dashes) {
      for (const d of devices) {
        const offline = await dash.next('device:offline', (p) => p.device.id === d.id, PRESENCE_TTL_MS + 1000);
        expect(offline.payload.reason).to.equal('node_lost');
        expect(offline.payload.device.online).to.equal(false);
        expect(offline.at - killedAt).to.be.below(PRESENCE_TTL_MS + 500);
      }
    }
    expect(await online(nodes.a, devices[0].id)).to.equal(false);
    await sleep(1000); // nodes A and C both reap; only one announces
    for (const dash of dashes)
      for (const d of devices) expect(dash.about(d.id).filter((e) => e.name === 'device:offline')).to.have.length(1);
  });

  it('a node stopped with SIGTERM announces its devices offline (server_shutdown) to other nodes, flushes, exits 0', async () => {
    const dash = dashboardSocket(nodes.a.url, tenant.merchantToken);
    await open(dash);
    const { id, token } = await pairDevice(nodes.a, tenant);
    await tablet(nodes.c.url, token);
    await dash.next('device:online', (p) => p.device.id === id);
    nodes.c.proc.kill('SIGTERM');
    expect((await dash.next('device:offline', (p) => p.device.id === id)).payload.reason).to.equal('server_shutdown');
    await stopped(nodes.c);
    expect(nodes.c.proc.exitCode).to.equal(0);
    expect(await online(nodes.a, id)).to.equal(false);
    // Its pending last_seen was flushed on the way out (the tablet connected well within one LAST_SEEN_FLUSH_MS).
    expect((await getDevice(nodes.a, tenant, id)).last_seen_at).to.not.equal(null);
  });
});
