import { expect } from 'chai';
import {
  bearer,
  dataDir,
  getDevice,
  holdDeviceTokenChecks,
  interceptQueries,
  makeTenant,
  pairDevice,
  sleep,
  startHub,
  suite,
  testKey,
  waitFor,
  type Tenant,
} from '../helpers';
import {
  closedAfterEach,
  dashboardSocket,
  deviceSocket,
  refusal,
  silenceableProxy,
  tabletOnline,
  TestSocket,
} from '../socket-helpers';

describe('realtime /devices: handshake, session, revoke, presence', () => {
  const t = suite();
  const track = closedAfterEach();
  let tenant: Tenant;
  before(async () => {
    tenant = await makeTenant(t, 2);
  });

  it('refuses a handshake without a token, with a garbage token, with a user token, and with a token in the query string', async () => {
    const { token } = await pairDevice(t, tenant);
    const none = await refusal(new TestSocket(t.url, '/devices'));
    expect(none).to.deep.equal({
      message: 'UNAUTHENTICATED',
      data: { code: 'UNAUTHENTICATED', message: 'Authentication is required.' },
    });
    expect((await refusal(deviceSocket(t.url, 'not.a.jwt'))).data.code).to.equal('INVALID_TOKEN');
    expect((await refusal(deviceSocket(t.url, tenant.merchantToken))).message).to.equal('INVALID_TOKEN');
    // a valid device token is refused when it (also) travels in the URL, where logs would keep it
    expect((await refusal(new TestSocket(t.url, '/devices', { query: { token } }))).message).to.equal(
      'UNAUTHENTICATED',
    );
    expect((await refusal(deviceSocket(t.url, token, { query: { token } }))).message).to.equal('UNAUTHENTICATED');
  });

  it('accepts the device token in auth or in an Authorization header, sends session, and REST shows the device online', async () => {
    const { id, token } = await pairDevice(t, tenant, 1, 'Front desk');
    const s = track(deviceSocket(t.url, token));
    await s.connected();
    const session = (await s.next('session')).payload;
    const row = await getDevice(t, tenant, id);
    expect(session).to.deep.equal({
      device_id: id,
      store_code: tenant.stores[1].code,
      expires_at: row.expires_at,
      expiring_soon: false,
    });
    expect(row.online).to.equal(true);

    const viaHeader = track(new TestSocket(t.url, '/devices', { extraHeaders: { Authorization: `Bearer ${token}` } }));
    await viaHeader.connected();
    expect((await viaHeader.next('session')).payload.device_id).to.equal(id);

    s.close();
    viaHeader.close();
    await waitFor(async () => (await getDevice(t, tenant, id)).online === false);
  });

  it('a revoke sends `revoked` to every socket of the device, drops them, tells dashboards why, and refuses the token from then on', async () => {
    const { id, token } = await pairDevice(t, tenant);
    const dash = track(dashboardSocket(t.url, tenant.merchantToken));
    await dash.connected();
    const a = track(deviceSocket(t.url, token));
    const b = track(deviceSocket(t.url, token));
    await Promise.all([a.session(), b.session()]);
    await dash.next('device:online', (p) => p.device.id === id);

    const answer = await t.http
      .post(`/api/v1/merchants/loyalty/devices/${id}/revoke`)
      .set(bearer(tenant.merchantToken))
      .send({ reason: 'stolen' })
      .expect(200);
    // Its sockets are being dropped: offline in the answer, whatever presence has not caught up on yet.
    expect(answer.body.device).to.include({ id, status: 'revoked', online: false, revoked_reason: 'stolen' });
    for (const s of [a, b]) {
      expect((await s.next('revoked')).payload).to.deep.equal({ reason: 'revoked', revoked_reason: 'stolen' });
      expect(await s.disconnected()).to.equal('io server disconnect');
    }
    const offline = await dash.next('device:offline', (p) => p.device.id === id);
    expect(offline.payload.reason).to.equal('revoked');
    expect(offline.payload.device).to.include({ status: 'revoked', online: false, revoked_reason: 'stolen' });
    expect(dash.about(id).map((e) => e.name)).to.deep.equal(['device:online', 'device:revoked', 'device:offline']);
    expect(dash.about(id)[1].payload.device).to.include({ status: 'revoked', online: false });

    expect((await refusal(deviceSocket(t.url, token))).data).to.deep.equal({
      code: 'TERMINAL_DEVICE_REVOKED',
      message: 'This terminal device has been revoked.',
    });
    expect((await getDevice(t, tenant, id)).online).to.equal(false);
  });

  it('a reissue drops the old token’s sockets with reason `reissued`; the new token connects, the old one is refused', async () => {
    const { id, token } = await pairDevice(t, tenant);
    const dash = track(dashboardSocket(t.url, tenant.merchantToken));
    await dash.connected();
    const old = track(deviceSocket(t.url, token));
    await old.connected();
    const res = await t.http
      .post(`/api/v1/merchants/loyalty/devices/${id}/reissue`)
      .set(bearer(tenant.merchantToken))
      .expect(200);
    expect((await old.next('revoked')).payload).to.deep.equal({ reason: 'reissued', revoked_reason: null });
    await old.disconnected();
    expect((await dash.next('device:offline', (p) => p.device.id === id)).payload.reason).to.equal('reissued');

    const renewed = track(deviceSocket(t.url, res.body.pairing.auth_token));
    await renewed.connected();
    expect((await renewed.next('session')).payload.expires_at).to.equal(res.body.device.expires_at);
    expect((await refusal(deviceSocket(t.url, token))).message).to.equal('INVALID_TOKEN');
    await sleep(100);
    expect(renewed.socket.connected).to.equal(true);
  });

  const holdTokenChecks = () => holdDeviceTokenChecks(t);

  it('a revoke that lands after the token check read its row, before the socket joined its room, still drops it', async () => {
    const { id, token } = await pairDevice(t, tenant);
    const hold = holdTokenChecks();
    try {
      const late = track(deviceSocket(t.url, token));
      await hold.read; // the check saw an active device
      await t.http
        .post(`/api/v1/merchants/loyalty/devices/${id}/revoke`)
        .set(bearer(tenant.merchantToken))
        .send({ reason: 'lost' })
        .expect(200);
      hold.release();
      expect((await late.next('revoked')).payload).to.deep.equal({ reason: 'revoked', revoked_reason: 'lost' });
      await late.disconnected();
      expect(late.events.map((e) => e.name)).to.not.include('session');
    } finally {
      hold.restore();
    }
  });

  it('a reissue in that window drops only the old token’s socket; one with the new token checked meanwhile stays', async () => {
    const { id, token } = await pairDevice(t, tenant);
    const hold = holdTokenChecks();
    let fresh: TestSocket;
    try {
      const old = track(deviceSocket(t.url, token));
      await hold.read;
      const res = await t.http
        .post(`/api/v1/merchants/loyalty/devices/${id}/reissue`)
        .set(bearer(tenant.merchantToken))
        .expect(200);
      hold.restore();
      fresh = track(await tabletOnline(t.url, res.body.pairing.auth_token));
      hold.release();
      expect((await old.next('revoked')).payload.reason).to.equal('reissued');
      await old.disconnected();
    } finally {
      hold.restore();
    }
    await sleep(200);
    expect(fresh.socket.connected).to.equal(true);
  });

  it('a command stored after the token check read "none waiting", before the socket counted, is still delivered', async () => {
    const { id, token } = await pairDevice(t, tenant);
    const hold = holdTokenChecks();
    try {
      const tablet = track(deviceSocket(t.url, token));
      await hold.read;
      const created = await t.http
        .post(`/api/v1/merchants/loyalty/devices/${id}/commands`)
        .set(bearer(tenant.merchantToken))
        .send({ type: 'ping' })
        .expect(201);
      hold.release();
      await tablet.session();
      expect((await tablet.next('command')).payload.id).to.equal(created.body.command.id);
    } finally {
      hold.restore();
    }
  });

  it('a device with two sockets stays online until the last one closes; a clean close shows offline within a second', async () => {
    const { id, token } = await pairDevice(t, tenant);
    const dash = track(dashboardSocket(t.url, tenant.merchantToken));
    await dash.connected();
    // without TRUST_PROXY a forwarded-for header is ignored: last_seen_ip is the peer address
    const a = track(deviceSocket(t.url, token, { extraHeaders: { 'X-Forwarded-For': '203.0.113.9' } }));
    const b = track(deviceSocket(t.url, token));
    await Promise.all([a.session(), b.session()]);
    const online = await dash.next('device:online', (p) => p.device.id === id);
    expect(online.payload.device).to.include({ id, online: true, status: 'active', last_seen_ip: '127.0.0.1' });
    expect(online.payload.device.last_seen_at).to.be.a('string');

    a.close();
    await sleep(300);
    expect((await getDevice(t, tenant, id)).online).to.equal(true);
    expect(dash.about(id).map((e) => e.name)).to.deep.equal(['device:online']);

    const closedAt = Date.now();
    b.close();
    const offline = await dash.next('device:offline', (p) => p.device.id === id, 1000);
    expect(offline.at - closedAt).to.be.below(1000);
    expect(offline.payload.reason).to.equal('client_disconnect');
    expect(offline.payload.device.online).to.equal(false);
    expect((await getDevice(t, tenant, id)).online).to.equal(false);
  });

  it('a message over 16 KiB closes the socket', async () => {
    const { token } = await pairDevice(t, tenant);
    const s = track(deviceSocket(t.url, token));
    await s.connected();
    s.socket.emit('note', 'x'.repeat(20 * 1024));
    expect(await s.disconnected()).to.equal('transport close');
  });

  it('serves the Socket.IO browser client and exposes realtime metrics', async () => {
    await t.http
      .get('/socket.io/socket.io.min.js')
      .expect(200)
      .expect('content-type', /javascript/);
    const { token } = await pairDevice(t, tenant);
    const s = track(deviceSocket(t.url, token));
    await s.connected();
    const metrics = (await t.http.get('/metrics').expect(200)).text;
    expect(metrics).to.match(/^realtime_device_sockets 1$/m);
    expect(metrics).to.match(/^realtime_handshakes_total\{namespace="\/devices",outcome="INVALID_TOKEN"\} [1-9]/m);
    expect(metrics).to.match(/^realtime_device_drops_total\{reason="revoked"\} [1-9]/m);
  });
});

