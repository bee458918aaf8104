import { z } from 'zod';
import { asciiCode, instant, text } from '../http/schema-parts';
import { storeCode as storeCodeValue } from '../tenancy/schemas';
import { TRANSACTION_TYPES } from './entities';

/** Card numbers: 4 to 32 letters, digits or "-", compared upper-cased (a typed "ab-12" finds "AB-12"). */
export const cardNumber = asciiCode(/^[A-Za-z0-9][A-Za-z0-9-]{3,31}$/, 'must be 4 to 32 letters, digits or "-"');

/** An empty or blank name means none. */
const customerName = text(0, 100)
  .nullable()
  .transform((n) => n || null);

export const enrolBody = z
  .strictObject({ card_number: cardNumber.optional(), customer_name: customerName.optional() })
  .default({});
export const stampBody = z.strictObject({
  count: z.number().int().min(1, 'must be a whole number from 1 to 20').max(20, 'must be a whole number from 1 to 20'),
});
export const redeemBody = z.strictObject({}).default({});
export const cardParams = z.object({ card_number: cardNumber });
export const transactionsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(50) });
export const programBody = z.strictObject({
  stamps_required: z
    .number()
    .int()
    .min(1, 'must be a whole number from 1 to 100')
    .max(100, 'must be a whole number from 1 to 100'),
  reward_label: text(1, 100),
});

/** Request headers of the store API: which store a user acts for, and the write's Idempotency-Key. */
const storeCode = storeCodeValue.optional().meta({
  description: 'The store to act for (user tokens; a device acts for its own store, and naming another is 403)',
});
export const storeHeaders = z.object({ 'X-Store-Code': storeCode });
export const writeHeaders = z.object({
  'X-Store-Code': storeCode,
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters, e.g. a UUID')
    .optional()
    .meta({
      description:
        'Optional, 1 to 255 visible ASCII characters (a UUID), scoped to the store and kept 24 h: a retry with the ' +
        'same key and request returns the first answer (status and body) and changes nothing, with ' +
        'Idempotent-Replayed: true; the same key with another request is 409 IDEMPOTENCY_KEY_REUSED.',
    }),
});

export const programSchema = z
  .strictObject({
    stamps_required: z.number().int(),
    reward_label: z.string(),
    is_default: z.boolean().meta({ description: 'True while the merchant has not set a program' }),
  })
  .meta({ id: 'Program' });
export const cardSchema = z
  .strictObject({
    card_number: z.string(),
    customer_name: z.string().nullable(),
    stamps: z.number().int(),
    rewards_redeemed: z.number().int(),
    created_at: instant,
  })
  .meta({ id: 'Card' });
export const transactionSchema = z
  .strictObject({
    id: z.number().int(),
    type: z.enum(TRANSACTION_TYPES),
    delta: z.number().int(),
    card_number: z.string(),
    store_id: z.number().int(),
    device_id: z.number().int().nullable(),
    acting_user_id: z.number().int().nullable(),
    created_at: instant,
  })
  .meta({ id: 'Transaction' });
export const writeAnswer = z.strictObject({ transaction: transactionSchema, card: cardSchema });
export const transactionList = z.strictObject({ items: z.array(transactionSchema) });
export const sessionAnswer = z.strictObject({
  principal: z.strictObject({ kind: z.enum(['device', 'user']), id: z.number().int() }),
  store: z.strictObject({ id: z.number().int(), code: z.string(), name: z.string() }),
  merchant: z.strictObject({ id: z.number().int(), name: z.string() }),
  program: programSchema,
});

export type ProgramBody = z.infer<typeof programSchema>;
export type CardBody = z.infer<typeof cardSchema>;
export type TransactionBody = z.infer<typeof transactionSchema>;
export type WriteAnswer = z.infer<typeof writeAnswer>;

/** `POST /store/loyalty/device/token`: the device's new token (shown once) and its expiry. */
export const renewalAnswer = z.strictObject({
  auth_token: z.string().meta({ description: 'The new device token; the previous one works until this one is used' }),
  expires_at: instant,
});
