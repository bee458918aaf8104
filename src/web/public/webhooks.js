// @ts-check
/*
 * The webhooks page (views/partials/webhooks.html): a merchant's endpoints (§13) with a form to add one, the signing
 * secret shown once (after adding or rotating: kept only while its dialog is open), and per endpoint: send a test,
 * disable or enable, rotate the secret, delete, and its delivery log with a retry per delivery. For a merchant user on
 * /merchants/webhooks; for an admin, on behalf, on /admin/merchants/{id}/webhooks.
 * A log that shows a pending delivery is read again, sooner after a test or retry and less often as it waits.
 */
/** @import { Delivery, Webhook, WebhookEventType } from '../../wire' */
import {
  api,
  copySecret,
  dialogMethods,
  errorText,
  focusById,
  loadMerchantName,
  pageMerchant,
  session,
  t,
} from './core.js';
import { form, invalid, send } from './forms.js';

/** The types an endpoint can subscribe to, in the order of the picker. @type {WebhookEventType[]} */
const EVENT_TYPES = [
  'device.paired',
  'device.updated',
  'device.revoked',
  'device.reissued',
  'device.online',
  'device.offline',
  'device.expiring',
  'device.offline_alert',
  'device.back_online',
  'command.updated',
];
/** @type {string[]} */
const KNOWN_TYPES = [...EVENT_TYPES, 'webhook.test'];
const LOG_SIZE = 20;
const FOLLOW_FIRST_MS = 1000;
const FOLLOW_MAX_MS = 15_000;

/** @typedef {{ open: boolean, items: Delivery[], loading: boolean, error: string, busy: boolean }} Log */
/** @typedef {{ rotated: boolean, url: string, value: string, copied: boolean }} Secret */
/** @typedef {{ action: 'rotate' | 'delete', id: number, url: string, busy: boolean, error: string }} Confirm */
/** @typedef {'secretDialog' | 'confirmDialog'} DialogRef */

/** @returns {Log} */
const emptyLog = () => ({ open: false, items: [], loading: false, error: '', busy: false });
const newEndpoint = () => form({ url: '', description: '', all: true, events: /** @type {string[]} */ ([]) });

