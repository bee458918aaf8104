import { z } from 'zod';
import type { Portal } from '../policy';
import { idParam } from './schema-parts';

/** `{merchant_id}` of an admin path (absent on the merchant portal). */
export const merchantParams = z.object({ merchant_id: idParam.optional() });

/**
 * What the two portals' twins of a merchant-scoped route share: the path (`/api/v1/merchants/<rest>` for merchant
 * users, `/api/v1/admin/merchants/{merchant_id}/<rest>` for admins on behalf), the tag, the role and the params.
 */
export function portalRoute(portal: Portal, rest: string, tag: string) {
  const merchant = portal === 'merchant';
  return {
    path: merchant ? `/api/v1/merchants/${rest}` : `/api/v1/admin/merchants/{merchant_id}/${rest}`,
    tag: `${tag} (${merchant ? 'merchant portal' : 'admin on behalf'})`,
    auth: 'user',
    roles: [portal],
    params: merchantParams,
  } as const;
}