describe('realtime /devices: a silent tablet', () => {
  const t = suite({ SOCKET_PING_INTERVAL_MS: '1000', SOCKET_PING_TIMEOUT_MS: '1000' });

  it('goes offline with reason ping_timeout within ping interval + timeout', async () => {
    const tenant = await makeTenant(t, 1);
    const { id, token } = await pairDevice(t, tenant);
    const dash = dashboardSocket(t.url, tenant.merchantToken);
    await dash.connected();
    const proxy = await silenceableProxy(t.port);
    const tablet = deviceSocket(`http://127.0.0.1:${proxy.port}`, token);
    try {
      await tablet.connected();
      await dash.next('device:online', (p) => p.device.id === id);
      await sleep(1500); // pings answered: still online
      expect((await getDevice(t, tenant, id)).online).to.equal(true);
      const silentAt = Date.now();
      proxy.blackhole();
      const offline = await dash.next('device:offline', (p) => p.device.id === id, 4000);
      expect(offline.payload.reason).to.equal('ping_timeout');
      expect(offline.at - silentAt).to.be.below(2000 + 500);
    } finally {
      tablet.close();
      dash.close();
      proxy.close();
    }
  });
});

describe('realtime /devices: behind a trusted proxy', () => {
  const t = suite({ TRUST_PROXY: 'loopback', LAST_SEEN_FLUSH_MS: '200' });
  const track = closedAfterEach();

  it('takes last_seen_ip from X-Forwarded-For when TRUST_PROXY trusts the peer', async () => {
    const tenant = await makeTenant(t, 1);
    const { id, token } = await pairDevice(t, tenant);
    track(await tabletOnline(t.url, token, { extraHeaders: { 'X-Forwarded-For': '203.0.113.9' } }));
    expect(await waitFor(async () => (await getDevice(t, tenant, id)).last_seen_ip)).to.equal('203.0.113.9');
  });
});

