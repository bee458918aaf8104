import { expect } from 'chai';
import { bearer, deviceRow, eventBus, makeStaff, makeTenant, pairDevice, sleep, suite, type Tenant } from '../helpers';
import { closedAfterEach, dashboardSocket, deviceSocket, refusal, TestSocket } from '../socket-helpers';

describe('realtime /dashboard', () => {
  const t = suite();
  const track = closedAfterEach();
  const open = (s: TestSocket) => track(s).connected();
  let admin: string;
  let a: Tenant;
  let b: Tenant;
  before(async () => {
    admin = t.admin.token;
    [a, b] = [await makeTenant(t, 2), await makeTenant(t, 1)];
  });

  it('refuses no token, device tokens and store staff', async () => {
    expect((await refusal(new TestSocket(t.url, '/dashboard'))).message).to.equal('UNAUTHENTICATED');
    const { token } = await pairDevice(t, a);
    expect((await refusal(dashboardSocket(t.url, token))).data).to.deep.equal({
      code: 'FORBIDDEN',
      message: 'You are not allowed to do this.',
    });
    const staff = await makeStaff(t, a, [a.stores[0].id]);
    expect((await refusal(dashboardSocket(t.url, staff.token))).message).to.equal('FORBIDDEN');
  });

  it("a merchant's dashboard hears each event with the full Device, and never another merchant's", async () => {
    const mine = await open(dashboardSocket(t.url, a.merchantToken));
    const other = await open(dashboardSocket(t.url, b.merchantToken));

    const paired = await pairDevice(t, a, 1, 'Till');
    expect((await mine.next('device:paired', (p) => p.device.id === paired.id)).payload).to.deep.equal({
      device: paired.body.device,
    });

    const renamed = await t.http
      .patch(`/api/v1/merchants/loyalty/devices/${paired.id}`)
      .set(bearer(a.merchantToken))
      .send({ label: 'Till 2' })
      .expect(200);
    expect((await mine.next('device:updated', (p) => p.device.id === paired.id)).payload).to.deep.equal({
      device: renamed.body.device,
    });

    const tablet = await open(deviceSocket(t.url, paired.token));
    const online = (await mine.next('device:online', (p) => p.device.id === paired.id)).payload.device;
    expect(online).to.include({
      label: 'Till 2',
      online: true,
      store_code: a.stores[1].code,
      merchant_id: a.merchantId,
    });

    // the expiry job publishes this domain event; the dashboard and the tablet both hear it
    eventBus(t).emit('device.expiring', { device: await deviceRow(t, paired.id) });
    expect((await mine.next('device:expiring', (p) => p.device.id === paired.id)).payload.device).to.include({
      id: paired.id,
      online: true,
    });
    const expiring = (await tablet.next('expiring')).payload;
    expect(expiring).to.deep.equal({ expires_at: paired.body.device.expires_at, days_left: 365 });

    tablet.close();
    await mine.next('device:offline', (p) => p.device.id === paired.id);
    await t.http
      .post(`/api/v1/merchants/loyalty/devices/${paired.id}/revoke`)
      .set(bearer(a.merchantToken))
      .send({})
      .expect(200);
    const revoked = (await mine.next('device:revoked', (p) => p.device.id === paired.id)).payload.device;
    expect(revoked).to.include({ status: 'revoked', online: false });

    expect(mine.about(paired.id).map((e) => e.name)).to.deep.equal([
      'device:paired',
      'device:updated',
      'device:online',
      'device:expiring',
      'device:offline',
      'device:revoked',
    ]);
    // b's own device shows up on b's dashboard only
    const theirs = await pairDevice(t, b);
    await other.next('device:paired', (p) => p.device.id === theirs.id);
    await sleep(100);
    expect(other.events.map((e) => e.payload.device.merchant_id)).to.deep.equal([b.merchantId]);
    expect(mine.about(theirs.id)).to.deep.equal([]);
  });

  it('an admin subscribes to one merchant: the ack lists its devices, events follow, a new subscription replaces the old', async () => {
    const d1 = await pairDevice(t, a, 0, 'Admin watched');
    const dash = await open(dashboardSocket(t.url, admin));
    const ack = await dash.emitWithAck('subscribe', { merchant_id: a.merchantId });
    const list = (
      await t.http.get('/api/v1/merchants/loyalty/devices?limit=500').set(bearer(a.merchantToken)).expect(200)
    ).body;
    expect(ack).to.deep.equal(list);
    expect(ack.items.map((d: { id: number }) => d.id)).to.include(d1.id);

    const d2 = await pairDevice(t, a);
    await dash.next('device:paired', (p) => p.device.id === d2.id);

    expect((await dash.emitWithAck('subscribe', { merchant_id: b.merchantId })).total).to.be.a('number');
    const d3 = await pairDevice(t, a);
    const d4 = await pairDevice(t, b);
    await dash.next('device:paired', (p) => p.device.id === d4.id);
    expect(dash.about(d3.id)).to.deep.equal([]);
  });

  it('subscribe answers errors in the ack: bad payload, unknown merchant, another merchant for a merchant user', async () => {
    const adminDash = await open(dashboardSocket(t.url, admin));
    const bad = await adminDash.emitWithAck('subscribe', { merchant_id: 'one' });
    expect(bad.error.code).to.equal('VALIDATION_ERROR');
    expect(bad.error.details.fields).to.have.key('merchant_id');
    expect((await adminDash.emitWithAck('subscribe', { merchant_id: 99_999_999 })).error).to.deep.equal({
      code: 'NOT_FOUND',
      message: 'Not found.',
    });

    const merchantDash = await open(dashboardSocket(t.url, a.merchantToken));
    expect((await merchantDash.emitWithAck('subscribe', { merchant_id: b.merchantId })).error.code).to.equal(
      'NOT_FOUND',
    );
    expect((await merchantDash.emitWithAck('subscribe', { merchant_id: a.merchantId })).items).to.be.an('array');
    const d = await pairDevice(t, b);
    await sleep(200);
    expect(merchantDash.about(d.id)).to.deep.equal([]);
  });
});
