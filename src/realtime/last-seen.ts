import type { DeviceService, LastSeen } from '../devices/service';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

/**
 * Keeps the latest (time, ip) per connected device in memory and has DeviceService write them every
 * LAST_SEEN_FLUSH_MS, one statement per chunk of devices, so a device costs at most one row write per period
 * however chatty its socket is. A flush that fails keeps its values for the next one. close() writes what is left.
 */
export class LastSeenBatcher {
  private readonly pending = new Map<number, LastSeen>();
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private readonly rows;
  private readonly seconds;

  constructor(
    private readonly devices: Pick<DeviceService, 'recordLastSeen'>,
    flushMs: number,
    metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.rows = metrics.histogram(
      'realtime_last_seen_flush_rows',
      'Devices written per last_seen UPDATE statement',
      [1, 10, 50, 100, 250, 500],
    );
    this.seconds = metrics.histogram(
      'realtime_last_seen_flush_seconds',
      'Duration of one last_seen flush',
      [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    );
    this.timer = setInterval(() => void this.flush(), flushMs);
  }

  touch(deviceId: number, ip: string | null, at = new Date()): void {
    this.pending.set(deviceId, { at, ip });
  }

  /** The value not yet written for a device, if any (so events can show the true last_seen before the flush). */
  peek(deviceId: number): LastSeen | undefined {
    return this.pending.get(deviceId);
  }

  /** Writes everything pending; runs one at a time. */
  flush(): Promise<void> {
    this.running = this.running
      .then(() => this.write())
      .catch((err: Error) => this.logger.error({ err }, 'last_seen flush failed'));
    return this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending.clear();
    const end = this.seconds.startTimer();
    try {
      await this.devices.recordLastSeen(batch, (rows) => this.rows.observe(rows));
    } catch (err) {
      // Keep what was not written for the next flush; a value touched meanwhile is newer and wins.
      for (const [id, seen] of batch) if (!this.pending.has(id)) this.pending.set(id, seen);
      throw err;
    } finally {
      end();
    }
  }
}
