import { randomUUID } from 'node:crypto';
import { Column, Entity, Index } from 'typeorm';
import { DateColumn, IdColumn, IntColumn, TextColumn } from '../db/columns';
import type { DeviceState } from './schemas';

/**
 * A paired POS tablet bound to one store of one merchant. The row keeps only the `jti` of the device token;
 * the token itself is shown once at pairing (or reissue) and never stored.
 */
@Entity('loyalty_terminal_devices')
@Index('idx_loyalty_terminal_devices_store_active', ['storeId', 'revokedAt'])
@Index('uq_loyalty_terminal_devices_previous_jti', ['previousJti'], { unique: true })
export class TerminalDevice {
  @IdColumn() id: number;
  @IntColumn({ name: 'merchant_id' }) merchantId: number;
  @IntColumn({ name: 'store_id' }) storeId: number;
  @TextColumn(100) label: string;
  @TextColumn(36, { unique: true }) jti: string;
  @DateColumn({ name: 'expires_at' }) expiresAt: Date;
  /** The jti a renewal replaced: still valid until `previous_jti_until`, or until the new jti is first used. */
  @TextColumn(36, { name: 'previous_jti', nullable: true }) previousJti: string | null;
  @DateColumn({ name: 'previous_jti_until', nullable: true }) previousJtiUntil: Date | null;
  @DateColumn({ name: 'last_seen_at', nullable: true }) lastSeenAt: Date | null;
  @TextColumn(45, { name: 'last_seen_ip', nullable: true }) lastSeenIp: string | null;
  @DateColumn({ name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @IntColumn({ name: 'revoked_by_id', nullable: true }) revokedById: number | null;
  @TextColumn(255, { name: 'revoked_reason', nullable: true }) revokedReason: string | null;
  @IntColumn({ name: 'created_by_id', nullable: true }) createdById: number | null;
  @DateColumn({ name: 'expiry_warned_at', nullable: true }) expiryWarnedAt: Date | null;
  /** When the offline alert of the current outage was raised (§13); cleared when the device is back online. */
  @DateColumn({ name: 'offline_alert_at', nullable: true }) offlineAlertAt: Date | null;
  /** The latest reported state, JSON text; the last_seen flush merges reports into it (see recordLastSeen). */
  @Column({ type: 'text', nullable: true, transformer: { to: toJson, from: fromJson } }) state: DeviceState | null;
  @DateColumn({ name: 'created_at' }) createdAt: Date;
  @DateColumn({ name: 'updated_at' }) updatedAt: Date;
}

/** The fields of a freshly paired device: a new `jti`, nothing seen, revoked or warned yet. */
export function newDeviceRow(input: {
  merchantId: number;
  storeId: number;
  label: string;
  createdById: number | null;
  expiresAt: Date;
  now: Date;
}): Omit<TerminalDevice, 'id'> {
  return {
    merchantId: input.merchantId,
    storeId: input.storeId,
    label: input.label,
    jti: randomUUID(),
    expiresAt: input.expiresAt,
    previousJti: null,
    previousJtiUntil: null,
    lastSeenAt: null,
    lastSeenIp: null,
    revokedAt: null,
    revokedById: null,
    revokedReason: null,
    createdById: input.createdById,
    expiryWarnedAt: null,
    offlineAlertAt: null,
    state: null,
    createdAt: input.now,
    updatedAt: input.now,
  };
}

function toJson(v: DeviceState | null | undefined): string | null | undefined {
  return v == null ? v : JSON.stringify(v);
}
function fromJson(v: string | null): DeviceState | null {
  return v == null ? null : (JSON.parse(v) as DeviceState);
}
