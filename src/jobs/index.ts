import Redis from 'ioredis';
import cron from 'node-cron';
import type { AppContext } from '../context';
import { scanExpiringDevices } from './expiry-scan';
import { RedisRunCoordinator } from './lock';

export interface Jobs {
  /** Runs the expiry scan now (the operator command and tests). */
  runExpiryScan(): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * The scheduled jobs. With REDIS_URL, every tick is coordinated through Redis so exactly one node runs it;
 * without, one process runs every tick. Runs never overlap within a process (noOverlap).
 */
export function startJobs(ctx: AppContext, opts: { schedule?: boolean } = {}): Jobs {
  const { config, logger, metrics } = ctx;
  const runs = metrics.counter('expiry_scan_runs_total', 'Expiry scan ticks by outcome (ran, skipped: another node ran it, failed)', ['outcome']);
  const flaggedTotal = metrics.counter('expiry_scan_flagged_total', 'Devices flagged as nearing expiry');
  const runExpiryScan = async () => {
    const ids = await scanExpiringDevices(ctx, config.expiryWarningDays);
    flaggedTotal.inc(ids.length);
    return ids;
  };

  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false }) : undefined;
  redis?.on('error', (err) => logger.warn({ err: err.message }, 'job lock redis error'));
  const task =
    opts.schedule === false
      ? undefined
      : cron.schedule(
          config.expiryScanCron,
          async () => {
            try {
              await runExpiryScan();
              runs.inc({ outcome: 'ran' });
            } catch (err) {
              runs.inc({ outcome: 'failed' });
              logger.error({ err, job: 'expiry-scan' }, 'expiry scan failed');
            }
          },
          {
            name: 'expiry-scan',
            noOverlap: true,
            distributed: Boolean(redis),
            runCoordinator: redis ? new RedisRunCoordinator(redis) : undefined,
            distributedLease: 10 * 60_000,
            logger: { info: () => undefined, debug: () => undefined, warn: (m) => logger.warn({ job: 'expiry-scan' }, String(m)), error: (m) => logger.error({ job: 'expiry-scan' }, String(m)) },
          },
        );
  task?.on('execution:skipped', () => runs.inc({ outcome: 'skipped' }));

  return {
    runExpiryScan,
    async stop() {
      await task?.destroy();
      await redis?.quit().catch(() => undefined);
    },
  };
}
