import type { ApiOp } from '../http/openapi';
import { enrolBody, programBody, stampBody, transactionsQuery } from './schemas';

const S = '/api/v1/store/loyalty';
const storeHeader = { 'X-Store-Code': 'The store to act for (user tokens only; a device acts for its own store)' };
const writeHeaders = {
  ...storeHeader,
  'Idempotency-Key':
    'Optional, 1 to 255 visible ASCII characters (a UUID), scoped to the store and kept 24 h: a retry with the same key and request returns the first answer (status and body) and changes nothing; the same key with another request is 409 IDEMPOTENCY_KEY_REUSED. A replay carries Idempotent-Replayed: true.',
};
const storeErrors = {
  401: 'Not authenticated, revoked or expired device',
  403: 'Not allowed for this store (admin, staff of another store, a device naming another store)',
  404: "Unknown store, or another merchant's",
};
const cardErrors = {
  ...storeErrors,
  404: 'Unknown card (cards of another merchant are never found), or unknown store',
};
const idempotencyErrors = { 409: 'IDEMPOTENCY_KEY_REUSED: the key was used with another request' };
const store = (op: Omit<ApiOp, 'tag' | 'auth'>): ApiOp => ({
  tag: 'store',
  auth: 'user_or_device',
  headers: storeHeader,
  ...op,
});

const PROGRAM_BASES = [
  {
    path: '/api/v1/merchants/loyalty/program',
    tag: 'loyalty program (merchant portal)',
    who: "the merchant user's own merchant",
  },
  {
    path: '/api/v1/admin/merchants/{merchant_id}/loyalty/program',
    tag: 'loyalty program (admin on behalf)',
    who: 'the merchant in the path',
  },
];
const portalErrors = { 401: 'Not authenticated', 403: 'Wrong role, or a device token', 404: 'Unknown merchant' };

export const loyaltyDocs: ApiOp[] = [
  store({
    method: 'get',
    path: `${S}/session`,
    summary: 'Who is calling, for which store, and the program',
    responses: {
      200: '{principal: {kind, id}, store: {id, code, name}, merchant: {id, name}, program}',
      ...storeErrors,
    },
  }),
  store({
    method: 'get',
    path: `${S}/program`,
    summary: 'The merchant\'s program (the default, 10 stamps for "Free reward", until one is set)',
    responses: { 200: '{stamps_required, reward_label, is_default}', ...storeErrors },
  }),
  store({
    method: 'post',
    path: `${S}/cards`,
    headers: writeHeaders,
    summary: 'Enrol a card; a 12-digit number is generated when card_number is absent',
    description: 'Card numbers are unique per merchant, upper-cased, and usable in every store of the merchant.',
    body: enrolBody,
    responses: {
      201: '{transaction, card}',
      400: 'Validation error',
      ...storeErrors,
      409: 'CONFLICT (card_number_taken) or IDEMPOTENCY_KEY_REUSED',
    },
  }),
  store({
    method: 'get',
    path: `${S}/cards/{card_number}`,
    summary: 'Look a card up',
    responses: {
      200: '{card_number, customer_name, stamps, rewards_redeemed, created_at}',
      400: 'Validation error',
      ...cardErrors,
    },
  }),
  store({
    method: 'post',
    path: `${S}/cards/{card_number}/stamps`,
    headers: writeHeaders,
    summary: 'Add 1 to 20 stamps (atomic: concurrent stamps all count)',
    body: stampBody,
    responses: { 201: '{transaction, card}', 400: 'Validation error', ...cardErrors, ...idempotencyErrors },
  }),
  store({
    method: 'post',
    path: `${S}/cards/{card_number}/redeem`,
    headers: writeHeaders,
    summary: 'Spend stamps_required stamps for one reward',
    description:
      'Atomic: a balance never goes below zero; of two concurrent redemptions of the last reward one is 201, the other 409.',
    responses: {
      201: '{transaction, card}',
      ...cardErrors,
      409: 'INSUFFICIENT_STAMPS (details: stamps, stamps_required) or IDEMPOTENCY_KEY_REUSED',
    },
  }),
  store({
    method: 'get',
    path: `${S}/transactions`,
    summary: "This store's transactions, newest first",
    query: transactionsQuery,
    responses: {
      200: '{items: [{id, type, delta, card_number, store_id, device_id, acting_user_id, created_at}]}',
      400: 'Validation error',
      ...storeErrors,
    },
  }),
  ...PROGRAM_BASES.flatMap(({ path, tag, who }): ApiOp[] => [
    {
      method: 'get',
      path,
      tag,
      auth: 'user',
      summary: 'The loyalty program',
      description: `Acts on ${who}.`,
      responses: { 200: '{stamps_required, reward_label, is_default}', ...portalErrors },
    },
    {
      method: 'put',
      path,
      tag,
      auth: 'user',
      summary: 'Set the loyalty program',
      description: `Acts on ${who}. Balances stay as they are; the next redemption uses the new stamps_required.`,
      body: programBody,
      responses: { 200: '{stamps_required, reward_label, is_default}', 400: 'Validation error', ...portalErrors },
    },
  ]),
];
