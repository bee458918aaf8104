import type { DataSource } from 'typeorm';
import type { Keyring } from './auth/keyring';
import type { AlertService } from './alerts/service';
import type { AuditService } from './audit/service';
import type { Tokens } from './auth/tokens';
import type { CommandService } from './commands/service';
import type { Config } from './config';
import type { DeviceService } from './devices/service';
import type { EventBus } from './events';
import type { Logger } from './logger';
import type { Limits } from './limits';
import type { LoyaltyService } from './loyalty/service';
import type { Metrics } from './metrics';
import type { Policy } from './policy';
import type { TenancyService } from './tenancy/service';
import type { WebhookService } from './webhooks/service';

/**
 * What transports (routes, sockets, jobs) receive from the composition root: the services and the cross-cutting
 * pieces, never the database. Each factory picks the few it uses.
 */
export interface Services {
  config: Config;
  logger: Logger;
  events: EventBus;
  metrics: Metrics;
  tokens: Tokens;
  policy: Policy;
  limits: Limits;
  tenancy: TenancyService;
  devices: DeviceService;
  loyalty: LoyaltyService;
  commands: CommandService;
  audit: AuditService;
  webhooks: WebhookService;
  alerts: AlertService;
  /** Readiness checks: the database, and Redis when configured. */
  readiness: Array<{ name: string; check: () => Promise<unknown> }>;
}

/** The composition root's own view: the services plus the database and keyring (operator commands, tests). */
export interface AppContext extends Services {
  db: DataSource;
  keyring: Keyring;
}
