import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { createTenant, pairDevice, type Tenant, type TestHub } from '../helpers';
import { adminUser, browserSuite, fitsTheScreen, merchantUser, PHONE, reachable, signIn } from './browser';

describe('pages: usable on a phone (360 px wide)', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  let t: TestHub;
  let admin: string;
  before(() => ({ t, admin } = suite));

  /** A tenant with a device whose name is long, the kind that used to widen the table. */
  async function tenantWithDevices(): Promise<Tenant> {
    const tenant = await createTenant(t, admin, 2);
    await pairDevice(t, tenant, 0, 'Front counter by the entrance, left-hand till');
    await pairDevice(t, tenant, 1, 'Kiosk');
    return tenant;
  }

  /** On the device list at phone width: nothing sideways; rename, reissue and revoke reachable and working. */
  async function checkDeviceList(page: Page, label: string) {
    const row = page.locator('tr[data-device-id]').filter({ hasText: label });
    await row.getByTestId('status').filter({ hasText: 'Active' }).waitFor();
    await fitsTheScreen(page);
    await reachable(page.getByRole('button', { name: 'Log out' }));
    await reachable(page.getByRole('button', { name: 'Pair a device' }));
    for (const name of [
      `Rename ${label}`,
      `Identify ${label}`,
      `Send a message to ${label}`,
      `Reload ${label}`,
      `Details of ${label}`,
      `Reissue the token of ${label}`,
      `Revoke ${label}`,
    ])
      await reachable(page.getByRole('button', { name }));
    // Each cell says what it is, now that the column headers are out of sight.
    expect(await row.locator('td[data-label="Expires"]').isVisible()).to.equal(true);

    await page.getByRole('button', { name: `Revoke ${label}` }).click();
    const confirm = page.getByRole('dialog', { name: `Revoke ${label}?` });
    await confirm.waitFor();
    await reachable(confirm.getByRole('button', { name: 'Revoke device' }));
    await fitsTheScreen(page);
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: `Rename ${label}` }).click();
    await reachable(page.getByLabel(`New name for ${label}`));
    await reachable(page.getByRole('button', { name: 'Save' }));
    await fitsTheScreen(page);
    await page.keyboard.press('Escape');
  }

  it("a merchant's device list fits 360 px: rows become cards, the header wraps, every action is reachable", async () => {
    const tenant = await tenantWithDevices();
    const { email } = await merchantUser(t, admin, tenant);
    const { page } = await suite.open({ viewport: PHONE });
    await signIn(page, t.url, email, /\/merchants\/loyalty\/devices$/);
    await checkDeviceList(page, 'Front counter by the entrance, left-hand till');

    // The pairing QR still fits, and is big enough to scan.
    await page.getByRole('button', { name: 'Pair a device' }).click();
    await page.getByLabel('Device name').fill('Phone-sized');
    await page.getByRole('button', { name: 'Create pairing code' }).click();
    const secret = page.getByRole('dialog', { name: 'Scan to pair Phone-sized' });
    await reachable(secret.getByTestId('qr'));
    expect((await secret.getByTestId('qr').boundingBox())!.width).to.be.at.least(250);
    await reachable(secret.getByRole('button', { name: 'Done' }));
    await fitsTheScreen(page);
  });

  it("the admin's merchant picker and device list fit 360 px", async () => {
    const tenant = await tenantWithDevices();
    const me = await adminUser(t);
    const { page } = await suite.open({ viewport: PHONE });
    await signIn(page, t.url, me.email, /\/admin\/merchants$/);
    await page.getByLabel('Search merchants').fill(tenant.merchantName);
    const open = page.getByRole('link', { name: `Manage the devices of ${tenant.merchantName}` });
    await open.waitFor();
    await fitsTheScreen(page);
    await reachable(page.getByRole('button', { name: 'New merchant' }));
    await reachable(page.getByRole('link', { name: `Stores and users of ${tenant.merchantName}` }));
    await reachable(open);
    await open.click();
    await page.waitForURL(`${t.url}/admin/merchants/${tenant.merchantId}/loyalty/devices`);
    await checkDeviceList(page, 'Front counter by the entrance, left-hand till');
  });

  it("a merchant's stores and users page fits 360 px, its forms included", async () => {
    const tenant = await tenantWithDevices();
    await merchantUser(t, admin, tenant);
    const me = await adminUser(t);
    const { page } = await suite.open({ viewport: PHONE });
    await signIn(page, t.url, me.email, /\/admin\/merchants$/);
    await page.goto(`${t.url}/admin/merchants/${tenant.merchantId}`);
    await page.getByTestId('store-code').filter({ hasText: tenant.stores[1].code }).waitFor();
    await page.getByLabel('Role').selectOption('store_staff');
    await page.getByRole('checkbox', { name: `Store 1 ${tenant.stores[1].code}` }).waitFor();
    await fitsTheScreen(page);
    for (const name of ['Add store', 'Add user']) await reachable(page.getByRole('button', { name }));
    await reachable(page.getByRole('checkbox', { name: `Store 1 ${tenant.stores[1].code}` }));
  });
});
