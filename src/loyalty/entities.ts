import { Column, Entity, Index } from 'typeorm';
import { DateColumn, IdColumn, IntColumn, TextColumn } from '../db/columns';

export const TRANSACTION_TYPES = ['enrol', 'stamp', 'redeem'] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

/** A merchant's loyalty program; a merchant without a row uses DEFAULT_PROGRAM (see service.ts). */
@Entity('loyalty_programs')
export class LoyaltyProgram {
  @IdColumn() id: number;
  @IntColumn({ name: 'merchant_id' }) merchantId: number;
  @IntColumn({ name: 'stamps_required' }) stampsRequired: number;
  @TextColumn(100, { name: 'reward_label' }) rewardLabel: string;
  @IntColumn({ name: 'updated_by_id', nullable: true }) updatedById: number | null;
  @DateColumn({ name: 'created_at' }) createdAt: Date;
  @DateColumn({ name: 'updated_at' }) updatedAt: Date;
}

/** A customer's card: one merchant, usable in every store of that merchant. `card_number` is unique per merchant. */
@Entity('loyalty_cards')
@Index('uq_loyalty_cards_merchant_number', ['merchantId', 'cardNumber'], { unique: true })
export class LoyaltyCard {
  @IdColumn() id: number;
  @IntColumn({ name: 'merchant_id' }) merchantId: number;
  @TextColumn(32, { name: 'card_number' }) cardNumber: string;
  @TextColumn(100, { name: 'customer_name', nullable: true }) customerName: string | null;
  @IntColumn() stamps: number;
  @IntColumn({ name: 'rewards_redeemed' }) rewardsRedeemed: number;
  @IntColumn({ name: 'enrolled_store_id', nullable: true }) enrolledStoreId: number | null;
  @DateColumn({ name: 'created_at' }) createdAt: Date;
  @DateColumn({ name: 'updated_at' }) updatedAt: Date;
}

/** One change to a card, append-only: who (device or null, acting user), where (store), what (type, delta). */
@Entity('loyalty_transactions')
export class LoyaltyTransaction {
  @IdColumn() id: number;
  @IntColumn({ name: 'merchant_id' }) merchantId: number;
  @IntColumn({ name: 'card_id' }) cardId: number;
  @IntColumn({ name: 'store_id' }) storeId: number;
  @IntColumn({ name: 'device_id', nullable: true }) deviceId: number | null;
  @IntColumn({ name: 'acting_user_id', nullable: true }) actingUserId: number | null;
  @TextColumn(10) type: TransactionType;
  @IntColumn() delta: number;
  @TextColumn(255, { name: 'idempotency_key', nullable: true }) idempotencyKey: string | null;
  @DateColumn({ name: 'created_at' }) createdAt: Date;
}

/** The first answer to a store-API write sent with an Idempotency-Key, per store; see idempotency.ts. */
@Entity('loyalty_idempotency_keys')
export class IdempotencyKey {
  @IdColumn() id: number;
  @IntColumn({ name: 'store_id' }) storeId: number;
  @TextColumn(255, { name: 'idempotency_key' }) key: string;
  @TextColumn(64, { name: 'request_hash' }) requestHash: string;
  @IntColumn({ name: 'status_code' }) statusCode: number;
  @Column({ type: 'text', name: 'response_body' }) responseBody: string;
  @DateColumn({ name: 'created_at' }) createdAt: Date;
}
