import type { WebhookDelivery, WebhookEndpoint } from './entities';
import type { DeliveryView, WebhookView } from './schemas';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The public `Webhook`: never the secret. */
export function presentWebhook(e: WebhookEndpoint): WebhookView {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    description: e.description,
    enabled: e.enabled,
    disabled_reason: e.disabledReason,
    created_at: e.createdAt.toISOString(),
  };
}

export function presentDelivery(d: WebhookDelivery): DeliveryView {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    last_attempt_at: iso(d.lastAttemptAt),
    next_attempt_at: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
    response_status: d.responseStatus,
    response_ms: d.responseMs,
    response_excerpt: d.responseExcerpt,
    created_at: d.createdAt.toISOString(),
  };
}
