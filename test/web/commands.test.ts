import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { bearer, createTenant, pairDevice, type Tenant, type TestHub, waitFor } from '../helpers';
import { tabletOnline as connectTablet, type TestSocket } from '../socket-helpers';
import { adminUser, browserSuite, merchantUser, signIn } from './browser';

describe('pages: a merchant sends commands to its tablets and sees their state, live', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  const { sockets } = suite;
  let t: TestHub;
  let admin: string;
  before(() => ({ t, admin } = suite));

  async function merchantOnDevicesPage(): Promise<{ tenant: Tenant; page: Page }> {
    const tenant = await createTenant(t, admin, 1);
    const { email } = await merchantUser(t, admin, tenant);
    const { page } = await suite.open();
    await signIn(page, t.url, email, /\/merchants\/loyalty\/devices$/);
    await page.getByTestId('live-state').filter({ hasText: 'Live' }).waitFor();
    return { tenant, page };
  }

  const row = (page: Page, id: number) => page.locator(`tr[data-device-id="${id}"]`);
  const tabletOnline = async (token: string): Promise<TestSocket> => {
    const tablet = await connectTablet(t.url, token);
    sockets.push(tablet.socket);
    return tablet;
  };
  const devicesOf = async (tenant: Tenant) =>
    (await t.http.get('/api/v1/merchants/loyalty/devices').set(bearer(tenant.merchantToken)).expect(200)).body.items;
  const commandsOf = async (tenant: Tenant, id: number) =>
    (await t.http.get(`/api/v1/merchants/loyalty/devices/${id}/commands`).set(bearer(tenant.merchantToken)).expect(200))
      .body.items;

  it('Identify on a connected tablet: the notice, then the status goes to Succeeded live in the details', async () => {
    const { tenant, page } = await merchantOnDevicesPage();
    const paired = await pairDevice(t, tenant, 0, 'Counter 1');
    const tablet = await tabletOnline(paired.token);
    // The tablet acknowledges each command, and reports success once told to.
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => (answer = resolve));
    tablet.socket.on('command', (p: { id: number }, received: () => void) => {
      received();
      answered.then(() => tablet.emitWithAck('command:result', { id: p.id, ok: true }));
    });
    await row(page, paired.id).locator('[data-online="yes"]').waitFor();

    await page.getByRole('button', { name: 'Details of Counter 1' }).click();
    const details = page.getByRole('dialog', { name: 'Counter 1' });
    await details.getByText('No commands yet.').waitFor();
    expect(
      await details.getByRole('button', { name: 'Close' }).evaluate((el) => el === document.activeElement),
    ).to.equal(true);
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: 'Identify Counter 1' }).click();
    await page.getByRole('status').filter({ hasText: 'Command sent to Counter 1.' }).waitFor();
    await page.getByRole('button', { name: 'Details of Counter 1' }).click();
    const status = details.getByTestId('commands').locator('li').first().getByTestId('command-status');
    await status.filter({ hasText: 'Delivered' }).waitFor();
    expect(await details.getByTestId('commands').locator('li').first().textContent()).to.include('Identify');
    answer();
    await status.filter({ hasText: 'Succeeded' }).waitFor();
    expect(await details.getByRole('button', { name: /^Cancel/ }).count()).to.equal(0);
    const [command] = await commandsOf(tenant, paired.id);
    expect(command).to.include({ type: 'identify', status: 'succeeded' });
  });

  it('Send message: an empty text shows the field error; with a text it is sent', async () => {
    const { tenant, page } = await merchantOnDevicesPage();
    const paired = await pairDevice(t, tenant, 0, 'Till');
    await page.getByRole('button', { name: 'Send a message to Till' }).click();
    const dialog = page.getByRole('dialog', { name: 'Send a message to Till' });
    expect(await dialog.getByLabel('Message').evaluate((el) => el === document.activeElement)).to.equal(true);
    await dialog.getByRole('button', { name: 'Send' }).click();
    await dialog.locator('#message-text-error').waitFor();
    expect(await dialog.getByLabel('Message').getAttribute('aria-invalid')).to.equal('true');
    expect(await commandsOf(tenant, paired.id)).to.deep.equal([]);

    await dialog.getByLabel('Message').fill('Please restock the receipt paper');
    await dialog.getByLabel('Show for (seconds, optional)').fill('30');
    await dialog.getByRole('button', { name: 'Send' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('status').filter({ hasText: 'Command sent to Till.' }).waitFor();
    const [command] = await commandsOf(tenant, paired.id);
    expect(command).to.deep.include({
      type: 'show_message',
      status: 'queued',
      args: { text: 'Please restock the receipt paper', seconds: 30 },
    });
  });

  it('Reload asks first; a queued command (tablet offline) can be canceled and shows Canceled', async () => {
    const { tenant, page } = await merchantOnDevicesPage();
    const paired = await pairDevice(t, tenant, 0, 'Kiosk');
    await page.getByRole('button', { name: 'Reload Kiosk' }).click();
    const confirm = page.getByRole('dialog', { name: 'Reload Kiosk?' });
    await confirm.waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'hidden' });
    expect(await commandsOf(tenant, paired.id)).to.deep.equal([]);
    await page.getByRole('button', { name: 'Reload Kiosk' }).click();
    await confirm.getByRole('button', { name: 'Reload the app' }).click();
    await confirm.waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: 'Details of Kiosk' }).click();
    const details = page.getByRole('dialog', { name: 'Kiosk' });
    const item = details.getByTestId('commands').locator('li').first();
    await item.getByTestId('command-status').filter({ hasText: 'Queued' }).waitFor();
    expect(await item.textContent()).to.include('Reload');
    await details.getByRole('button', { name: 'Cancel the command Reload' }).click();
    await item.getByTestId('command-status').filter({ hasText: 'Canceled' }).waitFor();
    await details.getByRole('button', { name: 'Cancel the command Reload' }).waitFor({ state: 'hidden' });
    expect((await commandsOf(tenant, paired.id))[0]).to.include({ type: 'reload', status: 'canceled' });
  });

  it('the state a tablet reports appears live, with the low-battery hint; — before any report; kept after a reload', async () => {
    const { tenant, page } = await merchantOnDevicesPage();
    const paired = await pairDevice(t, tenant, 0, 'Counter 2');
    const state = row(page, paired.id).getByTestId('state');
    await state.filter({ hasText: '—' }).waitFor();
    const tablet = await tabletOnline(paired.token);
    const ack = await tablet.emitWithAck('state', {
      app_version: '2.3.1',
      battery_pct: 12,
      charging: false,
      network: 'wifi',
    });
    expect(ack).to.deep.equal({ ok: true });
    await state.getByText('Low battery').waitFor();
    const text = await state.textContent();
    expect(text).to.include('App 2.3.1').and.include('Battery 12%').and.include('Wi-Fi').and.include('State reported');

    // The state is written in batches: once the list has it, a reload shows it too.
    await waitFor(
      async () => (await devicesOf(tenant)).find((d: { id: number }) => d.id === paired.id)?.state?.app_version,
      20_000,
    );
    await page.reload();
    await state.getByText('Low battery').waitFor();
    expect(await state.textContent()).to.include('App 2.3.1');
  });

  it("an admin, on a merchant's behalf: Identify from the same list, its status followed live; the command is the admin's", async () => {
    const tenant = await createTenant(t, admin, 1);
    const paired = await pairDevice(t, tenant, 0, 'Support till');
    const tablet = await tabletOnline(paired.token);
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => (answer = resolve));
    tablet.socket.on('command', (p: { id: number }, received: () => void) => {
      received();
      answered.then(() => tablet.emitWithAck('command:result', { id: p.id, ok: true }));
    });
    const me = await adminUser(t);
    const { page } = await suite.open();
    await signIn(page, t.url, me.email, /\/admin\/merchants$/);
    await page.goto(`${t.url}/admin/merchants/${tenant.merchantId}/loyalty/devices`);
    await page.getByTestId('live-state').filter({ hasText: 'Live' }).waitFor();
    await row(page, paired.id).locator('[data-online="yes"]').waitFor();

    await page.getByRole('button', { name: 'Details of Support till' }).click();
    const details = page.getByRole('dialog', { name: 'Support till' });
    await details.getByText('No commands yet.').waitFor();
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Identify Support till' }).click();
    await page.getByRole('button', { name: 'Details of Support till' }).click();
    await details.getByTestId('command-status').filter({ hasText: 'Delivered' }).waitFor();
    answer();
    await details.getByTestId('command-status').filter({ hasText: 'Succeeded' }).waitFor();
    const [command] = await commandsOf(tenant, paired.id);
    expect(command).to.include({ type: 'identify', status: 'succeeded', created_by_id: me.id });
  });
});
