import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { bearer, createTenant, pairDevice, PASSWORD, uniq, type Tenant, type TestHub } from '../helpers';
import { browserSuite, decodeQr, merchantUser, openPage, pageMemory, signIn } from './browser';
import { tabletOnline as connectTablet } from '../socket-helpers';

describe('pages: a merchant manages its devices in a real browser', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  const { sockets } = suite;
  let browser: Browser;
  let t: TestHub;
  let admin: string;
  before(() => ({ browser, t, admin } = suite));

  /** A merchant with two stores, signed in on its device page. */
  async function merchantOnDevicesPage(
    opts: { clipboard?: boolean } = {},
  ): Promise<{ tenant: Tenant; page: Page; email: string }> {
    const tenant = await createTenant(t, admin, 2);
    const { email } = await merchantUser(t, admin, tenant);
    const probe = await suite.open();
    if (opts.clipboard) await probe.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    await signIn(probe.page, t.url, email, /\/merchants\/loyalty\/devices$/);
    await probe.page.getByRole('heading', { name: 'Terminal devices' }).waitFor();
    await probe.page.getByTestId('live-state').filter({ hasText: 'Live' }).waitFor();
    return { tenant, page: probe.page, email };
  }

  const row = (page: Page, label: string) =>
    page.locator('tr[data-device-id]').filter({ has: page.getByTestId('label').getByText(label, { exact: true }) });
  const devicesOf = async (tenant: Tenant) =>
    (await t.http.get('/api/v1/merchants/loyalty/devices').set(bearer(tenant.merchantToken)).expect(200)).body.items;
  const tabletOnline = async (token: string) => {
    const { socket } = await connectTablet(t.url, token);
    sockets.push(socket);
    return socket;
  };
  const isDeviceToken = async (token: string) => {
    try {
      return (await t.hub.ctx.tokens.principalFromToken(token)).kind === 'device';
    } catch {
      return false;
    }
  };

  it('a wrong password shows the error on the login page; store staff are turned away; a merchant lands on its device list', async () => {
    const tenant = await createTenant(t, admin, 1);
    const { email } = await merchantUser(t, admin, tenant);
    const { page } = await suite.open();
    await page.goto(`${t.url}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The email or password is incorrect.' }).waitFor();
    expect(page.url()).to.equal(`${t.url}/login`);
    expect(await page.evaluate(() => sessionStorage.length)).to.equal(0);

    const staff = `${uniq('staff-')}@example.com`;
    await t.http
      .post(`/api/v1/admin/merchants/${tenant.merchantId}/users`)
      .set(bearer(admin))
      .send({ email: staff, password: PASSWORD, role: 'store_staff', store_ids: [tenant.stores[0].id] })
      .expect(201);
    await page.getByLabel('Email').fill(staff);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'This account cannot manage devices.' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).to.equal(0);

    await signIn(page, t.url, email, /\/merchants\/loyalty\/devices$/);
    await page.getByText('No devices yet. Pair a tablet to get started.').waitFor();
    expect(await page.locator('#filter-store option').allTextContents()).to.deep.equal([
      'All stores',
      `Store 0 · ${tenant.stores[0].code}`,
    ]);
  });

  it('pairing shows a scannable QR, the store code and the token once; closing the dialog leaves no trace of the token', async () => {
    const { tenant, page } = await merchantOnDevicesPage({ clipboard: true });
    await page.getByRole('button', { name: 'Pair a device' }).click();
    const form = page.getByRole('dialog', { name: 'Pair a new device' });
    expect(await form.getByLabel('Device name').evaluate((el) => el === document.activeElement)).to.equal(true);
    await form.getByLabel('Store').selectOption(String(tenant.stores[1].id));
    await form.getByLabel('Device name').fill('Counter 1');
    await page.keyboard.press('Enter');

    const dialog = page.getByRole('dialog', { name: 'Scan to pair Counter 1' });
    await dialog.waitFor();
    await dialog.getByText('Shown only once').waitFor();
    const token = await dialog.getByLabel('Device token').inputValue();
    expect(await isDeviceToken(token)).to.equal(true);
    expect(await dialog.getByTestId('store-code').textContent()).to.equal(tenant.stores[1].code);

    // The QR is the contract's payload, in the image data and as rendered on screen (big enough to scan).
    const expected = { api_url: t.hub.ctx.config.publicUrl, store_code: tenant.stores[1].code, auth_token: token };
    const src = (await dialog.getByTestId('qr').getAttribute('src'))!;
    expect(src).to.match(/^data:image\/png;base64,/);
    expect(JSON.parse(decodeQr(Buffer.from(src.split(',')[1], 'base64'))!)).to.deep.equal(expected);
    const box = (await dialog.getByTestId('qr').boundingBox())!;
    expect(box.width).to.be.at.least(300);
    expect(JSON.parse(decodeQr(await dialog.getByTestId('qr').screenshot())!)).to.deep.equal(expected);

    await dialog.getByRole('button', { name: 'Copy token' }).click();
    await dialog.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).to.equal(token);

    // Tab and Shift+Tab stay inside the dialog.
    for (const key of ['Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
      await page.keyboard.press(key);
      expect(
        await page.evaluate(() => document.querySelector('dialog[open]')!.contains(document.activeElement)),
        key,
      ).to.equal(true);
    }

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await row(page, 'Counter 1').getByTestId('status').filter({ hasText: 'Active' }).waitFor();
    const memory = await pageMemory(page);
    expect(memory.includes(token), 'the token is still in the page').to.equal(false);
    expect(memory.includes(src.slice(30, 200)), 'the QR is still in the page').to.equal(false);
    expect(await page.locator('img[src^="data:"]').count()).to.equal(0);
    expect(await row(page, 'Counter 1').textContent())
      .to.include('Offline')
      .and.include(tenant.stores[1].code)
      .and.include('Never');
  });

  it('devices paired elsewhere appear, and a tablet turns its dot online then offline, live, without a reload', async () => {
    const { tenant, page } = await merchantOnDevicesPage();
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    const paired = await pairDevice(t, tenant, 0, 'Front till');
    const presence = row(page, 'Front till').getByTestId('presence');
    await presence.filter({ hasText: 'Offline' }).waitFor();

    const tablet = await tabletOnline(paired.token);
    await page.locator(`tr[data-device-id="${paired.id}"] [data-online="yes"]`).filter({ hasText: 'Online' }).waitFor();
    expect(await row(page, 'Front till').locator('time').first().textContent()).to.equal('now');

    tablet.close();
    await page.locator(`tr[data-device-id="${paired.id}"] [data-online="no"]`).filter({ hasText: 'Offline' }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).to.equal(true);
  });

  it('a lost connection shows a banner, reconnects, and catches up on what it missed', async () => {
    const { tenant, page } = await merchantOnDevicesPage();
    const banner = page.getByTestId('connection-lost');
    expect(await banner.isVisible()).to.equal(false);
    await suite.probe!.context.setOffline(true);
    await banner.filter({ hasText: 'Connection lost. Reconnecting…' }).waitFor();
    await pairDevice(t, tenant, 1, 'Paired while away');
    await suite.probe!.context.setOffline(false);
    await banner.waitFor({ state: 'hidden', timeout: 15_000 });
    await row(page, 'Paired while away').waitFor();
  });

  it('revoke asks for confirmation: Escape keeps the device; confirming with a reason shows Revoked and cuts the tablet off', async () => {
    const { tenant, page } = await merchantOnDevicesPage();
    const paired = await pairDevice(t, tenant, 0, 'Counter 7');
    const tablet = await tabletOnline(paired.token);
    await row(page, 'Counter 7').locator('[data-online="yes"]').waitFor();

    await page.getByRole('button', { name: 'Revoke Counter 7' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke Counter 7?' });
    await confirm.waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'hidden' });
    expect((await devicesOf(tenant))[0].status).to.equal('active');
    expect(await row(page, 'Counter 7').getByTestId('status').textContent()).to.equal('Active');

    const cutOff = new Promise((resolve) => tablet.once('disconnect', resolve));
    await page.getByRole('button', { name: 'Revoke Counter 7' }).click();
    await confirm.getByLabel('Reason (optional)').fill('Stolen from the counter');
    await confirm.getByRole('button', { name: 'Revoke device' }).click();
    await row(page, 'Counter 7').getByTestId('status').filter({ hasText: 'Revoked' }).waitFor();
    await row(page, 'Counter 7').locator('[data-online="no"]').waitFor();
    await cutOff;
    const [device] = await devicesOf(tenant);
    expect(device).to.include({ status: 'revoked', revoked_reason: 'Stolen from the counter' });
    expect(await page.getByRole('button', { name: 'Revoke Counter 7' }).count()).to.equal(0);
  });

  it('rename inline: Escape cancels, Enter saves', async () => {
    const { tenant, page } = await merchantOnDevicesPage();
    await pairDevice(t, tenant, 0, 'Counter 1');
    await page.getByRole('button', { name: 'Rename Counter 1' }).click();
    const input = page.getByLabel('New name for Counter 1');
    expect(await input.evaluate((el) => el === document.activeElement)).to.equal(true);
    await input.fill('Till A');
    await page.keyboard.press('Escape');
    await input.waitFor({ state: 'detached' });
    expect(await row(page, 'Counter 1').count()).to.equal(1);

    await page.getByRole('button', { name: 'Rename Counter 1' }).click();
    await input.fill('Till A');
    await page.keyboard.press('Enter');
    await row(page, 'Till A').waitFor();
    expect((await devicesOf(tenant))[0].label).to.equal('Till A');
  });

  it('reissue shows a new QR once; the old token stops working and the new one works', async () => {
    const { tenant, page } = await merchantOnDevicesPage();
    const paired = await pairDevice(t, tenant, 0, 'Kiosk');
    await page.getByRole('button', { name: 'Reissue the token of Kiosk' }).click();
    await page
      .getByRole('dialog', { name: 'Reissue the token of Kiosk?' })
      .getByRole('button', { name: 'Reissue token' })
      .click();
    const dialog = page.getByRole('dialog', { name: 'New pairing code for Kiosk' });
    await dialog.waitFor();
    const payload = JSON.parse(decodeQr(await dialog.getByTestId('qr').screenshot())!);
    expect(payload.auth_token).to.equal(await dialog.getByLabel('Device token').inputValue());
    expect(payload.auth_token).to.not.equal(paired.token);
    expect(await isDeviceToken(payload.auth_token)).to.equal(true);
    expect(await isDeviceToken(paired.token)).to.equal(false);

    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await pageMemory(page)).includes(payload.auth_token), 'the token is still in the page').to.equal(false);
  });

  it('filters by store and by status', async () => {
    const { tenant, page } = await merchantOnDevicesPage();
    await pairDevice(t, tenant, 0, 'North');
    const south = await pairDevice(t, tenant, 1, 'South');
    await t.http
      .post(`/api/v1/merchants/loyalty/devices/${south.id}/revoke`)
      .set(bearer(tenant.merchantToken))
      .send({})
      .expect(200);
    const labels = () => page.getByTestId('label').allTextContents();
    await row(page, 'South').getByTestId('status').filter({ hasText: 'Revoked' }).waitFor();
    expect(await labels()).to.deep.equal(['South', 'North']);

    await page.locator('#filter-store').selectOption(String(tenant.stores[0].id));
    await row(page, 'South').waitFor({ state: 'detached' });
    expect(await labels()).to.deep.equal(['North']);
    await page.locator('#filter-store').selectOption('');
    await page.locator('#filter-status').selectOption('revoked');
    await row(page, 'North').waitFor({ state: 'detached' });
    expect(await labels()).to.deep.equal(['South']);
    await page.locator('#filter-status').selectOption('expiring');
    await page.getByText('No device matches these filters.').waitFor();
  });

  it('French from the switcher, remembered after a reload; German by default in a German browser', async () => {
    const { tenant, page } = await merchantOnDevicesPage();
    await pairDevice(t, tenant, 0, 'Caisse');
    await row(page, 'Caisse').waitFor();
    await page.getByTestId('language').selectOption('fr');
    await page.getByRole('heading', { name: 'Terminaux' }).waitFor();
    expect(await page.getByRole('button', { name: 'Associer un terminal' }).count()).to.equal(1);
    expect(await row(page, 'Caisse').getByTestId('status').textContent()).to.equal('Actif');
    expect(await page.evaluate(() => document.documentElement.lang)).to.equal('fr');
    await page.reload();
    await page.getByRole('heading', { name: 'Terminaux' }).waitFor();
    const expires = (await devicesOf(tenant))[0].expires_at;
    const frDate = new Intl.DateTimeFormat('fr', { dateStyle: 'medium' }).format(new Date(expires));
    expect(await row(page, 'Caisse').locator(`time[datetime="${expires}"]`).textContent()).to.equal(frDate);

    const german = await openPage(browser, { locale: 'de-DE' });
    try {
      await german.page.goto(`${t.url}/login`);
      await german.page.getByRole('heading', { name: 'Anmelden' }).waitFor();
      expect(await german.page.getByLabel('Passwort').count()).to.equal(1);
    } finally {
      await german.context.close();
    }
  });

  it('a refused session goes back to the login page and returns after sign-in; logout forgets the token', async () => {
    const { email, page } = await merchantOnDevicesPage();
    await page.evaluate(() => sessionStorage.setItem('th.token', 'not-a-valid-token'));
    await page.reload();
    await page.waitForURL(`${t.url}/login?next=%2Fmerchants%2Floyalty%2Fdevices`);
    expect(await page.evaluate(() => sessionStorage.getItem('th.token'))).to.equal(null);

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${t.url}/merchants/loyalty/devices`);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${t.url}/login`);
    expect(await page.evaluate(() => sessionStorage.getItem('th.token'))).to.equal(null);
    await page.goto(`${t.url}/merchants/loyalty/devices`);
    await page.waitForURL(/\/login\?next=/);
  });

  it('after sign-in, a next parameter that would leave the site is ignored (no open redirect)', async () => {
    const tenant = await createTenant(t, admin, 1);
    const { email } = await merchantUser(t, admin, tenant);
    const { page } = await suite.open();
    for (const next of ['/\t/evil.example', '//evil.example', '/\\evil.example', 'https://evil.example/']) {
      await page.goto(`${t.url}/login?next=${encodeURIComponent(next)}`);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${t.url}/merchants/loyalty/devices`);
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(`${t.url}/login`);
    }
  });

  it('serves the pages under a strict Content-Security-Policy', async () => {
    const res = await t.http.get('/merchants/loyalty/devices').expect(200);
    expect(res.type).to.equal('text/html');
    const csp = res.headers['content-security-policy'];
    expect(csp).to.include("script-src 'self'").and.include("img-src 'self' data:");
    expect(csp).to.not.include('unsafe-inline').and.not.include('unsafe-eval');
    expect(res.text).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect((await t.http.get('/assets/vendor/alpine-csp.min.js').expect(200)).text).to.include('Alpine');
  });

  it('loads its own scripts as ES modules with a JavaScript type, and links an SVG favicon', async () => {
    const pages = ['/login', '/admin/merchants', '/admin/merchants/1', '/merchants/loyalty/devices'];
    for (const path of pages) {
      const html = (await t.http.get(path).expect(200)).text;
      expect(html, path).to.include('<script type="module" src="/assets/core.js"></script>');
      expect(html, path).to.include('<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">');
    }
    expect((await t.http.get('/merchants/loyalty/devices').expect(200)).text).to.include(
      '<script type="module" src="/assets/device-list.js"></script>',
    );
    for (const file of ['core.js', 'device-list.js', 'merchants.js']) {
      const res = await t.http.get(`/assets/${file}`).expect(200);
      expect(res.headers['content-type'], file).to.match(/^(text|application)\/javascript/);
      expect(res.text, file).to.match(/^\/\/ @ts-check\n/);
    }
    expect((await t.http.get('/assets/favicon.svg').expect(200)).headers['content-type']).to.match(/^image\/svg\+xml/);
    await t.http.get('/assets/globals.d.ts').expect(404);
  });
});
