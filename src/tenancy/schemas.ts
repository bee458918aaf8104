import { z } from 'zod';
import { asciiCode, idParam, instant, page, pagination, text } from '../http/schema-parts';

export const email = z
  .email('must be an email address')
  .max(254)
  .transform((e) => e.toLowerCase());
export const password = z.string().min(10, 'must be at least 10 characters').max(200);

export const loginBody = z.strictObject({
  email: z
    .string()
    .min(1)
    .max(254)
    .transform((e) => e.toLowerCase()),
  password: z.string().min(1).max(200),
});
/** Store codes: 2 to 40 ASCII letters, digits, "-" or "_", stored upper-cased. */
export const storeCode = asciiCode(/^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$/, 'must be 2 to 40 letters, digits, "-" or "_"');

export const merchantBody = z.strictObject({ name: text(1, 200) });
export const storeBody = z.strictObject({
  name: text(1, 200),
  code: storeCode,
});
export const userBody = z
  .strictObject({
    email,
    password,
    role: z.enum(['merchant', 'store_staff']),
    store_ids: z.array(z.number().int().positive()).max(500).optional(),
  })
  .superRefine((u, ctx) => {
    if (u.role === 'store_staff' && !u.store_ids?.length)
      ctx.addIssue({ code: 'custom', path: ['store_ids'], message: 'a store_staff user needs at least one store' });
    if (u.role === 'merchant' && u.store_ids?.length)
      ctx.addIssue({
        code: 'custom',
        path: ['store_ids'],
        message: 'a merchant user acts for every store; leave store_ids out',
      });
  });
export const merchantParams = z.object({ merchant_id: idParam });
export const listQuery = z.object(pagination);

export const merchantSchema = z
  .strictObject({ id: z.number().int(), name: z.string(), created_at: instant })
  .meta({ id: 'Merchant' });
export const storeSchema = z
  .strictObject({
    id: z.number().int(),
    merchant_id: z.number().int(),
    name: z.string(),
    code: z.string(),
    created_at: instant,
  })
  .meta({ id: 'Store' });
export const userSchema = z
  .strictObject({
    id: z.number().int(),
    email: z.string(),
    role: z.enum(['admin', 'merchant', 'store_staff']),
    merchant_id: z.number().int().nullable(),
    store_ids: z.array(z.number().int()).optional().meta({ description: 'store_staff only: the assigned stores' }),
  })
  .meta({ id: 'User' });

export const loginAnswer = z.strictObject({ token: z.string(), expires_at: instant, user: userSchema });
export const userAnswer = z.strictObject({ user: userSchema });
export const merchantAnswer = z.strictObject({ merchant: merchantSchema });
export const storeAnswer = z.strictObject({ store: storeSchema });
export const merchantList = page(merchantSchema);
export const userList = page(userSchema);
export const storeList = z.strictObject({ items: z.array(storeSchema) });

export type MerchantBody = z.infer<typeof merchantSchema>;
export type StoreBody = z.infer<typeof storeSchema>;
export type UserBody = z.infer<typeof userSchema>;
