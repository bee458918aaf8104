import { z } from 'zod';
import type { Portal } from '../policy';
import { idParam } from './schema-parts';

/** `{merchant_id}` of an admin path (absent on the merchant portal). */
export const merchantParams = z.object({ merchant_id: idParam.optional() });

/**
 * What the two portals' twins of a merchant-scoped route share: the path (`/api/v1/merchants/<rest>` for merchant
 * users, `/api/v1/admin/merchants/{merchant_id}/<rest>` for admins on behalf), the tag, who it acts on, the role,
 * the params, and the unknown merchant's 404.
 */
export function portalRoute(portal: Portal, rest: string, tag: string) {
  const merchant = portal === 'merchant';
  return {
    path: merchant ? `/api/v1/merchants/${rest}` : `/api/v1/admin/merchants/{merchant_id}/${rest}`,
    tag: `${tag} (${merchant ? 'merchant portal' : 'admin on behalf'})`,
    description: merchant
      ? "Acts on the merchant user's own merchant."
      : 'Acts on the merchant in the path; the admin is recorded as the actor.',
    auth: 'user',
    roles: [portal],
    params: merchantParams,
    errors: { NOT_FOUND: 'Unknown merchant' },
  } as const;
}
