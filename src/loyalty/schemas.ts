import type { Request } from 'express';
import { z } from 'zod';
import { AppError, validationDetails } from '../errors';

/** Card numbers: 4 to 32 letters, digits or "-", compared upper-cased (a typed "ab-12" finds "AB-12"). */
export const cardNumber = z
  .string()
  .trim()
  .transform((c) => c.toUpperCase())
  .pipe(z.string().regex(/^[A-Z0-9][A-Z0-9-]{3,31}$/, 'must be 4 to 32 letters, digits or "-"'));

/** An empty or blank name means none. */
const customerName = z
  .string()
  .trim()
  .max(100, 'must be at most 100 characters')
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
  reward_label: z.string().trim().min(1, 'must be 1 to 100 characters').max(100, 'must be 1 to 100 characters'),
});

/** Visible ASCII, like a UUID; at most 255 characters. */
const idempotencyKeyHeader = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters, e.g. a UUID')
    .optional(),
});

/** The request's Idempotency-Key, if any; a malformed one is 400 VALIDATION_ERROR. */
export function idempotencyKey(req: Request): string | undefined {
  const parsed = idempotencyKeyHeader.safeParse({ 'Idempotency-Key': req.header('idempotency-key') });
  if (!parsed.success) throw new AppError('VALIDATION_ERROR', validationDetails(parsed.error));
  return parsed.data['Idempotency-Key'];
}
