// @ts-check
/*
 * How the pages put an audit entry (§12) into words: the action as a label, who did it, what it was done to and a
 * short line of details, all in the chosen language. Shared by the activity page and the device details.
 * An action this page does not know (a newer server) is shown as its raw name, its details as compact JSON.
 */
/** @import { AuditEvent } from '../../wire' */
import { t } from './core.js';

/** Every action the server records, in the order of the action filter. */
export const AUDIT_ACTIONS = [
  'device.paired',
  'device.renamed',
  'device.revoked',
  'device.reissued',
  'device.token_renewed',
  'device.connected',
  'device.disconnected',
  'device.expiry_flagged',
  'device.offline_alert',
  'device.back_online',
  'command.created',
  'command.canceled',
  'command.completed',
  'program.updated',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
  'webhook.disabled',
  'alerts.updated',
];
const COMMAND_TYPES = ['identify', 'show_message', 'reload', 'sync', 'ping'];
const COMMAND_STATUSES = ['queued', 'sent', 'delivered', 'succeeded', 'failed', 'expired', 'canceled'];
const DISCONNECT_REASONS = [
  'client_disconnect',
  'ping_timeout',
  'revoked',
  'expired',
  'server_shutdown',
  'node_lost',
  'reissued',
];

/** A detail as text ('' when absent). @param {unknown} v */
const str = (v) => (v === null || v === undefined ? '' : String(v));

/** @param {string} action */
export const actionText = (action) => (AUDIT_ACTIONS.includes(action) ? t(`audit.action.${action}`) : action);

/** @param {AuditEvent} e */
export function actorText(e) {
  if (e.actor.kind === 'system') return t('audit.actor.system');
  if (e.actor.kind === 'device') return t('audit.actor.device', { id: e.actor.id });
  return e.actor.email ?? t('audit.actor.user', { id: e.actor.id });
}

/**
 * What the entry is about; a device by its name when the page knows it.
 * @param {AuditEvent} e
 * @param {(id: number) => string | undefined} [deviceLabel]
 */
export function targetText(e, deviceLabel) {
  const { type, id } = e.target;
  if (type === 'device') return (id !== null && deviceLabel?.(id)) || t('audit.target.device', { id });
  if (type === 'command') return t('audit.target.command', { id });
  if (type === 'webhook') return t('audit.target.webhook', { id });
  if (type === 'program') return t('audit.target.program');
  if (type === 'alerts') return t('audit.target.alerts');
  return id === null ? type : `${type} #${id}`;
}

/** "5 minutes", "2 hours", in the chosen language. @param {number} seconds */
export function durationText(seconds) {
  const locale = Alpine.store('i18n').locale;
  /** @type {[string, number]} */
  const [unit, size] =
    seconds < 60 ? ['second', 1] : seconds < 3600 ? ['minute', 60] : seconds < 86400 ? ['hour', 3600] : ['day', 86400];
  const format = new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 1 });
  return format.format(seconds / size);
}

/** @param {unknown} type */
const commandType = (type) => (COMMAND_TYPES.includes(str(type)) ? t(`page.devices.command.type.${type}`) : str(type));
/** @param {unknown} status */
const commandStatus = (status) =>
  COMMAND_STATUSES.includes(str(status)) ? t(`page.devices.command.status.${status}`) : str(status);

/**
 * A short line about what happened, from the entry's details.
 * @param {AuditEvent} e
 * @returns {string}
 */
export function detailsText(e) {
  const d = e.details;
  const i18n = Alpine.store('i18n');
  switch (e.action) {
    case 'device.paired':
      return t('audit.details.paired', { label: str(d.label) });
    case 'device.renamed':
      return t('audit.details.renamed', { from: str(d.from), to: str(d.to) });
    case 'device.revoked':
      return d.reason ? t('audit.details.reason', { reason: str(d.reason) }) : '';
    case 'device.token_renewed':
      return d.expires_at ? t('audit.details.valid_until', { date: i18n.date(str(d.expires_at)) }) : '';
    case 'device.connected':
      return d.ip ? t('audit.details.from_ip', { ip: str(d.ip) }) : '';
    case 'device.disconnected':
      return DISCONNECT_REASONS.includes(str(d.reason)) ? t(`audit.reason.${d.reason}`) : str(d.reason);
    case 'device.expiry_flagged':
      return d.expires_at ? t('audit.details.expires', { date: i18n.date(str(d.expires_at)) }) : '';
    case 'device.offline_alert':
      return d.offline_since ? t('audit.details.offline_since', { time: i18n.dateTime(str(d.offline_since)) }) : '';
    case 'device.back_online':
      return typeof d.offline_for_s === 'number'
        ? t('audit.details.offline_for', { duration: durationText(d.offline_for_s) })
        : '';
    case 'command.created':
      return commandType(d.type);
    case 'command.canceled':
    case 'command.completed':
      return t('audit.details.command_status', { type: commandType(d.type), status: commandStatus(d.status) });
    case 'program.updated':
      return t('audit.details.program', { stamps: str(d.stamps_required), reward: str(d.reward_label) });
    case 'webhook.created':
    case 'webhook.deleted':
      return str(d.url);
    case 'webhook.updated':
      return Array.isArray(d.changed)
        ? t('audit.details.webhook_changed', { url: str(d.url), fields: d.changed.join(', ') })
        : str(d.url);
    case 'webhook.secret_rotated':
      return '';
    case 'webhook.disabled':
      return d.reason === 'failing' ? t('audit.details.failing') : str(d.reason);
    case 'alerts.updated':
      return typeof d.offline_after_s === 'number'
        ? t('audit.details.alerts_after', { duration: durationText(d.offline_after_s) })
        : t('audit.details.alerts_off');
    default:
      return Object.keys(d).length ? JSON.stringify(d).slice(0, 200) : '';
  }
}
