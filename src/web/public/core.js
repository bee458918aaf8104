/*
 * Shared by every page: the session (user token in sessionStorage), the REST client, the locale catalog,
 * date formatting, the page header, the login form and the admin's merchant picker.
 * Plain browser JS served as is (no build step); Alpine's CSP build evaluates only the expressions in the HTML.
 */
(function () {
  var LOCALES = ['en', 'fr', 'de', 'lb'];
  var TOKEN_KEY = 'th.token';
  var USER_KEY = 'th.user';
  var LOCALE_KEY = 'th.locale';

  // --- session -------------------------------------------------------------------------------------------------
  // The token lives in sessionStorage (this tab only, gone when it closes) and travels only in the Authorization
  // header: no cookie, so no CSRF; the strict CSP (no inline script, no eval) is the defence against XSS.
  var session = {
    token: function () {
      return sessionStorage.getItem(TOKEN_KEY);
    },
    user: function () {
      try {
        return JSON.parse(sessionStorage.getItem(USER_KEY) || 'null');
      } catch (_e) {
        return null;
      }
    },
    save: function (token, user) {
      sessionStorage.setItem(TOKEN_KEY, token);
      sessionStorage.setItem(USER_KEY, JSON.stringify(user));
    },
    clear: function () {
      sessionStorage.removeItem(TOKEN_KEY);
      sessionStorage.removeItem(USER_KEY);
    },
  };

  function homeFor(user) {
    if (user && user.role === 'admin') return '/admin/merchants';
    if (user && user.role === 'merchant') return '/merchants/loyalty/devices';
    return null;
  }

  /** Back to the login page; it returns here after signing in. The URL carries the path, never a token. */
  function toLogin() {
    session.clear();
    location.replace(`/login?next=${encodeURIComponent(location.pathname)}`);
  }

  /** A same-origin path to return to after login, or null. */
  function safeNext() {
    var next = new URLSearchParams(location.search).get('next');
    return next && /^\/(?![/\\])/.test(next) ? next : null;
  }

  // A page for a role sends anyone else away before anything renders.
  var requiredRole = document.body.dataset.role;
  if (requiredRole) {
    var current = session.user();
    if (!session.token() || !current) toLogin();
    else if (current.role !== requiredRole) location.replace(homeFor(current) || '/login');
  }

  // --- REST ----------------------------------------------------------------------------------------------------
  function ApiError(status, body) {
    var err = body?.error || {};
    this.name = 'ApiError';
    this.status = status;
    this.code = err.code || 'INTERNAL';
    this.message = err.message || `HTTP ${status}`;
    this.fields = err.details?.fields || {};
  }
  ApiError.prototype = Object.create(Error.prototype);

  /** JSON in, JSON out, bearer token and locale attached; a 401 on an authenticated call ends the session. */
  function api(method, path, body) {
    var headers = { Accept: 'application/json', 'Accept-Language': i18nLocale() };
    var token = session.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    }).then(function (res) {
      return res
        .json()
        .catch(function () {
          return null;
        })
        .then(function (data) {
          if (res.status === 401 && token) toLogin();
          if (!res.ok) throw new ApiError(res.status, data);
          return data;
        });
    });
  }

  // --- locale --------------------------------------------------------------------------------------------------
  function initialLocale() {
    var saved = localStorage.getItem(LOCALE_KEY);
    if (LOCALES.indexOf(saved) >= 0) return saved;
    var preferred = navigator.languages?.length ? navigator.languages : [navigator.language || 'en'];
    for (var i = 0; i < preferred.length; i++) {
      var lang = String(preferred[i]).toLowerCase().split('-')[0];
      if (LOCALES.indexOf(lang) >= 0) return lang;
    }
    return 'en';
  }

  function i18nLocale() {
    return window.Alpine && Alpine.store('i18n') ? Alpine.store('i18n').locale : initialLocale();
  }

  var UNITS = [
    ['year', 31536000],
    ['month', 2592000],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ];

  var i18nStore = {
    locale: initialLocale(),
    messages: {},
    ready: false,
    /** The text of a key with `{name}` parameters filled in; the server already applied the fallbacks. */
    t: function (key, params) {
      var text = this.messages[key];
      if (typeof text !== 'string') return this.ready ? key : '';
      return text.replace(/\{(\w+)\}/g, function (m, name) {
        return params && params[name] !== undefined && params[name] !== null ? String(params[name]) : m;
      });
    },
    use: function (locale, remember) {
      var self = this;
      if (LOCALES.indexOf(locale) < 0) locale = 'en';
      return fetch(`/i18n/${locale}.json`, { credentials: 'omit' })
        .then(function (res) {
          if (!res.ok) throw new Error(`catalog ${res.status}`);
          return res.json();
        })
        .then(function (messages) {
          self.messages = messages;
          self.locale = locale;
          self.ready = true;
          if (remember) localStorage.setItem(LOCALE_KEY, locale);
          document.documentElement.lang = locale;
          document.title = messages['app.name'] || 'Terminal Hub';
        });
    },
    date: function (iso) {
      return iso ? new Intl.DateTimeFormat(this.locale, { dateStyle: 'medium' }).format(new Date(iso)) : '';
    },
    dateTime: function (iso) {
      return iso
        ? new Intl.DateTimeFormat(this.locale, { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(iso))
        : '';
    },
    /** "3 min ago", "in 2 days", "now" — in the chosen locale. */
    relative: function (iso, now) {
      if (!iso) return '';
      var seconds = (new Date(iso).getTime() - (now || Date.now())) / 1000;
      var rtf = new Intl.RelativeTimeFormat(this.locale, { numeric: 'auto', style: 'long' });
      for (var i = 0; i < UNITS.length; i++) {
        if (Math.abs(seconds) >= UNITS[i][1]) return rtf.format(Math.round(seconds / UNITS[i][1]), UNITS[i][0]);
      }
      return rtf.format(0, 'second');
    },
  };

  /** Keeps Tab and Shift+Tab inside an open modal dialog. */
  function trapFocus(event, dialog) {
    if (event.key !== 'Tab') return;
    var focusable = Array.prototype.filter.call(
      dialog.querySelectorAll(
        'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])',
      ),
      function (el) {
        return el.offsetParent !== null || el === document.activeElement;
      },
    );
    if (!focusable.length) return;
    var first = focusable[0];
    var last = focusable[focusable.length - 1];
    if (event.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !dialog.contains(document.activeElement))) {
      event.preventDefault();
      first.focus();
    }
  }

  function errorText(err) {
    return err?.message ? err.message : Alpine.store('i18n').t('common.error_generic');
  }

  window.TH = { api: api, session: session, toLogin: toLogin, errorText: errorText };

  // --- components ----------------------------------------------------------------------------------------------
  document.addEventListener('alpine:init', function () {
    Alpine.store('i18n', i18nStore);
    Alpine.store('clock', { now: Date.now() });
    setInterval(function () {
      Alpine.store('clock').now = Date.now();
    }, 15000);
    Alpine.store('i18n')
      .use(Alpine.store('i18n').locale, false)
      .catch(function () {
        Alpine.store('i18n').ready = true;
      });
    document.addEventListener('keydown', function (e) {
      var dialog = document.querySelector('dialog[open]');
      if (dialog) trapFocus(e, dialog);
    });

    Alpine.data('appHeader', function () {
      var user = session.user();
      return {
        email: (requiredRole && user?.email) || '',
        isAdmin: Boolean(requiredRole && user && user.role === 'admin'),
        logout: function () {
          session.clear();
          location.assign('/login');
        },
      };
    });

    Alpine.data('loginForm', function () {
      return {
        email: '',
        password: '',
        error: '',
        busy: false,
        init: function () {
          var home = homeFor(session.user());
          if (session.token() && home) location.replace(safeNext() || home);
          this.$nextTick(function () {
            document.getElementById('login-email').focus();
          });
        },
        submit: function () {
          var self = this;
          self.error = '';
          if (!self.email || !self.password) {
            self.error = Alpine.store('i18n').t('page.login.missing');
            return;
          }
          self.busy = true;
          api('POST', '/api/v1/auth/login', { email: self.email, password: self.password })
            .then(function (res) {
              var home = homeFor(res.user);
              if (!home) {
                self.error = Alpine.store('i18n').t('page.login.no_access');
                return;
              }
              session.save(res.token, res.user);
              self.password = '';
              location.assign(safeNext() || home);
            })
            .catch(function (err) {
              self.error = errorText(err);
            })
            .finally(function () {
              self.busy = false;
            });
        },
      };
    });

    Alpine.data('merchantPicker', function () {
      return {
        merchants: [],
        search: '',
        loading: true,
        error: '',
        init: function () {
          var self = this;
          api('GET', '/api/v1/admin/merchants?limit=500')
            .then(function (res) {
              self.merchants = res.items;
            })
            .catch(function (err) {
              self.error = errorText(err);
            })
            .finally(function () {
              self.loading = false;
            });
        },
        shown: function () {
          var q = this.search.trim().toLowerCase();
          return this.merchants.filter(function (m) {
            return !q || m.name.toLowerCase().indexOf(q) >= 0;
          });
        },
        isEmpty: function () {
          return !this.loading && !this.error && this.shown().length === 0;
        },
        devicesUrl: function (m) {
          return `/admin/merchants/${m.id}/loyalty/devices`;
        },
      };
    });
  });
})();
