import { randomUUID } from 'node:crypto';
import { bearer, type TestHub } from '../helpers';

const BASE = '/api/v1/store/loyalty';

/**
 * The store API as one caller sees it: a device token (its own store), or a user token acting for `storeCode`.
 * `post` sends `Idempotency-Key` when `key` is given.
 */
export function storeApi(t: TestHub, token: string, storeCode?: string) {
  const headers: Record<string, string> = { ...bearer(token), ...(storeCode ? { 'X-Store-Code': storeCode } : {}) };
  return {
    get: (path: string) => t.http.get(`${BASE}${path}`).set(headers),
    post: (path: string, body?: object, key?: string) => {
      const req = t.http.post(`${BASE}${path}`).set(headers);
      if (key) req.set('Idempotency-Key', key);
      return body === undefined ? req : req.send(body);
    },
  };
}
export type StoreApi = ReturnType<typeof storeApi>;

/** Enrols a card and returns its number. */
export async function enrol(api: StoreApi, body: object = {}): Promise<string> {
  return (await api.post('/cards', body).expect(201)).body.card.card_number;
}

export const newKey = () => randomUUID();
