import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { bearer, createTenant, type MadeTenant, pairDevice, type TestHub, waitFor } from '../helpers';
import { tabletOnline } from '../socket-helpers';
import { Receiver, verify } from '../webhooks/receiver';
import {
  browserSuite,
  fitsTheScreen,
  merchantUser,
  type PageOptions,
  pageMemory,
  PHONE,
  reachable,
  signIn,
} from './browser';

const WEBHOOKS = '/api/v1/merchants/webhooks';

describe('pages: webhooks and offline alerts of a merchant', function () {
  this.timeout(60_000);
  const suite = browserSuite({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_MS: '100', LAST_SEEN_FLUSH_MS: '200' });
  let t: TestHub;
  let admin: string;
  let receiver: Receiver;
  before(() => ({ t, admin } = suite));
  beforeEach(async () => {
    receiver = await new Receiver().start();
  });
  afterEach(() => receiver.close());

  /** A merchant user signed in, on its webhooks page (reached from the header). */
  async function merchantOnWebhooks(opts: { clipboard?: boolean; viewport?: PageOptions['viewport'] } = {}) {
    const tenant = await createTenant(t, admin, 1);
    const { email } = await merchantUser(t, admin, tenant);
    const probe = await suite.open({ viewport: opts.viewport });
    if (opts.clipboard) await probe.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    const { page } = probe;
    await signIn(page, t.url, email, /\/merchants\/loyalty\/devices$/);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL(`${t.url}/merchants/webhooks`);
    await page.getByText('No endpoints yet.', { exact: false }).waitFor();
    return { tenant, page };
  }

  const endpoint = (page: Page, url: string) =>
    page.locator('article[data-webhook-id]').filter({ has: page.getByTestId('webhook-url').getByText(url) });
  const hooksOf = async (tenant: MadeTenant) =>
    (await t.http.get(WEBHOOKS).set(bearer(tenant.merchantToken)).expect(200)).body.items;

  /** Fills and sends the "Add endpoint" form; All events unless types are given. */
  async function addEndpoint(page: Page, url: string, events?: string[]) {
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const form = page.getByRole('form', { name: 'Add an endpoint' });
    await form.getByLabel('URL').fill(url);
    await form.getByLabel('Description (optional)').fill('ERP');
    if (events) {
      await form.getByRole('checkbox', { name: 'All events' }).uncheck();
      for (const name of events) await form.getByRole('checkbox', { name }).check();
    }
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    return form;
  }

  it('adds an endpoint to a local receiver, shows its secret once, and a test delivery Succeeded in the log', async () => {
    const { tenant, page } = await merchantOnWebhooks({ clipboard: true });
    const url = `${receiver.url}/hook`;
    await addEndpoint(page, url);

    const dialog = page.getByRole('dialog', { name: 'Endpoint added: its signing secret' });
    await dialog.getByText('Shown only once').waitFor();
    expect(await dialog.textContent())
      .to.include(url)
      .and.include('It will not be shown again');
    const secret = await dialog.getByLabel('Signing secret').inputValue();
    expect(secret).to.match(/^whsec_/);
    expect(
      await dialog.getByRole('button', { name: 'Copy secret' }).evaluate((el) => el === document.activeElement),
    ).to.equal(true);
    await dialog.getByRole('button', { name: 'Copy secret' }).click();
    await dialog.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).to.equal(secret);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await pageMemory(page)).includes(secret.slice(6)), 'the secret is still in the page').to.equal(false);

    const hook = endpoint(page, url);
    expect(await hook.getByTestId('webhook-status').textContent()).to.equal('Enabled');
    expect(await hook.getByTestId('webhook-events').textContent()).to.equal('All events');
    expect(await hook.textContent()).to.include('ERP');
    const [saved] = await hooksOf(tenant);
    expect(saved).to.include({ url, description: 'ERP', enabled: true });
    expect(saved.events).to.deep.equal(['*']);

    await hook.getByRole('button', { name: `Send test to ${url}` }).click();
    const delivery = hook.getByTestId('deliveries').locator('tbody tr').first();
    await delivery.getByTestId('delivery-status').filter({ hasText: 'Succeeded' }).waitFor({ timeout: 15_000 });
    expect(await delivery.getByTestId('delivery-event').textContent()).to.equal('Test event');
    expect(await delivery.getByTestId('delivery-attempts').textContent()).to.equal('1');
    expect(await delivery.getByTestId('delivery-response').textContent()).to.match(/^HTTP 200 · \d+ ms$/);
    expect(await delivery.getByTestId('delivery-excerpt').textContent()).to.equal('ok');
    const received = await receiver.next('webhook.test');
    expect(() => verify(secret, received)).to.not.throw();
    expect(received.json.data.webhook).to.deep.equal({ id: saved.id, url });
  });

  it("a bad URL shows the API's message next to the field; no event chosen, next to the picker", async () => {
    const { tenant, page } = await merchantOnWebhooks();
    const form = await addEndpoint(page, 'ftp://erp.example.com/hook');
    await form.locator('#webhook-url-error').filter({ hasText: 'must start with https://' }).waitFor();
    expect(await form.getByLabel('URL').getAttribute('aria-invalid')).to.equal('true');
    expect(await form.getByLabel('URL').evaluate((el) => el === document.activeElement)).to.equal(true);
    expect(await hooksOf(tenant)).to.deep.equal([]);

    const url = `${receiver.url}/devices`;
    await form.getByLabel('URL').fill(url);
    await form.getByRole('checkbox', { name: 'All events' }).uncheck();
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await form.locator('#webhook-events-error').filter({ hasText: 'must list at least one event type' }).waitFor();
    expect(await form.locator('#webhook-url-error').isVisible()).to.equal(false);

    await form.getByRole('checkbox', { name: 'Device paired' }).check();
    await form.getByRole('checkbox', { name: 'Offline alert' }).check();
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await page
      .getByRole('dialog', { name: 'Endpoint added: its signing secret' })
      .getByRole('button', { name: 'Done' })
      .click();
    expect(await endpoint(page, url).getByTestId('webhook-events').textContent()).to.equal(
      'Device paired, Offline alert',
    );
    expect((await hooksOf(tenant))[0].events).to.deep.equal(['device.paired', 'device.offline_alert']);
  });

  it('retry a failed delivery; disable and enable; rotate the secret (asked first, shown once); delete (asked first)', async () => {
    const { tenant, page } = await merchantOnWebhooks();
    const url = `${receiver.url}/erp`;
    await addEndpoint(page, url);
    const first = page.getByRole('dialog', { name: 'Endpoint added: its signing secret' });
    const secret = await first.getByLabel('Signing secret').inputValue();
    await first.getByRole('button', { name: 'Done' }).click();
    const hook = endpoint(page, url);

    receiver.answer = 500;
    await hook.getByRole('button', { name: `Send test to ${url}` }).click();
    const delivery = hook.getByTestId('deliveries').locator('tbody tr').first();
    await delivery.getByTestId('delivery-response').filter({ hasText: 'HTTP 500' }).waitFor({ timeout: 15_000 });
    expect(await delivery.getByTestId('delivery-status').textContent()).to.equal('Pending');
    expect(await delivery.getByTestId('delivery-excerpt').textContent()).to.equal('refused with 500');
    expect(await delivery.textContent()).to.include('next try');
    receiver.answer = 200;
    await delivery.getByRole('button', { name: /^Retry the Test event delivery of / }).click();
    await delivery.getByTestId('delivery-status').filter({ hasText: 'Succeeded' }).waitFor({ timeout: 15_000 });
    expect(Number(await delivery.getByTestId('delivery-attempts').textContent())).to.be.at.least(2);
    // The same event each time: a receiver deduplicates by webhook-id.
    const ids = receiver.of('webhook.test').map((r) => r.headers['webhook-id']);
    expect(ids.length).to.be.at.least(2);
    expect(new Set(ids).size).to.equal(1);

    await hook.getByRole('button', { name: `Disable ${url}` }).click();
    await hook.getByTestId('webhook-status').filter({ hasText: 'Disabled' }).waitFor();
    expect(await hook.getByRole('button', { name: `Send test to ${url}` }).isDisabled()).to.equal(true);
    expect((await hooksOf(tenant))[0]).to.include({ enabled: false, disabled_reason: 'disabled_by_user' });
    await hook.getByRole('button', { name: `Enable ${url}` }).click();
    await hook.getByTestId('webhook-status').filter({ hasText: 'Enabled' }).waitFor();

    await hook.getByRole('button', { name: `Rotate the secret of ${url}` }).click();
    const confirm = page.getByRole('dialog', { name: 'Rotate the signing secret?' });
    await confirm.waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'hidden' });
    await hook.getByRole('button', { name: `Rotate the secret of ${url}` }).click();
    await confirm.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = page.getByRole('dialog', { name: 'New signing secret' });
    await rotated.getByText('For the next 24 hours', { exact: false }).waitFor();
    const next = await rotated.getByLabel('Signing secret').inputValue();
    expect(next)
      .to.match(/^whsec_/)
      .and.not.equal(secret);
    await page.keyboard.press('Escape');
    await rotated.waitFor({ state: 'hidden' });
    expect((await pageMemory(page)).includes(next.slice(6)), 'the new secret is still in the page').to.equal(false);

    await hook.getByRole('button', { name: `Delete ${url}` }).click();
    const remove = page.getByRole('dialog', { name: 'Delete this endpoint?' });
    await remove.getByRole('button', { name: 'Delete endpoint' }).click();
    await hook.waitFor({ state: 'detached' });
    await page
      .getByRole('status')
      .filter({ hasText: `${url} was deleted.` })
      .waitFor();
    expect(await hooksOf(tenant)).to.deep.equal([]);
  });

  it('the offline alert setting saves; a device that stays offline shows its alert badge live, gone once it is back', async () => {
    const tenant = await createTenant(t, admin, 1);
    const { email } = await merchantUser(t, admin, tenant);
    const paired = await pairDevice(t, tenant, 0, 'Back office');
    const { page } = await suite.open();
    await signIn(page, t.url, email, /\/merchants\/loyalty\/devices$/);
    await page.getByTestId('live-state').filter({ hasText: 'Live' }).waitFor();
    const setting = page.getByRole('form', { name: 'Offline alerts' });
    await setting.getByTestId('alerts-summary').filter({ hasText: 'Alerts are off.' }).waitFor();

    await setting.getByLabel('Alert when a device is offline for more than').check();
    await setting.getByLabel('Minutes offline before an alert').fill('0');
    await setting.getByRole('button', { name: 'Apply' }).click();
    await setting.getByText('Enter a whole number of minutes from 1 to 1440.').waitFor();
    await setting.getByLabel('Minutes offline before an alert').fill('5');
    await setting.getByRole('button', { name: 'Apply' }).click();
    await setting.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(await setting.getByTestId('alerts-summary').textContent()).to.include('after 5 min offline');
    const read = async () =>
      (await t.http.get('/api/v1/merchants/loyalty/alerts').set(bearer(tenant.merchantToken)).expect(200)).body;
    expect(await read()).to.deep.equal({ offline_after_s: 300 });
    await page.reload();
    await setting.getByTestId('alerts-summary').filter({ hasText: 'after 5 min offline' }).waitFor();
    expect(await setting.getByLabel('Alert when a device is offline for more than').isChecked()).to.equal(true);
    expect(await setting.getByLabel('Minutes offline before an alert').inputValue()).to.equal('5');
    await page.getByTestId('live-state').filter({ hasText: 'Live' }).waitFor();

    // The tablet comes and goes; once the check runs past the threshold, the row says so, live.
    const row = page.locator(`tr[data-device-id="${paired.id}"]`);
    const badge = row.getByTestId('offline-alert');
    const tablet = await tabletOnline(t.url, paired.token);
    suite.sockets.push(tablet.socket);
    await row.locator('[data-online="yes"]').waitFor();
    tablet.close();
    await row.locator('[data-online="no"]').waitFor();
    expect(await badge.isVisible()).to.equal(false);
    const later = () => new Date(Date.now() + 10 * 60_000);
    await waitFor(async () => (await t.hub.ctx.alerts.check(later())) > 0, 15_000, 200);
    await badge.filter({ hasText: 'Offline alert' }).waitFor();
    expect(await badge.getAttribute('title')).to.match(/^Alert raised /);

    const back = await tabletOnline(t.url, paired.token);
    suite.sockets.push(back.socket);
    await row.locator('[data-online="yes"]').waitFor();
    await badge.waitFor({ state: 'hidden' });
    await waitFor(async () => (await deviceAlertAt(tenant, paired.id)) === null, 15_000, 200);
    await page.reload();
    await row.locator('[data-online="yes"]').waitFor();
    expect(await badge.isVisible()).to.equal(false);
  });

  it('the webhooks page fits 360 px: the form, the secret dialog, an endpoint with its log', async () => {
    const { page } = await merchantOnWebhooks({ viewport: PHONE });
    await fitsTheScreen(page);
    await reachable(page.getByRole('button', { name: 'Log out' }));
    await reachable(page.getByRole('link', { name: 'Activity' }));
    const url = `${receiver.url}/a-rather-long-path/for-the-terminal-events/of-the-erp`;
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const form = page.getByRole('form', { name: 'Add an endpoint' });
    await form.getByLabel('URL').fill(url);
    await form.getByRole('checkbox', { name: 'All events' }).uncheck();
    await fitsTheScreen(page);
    await reachable(form.getByRole('checkbox', { name: 'Command status changed' }));
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await form.locator('#webhook-events-error').waitFor();
    await form.getByRole('checkbox', { name: 'Device online' }).check();
    await reachable(form.getByRole('button', { name: 'Add endpoint' }));
    await form.getByRole('button', { name: 'Add endpoint' }).click();

    const dialog = page.getByRole('dialog', { name: 'Endpoint added: its signing secret' });
    await reachable(dialog.getByRole('button', { name: 'Copy secret' }));
    await reachable(dialog.getByRole('button', { name: 'Done' }));
    await fitsTheScreen(page);
    await dialog.getByRole('button', { name: 'Done' }).click();

    const hook = endpoint(page, url);
    await hook.getByRole('button', { name: `Send test to ${url}` }).click();
    await hook.getByTestId('delivery-status').filter({ hasText: 'Succeeded' }).waitFor({ timeout: 15_000 });
    await fitsTheScreen(page);
    for (const name of [
      `Send test to ${url}`,
      `Hide deliveries to ${url}`,
      `Disable ${url}`,
      `Rotate the secret of ${url}`,
      `Delete ${url}`,
      /^Retry the Test event delivery of /,
    ])
      await reachable(hook.getByRole('button', { name }));
  });

  const deviceAlertAt = async (tenant: MadeTenant, id: number) =>
    (await t.http.get(`/api/v1/merchants/loyalty/devices/${id}`).set(bearer(tenant.merchantToken)).expect(200)).body
      .device.offline_alert_at;
});
