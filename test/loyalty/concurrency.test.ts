import { expect } from 'chai';
import { bearer, makeTenant, pairDevice, suite, type Tenant } from '../helpers';
import { enrol, storeApi } from './helpers';

describe('store loyalty API: concurrent writes', () => {
  const t = suite();
  let tenant: Tenant;
  before(async () => {
    tenant = await makeTenant(t, 2);
    await t.http
      .put('/api/v1/merchants/loyalty/program')
      .set(bearer(tenant.merchantToken))
      .send({ stamps_required: 3, reward_label: 'Croissant' })
      .expect(200);
  });

  it('50 concurrent stamps from several paired tablets in two stores all count: exactly 50', async () => {
    const tablets = [];
    for (let i = 0; i < 5; i++) tablets.push(await pairDevice(t, tenant, i % 2, `Tablet ${i}`));
    const apis = tablets.map((d) => ({ id: d.id, api: storeApi(t, d.token) }));
    const number = await enrol(apis[0].api);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => apis[i % apis.length].api.post(`/cards/${number}/stamps`, { count: 1 })),
    );
    expect(answers.map((r) => r.status)).to.deep.equal(Array(50).fill(201));
    // Every answer saw its own stamp on top of the others: the balances it reports are 1..50, each once.
    expect(answers.map((r) => r.body.card.stamps).sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    expect((await apis[0].api.get(`/cards/${number}`).expect(200)).body.stamps).to.equal(50);
    const byDevice = new Map<number, number>();
    for (const r of answers)
      byDevice.set(r.body.transaction.device_id, (byDevice.get(r.body.transaction.device_id) ?? 0) + 1);
    expect([...byDevice.entries()].sort()).to.deep.equal(apis.map((a) => [a.id, 10]).sort());
  });

  it('a card with stamps for one reward (3), redeemed twice at once: one 201, one 409 INSUFFICIENT_STAMPS, never negative', async () => {
    const a = storeApi(t, (await pairDevice(t, tenant, 0)).token);
    const b = storeApi(t, (await pairDevice(t, tenant, 1)).token);
    for (let round = 0; round < 5; round++) {
      const number = await enrol(a);
      await a.post(`/cards/${number}/stamps`, { count: 4 }).expect(201);
      const answers = await Promise.all([a.post(`/cards/${number}/redeem`), b.post(`/cards/${number}/redeem`)]);
      expect(answers.map((r) => r.status).sort()).to.deep.equal([201, 409]);
      // The refusal reports the balance it was refused on (after the other redemption), not a stale one.
      expect(answers.find((r) => r.status === 409)!.body.error).to.deep.include({
        code: 'INSUFFICIENT_STAMPS',
        details: { stamps: 1, stamps_required: 3 },
      });
      expect((await a.get(`/cards/${number}`).expect(200)).body).to.include({ stamps: 1, rewards_redeemed: 1 });
    }
  });

  it('concurrent program changes by one merchant all succeed, the first time and after; one of them wins', async () => {
    const other = await makeTenant(t, 1);
    for (let round = 0; round < 3; round++) {
      const bodies = Array.from({ length: 6 }, (_, i) => ({
        stamps_required: i + 2,
        reward_label: `Reward ${round}-${i}`,
      }));
      const answers = await Promise.all(
        bodies.map((b) => t.http.put('/api/v1/merchants/loyalty/program').set(bearer(other.merchantToken)).send(b)),
      );
      expect(answers.map((r) => r.status)).to.deep.equal(Array(6).fill(200));
      const now = (await t.http.get('/api/v1/merchants/loyalty/program').set(bearer(other.merchantToken)).expect(200))
        .body;
      expect(bodies.map((b) => ({ ...b, is_default: false }))).to.deep.include(now);
    }
  });

  it('concurrent stamps and redemptions leave a balance that matches the transactions', async () => {
    const a = storeApi(t, (await pairDevice(t, tenant, 0)).token);
    const b = storeApi(t, tenant.merchantToken, tenant.stores[1].code);
    const number = await enrol(a);
    await a.post(`/cards/${number}/stamps`, { count: 6 }).expect(201);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).post(
          `/cards/${number}/${i % 4 < 2 ? 'redeem' : 'stamps'}`,
          i % 4 < 2 ? undefined : { count: 1 },
        ),
      ),
    );
    const redeemed = answers.filter((r) => r.status === 201 && r.body.transaction.type === 'redeem').length;
    expect(answers.every((r) => r.status === 201 || r.body.error?.code === 'INSUFFICIENT_STAMPS')).to.equal(true);
    const card = (await a.get(`/cards/${number}`).expect(200)).body;
    expect(card.rewards_redeemed).to.equal(redeemed);
    expect(card.stamps).to.equal(6 + 10 - 3 * redeemed);
    expect(card.stamps).to.be.at.least(0);
  });
});
