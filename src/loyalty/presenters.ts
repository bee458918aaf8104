import type { LoyaltyCard, LoyaltyTransaction } from './entities';

export interface ProgramView {
  stampsRequired: number;
  rewardLabel: string;
  /** True while the merchant has not set a program and the default applies. */
  isDefault: boolean;
}

export const presentProgram = (p: ProgramView) => ({
  stamps_required: p.stampsRequired,
  reward_label: p.rewardLabel,
  is_default: p.isDefault,
});

export const presentCard = (c: LoyaltyCard) => ({
  card_number: c.cardNumber,
  customer_name: c.customerName,
  stamps: c.stamps,
  rewards_redeemed: c.rewardsRedeemed,
  created_at: c.createdAt.toISOString(),
});

export const presentTransaction = (t: LoyaltyTransaction, cardNumber: string) => ({
  id: t.id,
  type: t.type,
  delta: t.delta,
  card_number: cardNumber,
  store_id: t.storeId,
  device_id: t.deviceId,
  acting_user_id: t.actingUserId,
  created_at: t.createdAt.toISOString(),
});

/** The answer to every card write (enrol, stamps, redeem). */
export const presentWrite = (w: { transaction: LoyaltyTransaction; card: LoyaltyCard }) => ({
  transaction: presentTransaction(w.transaction, w.card.cardNumber),
  card: presentCard(w.card),
});
