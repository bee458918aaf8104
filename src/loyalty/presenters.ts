import type { LoyaltyCard, LoyaltyTransaction } from './entities';
import type { CardBody, ProgramBody, TransactionBody, WriteAnswer } from './schemas';
import type { ProgramView } from './service';

export const presentProgram = (p: ProgramView): ProgramBody => ({
  stamps_required: p.stampsRequired,
  reward_label: p.rewardLabel,
  is_default: p.isDefault,
});

export const presentCard = (c: LoyaltyCard): CardBody => ({
  card_number: c.cardNumber,
  customer_name: c.customerName,
  stamps: c.stamps,
  rewards_redeemed: c.rewardsRedeemed,
  created_at: c.createdAt.toISOString(),
});

export const presentTransaction = (t: LoyaltyTransaction, cardNumber: string): TransactionBody => ({
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
export const presentWrite = (w: { transaction: LoyaltyTransaction; card: LoyaltyCard }): WriteAnswer => ({
  transaction: presentTransaction(w.transaction, w.card.cardNumber),
  card: presentCard(w.card),
});
