import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { expect } from 'chai';
import {
  adminToken,
  bearer,
  type Env,
  makeAdmin,
  PASSWORD,
  startHub,
  uniq,
  type Tenant,
  type TestHub,
} from '../helpers';

export const CHROMIUM = '/usr/bin/chromium';

/** Debian's chromium, headless, quiet. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });

/**
 * For a mocha `before(function () {...})`: without chromium the suite fails in CI and is skipped elsewhere.
 */
export async function launchBrowser(ctx: Mocha.Context): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    if (process.env.CI) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package`);
    ctx.skip();
  }
  return launchChromium();
}

export interface PageProbe {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught exceptions and CSP violations seen so far: a page that works has none. */
  problems: string[];
}

export interface PageOptions {
  locale?: string;
  /** The window's size; a desktop's by default. */
  viewport?: { width: number; height: number };
}

/** A phone held upright: the narrowest width the pages are made for. */
export const PHONE = { width: 360, height: 740 };

/** A fresh browser context (own sessionStorage and localStorage) and page, watching for errors. */
export async function openPage(browser: Browser, opts: PageOptions = {}): Promise<PageProbe> {
  const context = await browser.newContext({
    locale: opts.locale ?? 'en-GB',
    viewport: opts.viewport ?? { width: 1280, height: 860 },
  });
  const page = await context.newPage();
  const problems: string[] = [];
  // A page's own files (scripts, styles, icons, catalogs) must all be there. API refusals are the tests' business, and
  // so are Engine.IO's transport requests (`/socket.io/?EIO=…`: a lost connection is the page's to handle).
  page.on('response', (r) => {
    const url = new URL(r.url());
    const transport = url.pathname.startsWith('/socket.io/') && url.searchParams.has('EIO');
    if (r.status() >= 400 && !url.pathname.startsWith('/api/') && !transport)
      problems.push(`${r.status()}: ${r.url()}`);
  });
  page.on('console', (m) => {
    // A refused request (a wrong password's 401, say) is logged by the browser itself: not a fault of the page.
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()))
      problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return { page, context, problems };
}

export interface BrowserSuite {
  browser: Browser;
  t: TestHub;
  /** An admin's token. */
  admin: string;
  /** Test sockets, closed after each test. */
  sockets: Socket[];
  /** The current test's page: after the test its context closes and it must have shown no error. */
  probe?: PageProbe;
  open(opts?: PageOptions): Promise<PageProbe>;
}

/**
 * The lifecycle every page suite shares: one browser, one server (with `env` over the test defaults), an admin; each
 * test's page checked for errors.
 */
export function browserSuite(env: Env = {}): BrowserSuite {
  const s = { sockets: [] } as unknown as BrowserSuite;
  s.open = async (opts) => (s.probe = await openPage(s.browser, opts));
  before(async function () {
    s.browser = await launchBrowser(this);
    s.t = await startHub(env);
    s.admin = (await adminToken(s.t)).token;
  });
  after(async () => {
    await s.browser?.close();
    await s.t?.close();
  });
  afterEach(async () => {
    for (const x of s.sockets.splice(0)) x.close();
    if (!s.probe) return;
    const { problems, context } = s.probe;
    s.probe = undefined;
    await context.close();
    expect(problems, 'errors in the browser').to.deep.equal([]);
  });
  return s;
}

/** An admin with a known password (PASSWORD): the shared factory. */
export const adminUser = makeAdmin;

export async function merchantUser(t: TestHub, admin: string, tenant: Tenant): Promise<{ email: string }> {
  const email = `${uniq('owner-')}@example.com`;
  await t.http
    .post(`/api/v1/admin/merchants/${tenant.merchantId}/users`)
    .set(bearer(admin))
    .send({ email, password: PASSWORD, role: 'merchant' })
    .expect(201);
  return { email };
}

/** Signs in through the login page and waits for the page the role lands on. */
export async function signIn(page: Page, baseUrl: string, email: string, landing: RegExp): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(landing);
}

export { decodeQr } from '../helpers';

/** Everything a page holds that a script could read back: its DOM, its storage and its Alpine components' state. */
export async function pageMemory(page: Page): Promise<string> {
  const state = await page.evaluate(() => {
    const w = window as unknown as { Alpine: { $data(el: Element): object } };
    const components = Array.from(document.querySelectorAll('[x-data]')).map((el) =>
      JSON.stringify(w.Alpine.$data(el)),
    );
    return JSON.stringify({ components, session: { ...sessionStorage }, local: { ...localStorage } });
  });
  return (await page.content()) + state;
}

/** On a phone: the page is no wider than the screen (nothing to scroll sideways). */
export async function fitsTheScreen(page: Page) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, 'document width').to.be.at.most(PHONE.width);
}

/** On a phone: visible, entirely on screen horizontally, and what a tap there reaches is the element itself. */
export async function reachable(target: Locator) {
  await target.scrollIntoViewIfNeeded();
  expect(await target.isVisible(), 'visible').to.equal(true);
  const box = (await target.boundingBox())!;
  expect(box.x, 'left edge').to.be.at.least(0);
  expect(box.x + box.width, 'right edge').to.be.at.most(PHONE.width);
  const hit = await target.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return top !== null && (el === top || el.contains(top));
  });
  expect(hit, 'nothing covers it').to.equal(true);
}
