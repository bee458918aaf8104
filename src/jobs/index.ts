import type { Redis } from 'ioredis';
import cron, { type ScheduledTask } from 'node-cron';
import type { Services } from '../context';
import { RedisRunCoordinator } from './lock';

/** When the Idempotency-Key purge runs: hourly, at a minute the expiry scan's default does not use. */
export const IDEMPOTENCY_PURGE_CRON = '17 * * * *';
/** The command sweeper: every 10 seconds (reads already show an overdue command as expired). */
export const COMMAND_EXPIRY_CRON = '*/10 * * * * *';
/** The offline alert check: every 5 seconds. */
export const OFFLINE_ALERT_CRON = '*/5 * * * * *';
/** The webhook log purge (events and deliveries older than WEBHOOK_RETENTION_DAYS): daily at 04:13. */
export const WEBHOOK_PURGE_CRON = '13 4 * * *';
/** The audit retention purge: daily at 03:41. */
export const AUDIT_PURGE_CRON = '41 3 * * *';

export interface Jobs {
  /** Runs the expiry scan now (the operator command and tests). */
  runExpiryScan(): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * The scheduled jobs: the expiry scan (EXPIRY_SCAN_CRON) and the purge of Idempotency-Key answers older than 24 h.
 * With Redis (the node's command connection), every tick is coordinated through Redis so exactly one node runs it; without, one process runs
 * every tick. Runs never overlap within a process (noOverlap).
 */
export function startJobs(
  services: Pick<
    Services,
    'config' | 'logger' | 'metrics' | 'devices' | 'loyalty' | 'commands' | 'audit' | 'alerts' | 'webhooks'
  >,
  opts: { schedule?: boolean; redis?: Redis } = {},
): Jobs {
  const { config, logger, metrics, devices, loyalty, commands, audit, alerts, webhooks } = services;
  const runs = metrics.counter(
    'job_runs_total',
    'Scheduled job ticks by job and outcome (ran, skipped: another node ran it, failed)',
    ['job', 'outcome'],
  );
  const flaggedTotal = metrics.counter('expiry_scan_flagged_total', 'Devices flagged as nearing expiry');
  const runExpiryScan = async () => {
    const ids = await devices.flagExpiring(config.expiryWarningDays);
    flaggedTotal.inc(ids.length);
    logger.info({ job: 'expiry-scan', flagged: ids.length, device_ids: ids.slice(0, 100) }, 'expiry scan done');
    return ids;
  };

  const coordinator = opts.redis ? new RedisRunCoordinator(opts.redis) : undefined;

  const schedule = (job: string, expression: string, fn: () => Promise<unknown>): ScheduledTask => {
    const task = cron.schedule(
      expression,
      async () => {
        try {
          await fn();
          runs.inc({ job, outcome: 'ran' });
        } catch (err) {
          runs.inc({ job, outcome: 'failed' });
          logger.error({ err, job }, 'scheduled job failed');
        }
      },
      {
        name: job,
        noOverlap: true,
        distributed: Boolean(coordinator),
        runCoordinator: coordinator,
        distributedLease: 10 * 60_000,
        logger: {
          info: () => undefined,
          debug: () => undefined,
          warn: (m) => logger.warn({ job }, String(m)),
          error: (m) => logger.error({ job }, String(m)),
        },
      },
    );
    task.on('execution:skipped', () => runs.inc({ job, outcome: 'skipped' }));
    return task;
  };

  const tasks =
    opts.schedule === false
      ? []
      : [
          schedule('expiry-scan', config.expiryScanCron, runExpiryScan),
          schedule('idempotency-purge', IDEMPOTENCY_PURGE_CRON, async () => {
            const purged = await loyalty.purgeIdempotencyKeys();
            logger.info({ job: 'idempotency-purge', purged }, 'idempotency keys purged');
          }),
          schedule('command-expiry', COMMAND_EXPIRY_CRON, async () => {
            const expired = await commands.expireDue();
            if (expired) logger.info({ job: 'command-expiry', expired }, 'commands expired');
          }),
          schedule('offline-alerts', OFFLINE_ALERT_CRON, async () => {
            const raised = await alerts.check();
            if (raised) logger.info({ job: 'offline-alerts', raised }, 'offline alerts raised');
          }),
          schedule('webhook-purge', WEBHOOK_PURGE_CRON, async () => {
            const purged = await webhooks.purge(new Date(Date.now() - config.webhookRetentionDays * 86_400_000));
            logger.info({ job: 'webhook-purge', purged }, 'webhook events past retention purged');
          }),
          schedule('audit-purge', AUDIT_PURGE_CRON, async () => {
            const purged = await audit.purge(new Date(Date.now() - config.auditRetentionDays * 86_400_000));
            logger.info({ job: 'audit-purge', purged }, 'audit entries past retention purged');
          }),
        ];

  return {
    runExpiryScan,
    async stop() {
      await Promise.all(tasks.map((t) => t.destroy()));
    },
  };
}
