import { Column, Entity } from 'typeorm';
import { DateColumn, IdColumn, IntColumn, TextColumn } from '../db/columns';

export const COMMAND_TYPES = ['identify', 'show_message', 'reload', 'sync', 'ping'] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

/** Forward only: queued → sent → delivered → succeeded | failed; any unfinished one → expired | canceled. */
export const COMMAND_STATUSES = ['queued', 'sent', 'delivered', 'succeeded', 'failed', 'expired', 'canceled'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];
export const UNFINISHED: CommandStatus[] = ['queued', 'sent', 'delivered'];

/** A command for one tablet; `args`, `result` and `error` are JSON text. */
@Entity('device_commands')
export class DeviceCommand {
  @IdColumn() id: number;
  @IntColumn({ name: 'merchant_id' }) merchantId: number;
  @IntColumn({ name: 'device_id' }) deviceId: number;
  @TextColumn(20) type: CommandType;
  @Column({ type: 'text', nullable: true }) args: string | null;
  @TextColumn(12) status: CommandStatus;
  @Column({ type: 'text', nullable: true }) result: string | null;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @TextColumn(255, { name: 'idempotency_key', nullable: true }) idempotencyKey: string | null;
  @TextColumn(64, { name: 'request_hash', nullable: true }) requestHash: string | null;
  @DateColumn({ name: 'created_at' }) createdAt: Date;
  @IntColumn({ name: 'created_by_id', nullable: true }) createdById: number | null;
  @DateColumn({ name: 'sent_at', nullable: true }) sentAt: Date | null;
  @DateColumn({ name: 'delivered_at', nullable: true }) deliveredAt: Date | null;
  @DateColumn({ name: 'completed_at', nullable: true }) completedAt: Date | null;
  @DateColumn({ name: 'expires_at' }) expiresAt: Date;
}
