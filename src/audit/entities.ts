import { Column, Entity } from 'typeorm';
import { DateColumn, IdColumn, IntColumn, TextColumn } from '../db/columns';

/** One line of a merchant's audit log; append-only (`details` is JSON text). */
@Entity('audit_events')
export class AuditEvent {
  @IdColumn() id: number;
  @IntColumn({ name: 'merchant_id' }) merchantId: number;
  @DateColumn() at: Date;
  @TextColumn(8, { name: 'actor_kind' }) actorKind: 'user' | 'device' | 'system';
  @IntColumn({ name: 'actor_id', nullable: true }) actorId: number | null;
  @TextColumn(254, { name: 'actor_email', nullable: true }) actorEmail: string | null;
  @Column({ name: 'on_behalf', type: 'boolean', default: false }) onBehalf: boolean;
  @TextColumn(48) action: string;
  @TextColumn(16, { name: 'target_type' }) targetType: string;
  @IntColumn({ name: 'target_id', nullable: true }) targetId: number | null;
  /** The device the entry is about (its own events and its commands): the device history filter. */
  @IntColumn({ name: 'device_id', nullable: true }) deviceId: number | null;
  @TextColumn(64, { nullable: true }) ip: string | null;
  @Column({ type: 'text', nullable: true }) details: string | null;
}
