import { expect } from 'chai';
import { bearer, makeStaff, makeTenant, pairDevice, suite, uniq, type Tenant } from '../helpers';
import { enrol, storeApi } from './helpers';

describe('store loyalty API: program, cards, stamps, rewards, transactions', () => {
  const t = suite();
  let admin: string;
  before(() => {
    admin = t.admin.token;
  });

  describe('session and program', () => {
    it('a device sees itself, its store, its merchant and the default program', async () => {
      const tenant = await makeTenant(t, 2);
      const device = await pairDevice(t, tenant, 1);
      const res = await storeApi(t, device.token).get('/session').expect(200);
      expect(res.body).to.deep.equal({
        principal: { kind: 'device', id: device.id },
        store: { id: tenant.stores[1].id, code: tenant.stores[1].code, name: 'Store 1' },
        merchant: { id: tenant.merchantId, name: tenant.merchantName },
        program: { stamps_required: 10, reward_label: 'Free reward', is_default: true },
      });
    });

    it('a store staff user names its store with X-Store-Code (any case)', async () => {
      const tenant = await makeTenant(t, 2);
      const staff = await makeStaff(t, tenant, [tenant.stores[0].id]);
      const res = await storeApi(t, staff.token, tenant.stores[0].code.toLowerCase()).get('/session').expect(200);
      expect(res.body.principal).to.deep.equal({ kind: 'user', id: staff.id });
      expect(res.body.store.id).to.equal(tenant.stores[0].id);
    });

    it('a merchant sets its program; tablets of its stores see it, other merchants keep the default', async () => {
      const tenant = await makeTenant(t, 1);
      const other = await makeTenant(t, 1);
      const device = await pairDevice(t, tenant);
      const set = await t.http
        .put('/api/v1/merchants/loyalty/program')
        .set(bearer(tenant.merchantToken))
        .send({ stamps_required: 6, reward_label: '  Free coffee ' })
        .expect(200);
      expect(set.body).to.deep.equal({ stamps_required: 6, reward_label: 'Free coffee', is_default: false });
      expect((await storeApi(t, device.token).get('/program').expect(200)).body).to.deep.equal(set.body);
      expect((await storeApi(t, device.token).get('/session').expect(200)).body.program).to.deep.equal(set.body);
      expect(
        (await t.http.get('/api/v1/merchants/loyalty/program').set(bearer(tenant.merchantToken)).expect(200)).body,
      ).to.deep.equal(set.body);
      const otherDevice = await pairDevice(t, other);
      expect((await storeApi(t, otherDevice.token).get('/program').expect(200)).body.is_default).to.equal(true);
      // A second PUT replaces it.
      await t.http
        .put('/api/v1/merchants/loyalty/program')
        .set(bearer(tenant.merchantToken))
        .send({ stamps_required: 8, reward_label: 'Cake' })
        .expect(200);
      expect((await storeApi(t, device.token).get('/program').expect(200)).body).to.deep.equal({
        stamps_required: 8,
        reward_label: 'Cake',
        is_default: false,
      });
    });

    it("an admin reads and sets a merchant's program on its behalf; unknown merchant is 404", async () => {
      const tenant = await makeTenant(t, 1);
      const path = `/api/v1/admin/merchants/${tenant.merchantId}/loyalty/program`;
      expect((await t.http.get(path).set(bearer(admin)).expect(200)).body.is_default).to.equal(true);
      await t.http.put(path).set(bearer(admin)).send({ stamps_required: 3, reward_label: 'Muffin' }).expect(200);
      expect(
        (await t.http.get('/api/v1/merchants/loyalty/program').set(bearer(tenant.merchantToken)).expect(200)).body,
      ).to.deep.equal({ stamps_required: 3, reward_label: 'Muffin', is_default: false });
      const missing = await t.http
        .put('/api/v1/admin/merchants/999999/loyalty/program')
        .set(bearer(admin))
        .send({ stamps_required: 3, reward_label: 'X' })
        .expect(404);
      expect(missing.body.error.code).to.equal('NOT_FOUND');
    });

    it('only merchant users (and admins on behalf) set a program; bad values are 400 naming the fields', async () => {
      const tenant = await makeTenant(t, 1);
      const staff = (await makeStaff(t, tenant, [tenant.stores[0].id])).token;
      const device = await pairDevice(t, tenant);
      const body = { stamps_required: 2, reward_label: 'Sneaky' };
      for (const token of [staff, device.token, admin]) {
        expect(
          (await t.http.put('/api/v1/merchants/loyalty/program').set(bearer(token)).send(body).expect(403)).body.error
            .code,
        ).to.equal('FORBIDDEN');
      }
      expect(
        (
          await t.http
            .put(`/api/v1/admin/merchants/${tenant.merchantId}/loyalty/program`)
            .set(bearer(tenant.merchantToken))
            .send(body)
            .expect(403)
        ).body.error.code,
      ).to.equal('FORBIDDEN');
      const bad = await t.http
        .put('/api/v1/merchants/loyalty/program')
        .set(bearer(tenant.merchantToken))
        .send({ stamps_required: 0, reward_label: '' })
        .expect(400);
      expect(bad.body.error.details.fields).to.have.keys('stamps_required', 'reward_label');
      await t.http
        .put('/api/v1/merchants/loyalty/program')
        .set(bearer(tenant.merchantToken))
        .send({ stamps_required: 101, reward_label: 'x'.repeat(101) })
        .expect(400);
      expect((await storeApi(t, device.token).get('/program').expect(200)).body.is_default).to.equal(true);
    });
  });

  describe('cards', () => {
    let tenant: Tenant;
    before(async () => {
      tenant = await makeTenant(t, 2);
    });

    it('enrols a card with a generated 12-digit number, which the lookup finds', async () => {
      const api = storeApi(t, (await pairDevice(t, tenant)).token);
      const res = await api.post('/cards', { customer_name: 'Ada Lovelace' }).expect(201);
      const card = res.body.card;
      expect(card.card_number).to.match(/^[1-9]\d{11}$/);
      expect(card).to.include({ customer_name: 'Ada Lovelace', stamps: 0, rewards_redeemed: 0 });
      expect(res.body.transaction).to.include({
        type: 'enrol',
        delta: 0,
        card_number: card.card_number,
        store_id: tenant.stores[0].id,
      });
      expect((await api.get(`/cards/${card.card_number}`).expect(200)).body).to.deep.equal(card);
      // No body at all is fine too: a card without a name.
      const bare = await api.post('/cards').expect(201);
      expect(bare.body.card.customer_name).to.equal(null);
    });

    it('enrols a given number (upper-cased) once per merchant; another merchant may use the same number', async () => {
      const number = uniq('ab-').toLowerCase();
      const api = storeApi(t, tenant.merchantToken, tenant.stores[0].code);
      const res = await api.post('/cards', { card_number: number, customer_name: '   ' }).expect(201);
      expect(res.body.card).to.include({ card_number: number.toUpperCase(), customer_name: null });
      const dup = await api.post('/cards', { card_number: number.toUpperCase() }).expect(409);
      expect(dup.body.error).to.deep.include({ code: 'CONFLICT', details: { reason: 'card_number_taken' } });
      // Also from the merchant's other store: card numbers are per merchant.
      await storeApi(t, tenant.merchantToken, tenant.stores[1].code)
        .post('/cards', { card_number: number })
        .expect(409);
      const other = await makeTenant(t, 1);
      const otherApi = storeApi(t, (await pairDevice(t, other)).token);
      await otherApi.post('/cards', { card_number: number }).expect(201);
      await otherApi.post(`/cards/${number}/stamps`, { count: 4 }).expect(201);
      expect((await api.get(`/cards/${number}`).expect(200)).body.stamps).to.equal(0);
    });

    it("a card is usable in the merchant's other stores, never by another merchant (404)", async () => {
      const inStore0 = storeApi(t, (await pairDevice(t, tenant, 0)).token);
      const inStore1 = storeApi(t, (await pairDevice(t, tenant, 1)).token);
      const number = await enrol(inStore0);
      const stamped = await inStore1.post(`/cards/${number}/stamps`, { count: 2 }).expect(201);
      expect(stamped.body.card.stamps).to.equal(2);
      expect(stamped.body.transaction.store_id).to.equal(tenant.stores[1].id);

      const other = await makeTenant(t, 1);
      const outsiders = [
        storeApi(t, (await pairDevice(t, other)).token),
        storeApi(t, other.merchantToken, other.stores[0].code),
      ];
      for (const api of outsiders) {
        expect((await api.get(`/cards/${number}`).expect(404)).body.error.code).to.equal('NOT_FOUND');
        expect((await api.post(`/cards/${number}/stamps`, { count: 1 }).expect(404)).body.error.code).to.equal(
          'NOT_FOUND',
        );
        expect((await api.post(`/cards/${number}/redeem`).expect(404)).body.error.code).to.equal('NOT_FOUND');
      }
      expect((await inStore0.get(`/cards/${number}`).expect(200)).body).to.include({ stamps: 2, rewards_redeemed: 0 });
    });

    it('an unknown card is 404 for lookup, stamps and redeem', async () => {
      const api = storeApi(t, (await pairDevice(t, tenant)).token);
      await api.get('/cards/NO-SUCH-CARD').expect(404);
      await api.post('/cards/NO-SUCH-CARD/stamps', { count: 1 }).expect(404);
      await api.post('/cards/NO-SUCH-CARD/redeem').expect(404);
    });
  });

  describe('stamps and rewards', () => {
    it('stamps add up; redeem spends stamps_required for one reward, then 409 INSUFFICIENT_STAMPS without going negative', async () => {
      const tenant = await makeTenant(t, 1);
      await t.http
        .put('/api/v1/merchants/loyalty/program')
        .set(bearer(tenant.merchantToken))
        .send({ stamps_required: 5, reward_label: 'Free coffee' })
        .expect(200);
      const api = storeApi(t, (await pairDevice(t, tenant)).token);
      const number = await enrol(api);
      expect((await api.post(`/cards/${number}/stamps`, { count: 4 }).expect(201)).body.card.stamps).to.equal(4);
      const short = await api.post(`/cards/${number}/redeem`).expect(409);
      expect(short.body.error).to.deep.include({
        code: 'INSUFFICIENT_STAMPS',
        details: { stamps: 4, stamps_required: 5 },
      });
      const stamped = await api.post(`/cards/${number}/stamps`, { count: 3 }).expect(201);
      expect(stamped.body.card.stamps).to.equal(7);
      expect(stamped.body.transaction).to.include({ type: 'stamp', delta: 3, card_number: number });
      const redeemed = await api.post(`/cards/${number}/redeem`, {}).expect(201);
      expect(redeemed.body.card).to.include({ stamps: 2, rewards_redeemed: 1 });
      expect(redeemed.body.transaction).to.include({ type: 'redeem', delta: -5 });
      await api.post(`/cards/${number}/redeem`).expect(409);
      expect((await api.get(`/cards/${number}`).expect(200)).body).to.include({ stamps: 2, rewards_redeemed: 1 });
    });

    it('a smaller stamps_required applies to the next redemption; stamps already earned stay', async () => {
      const tenant = await makeTenant(t, 1);
      const api = storeApi(t, (await pairDevice(t, tenant)).token);
      const number = await enrol(api);
      await api.post(`/cards/${number}/stamps`, { count: 4 }).expect(201);
      await api.post(`/cards/${number}/redeem`).expect(409);
      await t.http
        .put('/api/v1/merchants/loyalty/program')
        .set(bearer(tenant.merchantToken))
        .send({ stamps_required: 4, reward_label: 'Bagel' })
        .expect(200);
      expect((await api.post(`/cards/${number}/redeem`).expect(201)).body.card).to.include({
        stamps: 0,
        rewards_redeemed: 1,
      });
    });
  });

  describe('transactions and the principal of record', () => {
    it("lists this store's transactions newest first, with the device and the user who paired it", async () => {
      const tenant = await makeTenant(t, 2);
      const device = await pairDevice(t, tenant, 0);
      const { token: staff, id: staffId } = await makeStaff(t, tenant, [tenant.stores[0].id, tenant.stores[1].id]);
      const tablet = storeApi(t, device.token);
      const counter = storeApi(t, staff, tenant.stores[0].code);
      const number = await enrol(tablet);
      await tablet.post(`/cards/${number}/stamps`, { count: 2 }).expect(201);
      await counter.post(`/cards/${number}/stamps`, { count: 5 }).expect(201);
      await storeApi(t, staff, tenant.stores[1].code).post(`/cards/${number}/stamps`, { count: 1 }).expect(201);

      const items = (await tablet.get('/transactions').expect(200)).body.items;
      expect(items.map((i: { type: string; delta: number }) => [i.type, i.delta])).to.deep.equal([
        ['stamp', 5],
        ['stamp', 2],
        ['enrol', 0],
      ]);
      expect(items[1]).to.include({
        device_id: device.id,
        acting_user_id: tenant.merchantUserId,
        store_id: tenant.stores[0].id,
        card_number: number,
      });
      expect(items[0]).to.include({ device_id: null, acting_user_id: staffId });
      expect(new Date(items[0].created_at).getTime()).to.be.at.least(new Date(items[2].created_at).getTime());
      expect((await counter.get('/transactions?limit=1').expect(200)).body.items).to.deep.equal([items[0]]);
      const store1 = (await storeApi(t, tenant.merchantToken, tenant.stores[1].code).get('/transactions').expect(200))
        .body.items;
      expect(store1.map((i: { delta: number; acting_user_id: number }) => [i.delta, i.acting_user_id])).to.deep.equal([
        [1, staffId],
      ]);
    });
  });

  describe('who may act for which store', () => {
    let tenant: Tenant;
    let number: string;
    before(async () => {
      tenant = await makeTenant(t, 2);
      number = await enrol(storeApi(t, tenant.merchantToken, tenant.stores[0].code));
    });
    const stamps = async () =>
      (await storeApi(t, tenant.merchantToken, tenant.stores[0].code).get(`/cards/${number}`).expect(200)).body.stamps;

    it("store staff of another store get 403; another merchant's store is 404; nothing is stamped", async () => {
      const staff1 = (await makeStaff(t, tenant, [tenant.stores[1].id])).token;
      const res = await storeApi(t, staff1, tenant.stores[0].code)
        .post(`/cards/${number}/stamps`, { count: 1 })
        .expect(403);
      expect(res.body.error.code).to.equal('FORBIDDEN');
      await storeApi(t, staff1, tenant.stores[0].code).get('/transactions').expect(403);
      const other = await makeTenant(t, 1);
      for (const token of [other.merchantToken, (await makeStaff(t, other, [other.stores[0].id])).token]) {
        expect(
          (await storeApi(t, token, tenant.stores[0].code).post(`/cards/${number}/stamps`, { count: 1 }).expect(404))
            .body.error.code,
        ).to.equal('NOT_FOUND');
      }
      expect(await stamps()).to.equal(0);
    });

    it('a device naming another store in X-Store-Code is 403, its own store is fine', async () => {
      const device = await pairDevice(t, tenant, 1);
      const res = await storeApi(t, device.token, tenant.stores[0].code)
        .post(`/cards/${number}/stamps`, { count: 1 })
        .expect(403);
      expect(res.body.error.code).to.equal('FORBIDDEN');
      await storeApi(t, device.token, tenant.stores[1].code).get('/session').expect(200);
      expect(await stamps()).to.equal(0);
    });

    it('a device revoked mid-session is refused on its very next request (401 TERMINAL_DEVICE_REVOKED)', async () => {
      const device = await pairDevice(t, tenant, 0);
      const api = storeApi(t, device.token);
      await api.post(`/cards/${number}/stamps`, { count: 1 }).expect(201);
      await t.http
        .post(`/api/v1/merchants/loyalty/devices/${device.id}/revoke`)
        .set(bearer(tenant.merchantToken))
        .send({})
        .expect(200);
      const res = await api.post(`/cards/${number}/stamps`, { count: 1 }).expect(401);
      expect(res.body.error.code).to.equal('TERMINAL_DEVICE_REVOKED');
      expect((await api.get('/session').expect(401)).body.error.code).to.equal('TERMINAL_DEVICE_REVOKED');
      expect(await stamps()).to.equal(1);
    });

    it('admins, users without X-Store-Code, unknown store codes and anonymous callers are refused', async () => {
      expect((await storeApi(t, admin, tenant.stores[0].code).get('/session').expect(403)).body.error.code).to.equal(
        'FORBIDDEN',
      );
      const noHeader = await storeApi(t, tenant.merchantToken).get('/program').expect(400);
      expect(noHeader.body.error.details.fields).to.have.key('X-Store-Code');
      await storeApi(t, tenant.merchantToken, 'NO-SUCH-STORE').get('/program').expect(404);
      expect((await t.http.get('/api/v1/store/loyalty/program').expect(401)).body.error.code).to.equal(
        'UNAUTHENTICATED',
      );
    });
  });

  describe('validation', () => {
    let api: ReturnType<typeof storeApi>;
    let number: string;
    before(async () => {
      const tenant = await makeTenant(t, 1);
      api = storeApi(t, (await pairDevice(t, tenant)).token);
      number = await enrol(api);
    });

    it('stamps need a whole count from 1 to 20', async () => {
      for (const body of [{ count: 0 }, { count: 21 }, { count: 1.5 }, { count: '5' }, {}, { count: 1, extra: true }]) {
        const res = await api.post(`/cards/${number}/stamps`, body).expect(400);
        expect(res.body.error.code, JSON.stringify(body)).to.equal('VALIDATION_ERROR');
      }
      expect(
        (await api.post(`/cards/${number}/stamps`, { count: 0 }).expect(400)).body.error.details.fields,
      ).to.have.key('count');
      expect((await api.post(`/cards/${number}/stamps`).expect(400)).body.error.code).to.equal('VALIDATION_ERROR');
      expect((await api.get(`/cards/${number}`).expect(200)).body.stamps).to.equal(0);
    });

    it('card numbers are 4 to 32 letters, digits or "-"; names at most 100 characters', async () => {
      for (const bad of ['abc', 'x'.repeat(33), 'has space', 'émile', '-LEAD', 'a/b']) {
        const res = await api.post('/cards', { card_number: bad }).expect(400);
        expect(res.body.error.details.fields, bad).to.have.key('card_number');
      }
      expect(
        (await api.post('/cards', { customer_name: 'x'.repeat(101) }).expect(400)).body.error.details.fields,
      ).to.have.key('customer_name');
      await api.post('/cards', { card_number: 12345678 }).expect(400);
      expect((await api.get('/cards/has%20space').expect(400)).body.error.details.fields).to.have.key('card_number');
      await api.post(`/cards/${'9'.repeat(40)}/stamps`, { count: 1 }).expect(400);
      await api.post(`/cards/${number}/redeem`, { count: 1 }).expect(400);
    });

    it('transactions take a limit from 1 to 100', async () => {
      for (const limit of ['0', '101', 'ten', '-1'])
        expect((await api.get(`/transactions?limit=${limit}`).expect(400)).body.error.details.fields).to.have.key(
          'limit',
        );
      expect((await api.get('/transactions?limit=100').expect(200)).body.items).to.have.length(1);
    });

    it('a malformed body or Idempotency-Key is a 400, never a 500', async () => {
      const malformed = await api
        .post(`/cards/${number}/stamps`)
        .set('Content-Type', 'application/json')
        .send('{"count": 1');
      expect(malformed.status).to.equal(400);
      expect(malformed.body.error.code).to.equal('MALFORMED_JSON');
      const badKey = await api.post(`/cards/${number}/stamps`, { count: 1 }, 'x'.repeat(256)).expect(400);
      expect(badKey.body.error.details.fields).to.have.key('Idempotency-Key');
      await api.post(`/cards/${number}/stamps`, { count: 1 }, 'key with spaces').expect(400);
      expect((await api.get(`/cards/${number}`).expect(200)).body.stamps).to.equal(0);
    });
  });
});
