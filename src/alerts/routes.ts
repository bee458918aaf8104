import { actorOf } from '../auth/actor';
import type { Services } from '../context';
import { type Route, route } from '../http/route';
import { portalRoute } from '../http/portals';
import type { Portal } from '../policy';
import { alertSettingsBody, alertSettingsSchema } from './schemas';

/** `GET|PUT …/loyalty/alerts` (§13): the merchant's offline alert threshold. */
export function alertRoutes({ alerts, policy }: Services, portal: Portal): Route[] {
  const common = {
    ...portalRoute(portal, 'loyalty/alerts', 'alerts'),
    response: alertSettingsSchema,
  } as const;
  return [
    route({
      ...common,
      method: 'get',
      summary: 'The offline alert threshold',
      handler: async ({ principal, params }) => {
        const merchantId = await policy.portalMerchant(principal, portal, params.merchant_id);
        return { offline_after_s: (await alerts.get(merchantId)).offlineAfterS };
      },
    }),
    route({
      ...common,
      method: 'put',
      summary: 'Set (or turn off, null) the offline alert threshold',
      description:
        'An active device that has been online and stays offline this long raises one `device.offline_alert` per outage.',
      body: alertSettingsBody,
      handler: async ({ principal, params, body, ip }) => {
        const merchantId = await policy.portalMerchant(principal, portal, params.merchant_id);
        const set = await alerts.set(merchantId, actorOf(principal, ip), body.offline_after_s);
        return { offline_after_s: set.offlineAfterS };
      },
    }),
  ];
}
