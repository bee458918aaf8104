import type { ApiOp } from '../http/openapi';

const storeHeader = { 'X-Store-Code': 'The store to act for (user tokens only; a device acts for its own store)' };

export const loyaltyDocs: ApiOp[] = [
  { method: 'get', path: '/api/v1/store/loyalty/session', tag: 'store', auth: 'user_or_device', headers: storeHeader, summary: 'Who is calling, for which store', responses: { 200: '{principal, store, merchant, program}', 401: 'Not authenticated, revoked or expired device', 403: 'Not allowed for this store', 404: 'Unknown store' } },
];
