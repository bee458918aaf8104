import { expect } from 'chai';
import {
  adminToken,
  bearer,
  createTenant,
  onMysql,
  pairDevice,
  startHub,
  type Tenant,
  type TestHub,
  waitFor,
} from '../helpers';
import { deviceSocket, type TestSocket } from '../socket-helpers';
import { defaultState, MemoryCredentialStore, TabletClient } from '../../src/client';
import { mariadb } from './services';

const DEVICES = '/api/v1/merchants/loyalty/devices';

/** Outages of the MariaDB the suite runs on: stopped, then hung (SIGSTOP). Each test leaves it running. */
(onMysql ? describe : describe.skip)('outages: the database stops or hangs', function () {
  this.timeout(120_000);
  const TIMEOUT_MS = 2000;
  let t: TestHub;
  let tenant: Tenant;
  let tablet: TestSocket;
  let deviceId: number;
  before(async () => {
    t = await startHub({ REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), LAST_SEEN_FLUSH_MS: '500' });
    tenant = await createTenant(t, (await adminToken(t)).token, 1);
    const device = await pairDevice(t, tenant);
    deviceId = device.id;
    tablet = deviceSocket(t.url, device.token);
    await tablet.session();
  });
  after(async () => {
    mariadb.resume();
    await mariadb.start();
    tablet.close();
    await t.close();
  });

  /** A call that must come back 503 with Retry-After, well within a few seconds. */
  const unavailable = async (call: () => Promise<{ status: number; headers: any; body: any }>) => {
    const started = Date.now();
    const res = await call();
    expect(res.status).to.equal(503);
    expect(Date.now() - started).to.be.below(TIMEOUT_MS + 2500);
    return res;
  };
  const list = () => t.http.get(DEVICES).set(bearer(tenant.merchantToken));

  it('stopped: REST answers 503 SERVICE_UNAVAILABLE with Retry-After, /readyz 503; sockets stay; all back after', async () => {
    try {
      await mariadb.stop();
      const res = await unavailable(list);
      expect(res.body.error.code).to.equal('SERVICE_UNAVAILABLE');
      expect(Number(res.headers['retry-after'])).to.be.greaterThan(0);
      const ready = await unavailable(() => t.http.get('/readyz'));
      expect(ready.body).to.deep.equal({ status: 'unavailable', failing: ['database'] });
      await t.http.get('/healthz').expect(200);
      expect(tablet.socket.connected, 'the tablet stays connected').to.equal(true);
    } finally {
      await mariadb.start();
    }
    await waitFor(async () => (await list()).status === 200, 30_000, 250);
    await t.http.get('/readyz').expect(200);
    // What the tablet did meanwhile was kept and is written by the next flushes (the ones queued during the outage
    // drain first, each bounded by the connect timeout).
    const device = await waitFor(async () => {
      const d = (await t.http.get(`${DEVICES}/${deviceId}`).set(bearer(tenant.merchantToken)).expect(200)).body.device;
      return d.last_seen_at ? d : undefined;
    }, 15_000);
    expect(device.online).to.equal(true);
    expect(device.last_seen_at).to.be.a('string');
  });

  it('hung: requests and /readyz answer 503 within their bound instead of waiting; all back after', async () => {
    try {
      mariadb.pause();
      const res = await unavailable(list);
      expect(res.body.error.code).to.equal('SERVICE_UNAVAILABLE');
      const ready = await unavailable(() => t.http.get('/readyz'));
      expect(ready.body.failing).to.deep.equal(['database']);
      expect(tablet.socket.connected).to.equal(true);
    } finally {
      mariadb.resume();
    }
    await waitFor(async () => (await list()).status === 200, 30_000, 250);
  });

  it('a command result refused while the database is stopped is sent again by the tablet and lands once it is back', async () => {
    const device = await pairDevice(t, tenant);
    // The ping's state report waits for the test: the database is stopped while the command runs.
    let release!: () => void;
    const running = new Promise<void>((resolve) => (release = resolve));
    let gated = false;
    const client = new TabletClient(
      { api_url: t.url, store_code: tenant.stores[0].code, auth_token: device.token },
      new MemoryCredentialStore(),
      { stateProvider: async () => (gated ? running.then(defaultState) : defaultState()) },
    );
    const answers: string[] = [];
    client.on('command:result', (_r, ack) =>
      answers.push(!ack ? 'no answer' : 'error' in ack ? ack.error.code : ack.status),
    );
    const ran: number[] = [];
    client.on('command', (c) => ran.push(c.id));
    try {
      await new Promise((resolve) => {
        client.once('session', resolve);
        void client.start();
      });
      gated = true;
      const created = await t.http
        .post(`${DEVICES}/${device.id}/commands`)
        .set(bearer(tenant.merchantToken))
        .send({ type: 'ping' })
        .expect(201);
      const id = created.body.command.id;
      await waitFor(() => ran.includes(id), 10_000);
      try {
        await mariadb.stop();
        release();
        await waitFor(() => answers.includes('SERVICE_UNAVAILABLE'), 20_000, 50);
      } finally {
        await mariadb.start();
      }
      const command = await waitFor(
        async () => {
          const res = await t.http.get(`${DEVICES}/${device.id}/commands/${id}`).set(bearer(tenant.merchantToken));
          return res.status === 200 && res.body.command.status === 'succeeded' ? res.body.command : undefined;
        },
        40_000,
        250,
      );
      expect(command.result).to.include.keys('app_version');
      expect(answers.at(-1)).to.equal('succeeded');
      expect(ran.filter((r) => r === id)).to.have.length(1);
    } finally {
      client.close();
    }
  });
});
