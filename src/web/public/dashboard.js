// @ts-check
/*
 * The /dashboard socket of a page (the device list, the activity log): signs in with the user's token, subscribes an
 * admin to the merchant it acts for, says whether the feed is live, and asks the page to catch up from REST after a
 * lost connection (events sent while it was away are not replayed). The page adds its own event handlers.
 */
/** @import { DashboardDeviceEvent, SubscribeAck } from '../../wire' */
import { session, toLogin } from './core.js';

/** The dashboard events that carry a full `{device}`. */
/** @type {DashboardDeviceEvent[]} */
export const DEVICE_EVENTS = [
  'device:paired',
  'device:updated',
  'device:revoked',
  'device:online',
  'device:offline',
  'device:expiring',
];

/** @typedef {'connecting' | 'on' | 'lost' | 'off'} LiveState */
/**
 * @typedef {object} DashboardOptions
 * @property {number | null} merchantId the merchant an admin watches; null for a merchant user (its own)
 * @property {(state: LiveState) => void} onLive
 * @property {() => void} onCaughtUp called once the feed is back after a loss
 * @property {(message: string) => void} onError a refused subscription
 */

const SESSION_ERRORS = ['UNAUTHENTICATED', 'INVALID_TOKEN', 'TOKEN_EXPIRED'];

/**
 * Admins watch one merchant: the server acknowledges with the list, or an error.
 * @param {DashboardSocket} s @param {number} merchantId @param {(message: string) => void} onError
 * @returns {Promise<void>}
 */
const subscribe = (s, merchantId, onError) =>
  new Promise((resolve) => {
    s.emit('subscribe', { merchant_id: merchantId }, (/** @type {SubscribeAck} */ ack) => {
      if ('error' in ack) onError(ack.error.message);
      resolve();
    });
  });

/**
 * Opens the feed; null (and `off`) when the page has no Socket.IO client.
 * @param {DashboardOptions} opts
 * @returns {DashboardSocket | null}
 */
export function connectDashboard(opts) {
  const connectTo = window.io;
  if (typeof connectTo !== 'function') {
    opts.onLive('off');
    return null;
  }
  let lost = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retry;
  const dropped = () => {
    lost = true;
    opts.onLive('lost');
  };
  const s = connectTo('/dashboard', { auth: (cb) => cb({ token: session.token() }) });
  s.on('connect', async () => {
    if (opts.merchantId !== null) await subscribe(s, opts.merchantId, opts.onError);
    opts.onLive('on');
    if (lost) opts.onCaughtUp();
    lost = false;
  });
  s.on('disconnect', (reason) => {
    if (reason === 'io client disconnect') return;
    dropped();
    // The client reconnects by itself, except when the server closed the socket (a restart, say).
    if (reason === 'io server disconnect') {
      clearTimeout(retry);
      retry = setTimeout(() => s.connect(), 1000 + Math.random() * 2000);
    }
  });
  s.on('connect_error', (err) => {
    if (SESSION_ERRORS.includes(err?.message)) return toLogin();
    dropped();
  });
  s.on('expired', () => toLogin());
  return s;
}
