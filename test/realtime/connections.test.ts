import { expect } from 'chai';
import { Socket as EngineSocket } from 'engine.io-client';
import { io } from 'socket.io-client';
import { adminToken, createTenant, makeTenant, pairDevice, startHub, type TestHub, waitFor } from '../helpers';
import {
  dashboardSocket,
  deviceSocket,
  refusal,
  silenceableProxy,
  tabletOnline,
  type TestSocket,
} from '../socket-helpers';

/** A bare Engine.IO connection that never joins a namespace; resolves once open, or rejects if refused. */
function engineConnection(url: string): Promise<{ closed: Promise<number>; close(): void }> {
  return new Promise((resolve, reject) => {
    const s = new EngineSocket(url, { transports: ['websocket'], path: '/socket.io' });
    const opened = Date.now();
    const closed = new Promise<number>((r) => s.on('close', () => r(Date.now() - opened)));
    s.on('open', () => resolve({ closed, close: () => s.close() }));
    s.on('error', reject);
  });
}

const metric = async (t: TestHub, name: string) => {
  const text = (await t.http.get('/metrics').expect(200)).text;
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
};

describe('realtime: the door (namespaces, idle connections, per-address limits)', () => {
  let t: TestHub;
  before(async () => {
    t = await startHub({ SOCKET_MAX_PER_ADDRESS: '4', SOCKET_CONNECTS_PER_MINUTE: '40' });
  });
  after(() => t.close());

  it('refuses the main namespace and unknown ones; a connection that joins none is closed within seconds', async () => {
    const root = io(t.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    const err = await new Promise<Error & { data?: { code: string } }>((r) => root.once('connect_error', r));
    expect(err.message).to.equal('NOT_FOUND');
    expect(err.data?.code).to.equal('NOT_FOUND');
    root.close();
    const unknown = io(`${t.url}/nope`, { transports: ['websocket'], reconnection: false, forceNew: true });
    expect((await new Promise<Error>((r) => unknown.once('connect_error', r))).message).to.equal('Invalid namespace');
    unknown.close();

    const idle = await engineConnection(t.url);
    const lifetime = await idle.closed;
    expect(lifetime).to.be.within(4000, 8000);
  });

  it('caps open connections per client address; a freed slot can be used again', async () => {
    const open = [];
    for (let i = 0; i < 4; i++)
      open.push(await engineConnection(t.url).catch((e) => Promise.reject(new Error(`#${i}: ${e}`))));
    let refused = false;
    await engineConnection(t.url).then(
      (c) => c.close(),
      () => (refused = true),
    );
    expect(refused, 'a fifth connection from the same address').to.equal(true);
    open[0].close();
    // The server frees the slot when it sees the close, a moment after the client does.
    const again = await waitFor(() => engineConnection(t.url).catch(() => undefined), 3000, 100);
    again!.close();
    for (const c of open.slice(1)) c.close();
  });
});

describe('realtime: floods', () => {
  it('an address that keeps failing handshakes is refused at the door, before any token check', async () => {
    const t = await startHub({ SOCKET_CONNECTS_PER_MINUTE: '10' });
    try {
      const handshakesBefore = await metric(t, 'realtime_handshakes_total');
      // Each refused handshake costs 5 attempts of 10: the third try does not even reach the token check.
      for (let i = 0; i < 2; i++)
        expect((await refusal(deviceSocket(t.url, 'garbage'))).message).to.equal('INVALID_TOKEN');
      const third = await refusal(deviceSocket(t.url, 'garbage'));
      expect(third.message).to.not.equal('INVALID_TOKEN');
      expect(await metric(t, 'realtime_handshakes_total')).to.equal(handshakesBefore + 2);
      expect(await metric(t, 'realtime_connections_refused_total')).to.be.at.least(1);
    } finally {
      await t.close();
    }
  });

  it('a dashboard flooding subscribe gets RATE_LIMITED, then is dropped; the server keeps answering', async () => {
    const t = await startHub({ SOCKET_EVENTS_PER_SECOND: '5' });
    try {
      const tenant = await createTenant(t, (await adminToken(t)).token, 1);
      const dash = dashboardSocket(t.url, tenant.merchantToken);
      await dash.connected();
      const answers: string[] = [];
      for (let i = 0; i < 2000 && dash.socket.connected; i++)
        dash.socket.emit('subscribe', { merchant_id: tenant.merchantId }, (a: any) =>
          answers.push(a.error ? a.error.code : 'items'),
        );
      expect(await dash.disconnected()).to.equal('io server disconnect');
      await waitFor(() => answers.length >= 50);
      // Past the burst every subscribe is refused in its ack; 50 refusals in a row drop the socket (answers of the
      // few accepted ones may be lost with it: it was not listening anyway).
      expect(answers.filter((a) => a === 'RATE_LIMITED').length).to.equal(50);
      expect(answers.every((a) => a === 'RATE_LIMITED' || a === 'items')).to.equal(true);
      // Everyone else is served: a well-behaved dashboard subscribes, REST answers.
      const calm = dashboardSocket(t.url, tenant.merchantToken);
      await calm.connected();
      const ack = await calm.emitWithAck('subscribe', { merchant_id: tenant.merchantId });
      expect(ack.total).to.equal(0);
      calm.close();
      await t.http.get('/healthz').expect(200);
    } finally {
      await t.close();
    }
  });

  it('a tablet flooding state reports and unknown events gets RATE_LIMITED, then is dropped; another tablet is served', async () => {
    const t = await startHub({ SOCKET_EVENTS_PER_SECOND: '5' });
    try {
      const tenant = await createTenant(t, (await adminToken(t)).token, 1);
      const [noisy, calm] = [await pairDevice(t, tenant, 0, 'Noisy'), await pairDevice(t, tenant, 0, 'Calm')];
      const tablet = await tabletOnline(t.url, noisy.token);
      const answers: string[] = [];
      // Events nobody handles count too: they cost the server the same.
      for (let i = 0; i < 20; i++) tablet.socket.emit('no-such-event', { i });
      for (let i = 0; i < 2000 && tablet.socket.connected; i++)
        tablet.socket.emit('state', { battery_pct: 50 }, (a: any) => answers.push(a.error ? a.error.code : 'ok'));
      expect(await tablet.disconnected()).to.equal('io server disconnect');
      // The burst (10) went to the unknown events, 10 more of them were refused: 40 refused reports make 50 in a row.
      await waitFor(() => answers.length >= 40);
      expect(answers).to.deep.equal(Array(40).fill('RATE_LIMITED'));
      const other = await tabletOnline(t.url, calm.token);
      expect(await other.emitWithAck('state', { battery_pct: 80 })).to.deep.equal({ ok: true });
      other.close();
    } finally {
      await t.close();
    }
  });
});

describe('realtime: a shutdown does not wait for a tablet that stopped answering', () => {
  it('closes within a second or two although the tablet never answers its close frame', async () => {
    const t = await startHub();
    const proxy = await silenceableProxy(t.port);
    let tablet: TestSocket | undefined;
    try {
      const { token } = await pairDevice(t, await makeTenant(t, 1));
      tablet = await tabletOnline(`http://127.0.0.1:${proxy.port}`, token, { reconnection: false });
      proxy.blackhole(); // Wi-Fi gone: the close frame goes nowhere, no TCP close comes back
      const started = Date.now();
      await t.close();
      // ws would wait 30 s for the close handshake; the shutdown waits CLOSE_WAIT_MS (500 ms) and drops it
      expect(Date.now() - started).to.be.below(2500);
    } finally {
      tablet?.close();
      proxy.close();
    }
  });
});
