// @ts-check
/*
 * The activity page (views/partials/activity.html): a merchant's audit log (§12), newest first, with filters by
 * device, action and dates, and "Load more" following `next_cursor`. For a merchant user on /merchants/activity;
 * for an admin, on behalf, on /admin/merchants/{id}/activity.
 *
 * Live: a /dashboard event (a device's or a command's) re-reads the first page a moment later, and a poll does the
 * same every 10 s while the tab is visible, because some entries have no event of their own or are written in
 * batches after it (connects and disconnects, expiry flags, webhook changes). The first page is merged into what is
 * shown, so the pages already loaded with "Load more" stay; when more entries arrived than a page holds, the list
 * starts over from the new first page (no gap in the middle).
 */
/** @import { Device, DeviceList, DashboardDeviceEvent, DeviceEventPayload } from '../../wire' */
/** @import { AuditEvent } from '../../wire' */
/** @import { LiveState } from './dashboard.js' */
import { actionText, actorText, AUDIT_ACTIONS, detailsText, targetText } from './audit-text.js';
import { api, errorText, loadMerchantName, pageMerchant, session } from './core.js';
import { connectDashboard, DEVICE_EVENTS } from './dashboard.js';

const PAGE_SIZE = 50;
const POLL_MS = 10_000;
/** Events often come in bursts (a revoke, then the offline): one read for the lot. */
const SETTLE_MS = 400;

/** Every event about a device: each may have written an entry. */
/** @type {(DashboardDeviceEvent | 'device:offline_alert')[]} */
const LOGGED_EVENTS = [...DEVICE_EVENTS, 'device:offline_alert'];

/** The start of a local calendar day, `days` later, as an ISO instant. @param {string} day @param {number} days */
const dayStart = (day, days = 0) => {
  const d = new Date(`${day}T00:00:00`);
  d.setDate(d.getDate() + days);
  return d.toISOString();
};

/**
 * The first page read again, merged with what is shown (see the top of this file).
 * @param {AuditEvent[]} shown @param {string | null} cursor @param {{ items: AuditEvent[], next_cursor: string | null }} fresh
 */
function mergeFirstPage(shown, cursor, fresh) {
  const oldest = fresh.items[fresh.items.length - 1]?.id;
  const gap = fresh.next_cursor !== null && shown.length > 0 && oldest > shown[0].id;
  if (fresh.next_cursor === null || oldest === undefined || gap || shown.length === 0) {
    return { items: fresh.items, cursor: fresh.next_cursor };
  }
  return { items: [...fresh.items, ...shown.filter((e) => e.id < oldest)], cursor };
}

