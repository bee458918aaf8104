import { expect } from 'chai';
import { bearer, insertDevice, makeTenant, type MadeTenant, suite, waitFor } from '../helpers';
import { Receiver } from '../webhooks/receiver';

const DEVICES = '/api/v1/merchants/loyalty/devices';
const DAY = 86_400_000;

describe('revoke: many at once on a small pool, each with its audit entry and its webhook event', function () {
  this.timeout(60_000);
  // Two connections: on MySQL every revoke reads its merchant's endpoints on a connection of its own, alongside its
  // transaction; with 30 revokes at once, a read waiting for the pool behind the transactions would hang them all.
  const t = suite({ DATABASE_POOL_SIZE: '2', WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_MS: '100' });
  let tenant: MadeTenant;
  let receiver: Receiver;

  before(async () => {
    tenant = await makeTenant(t, 1);
    receiver = await new Receiver().start();
  });
  after(() => receiver.close());

  it('30 revokes at once all answer 200, revoked and offline; 30 audit entries, 30 device.revoked deliveries', async () => {
    await t.http
      .post('/api/v1/merchants/webhooks')
      .set(bearer(tenant.merchantToken))
      .send({ url: `${receiver.url}/hook`, events: ['device.revoked'] })
      .expect(201);
    const ids = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        insertDevice(t, tenant, { expiresAt: new Date(Date.now() + 300 * DAY), label: `Till ${i}` }),
      ),
    );
    const answers = await Promise.all(
      ids.map((id) =>
        t.http.post(`${DEVICES}/${id}/revoke`).set(bearer(tenant.merchantToken)).send({ reason: 'batch' }),
      ),
    );
    for (const [k, res] of answers.entries()) {
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.device).to.include({ id: ids[k], status: 'revoked', online: false, revoked_reason: 'batch' });
    }

    const audit = await t.http
      .get('/api/v1/merchants/audit?action=device.revoked&limit=100')
      .set(bearer(tenant.merchantToken))
      .expect(200);
    expect(audit.body.items.map((e: { target: { id: number } }) => e.target.id).sort()).to.deep.equal([...ids].sort());
    await waitFor(() => receiver.of('device.revoked').length >= 30, 15_000);
    const revoked = receiver.of('device.revoked').map((r) => r.json.data.device);
    expect(revoked.map((d) => d.id).sort()).to.deep.equal([...ids].sort());
    for (const d of revoked) expect(d).to.include({ status: 'revoked', online: false, revoked_reason: 'batch' });

    // A second revoke changes nothing: the same device, no second entry, no second event.
    const again = await t.http.post(`${DEVICES}/${ids[0]}/revoke`).set(bearer(tenant.merchantToken)).send({});
    expect(again.status).to.equal(200);
    expect(again.body.device).to.include({ status: 'revoked', revoked_reason: 'batch' });
    const after = await t.http
      .get(`/api/v1/merchants/audit?action=device.revoked&device_id=${ids[0]}`)
      .set(bearer(tenant.merchantToken))
      .expect(200);
    expect(after.body.items).to.have.length(1);
  });
});