document.addEventListener('alpine:init', () => {
  Alpine.data('webhookAdmin', () => {
    const where = pageMerchant();
    const base = `${where.api}/webhooks`;
    // Not reactive state: the timers following pending deliveries, by endpoint.
    /** @type {Map<number, ReturnType<typeof setTimeout>>} */
    const following = new Map();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let noticeTimer;

    return {
      merchantId: where.merchantId,
      merchantName: '',
      /** @type {Webhook[]} */
      hooks: [],
      /** The delivery log and the busy flag of each endpoint, by id. @type {Record<number, Log>} */
      logs: {},
      loading: true,
      error: '',
      notice: '',
      eventTypes: EVENT_TYPES,
      creating: false,
      create: newEndpoint(),
      /** @type {Secret | null} */
      secret: null,
      /** @type {Confirm | null} */
      confirm: null,

      async init() {
        if (!session.token()) return;
        loadMerchantName(this);
        try {
          const hooks = /** @type {{ items: Webhook[] }} */ (await api('GET', base)).items;
          for (const h of hooks) this.logs[h.id] = emptyLog();
          this.hooks = hooks;
        } catch (err) {
          this.error = errorText(err);
        } finally {
          this.loading = false;
        }
      },

      destroy() {
        for (const timer of following.values()) clearTimeout(timer);
        following.clear();
      },

      /** @param {string} text */
      say(text) {
        this.notice = text;
        clearTimeout(noticeTimer);
        noticeTimer = setTimeout(() => {
          this.notice = '';
        }, 4000);
      },

      isEmpty() {
        return !this.loading && !this.error && this.hooks.length === 0;
      },

      // --- text ----------------------------------------------------------------------------------------------------
      /** @param {string} type */
      eventText(type) {
        return KNOWN_TYPES.includes(type) ? t(`page.webhooks.event.${type}`) : type;
      },

      /** @param {Webhook} h */
      eventsText(h) {
        if (h.events.includes('*')) return t('page.webhooks.all_events');
        return h.events.map((type) => this.eventText(type)).join(', ');
      },

      /** @param {Webhook} h */
      statusText(h) {
        if (h.enabled) return t('page.webhooks.status.enabled');
        return h.disabled_reason === 'failing' ? t('page.webhooks.status.failing') : t('page.webhooks.status.disabled');
      },

      /** @param {Delivery} d */
      responseText(d) {
        if (d.response_status === null) return d.attempts ? t('page.webhooks.delivery.no_answer') : '—';
        return t('page.webhooks.delivery.response', { status: d.response_status, ms: d.response_ms ?? '—' });
      },

      // --- adding an endpoint --------------------------------------------------------------------------------------
      openCreate() {
        this.creating = true;
        this.create = newEndpoint();
        this.$nextTick(() => focusById('webhook-url'));
      },

      closeCreate() {
        this.creating = false;
        this.$nextTick(() => focusById('webhook-add-button'));
      },

      /** @param {string} name */
      invalid(name) {
        return invalid(this.create, name);
      },

      async submitCreate() {
        const f = this.create;
        const { url, description, all, events } = f.values;
        const body = {
          url: url.trim(),
          events: all ? ['*'] : EVENT_TYPES.filter((type) => events.includes(type)),
          ...(description.trim() ? { description: description.trim() } : {}),
        };
        const res = await send(
          f,
          async () => /** @type {{ webhook: Webhook, secret: string }} */ (await api('POST', base, body)),
          { url: 'webhook-url', description: 'webhook-description', events: 'webhook-events' },
        );
        if (!res) return;
        this.logs[res.webhook.id] = emptyLog();
        this.hooks.push(res.webhook);
        this.creating = false;
        this.showSecret(false, res.webhook.url, res.secret);
      },

      // --- the secret, once ----------------------------------------------------------------------------------------
      /** @param {boolean} rotated @param {string} url @param {string} value */
      showSecret(rotated, url, value) {
        this.secret = { rotated, url, value, copied: false };
        this.openDialog('secretDialog', 'webhook-secret-copy');
      },

      /** However the dialog closes, the secret leaves the state at once and x-if drops its DOM. */
      forgetSecret() {
        this.secret = null;
      },

      async copySecret() {
        const secret = this.secret;
        if (!secret) return;
        if (await copySecret(secret.value, 'webhook-secret-value')) secret.copied = true;
        else this.say(t('page.webhooks.secret.copy_manually'));
      },

      // --- dialogs -------------------------------------------------------------------------------------------------
      ...dialogMethods,

      /** @param {DialogRef} ref */
      closeDialog(ref) {
        if (ref === 'secretDialog') this.forgetSecret();
        if (ref === 'confirmDialog') this.confirm = null;
        this.dialog(ref).close();
      },

      /** @param {Webhook} h */
      askRotate(h) {
        this.confirm = { action: 'rotate', id: h.id, url: h.url, busy: false, error: '' };
        this.openDialog('confirmDialog');
      },

      /** @param {Webhook} h */
      askDelete(h) {
        this.confirm = { action: 'delete', id: h.id, url: h.url, busy: false, error: '' };
        this.openDialog('confirmDialog');
      },

      async runConfirm() {
        const c = this.confirm;
        if (!c) return;
        c.busy = true;
        c.error = '';
        try {
          if (c.action === 'rotate') {
            const res = /** @type {{ secret: string }} */ (await api('POST', `${base}/${c.id}/rotate-secret`));
            this.closeDialog('confirmDialog');
            this.showSecret(true, c.url, res.secret);
          } else {
            await api('DELETE', `${base}/${c.id}`);
            this.removed(c.id);
            this.closeDialog('confirmDialog');
            this.say(t('page.webhooks.notice.deleted', { url: c.url }));
          }
        } catch (err) {
          c.error = errorText(err);
          c.busy = false;
        }
      },

      /** @param {number} id */
      removed(id) {
        this.hooks = this.hooks.filter((h) => h.id !== id);
        clearTimeout(following.get(id));
        following.delete(id);
        delete this.logs[id];
        this.$nextTick(() => focusById('webhook-add-button'));
      },

      // --- per endpoint --------------------------------------------------------------------------------------------
      /** @param {Webhook} webhook */
      replace(webhook) {
        const i = this.hooks.findIndex((h) => h.id === webhook.id);
        if (i >= 0) this.hooks.splice(i, 1, webhook);
      },

      /** @param {Webhook} h */
      async toggleEnabled(h) {
        const log = this.logs[h.id];
        log.busy = true;
        try {
          const res = /** @type {{ webhook: Webhook }} */ (
            await api('PATCH', `${base}/${h.id}`, { enabled: !h.enabled })
          );
          this.replace(res.webhook);
          const key = res.webhook.enabled ? 'page.webhooks.notice.enabled' : 'page.webhooks.notice.disabled';
          this.say(t(key, { url: h.url }));
        } catch (err) {
          this.say(errorText(err));
        } finally {
          log.busy = false;
        }
      },

      /** A `webhook.test` to this endpoint: at the top of its log at once, followed until it ends. @param {Webhook} h */
      async sendTest(h) {
        const log = this.logs[h.id];
        log.busy = true;
        try {
          const res = /** @type {{ delivery: Delivery }} */ (await api('POST', `${base}/${h.id}/test`));
          this.say(t('page.webhooks.notice.test_sent', { url: h.url }));
          this.delivered(h.id, res.delivery);
          if (!log.open) await this.toggleLog(h);
        } catch (err) {
          this.say(errorText(err));
        } finally {
          log.busy = false;
        }
      },

      // --- the delivery log ----------------------------------------------------------------------------------------
      /** @param {Webhook} h */
      async toggleLog(h) {
        const log = this.logs[h.id];
        log.open = !log.open;
        if (log.open) await this.loadLog(h.id);
      },

      /** @param {number} id */
      async loadLog(id) {
        await this.readLog(id);
        this.follow(id);
      },

      /** @param {number} id */
      async readLog(id) {
        const log = this.logs[id];
        if (!log) return;
        log.loading = true;
        try {
          const res = /** @type {{ items: Delivery[] }} */ (
            await api('GET', `${base}/${id}/deliveries?limit=${LOG_SIZE}`)
          );
          log.items = res.items;
          log.error = '';
        } catch (err) {
          log.error = errorText(err);
        } finally {
          log.loading = false;
        }
      },

      /** A delivery from an answer (test, retry): in the log at once, then followed. @param {number} id @param {Delivery} d */
      delivered(id, d) {
        const log = this.logs[id];
        if (!log) return;
        const i = log.items.findIndex((x) => x.id === d.id);
        if (i >= 0) log.items.splice(i, 1, d);
        else log.items.unshift(d);
        clearTimeout(following.get(id));
        following.delete(id);
        this.follow(id);
      },

      /**
       * While the open log shows a pending delivery, reads it again: after 1 s, then twice as long each time, up to 15 s.
       * @param {number} id @param {number} [delay]
       */
      follow(id, delay = FOLLOW_FIRST_MS) {
        const log = this.logs[id];
        if (following.has(id) || !log?.open || !log.items.some((d) => d.status === 'pending')) return;
        following.set(
          id,
          setTimeout(async () => {
            following.delete(id);
            if (!this.logs[id]?.open) return;
            await this.readLog(id);
            this.follow(id, Math.min(delay * 2, FOLLOW_MAX_MS));
          }, delay),
        );
      },

      /** @param {Webhook} h @param {Delivery} d */
      async retry(h, d) {
        const log = this.logs[h.id];
        try {
          const res = /** @type {{ delivery: Delivery }} */ (
            await api('POST', `${base}/${h.id}/deliveries/${d.id}/retry`)
          );
          this.delivered(h.id, res.delivery);
        } catch (err) {
          log.error = errorText(err);
        }
      },
    };
  });
});
