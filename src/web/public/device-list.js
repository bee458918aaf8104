// @ts-check
/*
 * The device list, one factory for both portals (views/partials/device-list.html is its template).
 * `data-portal="merchant"` acts on the user's own merchant; `data-portal="admin"` on the merchant in the URL.
 * Live updates come from the Socket.IO /dashboard namespace; the one-time pairing secret (token and QR) is kept
 * only while its dialog is open.
 */
/** @import { DashboardDeviceEvent, DashboardServerEvents, Device, DeviceEventPayload, DeviceList, DeviceState, DeviceStatePayload, Merchant, PairingAnswer, Store, StoreList } from '../../wire' */
/** @import { AuditEvent } from '../../wire' */
/** @import { LiveState } from './dashboard.js' */
import { actionText, actorText, detailsText } from './audit-text.js';
import { api, copySecret, dialogMethods, errorText, fieldErrors, focusById, pageMerchant, session, t } from './core.js';
import { connectDashboard, DEVICE_EVENTS } from './dashboard.js';

/** @typedef {Device['status'] | 'expiring'} Badge */
/** The one-time secret of a pairing or reissue, while its dialog is open. */
/** @typedef {{ reissued: boolean, label: string, store_code: string, token: string, qr: string, expires_at: string, copied: boolean }} Secret */
/** @typedef {{ action: 'revoke' | 'reissue' | 'reload', id: number, label: string, reason: string, busy: boolean, error: string }} Confirm */
/** @typedef {'pairDialog' | 'secretDialog' | 'confirmDialog' | 'messageDialog' | 'detailsDialog'} DialogRef */
/** A device command, as `command:updated` carries it. */
/** @typedef {Parameters<DashboardServerEvents['command:updated']>[0]['command']} Command */
/** @typedef {{ id: number, label: string, text: string, seconds: string, error: string, textError: string, secondsError: string, busy: boolean }} MessageForm */
/** The details dialog: the device's recent commands and its history (audit entries). */
/** @typedef {{ id: number, label: string, items: Command[], loading: boolean, error: string, history: AuditEvent[], historyLoading: boolean }} Details */

/** A command can still be canceled while it has not reached the tablet. */
const CANCELABLE = ['queued', 'sent'];
/** Below this, a battery that is not charging gets a hint. */
const LOW_BATTERY = 20;
/** The history in the details: its length, and how often it is read again while open (connects and disconnects are
 * written in batches, after their dashboard event), besides a moment after each event of the device. */
const HISTORY_SIZE = 20;
const HISTORY_POLL_MS = 10_000;
const HISTORY_SETTLE_MS = 400;

/** Status of the badge: `expiring` is an active device inside the warning window. @returns {Badge} */
const badgeOf = (/** @type {Device} */ d) => (d.status === 'active' && d.expiring_soon ? 'expiring' : d.status);

/** @param {Device} a @param {Device} b */
const newestFirst = (a, b) => {
  const [x, y] = [a.created_at ?? '', b.created_at ?? ''];
  return y < x ? -1 : y > x ? 1 : b.id - a.id;
};

const STATUS_ORDER = ['queued', 'sent', 'delivered', 'succeeded', 'failed', 'expired', 'canceled'];
/** How far a command has gone: final statuses all rank after the unfinished ones. @param {Command} c */
const rank = (c) => Math.min(STATUS_ORDER.indexOf(c.status), 3);

const noEditing = () => ({ id: /** @type {number | null} */ (null), label: '', error: '', busy: false });

