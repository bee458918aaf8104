import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import { LOCALES, resolvedCatalog, type Locale } from '../i18n';

const VIEWS = path.join(__dirname, 'views');
const PUBLIC = path.join(__dirname, 'public');
const ALPINE_CSP = require.resolve('@alpinejs/csp/dist/cdn.min.js');

/**
 * A page: its body file, the role it is for (the client sends other users away), the extra classic scripts it needs
 * (globals such as the Socket.IO client) and its own ES modules from public/ (core.js is in every page).
 */
interface Page {
  view: string;
  role?: 'admin' | 'merchant';
  scripts?: string[];
  modules?: string[];
}

const DEVICE_LIST: Pick<Page, 'scripts' | 'modules'> = {
  scripts: ['/socket.io/socket.io.min.js'],
  modules: ['/assets/device-list.js', '/assets/offline-alerts.js'],
};
const ACTIVITY: Pick<Page, 'scripts' | 'modules'> = {
  scripts: ['/socket.io/socket.io.min.js'],
  modules: ['/assets/activity.js'],
};
const WEBHOOKS: Pick<Page, 'modules'> = { modules: ['/assets/webhooks.js'] };
const PAGES: Record<string, Page> = {
  '/login': { view: 'login.html' },
  '/admin/merchants': { view: 'merchants.html', role: 'admin', modules: ['/assets/merchants.js'] },
  '/admin/merchants/:merchant_id': { view: 'merchant.html', role: 'admin', modules: ['/assets/merchants.js'] },
  '/admin/merchants/:merchant_id/loyalty/devices': { view: 'admin-devices.html', role: 'admin', ...DEVICE_LIST },
  '/admin/merchants/:merchant_id/activity': { view: 'admin-activity.html', role: 'admin', ...ACTIVITY },
  '/admin/merchants/:merchant_id/webhooks': { view: 'admin-webhooks.html', role: 'admin', ...WEBHOOKS },
  '/merchants/loyalty/devices': { view: 'merchant-devices.html', role: 'merchant', ...DEVICE_LIST },
  '/merchants/activity': { view: 'merchant-activity.html', role: 'merchant', ...ACTIVITY },
  '/merchants/webhooks': { view: 'merchant-webhooks.html', role: 'merchant', ...WEBHOOKS },
};

/** `{{> name}}` → views/partials/name.html, recursively; done once at start-up. */
function include(html: string): string {
  return html.replace(/\{\{>\s*([\w-]+)\s*\}\}/g, (_m, name: string) =>
    include(fs.readFileSync(path.join(VIEWS, 'partials', `${name}.html`), 'utf8')),
  );
}

function render(page: Page): string {
  const layout = fs.readFileSync(path.join(VIEWS, 'layout.html'), 'utf8');
  // Deferred classic scripts and module scripts run in document order, after parsing: the globals, then our
  // modules (which register their components on alpine:init), then Alpine (layout.html) which starts the page.
  const scripts = [
    ...(page.scripts ?? []).map((src) => `  <script defer src="${src}"></script>`),
    ...(page.modules ?? []).map((src) => `  <script type="module" src="${src}"></script>`),
  ].join('\n');
  return include(layout)
    .replace('{{role}}', page.role ?? '')
    .replace('{{scripts}}', scripts)
    .replace('{{content}}', include(fs.readFileSync(path.join(VIEWS, page.view), 'utf8')));
}

/**
 * The merchant and admin pages: static HTML (rendered once at start-up), Alpine's CSP build, our scripts and styles,
 * and the resolved locale catalogs. Pages hold no data and no secret: everything comes from the REST API and the
 * /dashboard namespace with the user's bearer token. Not under /api, so not part of the OpenAPI document.
 */
export function webRoutes(): Router {
  const r = Router();
  const html = Object.fromEntries(Object.entries(PAGES).map(([route, page]) => [route, render(page)]));

  r.get('/', (_req, res) => res.redirect(302, '/login'));
  for (const route of Object.keys(PAGES)) {
    r.get(route, (req, res, next) => {
      const merchantId = (req.params as Record<string, string | undefined>).merchant_id;
      if (merchantId !== undefined && !/^[1-9]\d{0,15}$/.test(merchantId)) return next();
      res.type('html').set('Cache-Control', 'no-cache').send(html[route]);
    });
  }
  r.get('/i18n/:locale.json', (req, res, next) => {
    const locale = req.params.locale as Locale;
    if (!LOCALES.includes(locale)) return next();
    res.set('Cache-Control', 'no-cache').json(resolvedCatalog(locale));
  });
  r.get('/assets/vendor/alpine-csp.min.js', (_req, res) => res.sendFile(ALPINE_CSP));
  // public/ also holds globals.d.ts, for the typecheck only.
  r.use('/assets', (req, _res, next) => (req.path.endsWith('.ts') ? next('router') : next()));
  r.use('/assets', express.static(PUBLIC, { index: false, fallthrough: true }));
  return r;
}
