import { expect } from 'chai';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { bearer, createTenant, pairDevice, type TestHub } from '../helpers';
import { adminUser, browserSuite, merchantUser, signIn } from './browser';

describe('pages: an admin acts on behalf of a merchant in a real browser', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  const { sockets } = suite;
  let t: TestHub;
  let admin: string;
  before(() => ({ t, admin } = suite));

  const tabletOnline = (token: string) => {
    const s = connectSocket(`${t.url}/devices`, { auth: { token }, transports: ['websocket'], reconnection: false });
    sockets.push(s);
    return new Promise<Socket>((resolve, reject) => s.once('session', () => resolve(s)).once('connect_error', reject));
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

    const tenant = await createTenant(t, admin, 1);
    const { email } = await merchantUser(t, admin, tenant);
    await page.getByRole('button', { name: 'Log out' }).click();
    await signIn(page, t.url, email, /\/merchants\/loyalty\/devices$/);
    for (const path of ['/admin/merchants', `/admin/merchants/${tenant.merchantId}/loyalty/devices`]) {
      await page.goto(`${t.url}${path}`);
      await page.waitForURL(`${t.url}/merchants/loyalty/devices`);
    }
  });
});
