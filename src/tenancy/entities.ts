import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateColumn, IdColumn, IntColumn, TextColumn } from '../db/columns';

export const ROLES = ['admin', 'merchant', 'store_staff'] as const;
export type Role = (typeof ROLES)[number];

@Entity('merchants')
export class Merchant {
  @IdColumn() id: number;
  @TextColumn(200) name: string;
  /** Offline alerts (§13): seconds offline before `device.offline_alert`; null: off. */
  @IntColumn({ name: 'offline_after_s', nullable: true }) offlineAfterS: number | null;
  @DateColumn({ name: 'created_at' }) createdAt: Date;
  @DateColumn({ name: 'updated_at' }) updatedAt: Date;
}

@Entity('stores')
export class Store {
  @IdColumn() id: number;
  @Index() @IntColumn({ name: 'merchant_id' }) merchantId: number;
  @TextColumn(200) name: string;
  @TextColumn(40, { unique: true }) code: string;
  @DateColumn({ name: 'created_at' }) createdAt: Date;
  @DateColumn({ name: 'updated_at' }) updatedAt: Date;
}

@Entity('users')
export class User {
  @IdColumn() id: number;
  @TextColumn(254, { unique: true }) email: string;
  @TextColumn(255, { name: 'password_hash' }) passwordHash: string;
  @TextColumn(20) role: Role;
  @DateColumn({ name: 'last_login_at', nullable: true }) lastLoginAt: Date | null;
  @IntColumn({ name: 'merchant_id', nullable: true }) merchantId: number | null;
  /** Carried by user tokens as `tv`; a password change bumps it, which refuses every token issued before. */
  @Column({ type: 'integer', name: 'token_version', default: 0 }) tokenVersion: number;
  @DateColumn({ name: 'created_at' }) createdAt: Date;
  @DateColumn({ name: 'updated_at' }) updatedAt: Date;
}

/** Which stores a store_staff user may act for. */
@Entity('user_stores')
export class UserStore {
  @PrimaryColumn({ type: 'integer', name: 'user_id' }) userId: number;
  @PrimaryColumn({ type: 'integer', name: 'store_id' }) storeId: number;
}
