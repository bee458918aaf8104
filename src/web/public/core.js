// @ts-check
/*
 * Shared by every page: the session (user token in sessionStorage), the REST client, the locale catalog, date
 * formatting, the page header and the login form. An ES module served as is (no build step, typechecked by
 * `tsc -p tsconfig.web.json`); Alpine's CSP build evaluates only the expressions in the HTML.
 */
/** @import { ErrorBody, LoginAnswer, User } from '../../wire' */
/** @import { Locale } from '../../i18n' */

/** @type {readonly Locale[]} */
const LOCALES = ['en', 'fr', 'de', 'lb'];
const TOKEN_KEY = 'th.token';
const USER_KEY = 'th.user';
const LOCALE_KEY = 'th.locale';

/** @param {unknown} value @returns {value is Locale} */
const isLocale = (value) => LOCALES.includes(/** @type {Locale} */ (value));

// --- session -------------------------------------------------------------------------------------------------------
// The token lives in sessionStorage (this tab only, gone when it closes) and travels only in the Authorization
// header: no cookie, so no CSRF; the strict CSP (no inline script, no eval) is the defence against XSS.
export const session = {
  /** @returns {string | null} */
  token: () => sessionStorage.getItem(TOKEN_KEY),
  /** @returns {User | null} */
  user: () => {
    try {
      return JSON.parse(sessionStorage.getItem(USER_KEY) ?? 'null');
    } catch {
      return null;
    }
  },
  /** @param {string} token @param {User} user */
  save: (token, user) => {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  clear: () => {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
  },
};

/** Where a user lands after signing in; store staff have no page. @param {User | null} user */
const homeFor = (user) => {
  if (user?.role === 'admin') return '/admin/merchants';
  if (user?.role === 'merchant') return '/merchants/loyalty/devices';
  return null;
};

/** Back to the login page; it returns here after signing in. The URL carries the path, never a token. */
export const toLogin = () => {
  session.clear();
  location.replace(`/login?next=${encodeURIComponent(location.pathname)}`);
};

/**
 * A same-origin path to return to after login, or null. Parsed as the browser would (which drops tabs and newlines,
 * so `/\t/evil.example` means `//evil.example`) and kept only if it stays on this origin.
 */
const safeNext = () => {
  const next = new URLSearchParams(location.search).get('next');
  if (!next?.startsWith('/')) return null;
  try {
    const url = new URL(next, location.origin);
    return url.origin === location.origin ? url.pathname + url.search + url.hash : null;
  } catch {
    return null;
  }
};

// A page for a role sends anyone else away before anything renders.
const requiredRole = document.body.dataset.role;
if (requiredRole) {
  const current = session.user();
  if (!session.token() || !current) toLogin();
  else if (current.role !== requiredRole) location.replace(homeFor(current) ?? '/login');
}

// --- REST ----------------------------------------------------------------------------------------------------------
/** An error answer of the API: its code, its localized message and, for VALIDATION_ERROR, one message per field. */
export class ApiError extends Error {
  /** @param {number} status @param {{ error?: Partial<ErrorBody> } | null} body */
  constructor(status, body) {
    const err = body?.error;
    super(err?.message ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = err?.code ?? 'INTERNAL';
    const fields = /** @type {{ fields?: Record<string, string> } | undefined} */ (err?.details)?.fields;
    /** @type {Record<string, string>} */
    this.fields = fields ?? {};
  }
}

/**
 * JSON in, JSON out, bearer token and locale attached; a 401 on an authenticated call ends the session.
 * The answer is `unknown`: callers cast it to the wire type of the endpoint.
 * @param {'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<unknown>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json', 'Accept-Language': i18nStore.locale };
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  const data = await res.json().catch(() => null);
  if (res.status === 401 && token) toLogin();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// --- locale --------------------------------------------------------------------------------------------------------
/** @returns {Locale} */
function initialLocale() {
  const saved = localStorage.getItem(LOCALE_KEY);
  if (isLocale(saved)) return saved;
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language || 'en'];
  for (const tag of preferred) {
    const lang = String(tag).toLowerCase().split('-')[0];
    if (isLocale(lang)) return lang;
  }
  return 'en';
}

/** @type {[Intl.RelativeTimeFormatUnit, number][]} */
const UNITS = [
  ['year', 31536000],
  ['month', 2592000],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
];

/** @type {I18nStore} */
const i18nStore = {
  locale: initialLocale(),
  messages: {},
  ready: false,
  /** The text of a key with `{name}` parameters filled in; the server already applied the fallbacks. */
  t(key, params) {
    const text = this.messages[key];
    if (typeof text !== 'string') return this.ready ? key : '';
    return text.replace(/\{(\w+)\}/g, (m, name) => {
      const value = params?.[name];
      return value !== undefined && value !== null ? String(value) : m;
    });
  },
  async use(wanted, remember) {
    const locale = isLocale(wanted) ? wanted : 'en';
    const res = await fetch(`/i18n/${locale}.json`, { credentials: 'omit' });
    if (!res.ok) throw new Error(`catalog ${res.status}`);
    /** @type {Record<string, string>} */
    const messages = await res.json();
    this.messages = messages;
    this.locale = locale;
    this.ready = true;
    if (remember) localStorage.setItem(LOCALE_KEY, locale);
    document.documentElement.lang = locale;
    document.title = messages['app.name'] ?? 'Terminal Hub';
  },
  date(iso) {
    return iso ? new Intl.DateTimeFormat(this.locale, { dateStyle: 'medium' }).format(new Date(iso)) : '';
  },
  dateTime(iso) {
    return iso
      ? new Intl.DateTimeFormat(this.locale, { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(iso))
      : '';
  },
  /** "3 min ago", "in 2 days", "now" — in the chosen locale. */
  relative(iso, now) {
    if (!iso) return '';
    const seconds = (new Date(iso).getTime() - (now ?? Date.now())) / 1000;
    const rtf = new Intl.RelativeTimeFormat(this.locale, { numeric: 'auto', style: 'long' });
    for (const [unit, size] of UNITS) {
      if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
    }
    return rtf.format(0, 'second');
  },
};

/** A text of the current locale (through Alpine's store, so what renders it follows a change of language). */
export const t = (/** @type {string} */ key, /** @type {TextParams} */ params = {}) =>
  Alpine.store('i18n').t(key, params);

/** The message to show for a failed call. @param {unknown} err */
export const errorText = (err) => (err instanceof Error && err.message ? err.message : t('common.error_generic'));

/**
 * The API's per-field validation messages of a failed call, for the inputs of a form; `{}` for any other error.
 * @param {unknown} err
 * @returns {Record<string, string>}
 */
export const fieldErrors = (err) => (err instanceof ApiError && err.code === 'VALIDATION_ERROR' ? err.fields : {});

// --- dialogs -------------------------------------------------------------------------------------------------------
const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Keeps Tab and Shift+Tab inside an open modal dialog. @param {KeyboardEvent} event @param {Element} dialog */
function trapFocus(event, dialog) {
  if (event.key !== 'Tab') return;
  const focusable = Array.from(dialog.querySelectorAll(FOCUSABLE)).filter(
    (el) => el instanceof HTMLElement && (el.offsetParent !== null || el === document.activeElement),
  );
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (!(first instanceof HTMLElement) || !(last instanceof HTMLElement)) return;
  const inside = dialog.contains(document.activeElement);
  if (event.shiftKey && (document.activeElement === first || !inside)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
    event.preventDefault();
    first.focus();
  }
}

/** Focuses an element by id, if it is there. @param {string} id */
export const focusById = (id) => document.getElementById(id)?.focus();

// --- the merchant a page is about ----------------------------------------------------------------------------------
/**
 * The merchant a page acts for: the user's own on `/merchants/…`, the one in the URL on `/admin/merchants/{id}/…`.
 * `api` and `pages` are the bases both portals share the rest of their paths under (`/loyalty/devices`, `/audit`…).
 */
export function pageMerchant() {
  const id = Number(/^\/admin\/merchants\/(\d+)(?:\/|$)/.exec(location.pathname)?.[1]) || null;
  return {
    /** @type {number | null} */
    merchantId: id,
    api: id ? `/api/v1/admin/merchants/${id}` : '/api/v1/merchants',
    pages: id ? `/admin/merchants/${id}` : '/merchants',
  };
}

/** The name of the merchant an admin acts for, for the crumbs. @param {number} merchantId @returns {Promise<string>} */
async function merchantName(merchantId) {
  const res = /** @type {{ merchant: { name: string } }} */ (await api('GET', `/api/v1/admin/merchants/${merchantId}`));
  return res.merchant.name;
}

/**
 * On an admin's page about one merchant, fills in its name (the crumbs); a failure becomes the page's error.
 * @param {{ merchantId: number | null, merchantName: string, error: string }} page
 */
export function loadMerchantName(page) {
  if (page.merchantId === null) return;
  merchantName(page.merchantId)
    .then((name) => {
      page.merchantName = name;
    })
    .catch((err) => {
      page.error = errorText(err);
    });
}

/**
 * Copies a one-time secret; when the clipboard is refused, selects the field that shows it instead.
 * @param {string} text @param {string} fieldId @returns {Promise<boolean>} whether it was copied
 */
export async function copySecret(text, fieldId) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const field = document.getElementById(fieldId);
    if (field instanceof HTMLTextAreaElement || field instanceof HTMLInputElement) {
      field.focus();
      field.select();
    }
    return false;
  }
}

