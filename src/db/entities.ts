import { AuditEvent } from '../audit/entities';
import { DeviceCommand } from '../commands/entities';
import { TerminalDevice } from '../devices/entities';
import { IdempotencyKey, LoyaltyCard, LoyaltyProgram, LoyaltyTransaction } from '../loyalty/entities';
import { Merchant, Store, User, UserStore } from '../tenancy/entities';
import { WebhookDelivery, WebhookEndpoint, WebhookEvent } from '../webhooks/entities';

export const entities = [
  Merchant,
  Store,
  User,
  UserStore,
  TerminalDevice,
  LoyaltyProgram,
  LoyaltyCard,
  LoyaltyTransaction,
  IdempotencyKey,
  DeviceCommand,
  AuditEvent,
  WebhookEndpoint,
  WebhookEvent,
  WebhookDelivery,
];
