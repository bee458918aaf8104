import { type DataSource, IsNull, LessThanOrEqual, MoreThan, Not } from 'typeorm';
import { type Actor, SYSTEM_ACTOR } from '../auth/actor';
import { transaction } from '../db/transaction';
import { TerminalDevice } from '../devices/entities';
import type { PresenceReader } from '../devices/presence-reader';
import { notFound } from '../errors';
import type { EventBus } from '../events';
import { Merchant } from '../tenancy/entities';

/** Devices looked at per merchant and check (the oldest outages first). */
const CHECK_LIMIT = 500;

/**
 * Offline alerts (§13). A merchant sets `offline_after_s`; the check (the scheduler, one node per tick) finds its
 * active devices that have been online (a `last_seen_at`), are offline on every node and have not been heard from
 * for that long, and raises `device.offline_alert` for each with a conditional update (`offline_alert_at` from null):
 * one alert per outage, cluster-wide, whichever nodes race. A node that died is no exception: its devices go offline
 * (`node_lost`) and their `last_seen_at` ages like any other. When an alerted device comes back, `device.back_online`
 * clears the mark, once. Both are recorded (audit, webhook outbox) in the transaction of that update.
 *
 * `last_seen_at` in the database trails the truth by up to LAST_SEEN_FLUSH_MS (it is written in batches), so the
 * check waits that much longer: an alert is never early, and at most one flush interval plus one tick late.
 */
export class AlertService {
  constructor(
    private readonly db: DataSource,
    private readonly events: EventBus,
    private readonly presence: PresenceReader,
    private readonly lastSeenLagMs: number,
  ) {}

  async get(merchantId: number): Promise<{ offlineAfterS: number | null }> {
    const m = await this.db
      .getRepository(Merchant)
      .findOne({ where: { id: merchantId }, select: { id: true, offlineAfterS: true } });
    if (!m) throw notFound();
    return { offlineAfterS: m.offlineAfterS };
  }

  async set(merchantId: number, actor: Actor, offlineAfterS: number | null): Promise<{ offlineAfterS: number | null }> {
    await transaction(this.db, async (m) => {
      const res = await m.getRepository(Merchant).update({ id: merchantId }, { offlineAfterS, updatedAt: new Date() });
      if (!res.affected) throw notFound();
      await this.events.record(m, 'alerts.updated', { merchantId, actor, offlineAfterS });
    });
    return { offlineAfterS };
  }

  /** The periodic check. Returns the alerts raised. */
  async check(now = new Date()): Promise<number> {
    const merchants = await this.db.getRepository(Merchant).find({
      where: { offlineAfterS: Not(IsNull()) },
      select: { id: true, offlineAfterS: true },
    });
    let raised = 0;
    for (const merchant of merchants) {
      const quietSince = new Date(now.getTime() - (merchant.offlineAfterS ?? 0) * 1000 - this.lastSeenLagMs);
      const candidates = await this.db.getRepository(TerminalDevice).find({
        where: {
          merchantId: merchant.id,
          offlineAlertAt: IsNull(),
          lastSeenAt: LessThanOrEqual(quietSince),
          revokedAt: IsNull(),
          expiresAt: MoreThan(now),
        },
        order: { lastSeenAt: 'ASC' },
        take: CHECK_LIMIT,
      });
      if (!candidates.length) continue;
      const online = await this.presence.onlineDeviceIds(candidates.map((d) => d.id));
      for (const device of candidates) if (!online.has(device.id) && (await this.raise(device, now))) raised++;
    }
    return raised;
  }

  /** A device of this node came online (the row its socket was authenticated with): ends an alerted outage. */
  async cameOnline(device: TerminalDevice, now = new Date()): Promise<void> {
    if (!device.offlineAlertAt) return; // the common case: no alert, no query
    await this.backOnline(device.id, device.lastSeenAt, now);
  }

  /**
   * Ends the device's alerted outage, once (conditional update), and records `device.back_online` with how long it
   * lasted (from `offlineSince`, the last_seen the alert was raised on). Also writes last_seen: the database's value
   * is the outage's start, and a new outage right after must not look long already.
   */
  async backOnline(deviceId: number, offlineSince: Date | null, now = new Date()): Promise<void> {
    const offlineForS = Math.max(0, Math.round((now.getTime() - (offlineSince ?? now).getTime()) / 1000));
    const device = await transaction(this.db, async (m) => {
      const repo = m.getRepository(TerminalDevice);
      const res = await repo.update(
        { id: deviceId, offlineAlertAt: Not(IsNull()) },
        { offlineAlertAt: null, lastSeenAt: now },
      );
      if (!res.affected) return null;
      const row = await repo.findOneByOrFail({ id: deviceId });
      await this.events.record(m, 'device.back_online', { device: row, offlineForS, actor: SYSTEM_ACTOR });
      return row;
    });
    if (device) this.events.emit('device.back_online', { device, offlineForS });
  }

  private async raise(device: TerminalDevice, now: Date): Promise<boolean> {
    const offlineSince = device.lastSeenAt ?? now;
    const raised = await transaction(this.db, async (m) => {
      const res = await m
        .getRepository(TerminalDevice)
        .update(
          { id: device.id, offlineAlertAt: IsNull(), lastSeenAt: device.lastSeenAt ?? IsNull() },
          { offlineAlertAt: now },
        );
      if (!res.affected) return false;
      await this.events.record(m, 'device.offline_alert', {
        device: { ...device, offlineAlertAt: now },
        offlineSince,
        actor: SYSTEM_ACTOR,
      });
      return true;
    });
    if (!raised) return false;
    this.events.emit('device.offline_alert', { device: { ...device, offlineAlertAt: now }, offlineSince });
    // It came back between the presence read and the update: its online transition saw no alert, so end it here.
    // (One that comes back later still, before its node hears of the alert, is ended there: see realtime/devices.)
    if ((await this.presence.onlineDeviceIds([device.id])).has(device.id))
      await this.backOnline(device.id, device.lastSeenAt);
    return true;
  }
}
