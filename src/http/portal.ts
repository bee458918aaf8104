import type { Request } from 'express';
import type { AppContext } from '../context';
import { merchantParams } from '../tenancy/schemas';
import { userOf } from './auth';
import { params } from './validate';

/** Merchant portal routes act on the user's own merchant; their admin on-behalf twins on the merchant in the path. */
export type Portal = 'merchant' | 'admin';

/** The merchant a portal request acts on; an unknown merchant in an admin path is 404. */
export async function portalMerchantId(ctx: AppContext, portal: Portal, req: Request): Promise<number> {
  return portal === 'admin'
    ? (await ctx.tenancy.getMerchant(params(req, merchantParams).merchant_id)).id
    : userOf(req).merchantId!;
}
