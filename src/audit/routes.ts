import type { Services } from '../context';
import { portalRoute } from '../http/portals';
import { type Route, route } from '../http/route';
import type { Portal } from '../policy';
import { presentAuditEvent } from './presenter';
import { auditList, listAuditQuery } from './schemas';

/** `GET …/audit` (§12), on both portals: the merchant's audit log, newest first, with filters and a cursor. */
export function auditRoutes({ audit, policy }: Services, portal: Portal): Route[] {
  const common = portalRoute(portal, 'audit', 'audit');
  return [
    route({
      ...common,
      method: 'get',
      summary: 'Who did what: the audit log, newest first',
      description: `${common.description} \`next_cursor\` continues after the last item (null at the end); a page never repeats an entry.`,
      query: listAuditQuery,
      response: auditList,
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
