import { expect } from 'chai';
import { getDevice, interceptQueries, makeTenant, pairDevice, sleep, suite, waitFor } from '../helpers';
import { closedAfterEach, tabletOnline } from '../socket-helpers';

describe('realtime: last_seen survives a failed flush', () => {
  const FLUSH_MS = 300;
  const t = suite({ LAST_SEEN_FLUSH_MS: String(FLUSH_MS) });
  const track = closedAfterEach();
  let failing = false;
  let failures = 0;
  before(() => {
    // The database refuses the last_seen writes while `failing` (as during an outage); other queries go through.
    interceptQueries(t, (sql, _params, run) => {
      if (failing && /^UPDATE loyalty_terminal_devices SET last_seen_at/.test(sql)) {
        failures++;
        return Promise.reject(new Error('database unavailable'));
      }
      return run();
    });
  });

  it('keeps what it could not write and writes it once the database answers again', async () => {
    const tenant = await makeTenant(t, 1);
    const device = await pairDevice(t, tenant);
    failing = true;
    const tablet = track(await tabletOnline(t.url, device.token));
    const connectedAt = Date.now();
    tablet.close();
    await waitFor(() => failures >= 2, 5000); // two flushes failed, a few hundred ms apart
    const get = () => getDevice(t, tenant, device.id);
    expect((await get()).last_seen_at).to.equal(null);

    failing = false;
    const seen = await waitFor(async () => (await get()).last_seen_at, 5000);
    expect(new Date(seen).getTime()).to.be.within(connectedAt - 2000, connectedAt + 2000);
    expect((await get()).last_seen_ip).to.equal('127.0.0.1');
    await sleep(FLUSH_MS * 2);
  });
});
