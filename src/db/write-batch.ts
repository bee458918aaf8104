import type { Logger } from '../logger';

/**
 * Rows kept in memory and written in chunks (one multi-row INSERT, or one transaction, per chunk): the audit log's
 * connection entries, the webhook outbox's presence events. A chunk the database refuses is put back in front and
 * written by a later flush; beyond `max` rows the oldest go (logged once per flush). Flushes never overlap: a second
 * caller (the timer, shutdown) waits for the one in progress, then writes what is left.
 */
export class WriteBatch<T> {
  private pending: T[] = [];
  private dropped = 0;
  private flushing: Promise<number> | undefined;

  constructor(
    private readonly what: string,
    private readonly write: (chunk: T[]) => Promise<void>,
    private readonly logger: Logger,
    private readonly opts: { chunk: number; max: number },
  ) {}

  push(item: T): void {
    this.pending.push(item);
    if (this.pending.length > this.opts.max) {
      const over = this.pending.length - this.opts.max;
      this.pending.splice(0, over);
      this.dropped += over;
    }
  }

  get size(): number {
    return this.pending.length;
  }

  /** Writes what was pushed; returns the rows written. */
  async flush(): Promise<number> {
    while (this.flushing) await this.flushing;
    this.flushing = this.writePending().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async writePending(): Promise<number> {
    if (this.dropped) {
      this.logger.error({ dropped: this.dropped }, `${this.what}: buffer full, the oldest dropped`);
      this.dropped = 0;
    }
    let written = 0;
    while (this.pending.length) {
      // Taken out while in flight (push() may drop the oldest meanwhile), put back in front if refused.
      const chunk = this.pending.splice(0, this.opts.chunk);
      try {
        await this.write(chunk);
      } catch (err) {
        this.pending.unshift(...chunk);
        this.logger.warn(
          { err, kept: this.pending.length },
          `${this.what}: batch not written; kept for the next flush`,
        );
        break;
      }
      written += chunk.length;
    }
    return written;
  }
}
