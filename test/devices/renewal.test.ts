import { SYSTEM_ACTOR } from '../../src/auth/actor';
import { expect } from 'chai';
import {
  bearer,
  deviceRow,
  eventBus,
  makeStaff,
  makeTenant,
  pairDevice,
  REDIS_URL,
  suite,
  testKey,
  type Tenant,
  updateDeviceRow,
} from '../helpers';
import {
  closedAfterEach,
  dashboardSocket,
  deviceSocket,
  refusal,
  tabletOnline,
  type TestSocket,
} from '../socket-helpers';

const RENEW = '/api/v1/store/loyalty/device/token';
const SESSION = '/api/v1/store/loyalty/session';
const DAY_MS = 86_400_000;

describe('devices: token renewal (POST /store/loyalty/device/token)', () => {
  const t = suite();
  const track = closedAfterEach();
  let tenant: Tenant;
  before(async () => {
    tenant = await makeTenant(t, 1);
  });

  const renew = async (token: string) => {
    const res = await t.http.post(RENEW).set(bearer(token)).expect(200);
    return res.body as { auth_token: string; expires_at: string };
  };
  const session = (token: string) => t.http.get(SESSION).set(bearer(token));

  it('answers a new token and expiry, no-store; the device keeps its row; both tokens work', async () => {
    const paired = await pairDevice(t, tenant);
    await updateDeviceRow(t, paired.id, { expiryWarnedAt: new Date() });
    const before = await deviceRow(t, paired.id);
    const res = await t.http.post(RENEW).set(bearer(paired.token)).expect(200);
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(Object.keys(res.body).sort()).to.deep.equal(['auth_token', 'expires_at']);
    expect(res.body.auth_token).to.not.equal(paired.token);
    expect(Date.parse(res.body.expires_at)).to.be.greaterThan(Date.now() + 300 * DAY_MS);

    const row = await deviceRow(t, paired.id);
    expect(row.jti).to.not.equal(before.jti);
    expect(row.previousJti).to.equal(before.jti);
    expect(row.previousJtiUntil!.getTime()).to.be.closeTo(Date.now() + DAY_MS, 60_000);
    expect(row.expiresAt.toISOString()).to.equal(res.body.expires_at);
    expect(row.expiryWarnedAt).to.equal(null);

    // The old token still works (several times: no write, still valid), then the new one.
    expect((await session(paired.token).expect(200)).body.principal).to.deep.equal({ kind: 'device', id: paired.id });
    await session(paired.token).expect(200);
    expect((await session(res.body.auth_token).expect(200)).body.principal.id).to.equal(paired.id);
  });

  it('the first use of the new token (REST) retires the old one: 401 and its socket is dropped with "reissued"', async () => {
    const paired = await pairDevice(t, tenant);
    const oldSocket = track(await tabletOnline(t.url, paired.token));
    const { auth_token } = await renew(paired.token);
    // The old-token socket stays up during the grace, and a new old-token socket is accepted.
    const oldSocket2 = track(await tabletOnline(t.url, paired.token));
    expect(oldSocket.socket.connected).to.equal(true);

    await session(auth_token).expect(200);
    expect((await oldSocket.next('revoked')).payload).to.deep.equal({ reason: 'reissued', revoked_reason: null });
    expect(await oldSocket.disconnected()).to.equal('io server disconnect');
    expect((await oldSocket2.next('revoked')).payload.reason).to.equal('reissued');
    expect((await session(paired.token).expect(401)).body.error.code).to.equal('INVALID_TOKEN');
    expect((await refusal(deviceSocket(t.url, paired.token))).message).to.equal('INVALID_TOKEN');
    expect((await deviceRow(t, paired.id)).previousJti).to.equal(null);
    await session(auth_token).expect(200);
  });

  it('the first use through a socket handshake does the same', async () => {
    const paired = await pairDevice(t, tenant);
    const oldSocket = track(await tabletOnline(t.url, paired.token));
    const { auth_token } = await renew(paired.token);
    const newSocket = track(await tabletOnline(t.url, auth_token));
    expect((await oldSocket.next('revoked')).payload.reason).to.equal('reissued');
    await oldSocket.disconnected();
    expect((await session(paired.token).expect(401)).body.error.code).to.equal('INVALID_TOKEN');
    expect(newSocket.socket.connected).to.equal(true);
    expect(newSocket.events.some((e) => e.name === 'revoked')).to.equal(false);
  });

  it('only the first use of the new token retires the old one (one event; later uses find nothing to retire)', async () => {
    const paired = await pairDevice(t, tenant);
    const retired: string[] = [];
    eventBus(t).on('device.previous_token_retired', ({ device, previousJti }) => {
      if (device.id === paired.id) retired.push(previousJti);
    });
    const before = await deviceRow(t, paired.id);
    const { auth_token } = await renew(paired.token);
    await Promise.all([1, 2, 3, 4].map(() => session(auth_token).expect(200)));
    await session(auth_token).expect(200);
    expect(retired).to.deep.equal([before.jti]);
  });

  it('after the 24-hour grace the old token is refused', async () => {
    const paired = await pairDevice(t, tenant);
    const { auth_token } = await renew(paired.token);
    await updateDeviceRow(t, paired.id, { previousJtiUntil: new Date(Date.now() - 1000) });
    expect((await session(paired.token).expect(401)).body.error.code).to.equal('INVALID_TOKEN');
    expect((await refusal(deviceSocket(t.url, paired.token))).message).to.equal('INVALID_TOKEN');
    await session(auth_token).expect(200);
  });

  it('a second renewal before any use replaces the first: the first new token is refused, the old one kept', async () => {
    const paired = await pairDevice(t, tenant);
    const first = await renew(paired.token);
    const until = (await deviceRow(t, paired.id)).previousJtiUntil!;
    const second = await renew(paired.token); // the answer to the first was "lost": the tablet retries
    expect((await session(first.auth_token).expect(401)).body.error.code).to.equal('INVALID_TOKEN');
    await session(paired.token).expect(200);
    const row = await deviceRow(t, paired.id);
    expect(row.previousJtiUntil!.getTime()).to.equal(until.getTime()); // the grace is not extended
    await session(second.auth_token).expect(200);
    expect((await session(paired.token).expect(401)).body.error.code).to.equal('INVALID_TOKEN');
  });

  it('renewing with the new token retires the old one and starts a new grace for the new one', async () => {
    const paired = await pairDevice(t, tenant);
    const first = await renew(paired.token);
    const second = await renew(first.auth_token);
    expect((await session(paired.token).expect(401)).body.error.code).to.equal('INVALID_TOKEN');
    await session(first.auth_token).expect(200);
    await session(second.auth_token).expect(200);
    expect((await session(first.auth_token).expect(401)).body.error.code).to.equal('INVALID_TOKEN');
  });

  it('of two concurrent renewals, exactly one new token works (the other is 409 device_changed or replaced)', async () => {
    const paired = await pairDevice(t, tenant);
    const answers = await Promise.all([1, 2].map(() => t.http.post(RENEW).set(bearer(paired.token))));
    for (const a of answers) {
      expect(a.status).to.be.oneOf([200, 409]);
      if (a.status === 409) expect(a.body.error.details).to.deep.equal({ reason: 'device_changed' });
    }
    const tokens = answers.filter((a) => a.status === 200).map((a) => a.body.auth_token as string);
    expect(tokens.length).to.be.greaterThan(0);
    const row = await deviceRow(t, paired.id);
    const working = tokens.filter(
      (tk) => JSON.parse(Buffer.from(tk.split('.')[1], 'base64url').toString()).jti === row.jti,
    );
    expect(working).to.have.length(1);
    await session(paired.token).expect(200);
    await session(working[0]).expect(200);
  });

  it('over 5 renewals per device per hour is 429 RATE_LIMITED', async () => {
    const paired = await pairDevice(t, tenant);
    for (let i = 0; i < 5; i++) await renew(paired.token); // retries with the old token: each replaces the last
    const res = await t.http.post(RENEW).set(bearer(paired.token)).expect(429);
    expect(res.body.error.code).to.equal('RATE_LIMITED');
    expect(res.headers['retry-after']).to.match(/^\d+$/);
  });

  it('when the grace ends, the old token\'s sockets are dropped with "reissued" (the timer of the renewing node)', async () => {
    const paired = await pairDevice(t, tenant);
    const oldSocket = track(await tabletOnline(t.url, paired.token));
    await renew(paired.token);
    // Bring the deadline close: the row, and the renewal event that arms the timer (it re-arms per device).
    const soon = new Date(Date.now() + 300);
    await updateDeviceRow(t, paired.id, { previousJtiUntil: soon });
    const row = await deviceRow(t, paired.id);
    eventBus(t).emit('device.renewed', { device: row, previousJti: row.previousJti! });
    expect((await oldSocket.next('revoked')).payload).to.deep.equal({ reason: 'reissued', revoked_reason: null });
    await oldSocket.disconnected();
    expect((await session(paired.token).expect(401)).body.error.code).to.equal('INVALID_TOKEN');
  });

  it("a portal reissue during the grace refuses both earlier tokens and drops the grace token's sockets", async () => {
    const paired = await pairDevice(t, tenant);
    const { auth_token } = await renew(paired.token);
    const oldSocket = track(await tabletOnline(t.url, paired.token));
    const reissued = await t.http
      .post(`/api/v1/merchants/loyalty/devices/${paired.id}/reissue`)
      .set(bearer(tenant.merchantToken))
      .expect(200);
    expect((await oldSocket.next('revoked')).payload.reason).to.equal('reissued');
    for (const token of [paired.token, auth_token])
      expect((await session(token).expect(401)).body.error.code).to.equal('INVALID_TOKEN');
    await session(reissued.body.pairing.auth_token).expect(200);
    expect((await deviceRow(t, paired.id)).previousJti).to.equal(null);
  });

  it('a revoked device cannot renew (409 device_revoked: its token is refused first)', async () => {
    const paired = await pairDevice(t, tenant);
    const { auth_token } = await renew(paired.token);
    await t.http
      .post(`/api/v1/merchants/loyalty/devices/${paired.id}/revoke`)
      .set(bearer(tenant.merchantToken))
      .send({})
      .expect(200);
    // Either token of a revoked device is refused at the door (the contract's 401 TERMINAL_DEVICE_REVOKED).
    for (const token of [paired.token, auth_token]) {
      expect((await t.http.post(RENEW).set(bearer(token)).expect(401)).body.error.code).to.equal(
        'TERMINAL_DEVICE_REVOKED',
      );
    }
    // The service refuses a revoked device with 409 device_revoked (a revoke landing after the token check).
    const err = await t.hub.ctx.devices.renew(paired.id, SYSTEM_ACTOR).catch((e: unknown) => e);
    expect(err).to.include({ code: 'CONFLICT' });
    expect(JSON.stringify((err as { details?: unknown }).details)).to.include('device_revoked');
  });

  it('user tokens are 403 FORBIDDEN, no token 401', async () => {
    const staff = await makeStaff(t, tenant, [tenant.stores[0].id]);
    for (const token of [tenant.merchantToken, staff.token, t.admin.token]) {
      expect((await t.http.post(RENEW).set(bearer(token)).expect(403)).body.error.code).to.equal('FORBIDDEN');
    }
    await t.http.post(RENEW).expect(401);
  });

  it("the merchant's dashboard gets device:updated with the new expiry", async () => {
    const paired = await pairDevice(t, tenant);
    const dash: TestSocket = track(dashboardSocket(t.url, tenant.merchantToken));
    await dash.connected();
    const { expires_at } = await renew(paired.token);
    const ev = await dash.next('device:updated', (p) => p.device.id === paired.id);
    expect(ev.payload.device.expires_at).to.equal(expires_at);
  });

  it('is documented in /openapi.json', async () => {
    const doc = (await t.http.get('/openapi.json').expect(200)).body;
    const op = doc.paths[RENEW].post;
    expect(op.responses).to.include.keys('200', '401', '403', '409', '429');
  });
});

describe('devices: token renewal across two nodes (MariaDB + Redis)', () => {
  if (!REDIS_URL) {
    it.skip('needs REDIS_URL');
    return;
  }
  const shared = { JWT_KEYS: testKey('k1') };
  const a = suite(shared);
  const b = suite(shared);
  const track = closedAfterEach();

  it("renewed on A, the new token's first use on B drops the old token's socket on A", async () => {
    const tenant = await makeTenant(a, 1);
    const paired = await pairDevice(a, tenant);
    const oldSocket = track(await tabletOnline(a.url, paired.token));
    const { auth_token } = (await a.http.post(RENEW).set(bearer(paired.token)).expect(200)).body;
    await b.http.get(SESSION).set(bearer(auth_token)).expect(200);
    expect((await oldSocket.next('revoked')).payload).to.deep.equal({ reason: 'reissued', revoked_reason: null });
    await oldSocket.disconnected();
    expect((await a.http.get(SESSION).set(bearer(paired.token)).expect(401)).body.error.code).to.equal('INVALID_TOKEN');
  });
});
