import { createServer } from '../server';
import { runCommand } from './common';

// npm run job:expiry — runs the expiry scan once, now, outside the schedule.
// It builds the same server as `npm start` without listening: with REDIS_URL, `device:expiring` and `expiring`
// reach the dashboards and tablets connected to every node through the Socket.IO Redis adapter. Without Redis
// (one process), the running server cannot be reached: devices are flagged (`expiring_soon` shows on the next
// load) but nobody is told live.
void runCommand('npm run job:expiry', {}, async ({ config, logger }) => {
  const hub = await createServer(config, { scheduleJobs: false, logger });
  try {
    const flagged = await hub.jobs.runExpiryScan();
    await hub.ctx.events.idle();
    process.stdout.write(
      `Flagged ${flagged.length} device(s) expiring within ${config.expiryWarningDays} days${flagged.length ? `: ${flagged.join(', ')}` : ''}.\n`,
    );
    if (flagged.length && !config.redisUrl)
      process.stdout.write(
        'No REDIS_URL: dashboards see expiring_soon on their next load; no live events were sent.\n',
      );
  } finally {
    await hub.close();
  }
});