describe('realtime /devices: token expiry', () => {
  const t = suite({ DEVICE_TOKEN_TTL: '3s' });

  it('drops the socket when the token expires while connected, and refuses it afterwards', async () => {
    const tenant = await makeTenant(t, 1);
    const { id, token, body } = await pairDevice(t, tenant);
    const dash = dashboardSocket(t.url, tenant.merchantToken);
    await dash.connected();
    const tablet = deviceSocket(t.url, token);
    try {
      await tablet.connected();
      expect((await tablet.next('session')).payload.expiring_soon).to.equal(true);
      const expired = await tablet.next('expired', () => true, 4000);
      expect(expired.payload).to.deep.equal({
        code: 'TERMINAL_DEVICE_EXPIRED',
        message: "This terminal device's token has expired. Ask the merchant to renew it.",
      });
      expect(expired.at).to.be.at.least(Date.parse(body.device.expires_at));
      await tablet.disconnected();
      const offline = await dash.next('device:offline', (p) => p.device.id === id);
      expect(offline.payload).to.deep.include({ reason: 'expired' });
      expect(offline.payload.device.status).to.equal('expired');
      expect((await refusal(deviceSocket(t.url, token))).message).to.equal('TERMINAL_DEVICE_EXPIRED');
    } finally {
      tablet.close();
      dash.close();
    }
  });
});

