import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { EntityManager } from 'typeorm';
import { AppError } from '../../src/errors';
import { IdempotencyKeys } from '../../src/loyalty/idempotency';
import { Merchant } from '../../src/tenancy/entities';
import { dataSource, makeTenant, sleep, suite, uniq, type Tenant } from '../helpers';

/** IdempotencyKeys on the suite's real database, without HTTP. */
describe('IdempotencyKeys: claims on the database', () => {
  const t = suite();
  let keys: IdempotencyKeys;
  let tenant: Tenant;
  before(async () => {
    keys = new IdempotencyKeys(dataSource(t));
    tenant = await makeTenant(t, 2);
  });

  /**
   * A write whose effect is a row (a merchant with a name of its own) inserted in the claim's transaction;
   * `effects()` counts the committed rows, `calls` the runs.
   */
  function write(answer: (n: number) => { status: number; body: unknown } = (n) => ({ status: 201, body: { n } })) {
    const name = uniq('effect ');
    const w = {
      calls: 0,
      async op(em: EntityManager) {
        const n = ++w.calls;
        const now = new Date();
        await em.insert(Merchant, { name, createdAt: now, updatedAt: now });
        await sleep(20); // hold the claim a while: concurrent claims arrive meanwhile
        return answer(n);
      },
      effects: () => dataSource(t).getRepository(Merchant).countBy({ name }),
    };
    return w;
  }
  const store = () => tenant.stores[0].id;
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => expect.fail('expected a refusal'),
      (err: unknown) => err,
    );

  it('the same key and request replays the first answer and has one effect', async () => {
    const w = write();
    const key = randomUUID();
    const first = await keys.run(store(), key, { op: 'stamp', count: 1 }, w.op);
    const again = await keys.run(store(), key, { op: 'stamp', count: 1 }, w.op);
    expect(first).to.deep.equal({ status: 201, body: '{"n":1}', replayed: false });
    expect(again).to.deep.equal({ status: 201, body: '{"n":1}', replayed: true });
    expect(w.calls).to.equal(1);
    expect(await w.effects()).to.equal(1);
  });

  it('the same key with another request is IDEMPOTENCY_KEY_REUSED and runs nothing', async () => {
    const w = write();
    const key = randomUUID();
    await keys.run(store(), key, { op: 'stamp', count: 1 }, w.op);
    for (const other of [{ op: 'stamp', count: 2 }, { op: 'redeem' }]) {
      const err = await refusal(keys.run(store(), key, other, w.op));
      expect(err).to.be.instanceOf(AppError).and.include({ code: 'IDEMPOTENCY_KEY_REUSED', status: 409 });
    }
    expect(w.calls).to.equal(1);
    expect(await w.effects()).to.equal(1);
  });

  it('keys are per store: the same key in another store is a new request', async () => {
    const w = write();
    const key = randomUUID();
    await keys.run(tenant.stores[0].id, key, { op: 'stamp' }, w.op);
    const there = await keys.run(tenant.stores[1].id, key, { op: 'stamp' }, w.op);
    expect(there).to.deep.equal({ status: 201, body: '{"n":2}', replayed: false });
    expect(await w.effects()).to.equal(2);
  });

  it('concurrent claims of one key: one effect, one first answer, the others replay it', async () => {
    const w = write();
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 8 }, () => keys.run(store(), key, { op: 'stamp' }, w.op)));
    expect(w.calls).to.equal(1);
    expect(await w.effects()).to.equal(1);
    expect(answers.filter((a) => !a.replayed)).to.have.length(1);
    expect(new Set(answers.map((a) => a.body))).to.deep.equal(new Set(['{"n":1}']));
  });

  it('a domain error is the first answer too: rolled back, recorded, replayed with Idempotent-Replayed', async () => {
    const w = write(() => {
      throw new AppError('INSUFFICIENT_STAMPS', { stamps: 1, stamps_required: 3 });
    });
    const key = randomUUID();
    const first = await refusal(keys.run(store(), key, { op: 'redeem' }, w.op));
    expect(first).to.include({ code: 'INSUFFICIENT_STAMPS' });
    expect(await w.effects(), 'the effect is rolled back').to.equal(0);
    const again = (await refusal(keys.run(store(), key, { op: 'redeem' }, w.op))) as AppError;
    expect(again).to.include({ code: 'INSUFFICIENT_STAMPS', status: 409 });
    expect(again.details).to.deep.equal({ stamps: 1, stamps_required: 3 });
    expect(again.headers).to.deep.equal({ 'Idempotent-Replayed': 'true' });
    expect(w.calls).to.equal(1);
  });

  it('an unexpected error is not recorded: a retry runs again', async () => {
    let fail = true;
    const w = write((n) => {
      if (fail) throw new Error('database hiccup');
      return { status: 201, body: { n } };
    });
    const key = randomUUID();
    expect(await refusal(keys.run(store(), key, { op: 'stamp' }, w.op))).to.have.property('message', 'database hiccup');
    expect(await w.effects()).to.equal(0);
    fail = false;
    expect(await keys.run(store(), key, { op: 'stamp' }, w.op)).to.deep.equal({
      status: 201,
      body: '{"n":2}',
      replayed: false,
    });
    expect(await w.effects()).to.equal(1);
  });

  it('without a key every call is a new request', async () => {
    const w = write();
    await keys.run(store(), undefined, { op: 'stamp' }, w.op);
    const second = await keys.run(store(), undefined, { op: 'stamp' }, w.op);
    expect(second).to.deep.equal({ status: 201, body: '{"n":2}', replayed: false });
    expect(await w.effects()).to.equal(2);
  });
});
