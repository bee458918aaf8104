import {
  type DataSource,
  type EntityManager,
  LessThan,
  type FindOptionsWhere,
  Between,
  MoreThanOrEqual,
  LessThanOrEqual,
} from 'typeorm';
import type { Actor } from '../auth/actor';
import { validationError } from '../errors';
import type { Logger } from '../logger';
import { insertRows } from '../db/insert';
import { WriteBatch } from '../db/write-batch';
import { AuditEvent } from './entities';

/** What a subscriber records: the merchant, the action, what it is about, who did it. */
export interface AuditEntry {
  merchantId: number;
  action: string;
  target: { type: string; id: number | null };
  /** The device the entry is about (a device's own events, its commands). */
  deviceId?: number | null;
  actor: Actor;
  details?: Record<string, unknown> | null;
  at?: Date;
}

export interface AuditFilter {
  deviceId?: number;
  action?: string;
  actorId?: number;
  since?: Date;
  until?: Date;
  limit: number;
  cursor?: string;
}

/** Rows per INSERT of a batch: far below SQLite's and MySQL's parameter limits. */
const CHUNK = 200;
/** Entries kept in memory while the database refuses them; beyond, the oldest go (logged, counted). */
const MAX_BUFFER = 200_000;

const encodeCursor = (id: number) => Buffer.from(`a${id}`).toString('base64url');
function decodeCursor(cursor: string): number {
  const m = /^a(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw validationError({ cursor: 'not a cursor this API returned' });
  return Number(m[1]);
}

/**
 * The audit log. `record` writes an entry with the manager of the change's own transaction (there is no action
 * without its entry); `buffer` keeps high-rate entries (socket connects and disconnects) in memory and `flush`
 * writes them in multi-row INSERTs, keeping a batch that failed for the next flush. Entries are never changed or
 * deleted but by the retention purge.
 */
export class AuditService {
  private readonly batch: WriteBatch<AuditEvent>;

  constructor(
    private readonly db: DataSource,
    logger: Logger,
  ) {
    this.batch = new WriteBatch('audit log', (chunk) => insertRows(this.db.manager, AuditEvent, chunk), logger, {
      chunk: CHUNK,
      max: MAX_BUFFER,
    });
  }

  private get repo() {
    return this.db.getRepository(AuditEvent);
  }

  async record(m: EntityManager, entry: AuditEntry): Promise<void> {
    // Written, never read back in the same breath: no reload of the row (one round trip fewer on MySQL).
    await insertRows(m, AuditEvent, [row(entry)]);
  }

  buffer(entry: AuditEntry): void {
    this.batch.push(row(entry));
  }

  get buffered(): number {
    return this.batch.size;
  }

  /** Writes what `buffer` kept; a chunk the database refuses stays for the next flush. Returns the rows written. */
  flush(): Promise<number> {
    return this.batch.flush();
  }

  /** Newest first; the cursor is the last id seen, so a page never repeats or skips an entry already written. */
  async list(merchantId: number, f: AuditFilter): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
    const where: FindOptionsWhere<AuditEvent> = { merchantId };
    if (f.deviceId) where.deviceId = f.deviceId;
    if (f.action) where.action = f.action;
    if (f.actorId) Object.assign(where, { actorKind: 'user', actorId: f.actorId });
    if (f.since && f.until) where.at = Between(f.since, f.until);
    else if (f.since) where.at = MoreThanOrEqual(f.since);
    else if (f.until) where.at = LessThanOrEqual(f.until);
    if (f.cursor) where.id = LessThan(decodeCursor(f.cursor));
    const items = await this.repo.find({ where, order: { id: 'DESC' }, take: f.limit + 1 });
    const more = items.length > f.limit;
    if (more) items.pop();
    return { items, nextCursor: more ? encodeCursor(items[items.length - 1].id) : null };
  }

  /** Retention: deletes entries older than `before`, in bounded batches. Returns how many. */
  async purge(before: Date): Promise<number> {
    let n = 0;
    for (;;) {
      const ids = (await this.repo.find({ where: { at: LessThan(before) }, select: { id: true }, take: 1000 })).map(
        (e) => e.id,
      );
      if (!ids.length) return n;
      await this.repo.delete(ids);
      n += ids.length;
    }
  }
}

function row(e: AuditEntry): AuditEvent {
  const r = new AuditEvent();
  r.merchantId = e.merchantId;
  r.at = e.at ?? new Date();
  r.actorKind = e.actor.kind;
  r.actorId = e.actor.id;
  r.actorEmail = e.actor.email;
  r.onBehalf = e.actor.onBehalf;
  r.action = e.action;
  r.targetType = e.target.type;
  r.targetId = e.target.id;
  r.deviceId = e.deviceId ?? null;
  r.ip = e.actor.ip?.slice(0, 64) ?? null;
  r.details = e.details ? JSON.stringify(e.details) : null;
  return r;
}
