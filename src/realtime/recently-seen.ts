/**
 * What this node saw happen to a device lately (a drop, a command, an alert), kept for `ttlMs`: longer than a
 * socket handshake can take, so a socket whose token check began before the event learns of it when it is
 * announced. Entries are in the order they were set, so pruning stops at the first fresh one; it runs in passing,
 * at most once per `ttlMs`. O(1) per event whatever the number of devices.
 */
export class RecentlySeen<V> {
  private readonly entries = new Map<number, { at: number; value: V }>();
  private prunedAt = Date.now();

  constructor(private readonly ttlMs: number) {}

  /** Records `value` for the device now; `merge` gets the value still fresh, if any. */
  set(deviceId: number, value: V, merge?: (fresh: V) => V): void {
    const now = Date.now();
    this.prune(now);
    const prev = this.entries.get(deviceId);
    const fresh = prev && now - prev.at <= this.ttlMs ? prev.value : undefined;
    this.entries.delete(deviceId); // set again below: moves to the end, in time order
    this.entries.set(deviceId, { at: now, value: fresh !== undefined && merge ? merge(fresh) : value });
  }

  /** What was seen for the device at or after `since` (ms), with when. */
  since(deviceId: number, since: number): { at: number; value: V } | undefined {
    const e = this.entries.get(deviceId);
    return e && e.at >= since ? e : undefined;
  }

  private prune(now: number): void {
    if (now - this.prunedAt < this.ttlMs) return;
    this.prunedAt = now;
    for (const [id, e] of this.entries) {
      if (now - e.at <= this.ttlMs) break;
      this.entries.delete(id);
    }
  }
}
