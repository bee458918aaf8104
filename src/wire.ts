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

// REST bodies the pages read, derived from the presenters' return types (same names as the schema-derived ones).
export type { Pairing } from './devices/service';
export type Merchant = ReturnType<typeof presentMerchant>;
export type Store = ReturnType<typeof presentStore>;
export type User = ReturnType<typeof presentUser>;
/** `POST /api/v1/auth/login` */
export type LoginAnswer = { token: string; expires_at: string; user: User };
/** `POST …/devices` (pair) and `POST …/devices/{id}/reissue`: the device and its one-time pairing secret. */
export type PairingAnswer = { device: PresentedDevice; pairing: Pairing };
/** `GET …/devices?limit&offset` */
export type DeviceList = { items: PresentedDevice[]; total: number };
/** `GET /api/v1/admin/merchants?limit&offset` */
export type MerchantList = { items: Merchant[]; total: number };
/** `GET …/stores` (not paged) */
export type StoreList = { items: Store[] };
/** `GET /api/v1/admin/merchants/{id}/users?limit&offset` */
export type UserList = { items: User[]; total: number };
