import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { bearer, createTenant, type MadeTenant, pairDevice, type TestHub, waitFor } from '../helpers';
import { adminUser, browserSuite, merchantUser, signIn } from './browser';

const DEVICES = '/api/v1/merchants/loyalty/devices';

describe('pages: the activity log of a merchant, and the history of each device', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  let t: TestHub;
  let admin: string;
  before(() => ({ t, admin } = suite));

  /** A merchant with two devices ("Counter 1" and "Kiosk", paired by its first user), a second user signed in. */
  async function merchantWithDevices(): Promise<{ tenant: MadeTenant; page: Page; email: string; ids: number[] }> {
    const tenant = await createTenant(t, admin, 1);
    const counter = await pairDevice(t, tenant, 0, 'Counter 1');
    const kiosk = await pairDevice(t, tenant, 0, 'Kiosk');
    const { email } = await merchantUser(t, admin, tenant);
    const probe = await suite.open();
    await signIn(probe.page, t.url, email, /\/merchants\/loyalty\/devices$/);
    await probe.page.getByTestId('live-state').filter({ hasText: 'Live' }).waitFor();
    return { tenant, page: probe.page, email, ids: [counter.id, kiosk.id] };
  }

  const rows = (page: Page) => page.getByTestId('activity').locator('tbody tr');
  /** The action, actor, target and details of each row shown, top to bottom. */
  const entries = async (page: Page) =>
    rows(page).evaluateAll((trs) =>
      trs.map((tr) =>
        ['action', 'actor', 'target', 'details'].map((id) =>
          (tr.querySelector(`[data-testid="${id}"]`)?.textContent ?? '').trim(),
        ),
      ),
    );
  /** Waits until the rows show these actions (a new query empties the list first), then checks them. */
  const actionsShown = async (page: Page, expected: string[]) => {
    const actions = async () => (await entries(page)).map((e) => e[0]);
    const same = async () => JSON.stringify(await actions()) === JSON.stringify(expected);
    await waitFor(same, 15_000, 100).catch(() => undefined);
    expect(await actions()).to.deep.equal(expected);
  };
  const rename = (tenant: MadeTenant, id: number, label: string, token = tenant.merchantToken) =>
    t.http.patch(`${DEVICES}/${id}`).set(bearer(token)).send({ label }).expect(200);

  it('shows a rename and a revoke done on the device page, newest first, with the email of who did them; filtered by device', async () => {
    const { tenant, page, email, ids } = await merchantWithDevices();
    const [counterId, kioskId] = ids;
    await page.getByRole('button', { name: 'Rename Counter 1' }).click();
    await page.getByLabel('New name for Counter 1').fill('Till A');
    await page.keyboard.press('Enter');
    await page.locator(`tr[data-device-id="${counterId}"]`).getByText('Till A').waitFor();
    await page.getByRole('button', { name: 'Revoke Kiosk' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke Kiosk?' });
    await confirm.getByLabel('Reason (optional)').fill('Stolen from the counter');
    await confirm.getByRole('button', { name: 'Revoke device' }).click();
    await page
      .locator(`tr[data-device-id="${kioskId}"]`)
      .getByTestId('status')
      .filter({ hasText: 'Revoked' })
      .waitFor();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' }).click();
    await page.waitForURL(`${t.url}/merchants/activity`);
    await page.getByRole('heading', { name: 'Activity' }).waitFor();
    await rows(page).nth(3).waitFor();
    expect(await entries(page)).to.deep.equal([
      ['Device revoked', email, 'Kiosk', 'Reason: Stolen from the counter'],
      ['Device renamed', email, 'Till A', 'Counter 1 → Till A'],
      ['Device paired', tenant.merchant.email, 'Kiosk', 'Named “Kiosk”'],
      ['Device paired', tenant.merchant.email, 'Till A', 'Named “Counter 1”'],
    ]);
    expect(await page.getByTestId('on-behalf-mark').filter({ visible: true }).count()).to.equal(0);
    // The time is the entry's, in the page's language.
    const at = (await rows(page).first().locator('time').getAttribute('datetime'))!;
    const shown = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(at));
    expect(await rows(page).first().locator('time').textContent()).to.equal(shown);

    await page.getByLabel('Device', { exact: true }).selectOption(String(counterId));
    await actionsShown(page, ['Device renamed', 'Device paired']);

    // Live: a rename made elsewhere appears at the top, filter kept.
    await rename(tenant, counterId, 'Till B');
    await page.getByTestId('details').filter({ hasText: 'Till A → Till B' }).waitFor({ timeout: 15_000 });
    await actionsShown(page, ['Device renamed', 'Device renamed', 'Device paired']);

    await page.getByLabel('Action', { exact: true }).selectOption('device.paired');
    await actionsShown(page, ['Device paired']);
    await page.getByLabel('Device', { exact: true }).selectOption(String(kioskId));
    await page.getByLabel('Action', { exact: true }).selectOption('device.renamed');
    await page.getByText('No entry matches these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await rows(page).nth(4).waitFor();
  });

  it('Load more continues after the first 50 entries, without repeating one', async () => {
    const { tenant, page, ids } = await merchantWithDevices();
    for (let i = 1; i <= 55; i++) await rename(tenant, ids[0], `Till ${i}`);
    await page.goto(`${t.url}/merchants/activity`);
    await rows(page).nth(49).waitFor();
    expect(await rows(page).count()).to.equal(50);
    await page.getByRole('button', { name: 'Load more' }).click();
    await rows(page).nth(56).waitFor();
    const all = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-audit-id')));
    expect(all).to.have.length(57);
    expect(new Set(all).size).to.equal(57);
    await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'hidden' });
    expect(await rows(page).last().getByTestId('action').textContent()).to.equal('Device paired');
  });

  it("the device details show the device's history, updated live, and link to its activity", async () => {
    const { tenant, page, ids } = await merchantWithDevices();
    await rename(tenant, ids[0], 'Front till');
    await page.locator(`tr[data-device-id="${ids[0]}"]`).getByText('Front till').waitFor();
    await page.getByRole('button', { name: 'Details of Front till' }).click();
    const details = page.getByRole('dialog', { name: 'Front till' });
    const history = details.getByTestId('history').locator('li');
    await history.nth(1).waitFor();
    expect(await history.getByTestId('history-action').allTextContents()).to.deep.equal([
      'Device renamed',
      'Device paired',
    ]);
    expect(await history.first().textContent())
      .to.include('Counter 1 → Front till')
      .and.include(tenant.merchant.email);

    await t.http.post(`${DEVICES}/${ids[0]}/commands`).set(bearer(tenant.merchantToken)).send({ type: 'sync' });
    await history.getByTestId('history-action').filter({ hasText: 'Command sent' }).waitFor({ timeout: 15_000 });
    expect(await history.first().textContent()).to.include('Sync');
    // Another device's entries stay out of this one's history.
    expect(await history.filter({ hasText: 'Kiosk' }).count()).to.equal(0);

    await details.getByRole('link', { name: 'All the activity of this device' }).click();
    await page.waitForURL(`${t.url}/merchants/activity?device=${ids[0]}`);
    await actionsShown(page, ['Command sent', 'Device renamed', 'Device paired']);
    expect(await page.getByLabel('Device', { exact: true }).inputValue()).to.equal(String(ids[0]));
  });

  it("an admin reads a merchant's activity on its behalf; what the admin did is marked on behalf", async () => {
    const tenant = await createTenant(t, admin, 1);
    const paired = await pairDevice(t, tenant, 0, 'Counter 1');
    const me = await adminUser(t);
    await t.http
      .patch(`/api/v1/admin/merchants/${tenant.merchantId}/loyalty/devices/${paired.id}`)
      .set(bearer(me.token))
      .send({ label: 'Renamed by support' })
      .expect(200);
    const { page } = await suite.open();
    await signIn(page, t.url, me.email, /\/admin\/merchants$/);
    await page.goto(`${t.url}/admin/merchants/${tenant.merchantId}/loyalty/devices`);
    await page.getByRole('navigation', { name: 'Merchant sections' }).getByRole('link', { name: 'Activity' }).click();
    await page.waitForURL(`${t.url}/admin/merchants/${tenant.merchantId}/activity`);
    await page
      .getByTestId('on-behalf')
      .filter({ hasText: `Acting on behalf of ${tenant.merchantName}` })
      .waitFor();
    expect(
      await page.getByRole('navigation', { name: 'Merchant sections' }).locator('[aria-current="page"]').textContent(),
    ).to.equal('Activity');
    await rows(page).nth(1).waitFor();
    expect(await entries(page)).to.deep.equal([
      ['Device renamed', me.email, 'Renamed by support', 'Counter 1 → Renamed by support'],
      ['Device paired', tenant.merchant.email, 'Renamed by support', 'Named “Counter 1”'],
    ]);
    expect(await rows(page).first().getByTestId('on-behalf-mark').isVisible()).to.equal(true);
    expect(await rows(page).nth(1).getByTestId('on-behalf-mark').isVisible()).to.equal(false);
  });

  it('serves the new pages like the others: strict CSP, no inline script, typechecked ES modules', async () => {
    const pages = {
      '/merchants/activity': 'activity.js',
      '/admin/merchants/1/activity': 'activity.js',
      '/merchants/webhooks': 'webhooks.js',
      '/admin/merchants/1/webhooks': 'webhooks.js',
      '/merchants/loyalty/devices': 'offline-alerts.js',
    };
    for (const [path, module] of Object.entries(pages)) {
      const res = await t.http.get(path).expect(200);
      expect(res.headers['content-security-policy'], path).to.include("script-src 'self'").and.not.include('unsafe');
      expect(res.text, path).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.text, path).to.include(`<script type="module" src="/assets/${module}"></script>`);
    }
    await t.http.get('/admin/merchants/0/activity').expect(404);
    for (const file of [
      'activity.js',
      'audit-text.js',
      'dashboard.js',
      'forms.js',
      'offline-alerts.js',
      'webhooks.js',
    ]) {
      const res = await t.http.get(`/assets/${file}`).expect(200);
      expect(res.headers['content-type'], file).to.match(/^(text|application)\/javascript/);
      expect(res.text, file).to.match(/^\/\/ @ts-check\n/);
    }
  });

  it('in French: the activity and webhooks pages, their labels, actions and dates', async () => {
    const { tenant, page, ids } = await merchantWithDevices();
    await rename(tenant, ids[1], 'Caisse 2');
    await page.getByTestId('language').selectOption('fr');
    await page.getByRole('heading', { name: 'Terminaux' }).waitFor();
    await page.getByRole('navigation', { name: 'Principale' }).getByRole('link', { name: 'Activité' }).click();
    await page.getByRole('heading', { name: 'Activité' }).waitFor();
    await rows(page).nth(2).waitFor();
    expect((await entries(page))[0]).to.deep.equal([
      'Terminal renommé',
      tenant.merchant.email,
      'Caisse 2',
      'Kiosk → Caisse 2',
    ]);
    expect((await entries(page))[1][0]).to.equal('Terminal associé');
    expect(await page.getByLabel('Action', { exact: true }).locator('option').first().textContent()).to.equal(
      'Toutes les actions',
    );
    const time = rows(page).first().locator('time');
    const at = new Date((await time.getAttribute('datetime'))!);
    const fr = new Intl.DateTimeFormat('fr', { dateStyle: 'medium', timeStyle: 'medium' }).format(at);
    expect(await time.textContent()).to.equal(fr);

    await page.getByRole('navigation', { name: 'Principale' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByText("Aucun point de terminaison pour l'instant.").waitFor();
    await page.getByRole('button', { name: 'Ajouter un point de terminaison' }).click();
    await page.getByRole('group', { name: 'Événements à envoyer' }).waitFor();
    expect(await page.getByRole('checkbox', { name: 'Terminal associé' }).isDisabled()).to.equal(true);
    await page.getByRole('checkbox', { name: 'Tous les événements' }).uncheck();
    expect(await page.getByRole('checkbox', { name: 'Terminal associé' }).isDisabled()).to.equal(false);
  });
});
