import type { Actor } from '../auth/actor';
import type { EventBus } from '../events';
import { randomInt } from 'node:crypto';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { isUniqueViolation } from '../db/errors';
import { transaction } from '../db/transaction';
import { AppError, conflict, notFound } from '../errors';
import { LoyaltyCard, LoyaltyProgram, LoyaltyTransaction, type TransactionType } from './entities';
import { IdempotencyKeys, type Answer } from './idempotency';
import { presentWrite } from './presenters';
import type { StoreScope } from '../policy';

export interface ProgramView {
  stampsRequired: number;
  rewardLabel: string;
  /** True while the merchant has not set a program and the default applies. */
  isDefault: boolean;
}

/** The program of a merchant that has not set one. */
export const DEFAULT_PROGRAM = { stampsRequired: 10, rewardLabel: 'Free reward' } as const;

/** 12 digits, no leading zero: easy to key in and to print as a barcode. */
export const generateCardNumber = () => String(randomInt(100_000_000_000, 1_000_000_000_000));

type Write = { card: LoyaltyCard; transaction: LoyaltyTransaction };

/**
 * Programs, cards and their transactions. Cards belong to a merchant; every query takes the merchant id.
 * Card writes (enrol, stamps, redeem) answer `201 {transaction, card}`, run in one transaction with the transaction
 * row, change balances with single conditional UPDATEs (no read-modify-write), and honour Idempotency-Key.
 */
export class LoyaltyService {
  private readonly idempotency: IdempotencyKeys;

  constructor(
    private readonly db: DataSource,
    private readonly events: EventBus,
  ) {
    this.idempotency = new IdempotencyKeys(db);
  }

  async getProgram(merchantId: number): Promise<ProgramView> {
    const p = await this.db.getRepository(LoyaltyProgram).findOneBy({ merchantId });
    return p
      ? { stampsRequired: p.stampsRequired, rewardLabel: p.rewardLabel, isDefault: false }
      : { ...DEFAULT_PROGRAM, isDefault: true };
  }

  /** Creates or replaces the merchant's program. Balances stay; the next redemption uses the new stamps_required. */
  async setProgram(
    merchantId: number,
    actor: Actor,
    input: { stampsRequired: number; rewardLabel: string },
  ): Promise<ProgramView> {
    const now = new Date();
    // One upsert statement (ON DUPLICATE KEY / ON CONFLICT): concurrent PUTs neither collide nor deadlock, as
    // update-then-insert or insert-then-update would on MySQL's gap and shared locks.
    await transaction(this.db, async (em) => {
      await em
        .createQueryBuilder()
        .insert()
        .into(LoyaltyProgram)
        .values({ merchantId, ...input, updatedById: actor.id, createdAt: now, updatedAt: now })
        .orUpdate(['stamps_required', 'reward_label', 'updated_by_id', 'updated_at'], ['merchant_id'])
        .execute();
      const program = { stamps_required: input.stampsRequired, reward_label: input.rewardLabel };
      await this.events.record(em, 'program.updated', { merchantId, actor, program });
    });
    return this.getProgram(merchantId);
  }

  async getCard(merchantId: number, cardNumber: string, em: EntityManager = this.db.manager): Promise<LoyaltyCard> {
    const card = await em.findOneBy(LoyaltyCard, { merchantId, cardNumber });
    if (!card) throw notFound();
    return card;
  }

  /** This store's transactions, newest first. */
  async listTransactions(
    sc: StoreScope,
    limit: number,
  ): Promise<{ transaction: LoyaltyTransaction; cardNumber: string }[]> {
    const merchantId = sc.merchant.id;
    const txs = await this.db
      .getRepository(LoyaltyTransaction)
      .find({ where: { merchantId, storeId: sc.store.id }, order: { id: 'DESC' }, take: limit });
    const cardIds = [...new Set(txs.map((t) => t.cardId))];
    const cards = cardIds.length
      ? await this.db
          .getRepository(LoyaltyCard)
          .find({ where: { merchantId, id: In(cardIds) }, select: { id: true, cardNumber: true } })
      : [];
    const numbers = new Map(cards.map((c) => [c.id, c.cardNumber]));
    return txs.map((transaction) => ({ transaction, cardNumber: numbers.get(transaction.cardId) ?? '' }));
  }