/**
 * The native `<dialog>`s of a component (each one `x-ref`'d), as methods to spread into it: a dialog opens once
 * Alpine has rendered what it shows, and the focus then moves to `focusId`.
 */
export const dialogMethods = {
  /** @this {AlpineMagics} @param {string} ref */
  dialog(ref) {
    return /** @type {HTMLDialogElement} */ (this.$refs[ref]);
  },

  /** @this {AlpineMagics & { dialog(ref: string): HTMLDialogElement }} @param {string} ref @param {string} [focusId] */
  openDialog(ref, focusId) {
    this.$nextTick(() => {
      this.dialog(ref).showModal();
      if (focusId) focusById(focusId);
    });
  },
};

// --- components ----------------------------------------------------------------------------------------------------
document.addEventListener('alpine:init', () => {
  Alpine.store('i18n', i18nStore);
  Alpine.store('clock', { now: Date.now() });
  setInterval(() => {
    Alpine.store('clock').now = Date.now();
  }, 15000);
  const i18n = Alpine.store('i18n');
  i18n.use(i18n.locale, false).catch(() => {
    i18n.ready = true;
  });
  document.addEventListener('keydown', (e) => {
    const dialog = document.querySelector('dialog[open]');
    if (dialog) trapFocus(e, dialog);
  });

  Alpine.data('appHeader', () => {
    const user = session.user();
    return {
      email: (requiredRole && user?.email) || '',
      isAdmin: Boolean(requiredRole && user?.role === 'admin'),
      isMerchant: Boolean(requiredRole && user?.role === 'merchant'),
      logout() {
        session.clear();
        location.assign('/login');
      },
    };
  });

  /** The pages about one merchant (header for its users, next to the crumbs for an admin); the current one marked. */
  Alpine.data('sectionNav', () => {
    const { pages } = pageMerchant();
    const here = location.pathname.replace(/\/$/, '');
    const link = (/** @type {string} */ path) => ({ href: path, current: here === path ? 'page' : null });
    return {
      devices: link(`${pages}/loyalty/devices`),
      activity: link(`${pages}/activity`),
      webhooks: link(`${pages}/webhooks`),
      details: link(pages),
    };
  });

  Alpine.data('loginForm', () => ({
    email: '',
    password: '',
    error: '',
    busy: false,
    init() {
      const home = homeFor(session.user());
      if (session.token() && home) location.replace(safeNext() ?? home);
      this.$nextTick(() => focusById('login-email'));
    },
    async submit() {
      this.error = '';
      if (!this.email || !this.password) {
        this.error = t('page.login.missing');
        return;
      }
      this.busy = true;
      try {
        const res = /** @type {LoginAnswer} */ (
          await api('POST', '/api/v1/auth/login', { email: this.email, password: this.password })
        );
        const home = homeFor(res.user);
        if (!home) {
          this.error = t('page.login.no_access');
          return;
        }
        session.save(res.token, res.user);
        this.password = '';
        location.assign(safeNext() ?? home);
      } catch (err) {
        this.error = errorText(err);
      } finally {
        this.busy = false;
      }
    },
  }));
});
