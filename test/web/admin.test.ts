import { expect } from 'chai';
import { bearer, createTenant, pairDevice, PASSWORD, uniq, type TestHub } from '../helpers';
import { adminUser, browserSuite, merchantUser, signIn } from './browser';
import { tabletOnline as connectTablet } from '../socket-helpers';

describe('pages: an admin acts on behalf of a merchant in a real browser', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  const { sockets } = suite;
  let t: TestHub;
  let admin: string;
  before(() => ({ t, admin } = suite));

  const tabletOnline = async (token: string) => {
    const { socket } = await connectTablet(t.url, token);
    sockets.push(socket);
    return socket;
  };

  it("picks a merchant, sees only its devices live, and pairs one on its behalf (recorded as the admin's act)", async () => {
    const a = await createTenant(t, admin, 1);
    const b = await createTenant(t, admin, 1);
    const aDevice = await pairDevice(t, a, 0, 'A counter');
    const bDevice = await pairDevice(t, b, 0, 'B counter');
    const me = await adminUser(t);
    const { page } = await suite.open();
    await signIn(page, t.url, me.email, /\/admin\/merchants$/);

    await page.getByLabel('Search merchants').fill(a.merchantName);
    await page.getByRole('cell', { name: a.merchantName, exact: true }).waitFor();
    expect(await page.getByRole('cell', { name: b.merchantName, exact: true }).count()).to.equal(0);
    await page.getByRole('link', { name: `Manage the devices of ${a.merchantName}` }).click();
    await page.waitForURL(`${t.url}/admin/merchants/${a.merchantId}/loyalty/devices`);
    await page
      .getByTestId('on-behalf')
      .filter({ hasText: `Acting on behalf of ${a.merchantName}` })
      .waitFor();
    await page.getByTestId('live-state').filter({ hasText: 'Live' }).waitFor();
    expect(await page.getByTestId('label').allTextContents()).to.deep.equal(['A counter']);

    // Live for the chosen merchant only: B's tablet says nothing here, A's turns its dot online.
    await tabletOnline(bDevice.token);
    await tabletOnline(aDevice.token);
    await page.locator(`tr[data-device-id="${aDevice.id}"] [data-online="yes"]`).waitFor();
    expect(await page.locator(`tr[data-device-id="${bDevice.id}"]`).count()).to.equal(0);

    await page.getByRole('button', { name: 'Pair a device' }).click();
    await page.getByRole('dialog', { name: 'Pair a new device' }).getByLabel('Device name').fill('Set up by support');
    await page.getByRole('button', { name: 'Create pairing code' }).click();
    await page
      .getByRole('dialog', { name: 'Scan to pair Set up by support' })
      .getByRole('button', { name: 'Done' })
      .click();
    const listed = (await t.http.get('/api/v1/merchants/loyalty/devices').set(bearer(a.merchantToken)).expect(200)).body
      .items;
    expect(listed.map((d: { label: string }) => d.label)).to.deep.equal(['Set up by support', 'A counter']);
    expect(listed[0]).to.include({ created_by_id: me.id, store_id: a.stores[0].id });
    expect(await page.getByTestId('label').allTextContents()).to.deep.equal(['Set up by support', 'A counter']);
  });

  it('an unknown merchant shows Not found; a merchant user cannot open the admin pages', async () => {
    const me = await adminUser(t);
    const { page } = await suite.open();
    await signIn(page, t.url, me.email, /\/admin\/merchants$/);
    await page.goto(`${t.url}/admin/merchants/999999/loyalty/devices`);
    await page.getByRole('alert').filter({ hasText: 'Not found.' }).first().waitFor();
    expect(await page.getByRole('button', { name: 'Pair a device' }).isDisabled()).to.equal(true);
    await page.goto(`${t.url}/admin/merchants/999999`);
    await page.getByRole('alert').filter({ hasText: 'Not found.' }).waitFor();
    expect(await page.getByRole('button', { name: 'Add store' }).isVisible()).to.equal(false);

    const tenant = await createTenant(t, admin, 1);
    const { email } = await merchantUser(t, admin, tenant);
    await page.getByRole('button', { name: 'Log out' }).click();
    await signIn(page, t.url, email, /\/merchants\/loyalty\/devices$/);
    for (const path of ['/admin/merchants', `/admin/merchants/${tenant.merchantId}/loyalty/devices`]) {
      await page.goto(`${t.url}${path}`);
      await page.waitForURL(`${t.url}/merchants/loyalty/devices`);
    }
  });

  it("creates a merchant, its stores and users, shows the API's errors next to the fields, and the new user can sign in", async () => {
    const me = await adminUser(t);
    const { page } = await suite.open();
    await signIn(page, t.url, me.email, /\/admin\/merchants$/);

    // A merchant: its page is where its stores and users are added.
    const name = `Boulangerie ${uniq()}`;
    await page.getByRole('button', { name: 'New merchant' }).click();
    expect(await page.getByLabel('Merchant name').evaluate((el) => el === document.activeElement)).to.equal(true);
    await page.keyboard.press('Escape');
    await page.getByLabel('Merchant name').waitFor({ state: 'hidden' });
    expect(
      await page.getByRole('button', { name: 'New merchant' }).evaluate((el) => el === document.activeElement),
    ).to.equal(true);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Create merchant' }).click();
    await page.locator('#new-merchant-name-error').filter({ hasText: /\w/ }).waitFor();
    expect(await page.getByLabel('Merchant name').getAttribute('aria-invalid')).to.equal('true');
    await page.getByLabel('Merchant name').fill(name);
    await page.getByRole('button', { name: 'Create merchant' }).click();
    await page.waitForURL(/\/admin\/merchants\/\d+$/);
    const merchantId = Number(page.url().split('/').pop());
    await page.getByRole('heading', { name, exact: true }).waitFor();
    await page.getByText('No stores yet.').waitFor();
    await page.getByText('No users yet.').waitFor();

    // A store: a bad code is refused next to the code field; a lower-case code is saved and shown upper-cased.
    const codeField = page.locator('.field', { has: page.getByLabel('Store code') });
    await page.getByLabel('Store name').fill('Gare');
    await page.getByLabel('Store code').fill('gare 01!');
    await page.getByRole('button', { name: 'Add store' }).click();
    await codeField.getByText('must be 2 to 40 letters, digits, "-" or "_"').waitFor();
    expect(await page.getByLabel('Store code').getAttribute('aria-invalid')).to.equal('true');
    expect(await page.getByLabel('Store code').evaluate((el) => el === document.activeElement)).to.equal(true);
    const code = `gare-${uniq().slice(-6)}`;
    await page.getByLabel('Store code').fill(code);
    await page.getByRole('button', { name: 'Add store' }).click();
    const storeRow = page.locator('tr[data-store-id]').filter({ hasText: 'Gare' });
    await storeRow.getByTestId('store-code').filter({ hasText: code.toUpperCase() }).waitFor();
    expect(await codeField.locator('.field__error').isVisible()).to.equal(false);
    expect(await page.getByLabel('Store code').inputValue()).to.equal('');
    const stores = (await t.http.get(`/api/v1/admin/merchants/${merchantId}/stores`).set(bearer(admin)).expect(200))
      .body.items;
    expect(stores.map((s: { code: string }) => s.code)).to.deep.equal([code.toUpperCase()]);

    // A merchant user: a short password is refused next to the password field.
    const owner = `${uniq('owner-')}@example.com`;
    const passwordField = page.locator('.field', { has: page.getByLabel('Password') });
    await page.getByLabel('Email').fill(owner);
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Add user' }).click();
    await passwordField.getByText('must be 12 to 200 characters').waitFor();
    expect(await page.getByLabel('Password').getAttribute('aria-invalid')).to.equal('true');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Add user' }).click();
    const ownerRow = page.locator('tr[data-user-id]').filter({ hasText: owner });
    await ownerRow.getByTestId('user-role').filter({ hasText: 'Merchant user' }).waitFor();
    expect(await ownerRow.getByTestId('user-stores').textContent()).to.equal('All stores');

    // Store staff: at least one store must be picked.
    const staff = `${uniq('staff-')}@example.com`;
    await page.getByLabel('Email').fill(staff);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Role').selectOption('store_staff');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page
      .getByRole('group', { name: 'Stores this user works in' })
      .getByText('a store_staff user needs at least one store')
      .waitFor();
    await page.getByRole('checkbox', { name: `Gare ${code.toUpperCase()}` }).check();
    await page.getByRole('button', { name: 'Add user' }).click();
    const staffRow = page.locator('tr[data-user-id]').filter({ hasText: staff });
    await staffRow.getByTestId('user-role').filter({ hasText: 'Store staff' }).waitFor();
    expect(await staffRow.getByTestId('user-stores').textContent()).to.equal(code.toUpperCase());
    const users = (await t.http.get(`/api/v1/admin/merchants/${merchantId}/users`).set(bearer(admin)).expect(200)).body
      .items;
    expect(
      users.map((u: { email: string; role: string; store_ids?: number[] }) => [u.email, u.role, u.store_ids]),
    ).to.have.deep.members([
      [owner, 'merchant', undefined],
      [staff, 'store_staff', [stores[0].id]],
    ]);

    // The merchant user signs in and lands on the merchant's (empty) device list, with the new store.
    await page.getByRole('button', { name: 'Log out' }).click();
    await signIn(page, t.url, owner, /\/merchants\/loyalty\/devices$/);
    await page.getByText('No devices yet. Pair a tablet to get started.').waitFor();
    expect(await page.locator('#filter-store option').allTextContents()).to.deep.equal([
      'All stores',
      `Gare · ${code.toUpperCase()}`,
    ]);
  });
});
