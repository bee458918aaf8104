import { expect } from 'chai';
import fc from 'fast-check';
import { adminToken, bearer, createTenant, pairDevice, startHub, type Tenant, type TestHub } from '../helpers';

const DEVICES = '/api/v1/merchants/loyalty/devices';
const STORE = '/api/v1/store/loyalty';

/** Any JSON a client could send, and objects that look like the real bodies with hostile values in them. */
const json = fc.jsonValue({ maxDepth: 3 });
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  fc.constantFrom('', ' ', '\u0000', '\u202E', '\uD800', '\u200B', 'ſtore', 'a'.repeat(5000)),
);
const hostileValue = fc.oneof(hostileText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), json);
const looksLike = (keys: string[]) =>
  fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 10 })), hostileValue, { maxKeys: 4 });

/**
 * Property tests over the REST surface: whatever a client sends as a body, query or path parameter, the answer is
 * never a 5xx, and a refused write changes nothing.
 */
describe('properties: never a 500, never a partial write', function () {
  this.timeout(180_000);
  let t: TestHub;
  let tenant: Tenant;
  let deviceToken: string;
  let deviceId: number;
  before(async () => {
    t = await startHub({ PAIRINGS_PER_MINUTE: '100000' });
    tenant = await createTenant(t, (await adminToken(t)).token, 1);
    const device = await pairDevice(t, tenant);
    deviceToken = device.token;
    deviceId = device.id;
  });
  after(() => t.close());

  const state = async () => {
    const devices = (await t.http.get(DEVICES).set(bearer(tenant.merchantToken)).expect(200)).body;
    const txs = (await t.http.get(`${STORE}/transactions?limit=100`).set(bearer(deviceToken)).expect(200)).body;
    const program = (await t.http.get(`${STORE}/program`).set(bearer(deviceToken)).expect(200)).body;
    return JSON.stringify([devices, txs.items.length, program]);
  };

  const writes: { name: string; send: (body: unknown) => Promise<{ status: number }>; keys: string[] }[] = [
    {
      name: 'pair',
      keys: ['store_id', 'label'],
      send: (b) => t.http.post(DEVICES).set(bearer(tenant.merchantToken)).type('json').send(JSON.stringify(b)),
    },
    {
      name: 'rename',
      keys: ['label'],
      send: (b) =>
        t.http.patch(`${DEVICES}/${deviceId}`).set(bearer(tenant.merchantToken)).type('json').send(JSON.stringify(b)),
    },
    {
      name: 'enrol',
      keys: ['card_number', 'customer_name'],
      send: (b) => t.http.post(`${STORE}/cards`).set(bearer(deviceToken)).type('json').send(JSON.stringify(b)),
    },
    {
      name: 'program',
      keys: ['stamps_required', 'reward_label'],
      send: (b) =>
        t.http
          .put('/api/v1/merchants/loyalty/program')
          .set(bearer(tenant.merchantToken))
          .type('json')
          .send(JSON.stringify(b)),
    },
  ];

  for (const w of writes) {
    it(`${w.name}: any body gets 2xx or a 4xx that changed nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(json, looksLike(w.keys)), async (body) => {
          const before = await state();
          const res = await w.send(body);
          expect(res.status, JSON.stringify(body)).to.be.below(500);
          if (res.status >= 400) expect(await state(), 'a refused write changed something').to.equal(before);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('any query string or path parameter gets an answer below 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), async (a, b) => {
        const q = encodeURIComponent(a);
        const p = encodeURIComponent(b) || '%20';
        const answers = await Promise.all([
          t.http.get(`${DEVICES}?store_id=${q}&status=${q}&limit=${q}&offset=${q}`).set(bearer(tenant.merchantToken)),
          t.http.get(`${DEVICES}/${p}`).set(bearer(tenant.merchantToken)),
          t.http.get(`${STORE}/cards/${p}`).set(bearer(deviceToken)),
          t.http.get(`${STORE}/transactions?limit=${q}`).set(bearer(deviceToken)),
          t.http.get(`/api/v1/admin/merchants/${p}/loyalty/devices`).set(bearer(tenant.merchantToken)),
        ]);
        for (const res of answers) expect(res.status, `${a} / ${b}`).to.be.below(500);
      }),
      { numRuns: 60 },
    );
  });
});
