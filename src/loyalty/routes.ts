import { actorOf } from '../auth/actor';
import type { Principal } from '../auth/principals';
import type { Services } from '../context';
import { forbidden } from '../errors';
import { portalRoute } from '../http/portals';
import { RawJson, type Route, route } from '../http/route';
import type { Portal } from '../policy';
import { type Answer, replayedHeaders } from './idempotency';
import { presentCard, presentProgram, presentTransaction } from './presenters';
import {
  cardParams,
  cardSchema,
  enrolBody,
  programBody,
  programSchema,
  redeemBody,
  renewalAnswer,
  sessionAnswer,
  stampBody,
  storeHeaders,
  transactionList,
  transactionsQuery,
  writeAnswer,
  writeHeaders,
} from './schemas';

const S = '/api/v1/store/loyalty';
const storeErrors = {
  FORBIDDEN: 'Not allowed for this store (admin, staff of another store, a device naming another store)',
  NOT_FOUND: "Unknown store, or another merchant's",
};
const cardErrors = { ...storeErrors, NOT_FOUND: 'Unknown card (another merchant’s cards are never found) or store' };
const reused = 'IDEMPOTENCY_KEY_REUSED: the key was used with another request';

/** A write's answer exactly as recorded, so that an Idempotency-Key replay is the same bytes. */
const sent = (a: Answer) => new RawJson(a.status, a.body, replayedHeaders(a));

