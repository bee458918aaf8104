import { z } from 'zod';
import type { Services } from '../context';
import { idParam } from '../http/schema-parts';
import { type Route, route } from '../http/route';
import type { Portal } from '../policy';
import { presentAuditEvent } from './presenter';
import { auditList, listAuditQuery } from './schemas';

const PORTALS = {
  merchant: { path: '/api/v1/merchants/audit', tag: 'audit (merchant portal)', who: "The user's own merchant." },
  admin: {
    path: '/api/v1/admin/merchants/{merchant_id}/audit',
    tag: 'audit (admin on behalf)',
    who: 'The merchant in the path.',
  },
} as const;

/** `GET …/audit` (§12), on both portals: the merchant's audit log, newest first, with filters and a cursor. */
export function auditRoutes({ audit, policy }: Services, portal: Portal): Route[] {
  const { path, tag, who } = PORTALS[portal];
  return [
    route({
      method: 'get',
      path,
      tag,
      roles: [portal],
      auth: 'user',
      summary: 'Who did what: the audit log, newest first',
      description: `${who} \`next_cursor\` continues after the last item (null at the end); a page never repeats an entry.`,
      params: z.object({ merchant_id: idParam.optional() }),
      query: listAuditQuery,
      response: auditList,
      errors: { NOT_FOUND: 'Unknown merchant' },
      handler: async ({ principal, params, query: q }) => {
        const merchantId = await policy.portalMerchant(principal, portal, params.merchant_id);
        const { items, nextCursor } = await audit.list(merchantId, {
          deviceId: q.device_id,
          action: q.action,
          actorId: q.actor_id,
          since: q.since,
          until: q.until,
          limit: q.limit,
          cursor: q.cursor,
        });
        return { items: items.map(presentAuditEvent), next_cursor: nextCursor };
      },
    }),
  ];
}
