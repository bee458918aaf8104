/**
 * Takes the screenshots kept under docs/ (shown in README.md and docs/dashboard.md), on a seeded demo tenant.
 * Run: npx tsx test/web/screenshots.ts
 */
import 'reflect-metadata';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { io as connect, type Socket } from 'socket.io-client';
import { TerminalDevice } from '../../src/devices/entities';
import { adminToken, bearer, startHub, uniq, type TestHub, waitFor } from '../helpers';
import { adminUser, launchChromium, merchantUser, openPage, PHONE, signIn } from './browser';

const DOCS = path.join(__dirname, '..', '..', 'docs');
const DAY = 86_400_000;

async function seed(t: TestHub, admin: string) {
  const m = await t.http
    .post('/api/v1/admin/merchants')
    .set(bearer(admin))
    .send({ name: 'Boulangerie Muller' })
    .expect(201);
  await t.http.post('/api/v1/admin/merchants').set(bearer(admin)).send({ name: 'Café des Artistes' }).expect(201);
  await t.http.post('/api/v1/admin/merchants').set(bearer(admin)).send({ name: 'Librairie Ernster' }).expect(201);
  const merchantId: number = m.body.merchant.id;
  const stores: number[] = [];
  for (const [name, code] of [
    ['Luxembourg Gare', 'LUX-GARE-01'],
    ['Esch Centre', 'ESCH-CTR-02'],
    ['Kirchberg', 'KIRCH-03'],
  ]) {
    const s = await t.http
      .post(`/api/v1/admin/merchants/${merchantId}/stores`)
      .set(bearer(admin))
      .send({ name, code: `${code}-${uniq().slice(-4).toUpperCase()}` })
      .expect(201);
    stores.push(s.body.store.id);
  }
  const tenant = {
    merchantId,
    merchantName: 'Boulangerie Muller',
    stores: stores.map((id) => ({ id, code: '' })),
    merchantToken: '',
    merchantUserId: 0,
  };
  const { email } = await merchantUser(t, admin, tenant);
  const base = `/api/v1/admin/merchants/${merchantId}/loyalty/devices`;
  const pair = async (store: number, label: string) =>
    (await t.http.post(base).set(bearer(admin)).send({ store_id: store, label }).expect(201)).body;
  const repo = t.hub.ctx.db.getRepository(TerminalDevice);
  const now = Date.now();

  const expired = await pair(stores[2], 'Old kiosk');
  await repo.update(expired.device.id, {
    createdAt: new Date(now - 400 * DAY),
    expiresAt: new Date(now - 35 * DAY),
    lastSeenAt: new Date(now - 36 * DAY),
  });
  const revoked = await pair(stores[0], 'Back office');
  await t.http
    .post(`${base}/${revoked.device.id}/revoke`)
    .set(bearer(admin))
    .send({ reason: 'Tablet replaced' })
    .expect(200);
  const expiring = await pair(stores[1], 'Terrace tablet');
  await repo.update(expiring.device.id, {
    createdAt: new Date(now - 340 * DAY),
    expiresAt: new Date(now - 340 * DAY + 365 * DAY),
    lastSeenAt: new Date(now - 3 * 3_600_000),
  });
  await pair(stores[1], 'Checkout');
  const online = [await pair(stores[0], 'Counter 1'), await pair(stores[0], 'Counter 2')];
  const sockets: Socket[] = online.map((p) =>
    connect(`${t.url}/devices`, { auth: { token: p.pairing.auth_token }, transports: ['websocket'] }),
  );
  await Promise.all(sockets.map((s) => new Promise((resolve) => s.once('session', resolve))));
  // They acknowledge commands and carry them out; they report their state.
  for (const s of sockets)
    s.on('command', (p: { id: number }, received: () => void) => {
      received();
      s.emit('command:result', { id: p.id, ok: true }, () => {});
    });
  const states = [
    { app_version: '2.3.1', battery_pct: 86, charging: true, network: 'ethernet' },
    { app_version: '2.3.1', battery_pct: 12, charging: false, network: 'wifi' },
  ];
  await Promise.all(sockets.map((s, i) => s.timeout(5000).emitWithAck('state', states[i])));
  // Reports are written in batches: wait until the list carries them.
  await waitFor(
    async () =>
      (await t.http.get(base).set(bearer(admin)).expect(200)).body.items.every(
        (d: { online: boolean; state: unknown }) => !d.online || d.state,
      ),
    20_000,
    200,
  );
  return { email, merchantId, sockets };
}

