import { expect } from 'chai';
import { adminToken, bearer, createTenant, pairDevice, sleep, startHub, type TestHub, waitFor } from '../helpers';
import { deviceSocket } from '../socket-helpers';

describe('realtime: last_seen survives a failed flush', () => {
  const FLUSH_MS = 300;
  let t: TestHub;
  let failing = false;
  let failures = 0;
  before(async () => {
    t = await startHub({ LAST_SEEN_FLUSH_MS: String(FLUSH_MS) });
    // The database refuses the last_seen writes while `failing` (as during an outage); other queries go through.
    const db = t.hub.ctx.db;
    const query = db.query.bind(db);
    db.query = ((sql: string, params?: unknown[]) => {
      if (failing && /^UPDATE loyalty_terminal_devices SET last_seen_at/.test(sql)) {
        failures++;
        return Promise.reject(new Error('database unavailable'));
      }
      return query(sql, params);
    }) as typeof db.query;
  });
  after(() => t.close());

  it('keeps what it could not write and writes it once the database answers again', async () => {
    const tenant = await createTenant(t, (await adminToken(t)).token, 1);
    const device = await pairDevice(t, tenant);
    failing = true;
    const tablet = deviceSocket(t.url, device.token);
    await tablet.session();
    const connectedAt = Date.now();
    tablet.close();
    await waitFor(() => failures >= 2, 5000); // two flushes failed, a few hundred ms apart
    const get = async () =>
      (await t.http.get(`/api/v1/merchants/loyalty/devices/${device.id}`).set(bearer(tenant.merchantToken))).body
        .device;
    expect((await get()).last_seen_at).to.equal(null);

    failing = false;
    const seen = await waitFor(async () => (await get()).last_seen_at, 5000);
    expect(new Date(seen).getTime()).to.be.within(connectedAt - 2000, connectedAt + 2000);
    expect((await get()).last_seen_ip).to.equal('127.0.0.1');
    await sleep(FLUSH_MS * 2);
  });
});