/** `/api/v1/store/loyalty/*`: the store API, for device tokens and store staff / merchant users. */
export function storeLoyaltyRoutes({ loyalty, policy, devices, limits }: Services): Route[] {
  const store = { tag: 'store', auth: 'user_or_device' } as const;
  const scopeOf = (p: Principal | undefined, h: { 'X-Store-Code'?: string }) => policy.storeScope(p, h['X-Store-Code']);

  return [
    route({
      ...store,
      method: 'get',
      path: `${S}/session`,
      summary: 'Who is calling, for which store, and the program',
      headers: storeHeaders,
      response: sessionAnswer,
      errors: storeErrors,
      handler: async ({ principal, headers }) => {
        const sc = await scopeOf(principal, headers);
        return {
          principal: sc.principal,
          store: { id: sc.store.id, code: sc.store.code, name: sc.store.name },
          merchant: { id: sc.merchant.id, name: sc.merchant.name },
          program: presentProgram(await loyalty.getProgram(sc.merchant.id)),
        };
      },
    }),
    route({
      ...store,
      method: 'post',
      path: `${S}/device/token`,
      summary: "Renew the calling device's token (no re-pairing)",
      description:
        'Device tokens only. The device keeps its id and history; its row gets a new jti and expiry (now + ' +
        'DEVICE_TOKEN_TTL) and its expiry flag is cleared. The previous token keeps working until the new one is ' +
        'first used (REST or socket) or 24 hours pass, whichever comes first; then it is INVALID_TOKEN and its ' +
        'sockets get `revoked {reason: "reissued"}`. A renewal replaces an earlier one whose token was never used.',
      noStore: true,
      response: renewalAnswer,
      errors: {
        FORBIDDEN: 'A user token (only a device renews its own token)',
        CONFLICT: 'The device is revoked (`device_revoked`), or renewed concurrently (`device_changed`)',
        RATE_LIMITED: 'Over 5 renewals per device per hour',
      },
      handler: async ({ principal, ip }) => {
        if (principal?.kind !== 'device') throw forbidden();
        // Keyed by the row (id and creation instant): a device id reused by another database never inherits counts.
        await limits.renewalPerDevice.take(`${principal.id}:${principal.device.createdAt.getTime()}`);
        const { device, token } = await devices.renew(principal.id, actorOf(principal, ip));
        return { auth_token: token, expires_at: device.expiresAt.toISOString() };
      },
    }),
    route({
      ...store,
      method: 'get',
      path: `${S}/program`,
      summary: 'The merchant\'s program (the default, 10 stamps for "Free reward", until one is set)',
      headers: storeHeaders,
      response: programSchema,
      errors: storeErrors,
      handler: async ({ principal, headers }) =>
        presentProgram(await loyalty.getProgram((await scopeOf(principal, headers)).merchant.id)),
    }),
    route({
      ...store,
      method: 'post',
      path: `${S}/cards`,
      summary: 'Enrol a card; a 12-digit number is generated when card_number is absent',
      description: 'Card numbers are unique per merchant, upper-cased, and usable in every store of the merchant.',
      headers: writeHeaders,
      body: enrolBody,
      status: 201,
      response: writeAnswer,
      errors: {
        ...storeErrors,
        CONFLICT: 'The card number is taken (`card_number_taken`)',
        IDEMPOTENCY_KEY_REUSED: reused,
      },
      handler: async ({ principal, headers, body }) => {
        const sc = await scopeOf(principal, headers);
        const input = { cardNumber: body.card_number, customerName: body.customer_name ?? null };
        return sent(await loyalty.enrol(sc, input, headers['Idempotency-Key']));
      },
    }),
    route({
      ...store,
      method: 'get',
      path: `${S}/cards/{card_number}`,
      summary: 'Look a card up',
      headers: storeHeaders,
      params: cardParams,
      response: cardSchema,
      errors: cardErrors,
      handler: async ({ principal, headers, params }) => {
        const sc = await scopeOf(principal, headers);
        return presentCard(await loyalty.getCard(sc.merchant.id, params.card_number));
      },
    }),
    route({
      ...store,
      method: 'post',
      path: `${S}/cards/{card_number}/stamps`,
      summary: 'Add 1 to 20 stamps (atomic: concurrent stamps all count)',
      headers: writeHeaders,
      params: cardParams,
      body: stampBody,
      status: 201,
      response: writeAnswer,
      errors: { ...cardErrors, IDEMPOTENCY_KEY_REUSED: reused },
      handler: async ({ principal, headers, params, body }) => {
        const sc = await scopeOf(principal, headers);
        return sent(await loyalty.stamp(sc, params.card_number, body.count, headers['Idempotency-Key']));
      },
    }),
    route({
      ...store,
      method: 'post',
      path: `${S}/cards/{card_number}/redeem`,
      summary: 'Spend stamps_required stamps for one reward',
      description:
        'Atomic: a balance never goes below zero; of two concurrent redemptions of the last reward one is 201, the other 409.',
      headers: writeHeaders,
      params: cardParams,
      body: redeemBody,
      status: 201,
      response: writeAnswer,
      errors: {
        ...cardErrors,
        INSUFFICIENT_STAMPS: 'Not enough stamps (details: stamps, stamps_required)',
        IDEMPOTENCY_KEY_REUSED: reused,
      },
      handler: async ({ principal, headers, params }) => {
        const sc = await scopeOf(principal, headers);
        return sent(await loyalty.redeem(sc, params.card_number, headers['Idempotency-Key']));
      },
    }),
    route({
      ...store,
      method: 'get',
      path: `${S}/transactions`,
      summary: "This store's transactions, newest first",
      headers: storeHeaders,
      query: transactionsQuery,
      response: transactionList,
      errors: storeErrors,
      handler: async ({ principal, headers, query }) => {
        const items = await loyalty.listTransactions(await scopeOf(principal, headers), query.limit);
        return { items: items.map((i) => presentTransaction(i.transaction, i.cardNumber)) };
      },
    }),
  ];
}

/** `GET|PUT /api/v1/merchants/loyalty/program` and the admin on-behalf twin. */
export function programRoutes({ loyalty, policy }: Services, portal: Portal): Route[] {
  const common = {
    ...portalRoute(portal, 'loyalty/program', 'loyalty program'),
    response: programSchema,
  } as const;
  return [
    route({
      ...common,
      method: 'get',
      summary: 'The loyalty program',
      handler: async ({ principal, params }) =>
        presentProgram(await loyalty.getProgram(await policy.portalMerchant(principal, portal, params.merchant_id))),
    }),
    route({
      ...common,
      method: 'put',
      summary: 'Set the loyalty program',
      description: 'Balances stay as they are; the next redemption uses the new stamps_required.',
      body: programBody,
      handler: async ({ principal, params, body, ip }) => {
        const merchantId = await policy.portalMerchant(principal, portal, params.merchant_id);
        const input = { stampsRequired: body.stamps_required, rewardLabel: body.reward_label };
        return presentProgram(await loyalty.setProgram(merchantId, actorOf(principal, ip), input));
      },
    }),
  ];
}
