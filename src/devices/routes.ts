import { z } from 'zod';
import { actorOf } from '../auth/actor';
import type { Services } from '../context';
import { idParam } from '../http/schema-parts';
import { type Route, route } from '../http/route';
import type { Portal } from '../policy';
import { presentDevice } from './presenter';
import {
  deviceAnswer,
  deviceList,
  deviceParams,
  listDevicesQuery,
  pairBody,
  pairingAnswer,
  renameBody,
  revokeBody,
} from './schemas';

export const DEVICE_PORTALS = {
  merchant: {
    base: '/api/v1/merchants/loyalty/devices',
    tag: 'devices (merchant portal)',
    who: "Acts on the merchant user's own merchant.",
  },
  admin: {
    base: '/api/v1/admin/merchants/{merchant_id}/loyalty/devices',
    tag: 'devices (admin on behalf)',
    who: 'Acts on the merchant in the path; the admin is recorded as the actor.',
  },
} as const;

/** `{merchant_id}` of the admin base, if any. */
const merchantPart = { merchant_id: idParam.optional() };
const baseParams = z.object(merchantPart);
const oneParams = deviceParams.extend(merchantPart);
const notFound = { NOT_FOUND: "Unknown device, store or merchant, or another merchant's" };

/**
 * The device endpoints, defined once for both portals: `merchant` acts on the user's own merchant, `admin` on the
 * merchant in the path (recording the admin as the actor). The policy decides which merchant a call acts on.
 */
export function deviceRoutes({ devices, policy, config, limits }: Services, portal: Portal): Route[] {
  const { base, tag, who } = DEVICE_PORTALS[portal];
  const roles = [portal];
  const present = (v: Parameters<typeof presentDevice>[0]) => presentDevice(v, config.expiryWarningDays);
  const merchantOf = (principal: Parameters<typeof policy.portalMerchant>[0], id: number | undefined) =>
    policy.portalMerchant(principal, portal, id);
  /** Pairing and reissue sign a token and render a QR (~80 ms of CPU): limited per user and per merchant. */
  const signing = async (userId: number, merchantId: number) => {
    await limits.pairingPerUser.take(userId);
    await limits.pairingPerMerchant.take(merchantId);
  };
  const signingLimit = { RATE_LIMITED: `Over PAIRINGS_PER_MINUTE for this user (or four times that for the merchant)` };

  return [
    route({
      method: 'get',
      path: base,
      tag,
      roles,
      auth: 'user',
      summary: 'List devices, newest first',
      description: who,
      params: baseParams,
      query: listDevicesQuery,
      response: deviceList,
      errors: notFound,
      handler: async ({ principal, params, query: q }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        const filter = { storeId: q.store_id, status: q.status, limit: q.limit, offset: q.offset };
        const { items, total } = await devices.list(merchantId, filter);
        return { items: items.map(present), total };
      },
    }),
    route({
      method: 'post',
      path: base,
      tag,
      roles,
      auth: 'user',
      summary: 'Pair a new device to a store; the token is shown once',
      description: `${who} The answer carries the only copy of the token: Cache-Control: no-store.`,
      params: baseParams,
      body: pairBody,
      status: 201,
      noStore: true,
      response: pairingAnswer,
      errors: { ...notFound, ...signingLimit },
      handler: async ({ principal, params, body, ip }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        await signing(principal!.id, merchantId);
        const { view, pairing } = await devices.pair(merchantId, actorOf(principal, ip), {
          storeId: body.store_id,
          label: body.label,
        });
        return { device: present(view), pairing };
      },
    }),
    route({
      method: 'get',
      path: `${base}/{device_id}`,
      tag,
      roles,
      auth: 'user',
      summary: 'One device',
      description: who,
      params: oneParams,
      response: deviceAnswer,
      errors: notFound,
      handler: async ({ principal, params }) => ({
        device: present(await devices.get(await merchantOf(principal, params.merchant_id), params.device_id)),
      }),
    }),
    route({
      method: 'patch',
      path: `${base}/{device_id}`,
      tag,
      roles,
      auth: 'user',
      summary: 'Rename a device',
      description: who,
      params: oneParams,
      body: renameBody,
      response: deviceAnswer,
      errors: notFound,
      handler: async ({ principal, params, body, ip }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        const view = await devices.rename(merchantId, params.device_id, body.label, actorOf(principal, ip));
        return { device: present(view) };
      },
    }),
    route({
      method: 'post',
      path: `${base}/{device_id}/revoke`,
      tag,
      roles,
      auth: 'user',
      summary: 'Revoke now (idempotent: the first revoked_at, actor and reason stay)',
      description: `${who} The token is refused on its next request and its sockets are dropped, on every node.`,
      params: oneParams,
      body: revokeBody,
      response: deviceAnswer,
      errors: notFound,
      handler: async ({ principal, params, body, ip }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        const view = await devices.revoke(merchantId, params.device_id, actorOf(principal, ip), body.reason);
        return { device: present(view) };
      },
    }),
    route({
      method: 'post',
      path: `${base}/{device_id}/reissue`,
      tag,
      roles,
      auth: 'user',
      summary: 'New token and QR for the same device; the old token is refused at once, its sockets dropped',
      description: `${who} Cache-Control: no-store.`,
      params: oneParams,
      noStore: true,
      response: pairingAnswer,
      errors: { ...notFound, ...signingLimit, CONFLICT: 'The device is revoked (`device_revoked`)' },
      handler: async ({ principal, params, ip }) => {
        const merchantId = await merchantOf(principal, params.merchant_id);
        await signing(principal!.id, merchantId);
        const { view, pairing } = await devices.reissue(merchantId, params.device_id, actorOf(principal, ip));
        return { device: present(view), pairing };
      },
    }),
  ];
}
