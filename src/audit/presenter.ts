import type { AuditEvent } from './entities';
import type { AuditEventView } from './schemas';

export function presentAuditEvent(e: AuditEvent): AuditEventView {
  return {
    id: e.id,
    merchant_id: e.merchantId,
    at: e.at.toISOString(),
    actor: { kind: e.actorKind, id: e.actorId, ...(e.actorEmail ? { email: e.actorEmail } : {}) },
    on_behalf: Boolean(e.onBehalf),
    action: e.action,
    target: { type: e.targetType, id: e.targetId },
    ip: e.ip,
    details: e.details ? (JSON.parse(e.details) as Record<string, unknown>) : {},
  };
}
