import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateColumn, IdColumn, IntColumn, TextColumn } from '../db/columns';

/** What an endpoint can subscribe to (§13); `webhook.test` goes to the one endpoint tested, whatever it lists. */
export const WEBHOOK_EVENT_TYPES = [
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
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number] | 'webhook.test';

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

const json = { to: (v: unknown) => JSON.stringify(v), from: (v: string) => JSON.parse(v) };

/** A merchant's subscription. The secret signs deliveries; the previous one too until `previousSecretUntil`. */
@Entity('webhook_endpoints')
export class WebhookEndpoint {
  @IdColumn() id: number;
  @IntColumn({ name: 'merchant_id' }) merchantId: number;
  @TextColumn(2048) url: string;
  /** The types it receives, or `["*"]`. */
  @Column({ type: 'text', transformer: json }) events: string[];
  @TextColumn(200, { nullable: true }) description: string | null;
  @Column({ type: 'boolean', default: true }) enabled: boolean;
  @TextColumn(32, { name: 'disabled_reason', nullable: true }) disabledReason: string | null;
  @TextColumn(64) secret: string;
  @TextColumn(64, { name: 'previous_secret', nullable: true }) previousSecret: string | null;
  @DateColumn({ name: 'previous_secret_until', nullable: true }) previousSecretUntil: Date | null;
  /** Since when every attempt has failed (null once one succeeds): 3 days of it disables the endpoint. */
  @DateColumn({ name: 'failing_since', nullable: true }) failingSince: Date | null;
  @DateColumn({ name: 'created_at' }) createdAt: Date;
  @DateColumn({ name: 'updated_at' }) updatedAt: Date;
}

/** An event as it goes out: `payload` is the exact JSON body that is signed, `id` its `webhook-id`. */
@Entity('webhook_events')
export class WebhookEvent {
  @PrimaryColumn({ type: 'varchar', length: 32 }) id: string;
  @IntColumn({ name: 'merchant_id' }) merchantId: number;
  @TextColumn(32) type: WebhookEventType;
  @Column({ type: 'text' }) payload: string;
  @DateColumn({ name: 'created_at' }) createdAt: Date;
}

/**
 * One event for one endpoint. A node attempting it holds it until `claimed_until` (its lease; `next_attempt_at`
 * moves past it too), and `attempts` counts the claims: the outcome is written only by the claim it belongs to.
 */
@Entity('webhook_deliveries')
export class WebhookDelivery {
  @IdColumn() id: number;
  @IntColumn({ name: 'merchant_id' }) merchantId: number;
  @IntColumn({ name: 'endpoint_id' }) endpointId: number;
  @TextColumn(32, { name: 'event_id' }) eventId: string;
  @TextColumn(32, { name: 'event_type' }) eventType: WebhookEventType;
  @TextColumn(12) status: DeliveryStatus;
  @IntColumn() attempts: number;
  @DateColumn({ name: 'next_attempt_at' }) nextAttemptAt: Date;
  @DateColumn({ name: 'claimed_until', nullable: true }) claimedUntil: Date | null;
  @DateColumn({ name: 'last_attempt_at', nullable: true }) lastAttemptAt: Date | null;
  @IntColumn({ name: 'response_status', nullable: true }) responseStatus: number | null;
  @IntColumn({ name: 'response_ms', nullable: true }) responseMs: number | null;
  @TextColumn(1024, { name: 'response_excerpt', nullable: true }) responseExcerpt: string | null;
  @DateColumn({ name: 'created_at' }) createdAt: Date;
}