describe('realtime /devices: last_seen', () => {
  const FLUSH_MS = 400;
  // Chatty, but not a flood: the event limit is raised so that the 300 messages below all arrive.
  const t = suite({
    LAST_SEEN_FLUSH_MS: String(FLUSH_MS),
    SOCKET_PING_INTERVAL_MS: '1000',
    SOCKET_EVENTS_PER_SECOND: '1000',
  });
  let statements: unknown[][];
  before(async () => {
    // Count the real UPDATE statements on the data source (passed through to the database unchanged).
    statements = [];
    interceptQueries(t, (sql, params, run) => {
      if (/^UPDATE loyalty_terminal_devices SET last_seen_at/.test(sql)) statements.push(params);
      return run();
    });
  });

  it('moves while connected, with at most one write per device per LAST_SEEN_FLUSH_MS, many devices per statement', async () => {
    const tenant = await makeTenant(t, 1);
    const devices = await Promise.all([1, 2, 3].map((i) => pairDevice(t, tenant, 0, `Till ${i}`)));
    const tablets = devices.map((d) => deviceSocket(t.url, d.token));
    try {
      await Promise.all(tablets.map((s) => s.session()));
      const start = Date.now();
      statements.length = 0;
      for (let i = 0; i < 100; i++) for (const s of tablets) s.socket.emit('ping-ish', i); // chatty sockets
      const first = (await waitFor(async () => {
        const rows = await Promise.all(devices.map((d) => getDevice(t, tenant, d.id)));
        return rows.every((r) => r.last_seen_at) ? rows : undefined;
      }))!;
      expect(first.map((r) => r.last_seen_ip)).to.deep.equal(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
      await sleep(2500); // silent tablets, connected: still seen (the server's pings keep the connections)
      const later = await Promise.all(devices.map((d) => getDevice(t, tenant, d.id)));
      const elapsed = Date.now() - start;
      for (const [i, r] of later.entries())
        expect(Date.parse(r.last_seen_at)).to.be.above(Date.parse(first[i].last_seen_at));
      // 300 messages, yet no more statements than flush periods, and each statement names a device once. Connected
      // devices are written in turns, about once per ping interval (1 s here, every other flush of 400 ms).
      expect(statements.length)
        .to.be.at.least(2)
        .and.at.most(Math.floor(elapsed / FLUSH_MS) + 1);
      const ids = statements.map((params) => params.slice((params.length * 4) / 5));
      for (const named of ids) expect(new Set(named).size).to.equal(named.length);
      const writes = new Map<unknown, number>();
      for (const id of ids.flat()) writes.set(id, (writes.get(id) ?? 0) + 1);
      for (const d of devices)
        expect(writes.get(d.id) ?? 0)
          .to.be.at.least(2)
          .and.at.most(Math.ceil(elapsed / 1000) + 1);
    } finally {
      for (const s of tablets) s.close();
    }
  });
});

describe('realtime: shutdown', () => {
  it('flushes last_seen on close and announces server_shutdown to dashboards', async () => {
    const env = { LAST_SEEN_FLUSH_MS: '3600000', JWT_KEYS: testKey('shutdown') };
    const t = await startHub(env);
    const tenant = await makeTenant(t, 1);
    const { id, token } = await pairDevice(t, tenant);
    const dash = dashboardSocket(t.url, tenant.merchantToken);
    const tablet = deviceSocket(t.url, token);
    await Promise.all([dash.connected(), tablet.connected()]);
    await dash.next('device:online', (p) => p.device.id === id);
    expect((await getDevice(t, tenant, id)).last_seen_at).to.equal(null); // not flushed yet (one-hour period)
    await t.close();
    expect((await dash.next('device:offline', (p) => p.device.id === id)).payload.reason).to.equal('server_shutdown');
    await tablet.disconnected();
    dash.close();

    const again = await startHub({ ...env, DATA_DIR: dataDir(t) });
    try {
      const row = await getDevice(again, tenant, id);
      expect(row.last_seen_at).to.be.a('string');
      expect(row.online).to.equal(false);
    } finally {
      await again.close();
    }
  });
});
