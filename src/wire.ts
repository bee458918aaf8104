/**
 * The wire types a client needs, in one place: REST bodies and Socket.IO events. The pages (JSDoc `@import`),
 * the reference client and the tests import them from here, so a renamed field breaks their build.
 */
export type { ErrorBody, ErrorCode } from './errors';
export type { Device, Pairing } from './devices/schemas';
export type * from './realtime/socket-events';
