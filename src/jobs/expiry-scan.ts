import { And, IsNull, LessThanOrEqual, MoreThan, type DataSource } from 'typeorm';
import { TerminalDevice } from '../devices/entities';
import type { EventBus } from '../events';
import type { Logger } from '../logger';

const PAGE = 500;

/**
 * Flags every active device whose expiry falls within the warning window and is not flagged yet: sets
 * `expiry_warned_at` and publishes `device.expiring` (realtime turns it into `device:expiring` for dashboards and
 * `expiring` for the device). Works in pages by id. Each row is flagged by a conditional UPDATE
 * (`… WHERE expiry_warned_at IS NULL AND jti = :jti`), so overlapping runs, or runs on several nodes, flag a device
 * once per token, and only the run that flagged it publishes the event.
 */
export async function scanExpiringDevices(
  deps: { db: DataSource; events: EventBus; logger: Logger },
  warningDays: number,
  now = new Date(),
): Promise<number[]> {
  const repo = deps.db.getRepository(TerminalDevice);
  const until = new Date(now.getTime() + warningDays * 86_400_000);
  const flagged: number[] = [];
  let lastId = 0;
  for (;;) {
    const page = await repo.find({
      where: {
        id: MoreThan(lastId),
        revokedAt: IsNull(),
        expiryWarnedAt: IsNull(),
        expiresAt: And(MoreThan(now), LessThanOrEqual(until)),
      },
      order: { id: 'ASC' },
      take: PAGE,
    });
    for (const device of page) {
      const res = await repo.update(
        { id: device.id, jti: device.jti, revokedAt: IsNull(), expiryWarnedAt: IsNull() },
        { expiryWarnedAt: now },
      );
      if (!res.affected) continue;
      device.expiryWarnedAt = now;
      flagged.push(device.id);
      deps.events.emit('device.expiring', { device });
    }
    if (page.length < PAGE) break;
    lastId = page[page.length - 1].id;
  }
  deps.logger.info(
    { job: 'expiry-scan', flagged: flagged.length, device_ids: flagged.slice(0, 100) },
    'expiry scan done',
  );
  return flagged;
}
