import { setImmediate as yieldLoop, setTimeout as sleep } from 'node:timers/promises';
import type { DeviceState } from '../devices/schemas';
import { CHUNK, type DeviceService, type LastSeen, type SeenAlike } from '../devices/service';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

/** The longest pause between two statements of one flush. */
const MAX_GAP_MS = 250;
/** Connected devices visited between two turns of the event loop when a flush counts them seen (~1 ms of work). */
export const SWEEP_SLICE = 1000;

/** Calls `visit` for each connected device, and yields after every `SWEEP_SLICE` of them. */
export type ConnectedDevices = (visit: (deviceId: number, ip: string | null) => void) => Iterable<void>;

/**
 * Keeps the latest (time, ip) per connected device in memory and has DeviceService write them every
 * LAST_SEEN_FLUSH_MS, one statement per chunk of devices, so a device costs at most one row write per period
 * however chatty its socket is. Reported device state rides along: the fields reported since the last write are
 * merged in memory and written by the same statement. A flush that fails keeps its values for the next one (state
 * reported meanwhile is newer and wins field by field). close() writes what is left.
 */
export class LastSeenBatcher {
  private readonly pending = new Map<number, LastSeen>();
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private readonly rows;
  private readonly seconds;
  private connected: ConnectedDevices = () => [];
  /** Connected devices are counted seen in turns: device `id` at the flushes where `flushes % turns === id % turns`. */
  private turns = 1;
  private flushes = 0;
  private closing = false;

  constructor(
    private readonly devices: Pick<DeviceService, 'recordLastSeen'>,
    private readonly flushMs: number,
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
      'Duration of one last_seen flush (its statements, without the pauses that space them out)',
      [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    );
    this.timer = setInterval(() => void this.flush(), flushMs);
  }

  /**
   * The devices connected to this node, with their addresses: each flush counts them seen at that moment. The
   * server's heartbeat keeps a connection only while the tablet answers, so a connected device is a seen one; no
   * listener per packet is needed (a dead connection is noticed at its ping timeout, and stops counting then).
   * What a connection tells is only as fresh as its heartbeat (`everyMs`, the ping interval): when flushes are more
   * frequent, each one counts a share of the devices, so that each is written about once per `everyMs`.
   * `connected` calls `visit` for each (no object per device: tens of thousands of them at each flush), and yields
   * between slices, so that the sweep never holds the event loop for long (15,000 devices took 30 ms in one go).
   */
  watch(connected: ConnectedDevices, everyMs: number): void {
    this.connected = connected;
    this.turns = Math.max(1, Math.round(everyMs / this.flushMs));
  }

  touch(deviceId: number, ip: string | null, at = new Date()): void {
    const state = this.pending.get(deviceId)?.state;
    this.pending.set(deviceId, state ? { at, ip, state } : { at, ip });
  }

  /** A state report (already stamped with `updated_at`): merged over what is not written yet. */
  report(deviceId: number, ip: string | null, state: DeviceState, at = new Date()): void {
    const before = this.pending.get(deviceId)?.state;
    this.pending.set(deviceId, { at, ip, state: { ...before, ...state } });
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
    this.closing = true;
    clearInterval(this.timer);
    await this.flush();
  }

  private async write(): Promise<void> {
    const at = new Date();
    const turn = this.flushes++ % this.turns;
    // Connected devices with no state to merge are written alike (this time, their address): their ids go into one
    // list per address, an array slot each instead of a value, a map entry and a tuple.
    const byIp = new Map<string | null, number[]>();
    let counted = 0;
    const visit = (id: number, ip: string | null) => {
      if (id % this.turns !== turn) return;
      const seen = this.pending.get(id);
      if (seen && seen.at >= at) return; // touched or reported since this flush began: newer, written as it is
      if (seen?.state) return void this.pending.set(id, { at, ip, state: seen.state });
      if (seen) this.pending.delete(id);
      const ids = byIp.get(ip);
      if (ids) ids.push(id);
      else byIp.set(ip, [id]);
      counted++;
    };
    for (const _ of this.connected(visit)) if (!this.closing) await yieldLoop();
    const alike: SeenAlike[] = [];
    for (const [ip, ids] of byIp) alike.push({ at, ip, ids });
    if (this.pending.size === 0 && alike.length === 0) return;
    const batch = [...this.pending];
    this.pending.clear();
    // A flush's statements are spaced out over up to half the period (none on close): a burst of them (30 for 15,000
    // connected devices) would hold the database, and every request waiting on it, for a few hundred milliseconds.
    const total = batch.length + counted;
    const statements = Math.ceil(total / CHUNK);
    const gapMs = statements < 2 ? 0 : Math.min(MAX_GAP_MS, this.flushMs / 2 / statements);
    const started = performance.now();
    let paused = 0;
    let written = 0;
    try {
      await this.devices.recordLastSeen(
        batch,
        async (rows) => {
          this.rows.observe(rows);
          written += rows;
          if (!gapMs || written >= total || this.closing) return;
          const t = performance.now();
          await sleep(gapMs);
          paused += performance.now() - t;
        },
        alike,
      );
    } catch (err) {
      // Keep what was not written for the next flush; a value touched meanwhile is newer and wins.
      for (const { at: seenAt, ip, ids } of alike) for (const id of ids) batch.push([id, { at: seenAt, ip }]);
      for (const [id, seen] of batch) {
        const newer = this.pending.get(id);
        if (!newer) this.pending.set(id, seen);
        else if (seen.state) newer.state = { ...seen.state, ...newer.state };
      }
      throw err;
    } finally {
      this.seconds.observe((performance.now() - started - paused) / 1000);
    }
  }
}