document.addEventListener('alpine:init', () => {
  Alpine.data('activityLog', () => {
    // Not reactive state: the socket, the timers and the number of the current query.
    /** @type {DashboardSocket | null} */
    let socket = null;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    let poll;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let settle;
    /** Bumped by every new query: an answer to an older one is dropped. */
    let generation = 0;
    const where = pageMerchant();

    return {
      merchantId: where.merchantId,
      merchantName: '',
      /** @type {Device[]} */
      devices: [],
      /** @type {AuditEvent[]} */
      items: [],
      /** @type {string | null} */
      nextCursor: null,
      loading: true,
      loadingMore: false,
      error: '',
      /** @type {LiveState} */
      live: 'connecting',
      filter: { device: '', action: '', from: '', to: '' },
      actions: AUDIT_ACTIONS,

      init() {
        if (!session.token()) return;
        loadMerchantName(this);
        // The device details link here with `?device=` (its id): the log opens filtered on it.
        const preset = new URLSearchParams(location.search).get('device');
        if (preset && /^[1-9]\d{0,15}$/.test(preset)) this.filter.device = preset;
        this.loadDevices();
        this.reload();
        this.connect();
        poll = setInterval(() => {
          if (document.visibilityState === 'visible') this.refresh();
        }, POLL_MS);
      },

      destroy() {
        socket?.close();
        clearInterval(poll);
        clearTimeout(settle);
      },

      async loadDevices() {
        try {
          this.devices = /** @type {DeviceList} */ (await api('GET', `${where.api}/loyalty/devices?limit=500`)).items;
        } catch (err) {
          this.error = errorText(err);
        }
      },

      /** The audit query of the current filters. @param {string | null} [cursor] */
      query(cursor = null) {
        const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
        if (this.filter.device) q.set('device_id', this.filter.device);
        if (this.filter.action) q.set('action', this.filter.action);
        if (this.filter.from) q.set('since', dayStart(this.filter.from));
        if (this.filter.to) q.set('until', dayStart(this.filter.to, 1));
        if (cursor) q.set('cursor', cursor);
        return `${where.api}/audit?${q}`;
      },

      /** @param {string} url @returns {Promise<{ items: AuditEvent[], next_cursor: string | null }>} */
      async read(url) {
        return /** @type {{ items: AuditEvent[], next_cursor: string | null }} */ (await api('GET', url));
      },

      /** From the first page, for new filters. */
      async reload() {
        const mine = ++generation;
        this.loading = true;
        this.items = [];
        this.nextCursor = null;
        try {
          const res = await this.read(this.query());
          if (mine !== generation) return;
          this.items = res.items;
          this.nextCursor = res.next_cursor;
          this.error = '';
        } catch (err) {
          if (mine === generation) this.error = errorText(err);
        } finally {
          if (mine === generation) this.loading = false;
        }
      },

      /** The first page again, merged into what is shown (live updates). */
      async refresh() {
        if (this.loading) return;
        const mine = generation;
        try {
          const res = await this.read(this.query());
          if (mine !== generation) return;
          const merged = mergeFirstPage(this.items, this.nextCursor, res);
          this.items = merged.items;
          this.nextCursor = merged.cursor;
        } catch {
          // A missed refresh is caught up by the next one; the list shown stays right, only older.
        }
      },

      scheduleRefresh() {
        clearTimeout(settle);
        settle = setTimeout(() => this.refresh(), SETTLE_MS);
      },

      async loadMore() {
        const cursor = this.nextCursor;
        if (!cursor || this.loadingMore) return;
        const mine = generation;
        this.loadingMore = true;
        try {
          const res = await this.read(this.query(cursor));
          if (mine !== generation || cursor !== this.nextCursor) return;
          const known = new Set(this.items.map((e) => e.id));
          this.items = [...this.items, ...res.items.filter((e) => !known.has(e.id))];
          this.nextCursor = res.next_cursor;
        } catch (err) {
          this.error = errorText(err);
        } finally {
          this.loadingMore = false;
        }
      },

      clearFilters() {
        this.filter = { device: '', action: '', from: '', to: '' };
        this.reload();
      },

      isFiltered() {
        const f = this.filter;
        return Boolean(f.device || f.action || f.from || f.to);
      },

      isEmpty() {
        return !this.loading && !this.error && this.items.length === 0;
      },

      // --- live ----------------------------------------------------------------------------------------------------
      connect() {
        socket = connectDashboard({
          merchantId: this.merchantId,
          onLive: (state) => {
            this.live = state;
          },
          onCaughtUp: () => {
            this.loadDevices();
            this.refresh();
          },
          onError: (message) => {
            this.error = message;
          },
        });
        if (!socket) return;
        for (const name of LOGGED_EVENTS)
          socket.on(name, (/** @type {DeviceEventPayload} */ p) => {
            this.deviceSeen(p.device);
            this.scheduleRefresh();
          });
        socket.on('command:updated', () => this.scheduleRefresh());
      },

      /** Keeps the device filter and the names of targets up to date. @param {Device} device */
      deviceSeen(device) {
        if (this.merchantId !== null && device.merchant_id !== this.merchantId) return;
        const i = this.devices.findIndex((d) => d.id === device.id);
        if (i >= 0) this.devices.splice(i, 1, device);
        else this.devices.unshift(device);
      },

      /** The device of the filter (a select's value is a string). @param {Device} d */
      isChosen(d) {
        return String(d.id) === this.filter.device;
      },

      // --- text ----------------------------------------------------------------------------------------------------
      /** @param {Device} d */
      deviceText(d) {
        return `${d.label} · ${d.store_code}`;
      },

      actionText,
      actorText,
      /** @param {AuditEvent} e */
      targetText(e) {
        return targetText(e, (id) => this.devices.find((d) => d.id === id)?.label);
      },
      detailsText,
    };
  });
});
