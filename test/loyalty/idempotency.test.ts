import { expect } from 'chai';
import { bearer, loyaltyService, makeTenant, pairDevice, suite, type Tenant } from '../helpers';
import { enrol, newKey, storeApi, type StoreApi } from './helpers';

describe('store loyalty API: Idempotency-Key', () => {
  const t = suite();
  let tenant: Tenant;
  let api: StoreApi;
  before(async () => {
    tenant = await makeTenant(t, 2);
    api = storeApi(t, (await pairDevice(t, tenant, 0)).token);
  });

  const card = async (number: string) => (await api.get(`/cards/${number}`).expect(200)).body;
  const transactionCount = async (a = api) => (await a.get('/transactions?limit=100').expect(200)).body.items.length;

  it('a retried stamp returns the first answer byte for byte and adds nothing', async () => {
    const number = await enrol(api);
    const key = newKey();
    const first = await api.post(`/cards/${number}/stamps`, { count: 3 }, key).expect(201);
    expect(first.headers).to.not.have.property('idempotent-replayed');
    const before = await transactionCount();
    const retry = await api.post(`/cards/${number}/stamps`, { count: 3 }, key).expect(201);
    expect(retry.text).to.equal(first.text);
    expect(retry.headers['idempotent-replayed']).to.equal('true');
    expect((await card(number)).stamps).to.equal(3);
    expect(await transactionCount()).to.equal(before);
  });

  it('a retried enrolment without a card number returns the same generated card, and enrols one card only', async () => {
    const key = newKey();
    const before = await transactionCount();
    const first = await api.post('/cards', { customer_name: 'Grace' }, key).expect(201);
    const retry = await api.post('/cards', { customer_name: 'Grace' }, key).expect(201);
    expect(retry.text).to.equal(first.text);
    expect(await transactionCount()).to.equal(before + 1);
  });

  it('the same key with another body, or on another card or route, is 409 IDEMPOTENCY_KEY_REUSED and changes nothing', async () => {
    const a = await enrol(api);
    const b = await enrol(api);
    await api.post(`/cards/${a}/stamps`, { count: 10 }, 'reuse-me').expect(201);
    for (const [path, body] of [
      [`/cards/${a}/stamps`, { count: 2 }],
      [`/cards/${b}/stamps`, { count: 10 }],
      [`/cards/${a}/redeem`, {}],
      ['/cards', {}],
    ] as const) {
      const res = await api.post(path, body, 'reuse-me').expect(409);
      expect(res.body.error.code, path).to.equal('IDEMPOTENCY_KEY_REUSED');
    }
    expect((await card(a)).stamps).to.equal(10);
    expect((await card(a)).rewards_redeemed).to.equal(0);
    expect((await card(b)).stamps).to.equal(0);
  });

  it('two concurrent requests with the same key have one effect and the same answer', async () => {
    const number = await enrol(api);
    const key = newKey();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => api.post(`/cards/${number}/stamps`, { count: 2 }, key)),
    );
    expect(answers.map((r) => r.status)).to.deep.equal([201, 201, 201, 201, 201, 201]);
    expect(new Set(answers.map((r) => r.text)).size).to.equal(1);
    expect(answers.filter((r) => r.headers['idempotent-replayed'] === 'true')).to.have.length(5);
    expect((await card(number)).stamps).to.equal(2);
  });

  it('keys are scoped to the store: the same key in another store is a new request', async () => {
    const number = await enrol(api);
    const key = newKey();
    const otherStore = storeApi(t, (await pairDevice(t, tenant, 1)).token);
    const here = await api.post(`/cards/${number}/stamps`, { count: 1 }, key).expect(201);
    const there = await otherStore.post(`/cards/${number}/stamps`, { count: 1 }, key).expect(201);
    expect(there.headers).to.not.have.property('idempotent-replayed');
    expect(there.body.transaction.id).to.not.equal(here.body.transaction.id);
    expect((await card(number)).stamps).to.equal(2);
    // ... while every caller of the same store shares them (a user at the counter retrying for a tablet).
    const counter = storeApi(t, tenant.merchantToken, tenant.stores[0].code);
    expect((await counter.post(`/cards/${number}/stamps`, { count: 1 }, key).expect(201)).text).to.equal(here.text);
  });

  it('a refusal is the first answer too: a retry after the card earned stamps is still 409 and redeems nothing', async () => {
    const number = await enrol(api);
    const key = newKey();
    const first = await api.post(`/cards/${number}/redeem`, undefined, key).expect(409);
    expect(first.body.error.code).to.equal('INSUFFICIENT_STAMPS');
    await api.post(`/cards/${number}/stamps`, { count: 10 }).expect(201);
    const retry = await api.post(`/cards/${number}/redeem`, undefined, key).expect(409);
    expect(retry.text).to.equal(first.text);
    expect((await card(number)).stamps).to.equal(10);
    await api.post(`/cards/${number}/redeem`, undefined, newKey()).expect(201);
    expect(await card(number)).to.include({ stamps: 0, rewards_redeemed: 1 });
  });

  it('validation errors are not recorded: the key can be used once the request is right', async () => {
    const number = await enrol(api);
    const key = newKey();
    await api.post(`/cards/${number}/stamps`, { count: 99 }, key).expect(400);
    await api.post(`/cards/${number}/stamps`, { count: 4 }, key).expect(201);
    expect((await card(number)).stamps).to.equal(4);
  });

  it('answers are kept 24 hours: the purge keeps younger keys and frees older ones', async () => {
    const number = await enrol(api);
    const key = newKey();
    const first = await api.post(`/cards/${number}/stamps`, { count: 1 }, key).expect(201);
    await loyaltyService(t).purgeIdempotencyKeys(new Date(Date.now() + 23 * 3_600_000));
    expect((await api.post(`/cards/${number}/stamps`, { count: 1 }, key).expect(201)).text).to.equal(first.text);
    expect((await card(number)).stamps).to.equal(1);
    expect(await loyaltyService(t).purgeIdempotencyKeys(new Date(Date.now() + 24 * 3_600_000 + 60_000))).to.be.at.least(
      1,
    );
    const again = await api.post(`/cards/${number}/stamps`, { count: 1 }, key).expect(201);
    expect(again.body.transaction.id).to.not.equal(first.body.transaction.id);
    expect((await card(number)).stamps).to.equal(2);
  });

  it('program changes by merchants are plain PUTs (idempotent by nature), not keyed', async () => {
    const body = { stamps_required: 7, reward_label: 'Tea' };
    const a = await t.http
      .put('/api/v1/merchants/loyalty/program')
      .set(bearer(tenant.merchantToken))
      .send(body)
      .expect(200);
    const b = await t.http
      .put('/api/v1/merchants/loyalty/program')
      .set(bearer(tenant.merchantToken))
      .send(body)
      .expect(200);
    expect(b.body).to.deep.equal(a.body);
  });
});
