// @ts-check
/*
 * The offline alert setting of the device list (views/partials/offline-alerts.html), for the merchant the page acts
 * for: off, or a number of minutes a device may stay offline before `device.offline_alert` is raised (§13). The API
 * counts in seconds (10 to 86400); the page offers whole minutes, 1 to 1440.
 */
import { api, errorText, fieldErrors, focusById, pageMerchant, session, t } from './core.js';

const MAX_MINUTES = 1440;

/** Minutes as the field shows them: whole when they are, else to two decimals. @param {number} seconds */
const minutesOf = (seconds) => String(Math.round((seconds / 60) * 100) / 100);

document.addEventListener('alpine:init', () => {
  Alpine.data('offlineAlerts', () => {
    const url = `${pageMerchant().api}/loyalty/alerts`;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let savedTimer;
    return {
      loading: true,
      on: false,
      minutes: '15',
      /** The setting as saved, in seconds; null: off. @type {number | null} */
      saved: null,
      busy: false,
      error: '',
      minutesError: '',
      notice: '',

      async init() {
        if (!session.token()) return;
        try {
          this.show(/** @type {{ offline_after_s: number | null }} */ (await api('GET', url)).offline_after_s);
        } catch (err) {
          this.error = errorText(err);
        } finally {
          this.loading = false;
        }
      },

      /** @param {number | null} seconds */
      show(seconds) {
        this.saved = seconds;
        this.on = seconds !== null;
        if (seconds !== null) this.minutes = minutesOf(seconds);
      },

      /** What is saved now, for the line under the control. */
      summary() {
        if (this.saved === null) return t('page.devices.alerts.off');
        return t('page.devices.alerts.on', { minutes: minutesOf(this.saved) });
      },

      async save() {
        this.error = '';
        this.minutesError = '';
        const minutes = Number(String(this.minutes).trim());
        if (this.on && !(Number.isInteger(minutes) && minutes >= 1 && minutes <= MAX_MINUTES)) {
          this.minutesError = t('page.devices.alerts.minutes_invalid', { max: MAX_MINUTES });
          return focusById('alerts-minutes');
        }
        this.busy = true;
        try {
          const body = { offline_after_s: this.on ? minutes * 60 : null };
          this.show(/** @type {{ offline_after_s: number | null }} */ (await api('PUT', url, body)).offline_after_s);
          this.notice = t('page.devices.alerts.saved');
          clearTimeout(savedTimer);
          savedTimer = setTimeout(() => {
            this.notice = '';
          }, 4000);
        } catch (err) {
          if (fieldErrors(err).offline_after_s) this.minutesError = fieldErrors(err).offline_after_s;
          else this.error = errorText(err);
        } finally {
          this.busy = false;
        }
      },
    };
  });
});