async function shot(page: Page, name: string) {
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(DOCS, name) });
  console.log(`docs/${name}`);
}

async function main() {
  const t = await startHub({ PUBLIC_URL: 'https://terminals.example.lu' });
  const admin = (await adminToken(t)).token;
  const demo = await seed(t, admin);
  const browser = await launchChromium();
  try {
    const merchant = await openPage(browser);
    await merchant.page.goto(`${t.url}/login`);
    await merchant.page.getByLabel('Email').fill(demo.email);
    await shot(merchant.page, 'login.png');
    await signIn(merchant.page, t.url, demo.email, /\/merchants\/loyalty\/devices$/);
    await merchant.page.locator('tr[data-device-id]').first().waitFor();
    await shot(merchant.page, 'devices.png');
    await merchant.page.getByRole('button', { name: 'Pair a device' }).click();
    await merchant.page.getByLabel('Device name').fill('Counter 3');
    await merchant.page.getByRole('button', { name: 'Create pairing code' }).click();
    await merchant.page.getByTestId('qr').waitFor();
    await shot(merchant.page, 'pair-qr.png');
    await merchant.page.keyboard.press('Escape');
    await merchant.page.getByRole('button', { name: 'Identify Counter 2' }).click();
    await merchant.page.getByRole('button', { name: 'Details of Counter 2' }).click();
    await merchant.page.getByTestId('command-status').filter({ hasText: 'Succeeded' }).waitFor();
    await shot(merchant.page, 'device-details.png');
    await merchant.page.keyboard.press('Escape');
    await merchant.page.getByTestId('language').selectOption('fr');
    await merchant.page.getByRole('heading', { name: 'Terminaux' }).waitFor();
    await shot(merchant.page, 'devices-fr.png');

    const adminPage = await openPage(browser);
    await signIn(adminPage.page, t.url, (await adminUser(t)).email, /\/admin\/merchants$/);
    await adminPage.page.getByText('Boulangerie Muller').waitFor();
    await shot(adminPage.page, 'merchants.png');
    await adminPage.page.goto(`${t.url}/admin/merchants/${demo.merchantId}/loyalty/devices`);
    await adminPage.page.locator('tr[data-device-id]').first().waitFor();
    await shot(adminPage.page, 'admin-devices.png');
    await adminPage.page.goto(`${t.url}/admin/merchants/${demo.merchantId}`);
    await adminPage.page.locator('tr[data-user-id]').first().waitFor();
    await adminPage.page.getByLabel('Store name').fill('Remich');
    await adminPage.page.getByLabel('Store code').fill('remich 04!');
    await adminPage.page.getByRole('button', { name: 'Add store' }).click();
    await adminPage.page.locator('#new-store-code-error').filter({ hasText: /\w/ }).waitFor();
    await shot(adminPage.page, 'merchant.png');

    const phone = await openPage(browser, { viewport: PHONE });
    await signIn(phone.page, t.url, demo.email, /\/merchants\/loyalty\/devices$/);
    await phone.page.locator('tr[data-device-id]').first().waitFor();
    await shot(phone.page, 'devices-phone.png');
  } finally {
    for (const s of demo.sockets) s.close();
    await browser.close();
    await t.close();
  }
}

// `npx mocha test/web` loads every file of the folder: only run when executed directly.
if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
