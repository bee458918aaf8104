import { expect } from 'chai';
import { bearer, dataSource, makeTenant, type MadeTenant, suite, waitFor } from '../helpers';
import { WebhookEndpoint } from '../../src/webhooks/entities';
import { isPublicAddress } from '../../src/webhooks/guard';
import { Receiver } from './receiver';

const WEBHOOKS = '/api/v1/merchants/webhooks';

describe('webhooks: no SSRF (https and public addresses only, on save and at every delivery)', function () {
  this.timeout(20_000);
  const t = suite({ WEBHOOK_POLL_MS: '100' }); // WEBHOOK_ALLOW_PRIVATE unset: the production default
  let tenant: MadeTenant;
  before(async () => {
    tenant = await makeTenant(t, 1);
  });
  const save = (url: string) =>
    t.http
      .post(WEBHOOKS)
      .set(bearer(tenant.merchantToken))
      .send({ url, events: ['*'] });

  it('refuses http://, loopback, private, link-local (cloud metadata), CGNAT, IPv6 local and mapped addresses', async () => {
    const refused: [string, RegExp][] = [
      ['http://8.8.8.8/hook', /https/],
      ['https://127.0.0.1/hook', /public/],
      ['https://localhost:8443/hook', /does not resolve/], // not looked up in /etc/hosts
      ['https://[64:ff9b::7f00:1]/hook', /public/], // NAT64 of 127.0.0.1
      ['https://[fec0::1]/hook', /public/], // site-local
      ['https://10.1.2.3/hook', /public/],
      ['https://192.168.0.10/hook', /public/],
      ['https://169.254.169.254/latest/meta-data', /public/],
      ['https://100.64.0.1/hook', /public/],
      ['https://[::1]/hook', /public/],
      ['https://[fd00::1]/hook', /public/],
      ['https://[::ffff:127.0.0.1]/hook', /public/],
      ['https://0.0.0.0/hook', /public/],
      ['https://user:pw@8.8.8.8/hook', /user name/],
    ];
    for (const [url, why] of refused) {
      const res = await save(url);
      expect(res.status, url).to.equal(400);
      expect(res.body.error.details.fields.url, url).to.match(why);
    }
    expect((await t.http.get(WEBHOOKS).set(bearer(tenant.merchantToken))).body.items).to.deep.equal([]);
    expect(isPublicAddress('8.8.8.8')).to.equal(true);
    expect(isPublicAddress('2606:4700:4700::1111')).to.equal(true);
    expect(isPublicAddress('64:ff9b:1::a9fe:a9fe')).to.equal(false);
  });

  it('takes a public https address; a PATCH to a private one is refused and changes nothing', async () => {
    const res = await save('https://8.8.8.8/hook').expect(201);
    const id = res.body.webhook.id;
    const patch = await t.http
      .patch(`${WEBHOOKS}/${id}`)
      .set(bearer(tenant.merchantToken))
      .send({ url: 'https://127.0.0.1/x' })
      .expect(400);
    expect(patch.body.error.details.fields.url).to.match(/public/);
    const one = await t.http.get(`${WEBHOOKS}/${id}`).set(bearer(tenant.merchantToken)).expect(200);
    expect(one.body.webhook.url).to.equal('https://8.8.8.8/hook');
    await t.http.delete(`${WEBHOOKS}/${id}`).set(bearer(tenant.merchantToken)).expect(204);
  });

  it('checked again at delivery: a URL that now leads to a private address is not sent to', async () => {
    const receiver = await new Receiver().start();
    try {
      const res = await save('https://8.8.8.8/hook').expect(201);
      const id = res.body.webhook.id;
      // As if its name had been re-pointed at an internal host after it was saved.
      const internal = `${receiver.url.replace('http:', 'https:')}/internal`;
      await dataSource(t).getRepository(WebhookEndpoint).update({ id }, { url: internal });
      await t.http.post(`${WEBHOOKS}/${id}/test`).set(bearer(tenant.merchantToken)).expect(202);
      const [d] = await waitFor(async () => {
        const { items } = (
          await t.http.get(`${WEBHOOKS}/${id}/deliveries`).set(bearer(tenant.merchantToken)).expect(200)
        ).body;
        return items[0]?.attempts === 1 && items[0].response_excerpt !== null ? items : undefined; // its outcome recorded
      });
      expect(d).to.deep.include({ status: 'pending', response_status: null });
      expect(d.response_excerpt).to.equal('not sent: the URL must resolve to public addresses only');
      expect(receiver.received).to.deep.equal([]);
    } finally {
      await receiver.close();
    }
  });
});