  /** Enrols a card in this store (usable in every store of the merchant); a number is generated when absent. */
  enrol(sc: StoreScope, input: { cardNumber?: string; customerName: string | null }, key?: string): Promise<Answer> {
    return this.write(sc, key, ['enrol', input], async (em) => {
      const card = await this.insertCard(em, sc, input);
      return { card, transaction: await this.record(em, sc, card, 'enrol', 0, key) };
    });
  }

  stamp(sc: StoreScope, cardNumber: string, count: number, key?: string): Promise<Answer> {
    return this.write(sc, key, ['stamp', cardNumber, count], async (em) => {
      const res = await em
        .createQueryBuilder()
        .update(LoyaltyCard)
        .set({ stamps: () => 'stamps + :count', updatedAt: new Date() })
        .where({ merchantId: sc.merchant.id, cardNumber })
        .setParameters({ count })
        .execute();
      if (!res.affected) throw notFound();
      const card = await this.getCard(sc.merchant.id, cardNumber, em);
      return { card, transaction: await this.record(em, sc, card, 'stamp', count, key) };
    });
  }

  /** Spends `stamps_required` stamps for one reward, or 409 INSUFFICIENT_STAMPS; never a negative balance. */
  async redeem(sc: StoreScope, cardNumber: string, key?: string): Promise<Answer> {
    // Read before the transaction: on MySQL its first plain read fixes its snapshot, and the card must be read after
    // the UPDATE (a refusal reports the balance it was refused on, not one from before a concurrent redemption).
    const required = (await this.getProgram(sc.merchant.id)).stampsRequired;
    return this.write(sc, key, ['redeem', cardNumber], async (em) => {
      const res = await em
        .createQueryBuilder()
        .update(LoyaltyCard)
        .set({
          stamps: () => 'stamps - :required',
          rewardsRedeemed: () => 'rewards_redeemed + 1',
          updatedAt: new Date(),
        })
        .where({ merchantId: sc.merchant.id, cardNumber })
        .andWhere('stamps >= :required')
        .setParameters({ required })
        .execute();
      const card = await this.getCard(sc.merchant.id, cardNumber, em);
      if (!res.affected) throw new AppError('INSUFFICIENT_STAMPS', { stamps: card.stamps, stamps_required: required });
      return { card, transaction: await this.record(em, sc, card, 'redeem', -required, key) };
    });
  }

  /** Deletes Idempotency-Key answers older than the retention (24 h); for a periodic job. */
  purgeIdempotencyKeys(now = new Date()): Promise<number> {
    return this.idempotency.purge(now);
  }

  private write(
    sc: StoreScope,
    key: string | undefined,
    request: unknown[],
    op: (em: EntityManager) => Promise<Write>,
  ): Promise<Answer> {
    return this.idempotency.run(sc.store.id, key, request, async (em) => ({
      status: 201,
      body: presentWrite(await op(em)),
    }));
  }

  private async insertCard(
    em: EntityManager,
    sc: StoreScope,
    input: { cardNumber?: string; customerName: string | null },
  ): Promise<LoyaltyCard> {
    const now = new Date();
    for (let attempt = 1; ; attempt++) {
      const cardNumber = input.cardNumber ?? generateCardNumber();
      const card = em.create(LoyaltyCard, {
        merchantId: sc.merchant.id,
        cardNumber,
        customerName: input.customerName,
        stamps: 0,
        rewardsRedeemed: 0,
        enrolledStoreId: sc.store.id,
        createdAt: now,
        updatedAt: now,
      });
      try {
        return await em.save(card);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        if (input.cardNumber) throw conflict('card_number_taken');
        if (attempt === 5) throw err;
      }
    }
  }

  /** The transaction row: the store, the device (or null) and the user of record (for a device, who paired it). */
  private record(
    em: EntityManager,
    sc: StoreScope,
    card: LoyaltyCard,
    type: TransactionType,
    delta: number,
    key: string | undefined,
  ): Promise<LoyaltyTransaction> {
    return em.save(
      em.create(LoyaltyTransaction, {
        merchantId: sc.merchant.id,
        cardId: card.id,
        storeId: sc.store.id,
        deviceId: sc.deviceId,
        actingUserId: sc.actingUserId,
        type,
        delta,
        idempotencyKey: key ?? null,
        createdAt: new Date(),
      }),
    );
  }
}
