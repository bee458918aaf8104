import { z } from 'zod';
import { passwordSchema } from '../auth/passwords';
import { idParam, pagination } from '../http/validate';

export const email = z
  .email('must be an email address')
  .max(254)
  .transform((e) => e.toLowerCase());
export const password = passwordSchema;

export const loginBody = z.strictObject({
  email: z
    .string()
    .min(1)
    .max(254)
    .transform((e) => e.toLowerCase()),
  password: z.string().min(1).max(200),
});
export const merchantBody = z.strictObject({ name: z.string().trim().min(1).max(200) });
export const storeBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  code: z
    .string()
    .trim()
    .transform((c) => c.toUpperCase())
    .pipe(z.string().regex(/^[A-Z0-9][A-Z0-9_-]{1,39}$/, 'must be 2 to 40 letters, digits, "-" or "_"')),
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
