import type { Express } from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlertService } from './alerts/service';
import { AuditService } from './audit/service';
import { auditSubscriber } from './audit/subscriber';
import { Keyring } from './auth/keyring';
import { Tokens } from './auth/tokens';
import { CommandService } from './commands/service';
import type { Config } from './config';
import type { AppContext, Services } from './context';
import { openDatabase } from './db/open';
import { DeviceService } from './devices/service';
import { EventBus } from './events';
import { createApp, type Mount } from './http/app';
import { startJobs, type Jobs } from './jobs';
import { createLogger, type Logger } from './logger';
import { createLimits } from './limits';
import { LoyaltyService } from './loyalty/service';
import { Policy } from './policy';
import { Metrics } from './metrics';
import { createRealtime } from './realtime';
import { openRedis } from './realtime/redis';
import { TenancyService } from './tenancy/service';
import { WebhookDispatcher } from './webhooks/dispatcher';
import { WebhookOutbox } from './webhooks/outbox';
import { WebhookService } from './webhooks/service';
import { webhookSubscriber } from './webhooks/subscriber';

export interface TerminalHub {
  ctx: AppContext;
  app: Express;
  httpServer: http.Server;
  mounts: Mount[];
  jobs: Jobs;
  /** Listens on config.port (0: any free port) and returns the port. */
  listen(port?: number): Promise<number>;
  /** Graceful: stops accepting, closes sockets and jobs, flushes, closes the database. */
  close(): Promise<void>;
}

/** The composition root: config → database → services → HTTP app. main.ts and the tests both build the server here. */
export async function createServer(
  config: Config,
  opts: { logger?: Logger; scheduleJobs?: boolean } = {},
): Promise<TerminalHub> {
  const logger = opts.logger ?? createLogger(config.logLevel, config.logFormat);
  const keyring = Keyring.load(config);
  const db = await openDatabase(config, { logger });
  const metrics = new Metrics();
  const events = new EventBus(logger);
  const tokens = new Tokens(keyring, db, config.userTokenTtlMs, events);
  const tenancy = new TenancyService(db);
  // One set of Redis connections per node (commands, adapter pub/sub), shared by realtime and the job lock.
  const redis = config.redisUrl ? openRedis(config.redisUrl, logger) : undefined;
  const realtime = createRealtime(config, logger, redis);
  const devices = new DeviceService(db, tokens, events, config, realtime.presence, tenancy);
  const loyalty = new LoyaltyService(db, events);
  const commands = new CommandService(db, events, devices);
  const audit = new AuditService(db, logger);
  auditSubscriber(events, audit);
  // Connection entries are batched: one multi-row INSERT per LAST_SEEN_FLUSH_MS (a failed batch is kept).
  const auditFlush = setInterval(() => void audit.flush(), config.lastSeenFlushMs);
  auditFlush.unref();
  // Webhooks: events into the outbox (in the change's transaction, or batched), delivered by every node's dispatcher.
  const outbox = new WebhookOutbox(db, logger);
  webhookSubscriber(events, outbox, devices, config.expiryWarningDays);
  const dispatcher = new WebhookDispatcher(db, events, logger, metrics, {
    allowPrivate: config.webhookAllowPrivate,
    pollMs: config.webhookPollMs,
  });
  const webhooks = new WebhookService(db, events, outbox, config.webhookAllowPrivate);
  outbox.onStored = webhooks.onDue = () => dispatcher.kick();
  const outboxFlush = setInterval(() => void outbox.flush(), config.webhookPollMs);
  outboxFlush.unref();
  dispatcher.start();
  const alerts = new AlertService(db, events, realtime.presence, config.lastSeenFlushMs);
  // An alerted outage ends when its device comes back (the announcing node; no query unless it was alerted).
  events.on('device.presence', ({ row, online }) => (online ? alerts.cameOnline(row) : undefined));
  // A revoked device's unfinished commands are canceled (each a `command.updated`), by whoever revoked it.
  events.on('device.revoked', ({ device, actor }) => commands.cancelAllFor(device.id, actor));
  const policy = new Policy(tenancy);
  const readiness: AppContext['readiness'] = [{ name: 'database', check: () => db.query('SELECT 1') }];
  if (redis) readiness.push({ name: 'redis', check: () => redis.cmd.ping() });
  // What transports get: the services, never the database. The hub's own context adds the database and keyring.
  const services: Services = {
    config,
    logger,
    events,
    metrics,
    tokens,
    tenancy,
    devices,
    loyalty,
    commands,
    audit,
    webhooks,
    alerts,
    policy,
    limits: createLimits(config, redis?.cmd),
    readiness,
  };
  const ctx: AppContext = { ...services, db, keyring };

  const { app, mounts } = createApp(services);
  const httpServer = http.createServer(app);
  httpServer.keepAliveTimeout = 65_000;
  httpServer.headersTimeout = 66_000;
  await realtime.attach(httpServer, services);
  const jobs = startJobs(services, { schedule: opts.scheduleJobs, redis: redis?.cmd });

  let closed = false;
  return {
    ctx,
    app,
    httpServer,
    mounts,
    jobs,
    listen: (port = config.port) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, () => resolve((httpServer.address() as AddressInfo).port));
      }),
    async close() {
      if (closed) return;
      closed = true;
      // Each step timed, for the log line that ends a shutdown (what a restart under load waits for).
      const ms: Record<string, number> = {};
      let last = performance.now();
      const step = (name: string) => {
        const t = performance.now();
        ms[name] = Math.round(t - last);
        last = t;
      };
      await jobs.stop();
      step('jobs');
      await realtime.close(step);
      clearInterval(auditFlush);
      clearInterval(outboxFlush);
      await events.idle();
      await Promise.all([audit.flush(), outbox.flush()]);
      await dispatcher.stop();
      step('batches');
      if (outbox.buffered) logger.error({ lost: outbox.buffered }, 'webhook events not stored before shutdown');
      if (audit.buffered) logger.error({ lost: audit.buffered }, 'audit entries not written before shutdown');
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
      await redis?.quit();
      await db.destroy();
      step('connections');
      logger.info({ ms }, 'shut down');
    },
  };
}
