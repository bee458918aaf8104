/**
 * The wire types a client needs, in one place: REST bodies and Socket.IO events. The pages (JSDoc `@import`),
 * the reference client and the tests import them from here, so a renamed field breaks their build.
 */
import type { PresentedDevice } from './devices/presenter';
import type { Pairing } from './devices/service';
import type { presentMerchant, presentStore, presentUser } from './tenancy/presenters';

export type { ErrorBody, ErrorCode } from './errors';
export type { PresentedDevice as Device } from './devices/presenter';
export type * from './realtime/socket-events';

// REST bodies the pages read, derived from the presenters' return types.
export type { Pairing } from './devices/service';
export type Merchant = ReturnType<typeof presentMerchant>;
export type Store = ReturnType<typeof presentStore>;
export type User = ReturnType<typeof presentUser>;
/** `POST /api/v1/auth/login` */
export type LoginAnswer = { token: string; expires_at: string; user: User };
/** A list without paging (`GET …/stores`). */
export type Items<T> = { items: T[] };
/** A paged list (`GET …?limit&offset`): one page of items and the total. */
export type List<T> = { items: T[]; total: number };
/** `POST …/devices` (pair) and `POST …/devices/{id}/reissue`: the device and its one-time pairing secret. */
export type PairingAnswer = { device: PresentedDevice; pairing: Pairing };
