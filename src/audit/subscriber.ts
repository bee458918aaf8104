import { deviceActor, SYSTEM_ACTOR } from '../auth/actor';
import type { DeviceCommand } from '../commands/entities';
import type { TerminalDevice } from '../devices/entities';
import type { EventBus } from '../events';
import type { WebhookEndpoint } from '../webhooks/entities';
import type { AuditService } from './service';

const device = (d: Pick<TerminalDevice, 'id' | 'merchantId'>) => ({
  merchantId: d.merchantId,
  target: { type: 'device', id: d.id },
  deviceId: d.id,
});
const command = (c: DeviceCommand) => ({
  merchantId: c.merchantId,
  target: { type: 'command', id: c.id },
  deviceId: c.deviceId,
});

/**
 * What the audit log records, and how: portal and device actions inside their own transaction (`onTransaction`: the
 * entry commits with the change or not at all), socket connects and disconnects into the batch (`buffer`: one
 * multi-row INSERT per flush, whatever the reconnect storm).
 */
export function auditSubscriber(events: EventBus, audit: AuditService): void {
  events.onTransaction('device.paired', ({ device: d, actor }, m) =>
    audit.record(m, { ...device(d), actor, action: 'device.paired', details: { label: d.label, store_id: d.storeId } }),
  );
  events.onTransaction('device.renamed', ({ device: d, actor, from }, m) =>
    audit.record(m, { ...device(d), actor, action: 'device.renamed', details: { from, to: d.label } }),
  );
  events.onTransaction('device.revoked', ({ device: d, actor }, m) =>
    audit.record(m, { ...device(d), actor, action: 'device.revoked', details: { reason: d.revokedReason } }),
  );
  events.onTransaction('device.reissued', ({ device: d, actor }, m) =>
    audit.record(m, { ...device(d), actor, action: 'device.reissued' }),
  );
  events.onTransaction('device.token_renewed', ({ device: d, actor }, m) =>
    audit.record(m, { ...device(d), actor, action: 'device.token_renewed', details: { expires_at: d.expiresAt } }),
  );
  events.onTransaction('command.created', ({ command: c, actor }, m) =>
    audit.record(m, { ...command(c), actor, action: 'command.created', details: { type: c.type } }),
  );
  events.onTransaction('command.finished', ({ command: c, actor }, m) =>
    audit.record(m, {
      ...command(c),
      actor,
      action: c.status === 'canceled' ? 'command.canceled' : 'command.completed',
      details: { type: c.type, status: c.status },
    }),
  );
  events.onTransaction('program.updated', ({ merchantId, actor, program }, m) =>
    audit.record(m, {
      merchantId,
      target: { type: 'program', id: merchantId },
      actor,
      action: 'program.updated',
      details: program,
    }),
  );
  const webhook = (e: WebhookEndpoint) => ({ merchantId: e.merchantId, target: { type: 'webhook', id: e.id } });
  events.onTransaction('webhook.created', ({ endpoint: e, actor }, m) =>
    audit.record(m, { ...webhook(e), actor, action: 'webhook.created', details: { url: e.url, events: e.events } }),
  );
  events.onTransaction('webhook.updated', ({ endpoint: e, actor, changed }, m) =>
    audit.record(m, { ...webhook(e), actor, action: 'webhook.updated', details: { changed, url: e.url } }),
  );
  events.onTransaction('webhook.deleted', ({ endpoint: e, actor }, m) =>
    audit.record(m, { ...webhook(e), actor, action: 'webhook.deleted', details: { url: e.url } }),
  );
  events.onTransaction('webhook.secret_rotated', ({ endpoint: e, actor }, m) =>
    audit.record(m, { ...webhook(e), actor, action: 'webhook.secret_rotated' }),
  );
  events.onTransaction('webhook.disabled', ({ endpoint: e, actor, reason }, m) =>
    audit.record(m, { ...webhook(e), actor, action: 'webhook.disabled', details: { reason } }),
  );
  events.onTransaction('device.offline_alert', ({ device: d, actor, offlineSince }, m) =>
    audit.record(m, { ...device(d), actor, action: 'device.offline_alert', details: { offline_since: offlineSince } }),
  );
  events.onTransaction('device.back_online', ({ device: d, actor, offlineForS }, m) =>
    audit.record(m, { ...device(d), actor, action: 'device.back_online', details: { offline_for_s: offlineForS } }),
  );
  events.onTransaction('alerts.updated', ({ merchantId, actor, offlineAfterS }, m) =>
    audit.record(m, {
      merchantId,
      target: { type: 'alerts', id: merchantId },
      actor,
      action: 'alerts.updated',
      details: { offline_after_s: offlineAfterS },
    }),
  );
  events.on('device.connected', ({ device: d, ip }) =>
    audit.buffer({ ...device(d), actor: deviceActor(d.id, ip), action: 'device.connected', details: { ip } }),
  );
  events.on('device.disconnected', ({ device: d, ip, reason }) =>
    audit.buffer({ ...device(d), actor: deviceActor(d.id, ip), action: 'device.disconnected', details: { reason } }),
  );
  events.onTransaction('device.expiry_flagged', ({ device: d }, m) =>
    audit.record(m, {
      ...device(d),
      actor: SYSTEM_ACTOR,
      action: 'device.expiry_flagged',
      details: { expires_at: d.expiresAt },
    }),
  );
}