document.addEventListener('alpine:init', () => {
  Alpine.data('deviceList', () => {
    // Not reactive state: the socket and the timer stay out of Alpine's proxies.
    /** @type {DashboardSocket | null} */
    let socket = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let noticeTimer;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let historySettle;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    let historyPoll;
    const auditUrl = `${pageMerchant().api}/audit`;
    const activityPage = `${pageMerchant().pages}/activity`;

    return {
      portal: 'merchant',
      base: '/api/v1/merchants/loyalty/devices',
      /** @type {number | null} */
      merchantId: null,
      merchantName: '',
      /** @type {Store[]} */
      stores: [],
      /** @type {Device[]} */
      devices: [],
      total: 0,
      loading: true,
      error: '',
      notice: '',
      /** @type {LiveState} */
      live: 'connecting',
      filter: { store: '', status: '' },
      pair: { store_id: '', label: '', error: '', labelError: '', busy: false },
      /** @type {Secret | null} */
      secret: null,
      /** @type {Confirm | null} */
      confirm: null,
      editing: noEditing(),
      /** @type {MessageForm | null} */
      message: null,
      /** @type {Details | null} */
      details: null,

      init() {
        if (!session.token()) return;
        this.portal = this.$el.dataset.portal ?? 'merchant';
        if (this.portal === 'admin') {
          const m = /^\/admin\/merchants\/(\d+)\//.exec(location.pathname);
          this.merchantId = Number(m?.[1]);
          this.base = `/api/v1/admin/merchants/${this.merchantId}/loyalty/devices`;
        }
        this.loadContext();
        this.reload();
        this.connect();
      },

      destroy() {
        socket?.close();
        clearInterval(historyPoll);
        clearTimeout(historySettle);
      },

      // --- data ----------------------------------------------------------------------------------------------------
      async loadContext() {
        const admin = this.portal === 'admin';
        if (admin) {
          api('GET', `/api/v1/admin/merchants/${this.merchantId}`)
            .then((res) => {
              this.merchantName = /** @type {{ merchant: Merchant }} */ (res).merchant.name;
            })
            .catch((err) => {
              this.error = errorText(err);
            });
        }
        try {
          const url = admin ? `/api/v1/admin/merchants/${this.merchantId}/stores` : '/api/v1/merchants/stores';
          this.stores = /** @type {StoreList} */ (await api('GET', url)).items;
        } catch (err) {
          this.error = errorText(err);
        }
      },

      /** The list from the server, with the store and status filters (expiring soon is an active device). */
      async reload() {
        const q = new URLSearchParams({ limit: '500' });
        if (this.filter.store) q.set('store_id', this.filter.store);
        if (this.filter.status) q.set('status', this.filter.status === 'expiring' ? 'active' : this.filter.status);
        this.loading = true;
        try {
          const res = /** @type {DeviceList} */ (await api('GET', `${this.base}?${q}`));
          this.devices = res.items;
          this.total = res.total;
          this.error = '';
        } catch (err) {
          this.error = errorText(err);
        } finally {
          this.loading = false;
        }
      },

      /**
       * Adds or replaces a device by id. Answers to our own calls and live events may arrive in any order: while the
       * live feed is up it alone decides `online` (an answer's presence may be older than the feed's last word).
       * @param {Device} device
       * @param {boolean} [fromAnswer]
       */
      upsert(device, fromAnswer = false) {
        if (this.merchantId !== null && device.merchant_id !== this.merchantId) return;
        const i = this.devices.findIndex((d) => d.id === device.id);
        if (i >= 0) {
          const old = this.devices[i];
          const online = fromAnswer && this.live === 'on' ? old.online : device.online;
          // A `device:state` may have brought a newer state than the one this device carries.
          const newer = old.state && (!device.state || old.state.updated_at > device.state.updated_at);
          this.devices.splice(i, 1, { ...device, online, state: newer ? old.state : device.state });
        } else {
          this.devices.push(device);
          this.devices.sort(newestFirst);
          this.total += 1;
        }
      },

      /** @param {Device} d */
      matches(d) {
        if (this.filter.store && String(d.store_id) !== this.filter.store) return false;
        if (this.filter.status === 'expiring') return badgeOf(d) === 'expiring';
        return !this.filter.status || d.status === this.filter.status;
      },

      shown() {
        return this.devices.filter((d) => this.matches(d));
      },

      isFiltered() {
        return Boolean(this.filter.store || this.filter.status);
      },

      isEmpty() {
        return !this.loading && !this.error && this.shown().length === 0;
      },

      canPair() {
        return this.stores.length > 0;
      },

      badge: badgeOf,

      /** @param {Device} d */
      storeName(d) {
        return this.stores.find((s) => s.id === d.store_id)?.name ?? '';
      },

      /** A connected device is being seen right now, whatever the last write of last_seen_at says. @param {Device} d */
      lastSeen(d) {
        return d.online ? new Date(Alpine.store('clock').now).toISOString() : d.last_seen_at;
      },

      /** @param {Store} s */
      storeText(s) {
        return `${s.name} · ${s.code}`;
      },

      /** @param {string} text */
      say(text) {
        this.notice = text;
        clearTimeout(noticeTimer);
        noticeTimer = setTimeout(() => {
          this.notice = '';
        }, 4000);
      },

      // --- live ----------------------------------------------------------------------------------------------------
      connect() {
        const s = connectDashboard({
          merchantId: this.portal === 'admin' ? this.merchantId : null,
          onLive: (state) => {
            this.live = state;
          },
          onCaughtUp: () => {
            this.reload();
            this.loadCommands();
            this.loadHistory();
          },
          onError: (message) => {
            this.error = message;
          },
        });
        socket = s;
        if (!s) return;
        for (const name of DEVICE_EVENTS)
          s.on(name, (/** @type {DeviceEventPayload} */ p) => {
            // Back online ends an outage: the server clears its alert (the event may carry the row read before).
            this.upsert(name === 'device:online' ? { ...p.device, offline_alert_at: null } : p.device);
            this.historyEvent(p.device.id);
          });
        s.on('device:offline_alert', (p) => {
          this.upsert(p.device);
          this.historyEvent(p.device.id);
        });
        s.on('command:updated', (p) => {
          this.commandUpdated(p.command);
          this.historyEvent(p.command.device_id);
        });
        s.on('device:state', (p) => this.stateUpdated(p));
      },

      // --- dialogs -------------------------------------------------------------------------------------------------
      ...dialogMethods,

      /**
       * Closes a dialog and forgets what it showed first. The dialog's `close` event fires later, in a task of its
       * own: until then the secret would still be in the state and the DOM of a dialog already hidden.
       * @param {DialogRef} ref
       */
      closeDialog(ref) {
        if (ref === 'secretDialog') this.forgetSecret();
        if (ref === 'confirmDialog') this.forgetConfirm();
        if (ref === 'messageDialog') this.message = null;
        if (ref === 'detailsDialog') this.forgetDetails();
        this.dialog(ref).close();
      },

      openPair() {
        this.pair = {
          store_id: this.filter.store || String(this.stores[0].id),
          label: '',
          error: '',
          labelError: '',
          busy: false,
        };
        this.openDialog('pairDialog', 'pair-label');
      },

      onPairClosed() {
        this.pair.busy = false;
      },

      async submitPair() {
        const label = this.pair.label.trim();
        this.pair.error = '';
        this.pair.labelError = label ? '' : t('page.devices.pair.label_invalid');
        if (!label) return focusById('pair-label');
        this.pair.busy = true;
        try {
          const res = /** @type {PairingAnswer} */ (
            await api('POST', this.base, { store_id: Number(this.pair.store_id), label })
          );
          this.upsert(res.device, true);
          this.closeDialog('pairDialog');
          this.showSecret(res, false);
        } catch (err) {
          this.pair.error = errorText(err);
          if (fieldErrors(err).label) this.pair.labelError = t('page.devices.pair.label_invalid');
        } finally {
          this.pair.busy = false;
        }
      },

      /** The token and QR of a pairing or reissue answer, shown once. @param {PairingAnswer} res @param {boolean} reissued */
      showSecret(res, reissued) {
        this.secret = {
          reissued,
          label: res.device.label,
          store_code: res.device.store_code,
          token: res.pairing.auth_token,
          qr: `data:image/png;base64,${res.pairing.qr.png_base64}`,
          expires_at: res.pairing.expires_at,
          copied: false,
        };
        this.openDialog('secretDialog', 'secret-copy');
      },

      /**
       * However the dialog closes, the token and QR leave the state at once and x-if drops their DOM: the buttons go
       * through closeDialog, Escape fires `cancel` before closing, and `close` catches any other way.
       */
      forgetSecret() {
        this.secret = null;
      },

      async copyToken() {
        const secret = this.secret;
        if (!secret) return;
        if (await copySecret(secret.token, 'secret-token')) secret.copied = true;
        else this.say(t('page.devices.secret.copy_manually'));
      },

      /** @param {Device} d */
      askRevoke(d) {
        this.confirm = { action: 'revoke', id: d.id, label: d.label, reason: '', busy: false, error: '' };
        this.openDialog('confirmDialog', 'revoke-reason');
      },

      /** @param {Device} d */
      askReissue(d) {
        this.confirm = { action: 'reissue', id: d.id, label: d.label, reason: '', busy: false, error: '' };
        this.openDialog('confirmDialog');
      },

      forgetConfirm() {
        this.confirm = null;
      },

      async runConfirm() {
        const c = this.confirm;
        if (!c) return;
        c.busy = true;
        c.error = '';
        if (c.action === 'reload') {
          try {
            await this.sendCommand(c.id, { type: 'reload' });
            this.closeDialog('confirmDialog');
            this.say(t('page.devices.notice.command_sent', { label: c.label }));
          } catch (err) {
            c.error = errorText(err);
            c.busy = false;
          }
          return;
        }
        try {
          const reason = c.reason.trim();
          const res = /** @type {PairingAnswer} */ (
            c.action === 'revoke'
              ? await api('POST', `${this.base}/${c.id}/revoke`, reason ? { reason } : {})
              : await api('POST', `${this.base}/${c.id}/reissue`)
          );
          this.upsert(res.device, true);
          this.closeDialog('confirmDialog');
          if (c.action === 'reissue') this.showSecret(res, true);
          else this.say(t('page.devices.notice.revoked', { label: res.device.label }));
        } catch (err) {
          c.error = errorText(err);
          c.busy = false;
        }
      },

      // --- inline rename -------------------------------------------------------------------------------------------
      /** @param {Device} d */
      startRename(d) {
        this.editing = { id: d.id, label: d.label, error: '', busy: false };
        this.$nextTick(() => {
          const input = document.getElementById(`rename-${d.id}`);
          if (input instanceof HTMLInputElement) {
            input.focus();
            input.select();
          }
        });
      },

      cancelRename() {
        const id = this.editing.id;
        this.editing = noEditing();
        this.$nextTick(() => {
          const button = document.querySelector(`[data-device-id="${id}"] button`);
          if (button instanceof HTMLElement) button.focus();
        });
      },

      async saveRename() {
        const e = this.editing;
        const label = e.label.trim();
        if (!label) {
          e.error = t('page.devices.pair.label_invalid');
          return;
        }
        e.busy = true;
        try {
          const res = /** @type {{ device: Device }} */ (await api('PATCH', `${this.base}/${e.id}`, { label }));
          this.upsert(res.device, true);
          this.cancelRename();
          this.say(t('page.devices.notice.renamed', { label: res.device.label }));
        } catch (err) {
          e.error = fieldErrors(err).label ? t('page.devices.pair.label_invalid') : errorText(err);
          e.busy = false;
        }
      },

      // --- commands and state --------------------------------------------------------------------------------------
      /** @param {number} id @param {unknown} body @returns {Promise<Command>} */
      async sendCommand(id, body) {
        const res = /** @type {{ command: Command }} */ (await api('POST', `${this.base}/${id}/commands`, body));
        this.commandUpdated(res.command);
        return res.command;
      },

      /** @param {Device} d */
      async identify(d) {
        try {
          await this.sendCommand(d.id, { type: 'identify' });
          this.say(t('page.devices.notice.command_sent', { label: d.label }));
        } catch (err) {
          this.say(errorText(err));
        }
      },

      /** @param {Device} d */
      askReload(d) {
        this.confirm = { action: 'reload', id: d.id, label: d.label, reason: '', busy: false, error: '' };
        this.openDialog('confirmDialog');
      },

      /** @param {Device} d */
      openMessage(d) {
        this.message = {
          id: d.id,
          label: d.label,
          text: '',
          seconds: '',
          error: '',
          textError: '',
          secondsError: '',
          busy: false,
        };
        this.openDialog('messageDialog', 'message-text');
      },

      async submitMessage() {
        const m = this.message;
        if (!m) return;
        m.error = '';
        m.textError = '';
        m.secondsError = '';
        m.busy = true;
        /** @type {{ text: string, seconds?: number }} */
        const args = { text: m.text };
        if (String(m.seconds).trim() !== '') args.seconds = Number(m.seconds);
        try {
          await this.sendCommand(m.id, { type: 'show_message', args });
          this.closeDialog('messageDialog');
          this.say(t('page.devices.notice.command_sent', { label: m.label }));
        } catch (err) {
          const fields = fieldErrors(err);
          m.textError = fields['args.text'] ?? (fields.args && !fields['args.seconds'] ? fields.args : '');
          m.secondsError = fields['args.seconds'] ?? '';
          if (!m.textError && !m.secondsError) m.error = errorText(err);
          m.busy = false;
          focusById(m.secondsError && !m.textError ? 'message-seconds' : 'message-text');
        }
      },

      /** @param {Device} d */
      async openDetails(d) {
        this.details = {
          id: d.id,
          label: d.label,
          items: [],
          loading: true,
          error: '',
          history: [],
          historyLoading: true,
        };
        this.openDialog('detailsDialog', 'details-close');
        clearInterval(historyPoll);
        historyPoll = setInterval(() => this.loadHistory(), HISTORY_POLL_MS);
        await Promise.all([this.loadCommands(), this.loadHistory()]);
      },

      forgetDetails() {
        this.details = null;
        clearInterval(historyPoll);
        clearTimeout(historySettle);
      },

      /** The last entries of the audit log about the device whose details are open. */
      async loadHistory() {
        const details = this.details;
        if (!details) return;
        try {
          const q = new URLSearchParams({ device_id: String(details.id), limit: String(HISTORY_SIZE) });
          const res = /** @type {{ items: AuditEvent[] }} */ (await api('GET', `${auditUrl}?${q}`));
          if (this.details?.id === details.id) details.history = res.items;
        } catch (err) {
          details.error = errorText(err);
        } finally {
          details.historyLoading = false;
        }
      },

      /** An event about a device: if its details are open, its history is read again a moment later. @param {number} id */
      historyEvent(id) {
        if (this.details?.id !== id) return;
        clearTimeout(historySettle);
        historySettle = setTimeout(() => this.loadHistory(), HISTORY_SETTLE_MS);
      },

      /** The activity page, filtered on one device. @param {number} id */
      activityUrl(id) {
        return `${activityPage}?device=${id}`;
      },

      actionText,
      actorText,
      detailsText,

      async loadCommands() {
        const details = this.details;
        if (!details) return;
        try {
          const res = /** @type {{ items: Command[] }} */ (
            await api('GET', `${this.base}/${details.id}/commands?limit=10`)
          );
          // Live updates that came in while loading are newer than the list: keep them.
          const live = details.items;
          details.items = res.items.map((c) => live.find((l) => l.id === c.id && rank(l) >= rank(c)) ?? c);
          for (const l of live) if (!details.items.some((c) => c.id === l.id)) details.items.unshift(l);
          details.items.sort((a, b) => b.id - a.id);
          details.items.splice(10);
          details.error = '';
        } catch (err) {
          details.error = errorText(err);
        } finally {
          details.loading = false;
        }
      },

      /** A command of the device whose details are open, from an answer or the live feed. @param {Command} command */
      commandUpdated(command) {
        const details = this.details;
        if (!details || details.id !== command.device_id) return;
        const i = details.items.findIndex((c) => c.id === command.id);
        if (i >= 0) {
          // Events may arrive out of order: a status only moves forward.
          if (rank(command) >= rank(details.items[i])) details.items.splice(i, 1, command);
        } else {
          details.items.unshift(command);
          details.items.sort((a, b) => b.id - a.id);
          details.items.splice(10);
        }
      },

      /** @param {Command} c */
      canCancel(c) {
        return CANCELABLE.includes(c.status);
      },

      /** @param {Command} c */
      async cancelCommand(c) {
        try {
          const res = /** @type {{ command: Command }} */ (
            await api('POST', `${this.base}/${c.device_id}/commands/${c.id}/cancel`)
          );
          this.commandUpdated(res.command);
        } catch (err) {
          if (this.details) this.details.error = errorText(err);
        }
      },

      /** @param {DeviceStatePayload} p */
      stateUpdated(p) {
        const i = this.devices.findIndex((d) => d.id === p.device_id);
        if (i < 0) return;
        const old = this.devices[i].state;
        if (old && old.updated_at > p.state.updated_at) return;
        this.devices.splice(i, 1, { ...this.devices[i], state: p.state });
      },

      /** @param {DeviceState | null} s */
      lowBattery(s) {
        return Boolean(s && typeof s.battery_pct === 'number' && s.battery_pct < LOW_BATTERY && s.charging !== true);
      },

      /** @param {DeviceState} s */
      battery(s) {
        if (typeof s.battery_pct !== 'number') return '';
        return new Intl.NumberFormat(Alpine.store('i18n').locale, { style: 'percent' }).format(s.battery_pct / 100);
      },
    };
  });
});
