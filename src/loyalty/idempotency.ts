import { createHash } from 'node:crypto';
import { LessThan, type DataSource, type EntityManager } from 'typeorm';
import { isUniqueViolation } from '../db/errors';
import { transaction } from '../db/transaction';
import { AppError, type ErrorCode } from '../errors';
import { IdempotencyKey } from './entities';

/** Answers are kept at least this long; `purge` removes older ones (to be called by a job). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 3_600_000;

/** A write's answer: its status and the exact JSON text that was (or is to be) sent. */
export interface Answer {
  status: number;
  body: string;
  replayed: boolean;
}

const REPLAYED = { 'Idempotent-Replayed': 'true' };

class KeyTaken extends Error {}

/**
 * Idempotency-Key handling for the store API, keys scoped to a store. With a key, the write runs in one transaction
 * that first claims the key with a unique insert and finally stores the answer, so the effect and its record commit
 * together or not at all. A concurrent request with the same key waits on that unique index (MySQL) or in the
 * transaction queue (SQLite), fails to claim, and replays the committed answer: one effect.
 * A domain error (AppError) is the first answer too and is recorded after the rollback; anything unexpected is not
 * recorded, so a retry runs again (the rollback left nothing behind).
 */
export class IdempotencyKeys {
  constructor(private readonly db: DataSource) {}

  /** `request` identifies what is asked (operation and validated input); the same key with another request is 409. */
  async run(
    storeId: number,
    key: string | undefined,
    request: unknown,
    op: (em: EntityManager) => Promise<{ status: number; body: unknown }>,
  ): Promise<Answer> {
    if (key === undefined) {
      const { status, body } = await transaction(this.db, op);
      return { status, body: JSON.stringify(body), replayed: false };
    }
    const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const record = (statusCode: number, responseBody: string) => ({
      storeId,
      key,
      requestHash,
      statusCode,
      responseBody,
      createdAt: new Date(),
    });
    try {
      return await transaction(this.db, async (em) => {
        await em.insert(IdempotencyKey, record(0, '')).catch((err) => {
          throw isUniqueViolation(err) ? new KeyTaken() : err;
        });
        const { status, body } = await op(em);
        const json = JSON.stringify(body);
        await em.update(IdempotencyKey, { storeId, key }, { statusCode: status, responseBody: json });
        return { status, body: json, replayed: false };
      });
    } catch (err) {
      if (err instanceof KeyTaken) return this.replay(storeId, key, requestHash);
      if (!(err instanceof AppError)) throw err;
      const stored = JSON.stringify({ code: err.code, ...(err.details ? { details: err.details } : {}) });
      try {
        await transaction(this.db, (em) => em.insert(IdempotencyKey, record(err.status, stored)));
      } catch (insertErr) {
        if (isUniqueViolation(insertErr)) return this.replay(storeId, key, requestHash);
        throw insertErr;
      }
      throw err;
    }
  }

  /** Deletes answers older than the retention; returns how many. */
  async purge(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - IDEMPOTENCY_RETENTION_MS);
    const res = await transaction(this.db, (em) => em.delete(IdempotencyKey, { createdAt: LessThan(cutoff) }));
    return res.affected ?? 0;
  }

  private async replay(storeId: number, key: string, requestHash: string): Promise<Answer> {
    const row = await this.db.getRepository(IdempotencyKey).findOneByOrFail({ storeId, key });
    if (row.requestHash !== requestHash) throw new AppError('IDEMPOTENCY_KEY_REUSED');
    if (row.statusCode < 400) return { status: row.statusCode, body: row.responseBody, replayed: true };
    const e = JSON.parse(row.responseBody) as { code: ErrorCode; details?: Record<string, unknown> };
    throw new AppError(e.code, e.details, REPLAYED);
  }
}

export const replayedHeaders = (a: Answer) => (a.replayed ? REPLAYED : {});
