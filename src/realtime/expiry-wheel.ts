import { runAt } from './run-at';

/**
 * One timer for every socket of a node that must end at an instant (a device token's expiry): members are kept by
 * their instant, the single timer is armed for the earliest, and on firing every member past its instant is handed
 * to `expire`. Adding and removing are O(1) (a Map); finding the next earliest is a scan, done only when the
 * earliest fires or leaves, which for year-long tokens is rare. No per-socket timer or closure.
 */
export class ExpiryWheel<T> {
  private readonly members = new Map<T, number>();
  private next = Number.POSITIVE_INFINITY;
  private cancel: (() => void) | undefined;

  constructor(private readonly expire: (member: T) => void) {}

  add(member: T, at: Date): void {
    const ms = at.getTime();
    this.members.set(member, ms);
    if (ms < this.next) this.arm(ms);
  }

  delete(member: T): void {
    const ms = this.members.get(member);
    if (ms === undefined) return;
    this.members.delete(member);
    // The earliest left: the timer may fire for nothing, which rescans; re-arming now would scan on every leave.
    if (this.members.size === 0) this.stop();
  }

  get size(): number {
    return this.members.size;
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
    this.next = Number.POSITIVE_INFINITY;
  }

  private arm(ms: number): void {
    this.cancel?.();
    this.next = ms;
    this.cancel = runAt(new Date(ms), () => this.fire());
  }

  private fire(): void {
    this.cancel = undefined;
    this.next = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const due: T[] = [];
    let earliest = Number.POSITIVE_INFINITY;
    for (const [member, ms] of this.members) {
      if (ms <= now) due.push(member);
      else if (ms < earliest) earliest = ms;
    }
    for (const member of due) this.members.delete(member);
    if (earliest < Number.POSITIVE_INFINITY) this.arm(earliest);
    for (const member of due)
      try {
        this.expire(member);
      } catch {
        // one member's failure must not keep the others connected past their instant
      }
  }
}
