/**
 * The wire types a client needs, in one place: REST bodies (inferred from the same zod schemas that validate the
 * answers and generate /openapi.json) and Socket.IO events. The pages (JSDoc `@import`), the reference client and
 * the tests import them from here, so a renamed field breaks their build.
 */
import type { z } from 'zod';
import type { deviceList, pairingAnswer } from './devices/schemas';
import type { sessionAnswer, writeAnswer } from './loyalty/schemas';
import type { loginAnswer, merchantList, storeList, userList } from './tenancy/schemas';
import type { auditList } from './audit/schemas';
import type { alertSettingsSchema } from './alerts/schemas';

export type { ErrorBody, ErrorCode } from './errors';
export type { Device, DeviceState, DeviceStateReport, Pairing } from './devices/schemas';
export type {
  CardBody as Card,
  ProgramBody as Program,
  TransactionBody as Transaction,
} from './loyalty/schemas';
export type { MerchantBody as Merchant, StoreBody as Store, UserBody as User } from './tenancy/schemas';
export type * from './realtime/socket-events';
export type { AuditEventView as AuditEvent } from './audit/schemas';
export type { WebhookView as Webhook, DeliveryView as Delivery } from './webhooks/schemas';
export type { WebhookEventType } from './webhooks/entities';

export type DeviceList = z.infer<typeof deviceList>;
export type PairingAnswer = z.infer<typeof pairingAnswer>;
export type LoginAnswer = z.infer<typeof loginAnswer>;
export type MerchantList = z.infer<typeof merchantList>;
export type StoreList = z.infer<typeof storeList>;
export type UserList = z.infer<typeof userList>;
export type StoreSession = z.infer<typeof sessionAnswer>;
export type CardWriteAnswer = z.infer<typeof writeAnswer>;
export type AuditList = z.infer<typeof auditList>;
export type AlertSettings = z.infer<typeof alertSettingsSchema>;
