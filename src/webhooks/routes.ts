import { z } from 'zod';
import { portalRoute } from '../http/portals';
import { actorOf } from '../auth/actor';
import type { Services } from '../context';
import { type Route, route } from '../http/route';
import type { Portal } from '../policy';
import { presentDelivery, presentWebhook } from './presenter';
import {
  createdWebhookAnswer,
  createWebhookBody,
  deliveryAnswer,
  deliveryList,
  deliveryParams,
  listDeliveriesQuery,
  secretAnswer,
  updateWebhookBody,
  webhookAnswer,
  webhookList,
  webhookParams,
} from './schemas';

const notFound = { NOT_FOUND: "Unknown webhook (or delivery), or another merchant's" };

/** Webhook endpoints (§13) on both portals: subscribe, change, remove, rotate, test, the delivery log, retry. */
export function webhookRoutes({ webhooks, policy }: Services, portal: Portal): Route[] {
  const {
    path: base,
    params: merchantPart,
    errors: unknownMerchant,
    ...common
  } = portalRoute(portal, 'webhooks', 'webhooks');
  const one = merchantPart.extend(webhookParams.shape);
  const merchantOf = (p: Parameters<typeof policy.portalMerchant>[0], id: number | undefined) =>
    policy.portalMerchant(p, portal, id);
  const urlRefused = 'A URL that is not https:// or resolves to a private address (unless WEBHOOK_ALLOW_PRIVATE)';

  return [
    route({
      ...common,
      method: 'post',
      path: base,
      summary: 'Subscribe an endpoint; its signing secret is shown once',
      params: merchantPart,
      body: createWebhookBody,
      status: 201,
      response: createdWebhookAnswer,
      noStore: true,
      errors: { ...unknownMerchant, VALIDATION_ERROR: urlRefused, CONFLICT: 'The merchant already has 20 endpoints' },
      handler: async ({ principal, params, body, ip }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        const { endpoint, secret } = await webhooks.create(merchantId, actorOf(principal, ip), body);
        return { webhook: presentWebhook(endpoint), secret };
      },
    }),
    route({
      ...common,
      method: 'get',
      path: base,
      summary: "The merchant's endpoints",
      params: merchantPart,
      response: webhookList,
      errors: unknownMerchant,
      handler: async ({ principal, params }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        return { items: (await webhooks.list(merchantId)).map(presentWebhook) };
      },
    }),
    route({
      ...common,
      method: 'get',
      path: `${base}/{webhook_id}`,
      summary: 'One endpoint',
      params: one,
      response: webhookAnswer,
      errors: notFound,
      handler: async ({ principal, params }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        return { webhook: presentWebhook(await webhooks.get(merchantId, params.webhook_id)) };
      },
    }),
    route({
      ...common,
      method: 'patch',
      path: `${base}/{webhook_id}`,
      summary: 'Change the URL, the events, the description; disable or enable',
      params: one,
      body: updateWebhookBody,
      response: webhookAnswer,
      errors: { ...notFound, VALIDATION_ERROR: urlRefused },
      handler: async ({ principal, params, body, ip }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        const actor = actorOf(principal, ip);
        return { webhook: presentWebhook(await webhooks.update(merchantId, params.webhook_id, actor, body)) };
      },
    }),
    route({
      ...common,
      method: 'delete',
      path: `${base}/{webhook_id}`,
      summary: 'Remove an endpoint and its delivery log',
      params: one,
      status: 204,
      response: z.undefined(),
      errors: notFound,
      handler: async ({ principal, params, ip }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        await webhooks.remove(merchantId, params.webhook_id, actorOf(principal, ip));
        return undefined;
      },
    }),
    route({
      ...common,
      method: 'post',
      path: `${base}/{webhook_id}/rotate-secret`,
      summary: 'A new secret, shown once; for 24 h deliveries carry a signature with each',
      params: one,
      response: secretAnswer,
      noStore: true,
      errors: notFound,
      handler: async ({ principal, params, ip }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        return { secret: await webhooks.rotateSecret(merchantId, params.webhook_id, actorOf(principal, ip)) };
      },
    }),
    route({
      ...common,
      method: 'post',
      path: `${base}/{webhook_id}/test`,
      summary: 'Send a webhook.test event to this endpoint',
      params: one,
      status: 202,
      response: deliveryAnswer,
      errors: { ...notFound, CONFLICT: 'The endpoint is disabled' },
      handler: async ({ principal, params }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        return { delivery: presentDelivery(await webhooks.test(merchantId, params.webhook_id)) };
      },
    }),
    route({
      ...common,
      method: 'get',
      path: `${base}/{webhook_id}/deliveries`,
      summary: 'The delivery log, newest first',
      params: one,
      query: listDeliveriesQuery,
      response: deliveryList,
      errors: notFound,
      handler: async ({ principal, params, query }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        return { items: (await webhooks.deliveries(merchantId, params.webhook_id, query)).map(presentDelivery) };
      },
    }),
    route({
      ...common,
      method: 'post',
      path: `${base}/{webhook_id}/deliveries/{delivery_id}/retry`,
      summary: 'Attempt a delivery again now (same webhook-id)',
      params: merchantPart.extend(deliveryParams.shape),
      status: 202,
      response: deliveryAnswer,
      errors: { ...notFound, CONFLICT: 'The endpoint is disabled' },
      handler: async ({ principal, params }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        const delivery = await webhooks.retry(merchantId, params.webhook_id, params.delivery_id);
        return { delivery: presentDelivery(delivery) };
      },
    }),
  ];
}
