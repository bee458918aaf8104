import type { DataSource } from 'typeorm';
import type { Keyring } from './auth/keyring';
import type { Tokens } from './auth/tokens';
import type { Config } from './config';
import type { DeviceService } from './devices/service';
import type { EventBus } from './events';
import type { Logger } from './logger';
import type { LoyaltyService } from './loyalty/service';
import type { Metrics } from './metrics';
import type { TenancyService } from './tenancy/service';

/** What the composition root (src/server.ts) builds once and hands to routes, sockets and jobs. */
export interface AppContext {
  config: Config;
  db: DataSource;
  logger: Logger;
  events: EventBus;
  metrics: Metrics;
  keyring: Keyring;
  tokens: Tokens;
  tenancy: TenancyService;
  devices: DeviceService;
  loyalty: LoyaltyService;
  /** Extra readiness checks (Redis, when configured). */
  readiness: Array<() => Promise<void>>;
}
