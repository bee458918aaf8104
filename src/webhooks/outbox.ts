import { randomBytes } from 'node:crypto';
import { type DataSource, type EntityManager, In } from 'typeorm';
import { isMysql, transaction } from '../db/transaction';
import { WriteBatch } from '../db/write-batch';
import type { Logger } from '../logger';
import { WebhookDelivery, WebhookEndpoint, WebhookEvent, type WebhookEventType } from './entities';

/** What becomes one webhook event: its type, the merchant, the `data` of the body. */
export interface OutboxEvent {
  merchantId: number;
  type: WebhookEventType;
  data: Record<string, unknown>;
  at?: Date;
}

/** An event whose `data` is built only when some endpoint subscribes to it (it may need reads). */
export type LazyOutboxEvent = Omit<OutboxEvent, 'data'> & { data: () => Promise<Record<string, unknown>> };

/** `evt_` + 22 random base64url characters: the body's `id` and the `webhook-id` header, the same on every retry. */
export const newEventId = () => `evt_${randomBytes(16).toString('base64url')}`;

const subscribed = (endpoint: Pick<WebhookEndpoint, 'events'>, type: WebhookEventType) =>
  endpoint.events.includes('*') || endpoint.events.includes(type);

type EndpointRef = Pick<WebhookEndpoint, 'id' | 'merchantId' | 'events'>;

/** A merchant's endpoints being read ahead of a transaction (`WebhookOutbox.readAhead`). */
export interface EndpointsAhead {
  endpoints: Promise<EndpointRef[]>;
}

/** Events per transaction of a batch; each brings at most one delivery per endpoint of its merchant (20). */
const CHUNK = 100;
const MAX_BUFFER = 100_000;

/**
 * The transactional outbox (§13). `enqueue` stores an event and one pending delivery per enabled endpoint that
 * subscribes to it, with the manager of the change's own transaction: the event commits with the change or not at
 * all, and the dispatcher delivers it from there. Nothing is stored for a merchant without such an endpoint.
 * `buffer` is for what no transaction causes (presence transitions, the expiry flag, a command sent or delivered):
 * kept in memory and stored in batches, one transaction and one endpoint read per chunk.
 */
export class WebhookOutbox {
  private readonly batch: WriteBatch<OutboxEvent>;
  /** Called after events were committed (the dispatcher looks for due deliveries sooner than its next poll). */
  onStored: () => void = () => undefined;

  constructor(
    private readonly db: DataSource,
    logger: Logger,
  ) {
    this.batch = new WriteBatch('webhook outbox', (chunk) => this.store(chunk), logger, {
      chunk: CHUNK,
      max: MAX_BUFFER,
    });
  }

  /**
   * `ahead`: the merchant's endpoints as `readAhead` read them, at the start of the change (instead of a read in the
   * transaction, after its writes).
   */
  async enqueue(
    m: EntityManager,
    event: OutboxEvent | LazyOutboxEvent,
    onlyEndpoint?: WebhookEndpoint,
    ahead?: EndpointsAhead,
  ): Promise<WebhookDelivery[]> {
    const endpoints = onlyEndpoint
      ? [onlyEndpoint]
      : (await (ahead?.endpoints ?? this.endpointsOf(m, [event.merchantId]))).filter((e) => subscribed(e, event.type));
    if (!endpoints.length) return [];
    const data = typeof event.data === 'function' ? await event.data() : event.data;
    const rows = await this.insert(m, [{ event: { ...event, data }, endpoints }]);
    setImmediate(() => this.onStored()); // runs after the commit in practice; the poll catches it otherwise
    return rows;
  }

  /**
   * Reads a merchant's enabled endpoints on a pooled connection of its own, for a change about to start its
   * transaction (MySQL): the read runs alongside the transaction's first statements, one round trip fewer before the
   * commit. It resolves once the read holds its connection, so a transaction never waits for a read queued behind it
   * for the pool. The endpoints are those committed when the change began, as a read in the transaction would see
   * them a few milliseconds later. SQLite: undefined (one in-process connection: the read in the transaction is as
   * cheap).
   */
  async readAhead(merchantId: number): Promise<EndpointsAhead | undefined> {
    if (!isMysql(this.db)) return undefined;
    const runner = this.db.createQueryRunner();
    await runner.connect();
    const endpoints = this.endpointsOf(runner.manager, [merchantId]).finally(() => runner.release());
    endpoints.catch(() => undefined); // a change that fails before it reads them must not leave it unhandled
    return { endpoints };
  }

  buffer(event: OutboxEvent): void {
    this.batch.push({ ...event, at: event.at ?? new Date() });
  }

  get buffered(): number {
    return this.batch.size;
  }

  async flush(): Promise<number> {
    const n = await this.batch.flush();
    if (n) this.onStored();
    return n;
  }

  private async store(chunk: OutboxEvent[]): Promise<void> {
    await transaction(this.db, async (m) => {
      const endpoints = await this.endpointsOf(m, [...new Set(chunk.map((e) => e.merchantId))]);
      const work = chunk
        .map((event) => ({
          event,
          endpoints: endpoints.filter((e) => e.merchantId === event.merchantId && subscribed(e, event.type)),
        }))
        .filter((w) => w.endpoints.length);
      if (work.length) await this.insert(m, work);
    });
  }

  private endpointsOf(m: EntityManager, merchantIds: number[]): Promise<EndpointRef[]> {
    return m.getRepository(WebhookEndpoint).find({
      where: { merchantId: In(merchantIds), enabled: true },
      select: { id: true, merchantId: true, events: true },
    });
  }

  private async insert(
    m: EntityManager,
    work: { event: OutboxEvent; endpoints: Pick<WebhookEndpoint, 'id'>[] }[],
  ): Promise<WebhookDelivery[]> {
    const events: WebhookEvent[] = [];
    const deliveries: WebhookDelivery[] = [];
    for (const { event, endpoints } of work) {
      const id = newEventId();
      const createdAt = event.at ?? new Date();
      const body = {
        id,
        type: event.type,
        created_at: createdAt.toISOString(),
        merchant_id: event.merchantId,
        data: event.data,
      };
      events.push({ id, merchantId: event.merchantId, type: event.type, payload: JSON.stringify(body), createdAt });
      for (const endpoint of endpoints)
        deliveries.push(
          m.getRepository(WebhookDelivery).create({
            merchantId: event.merchantId,
            endpointId: endpoint.id,
            eventId: id,
            eventType: event.type,
            status: 'pending',
            attempts: 0,
            nextAttemptAt: createdAt,
            claimedUntil: null,
            lastAttemptAt: null,
            responseStatus: null,
            responseMs: null,
            responseExcerpt: null,
            createdAt,
          }),
        );
    }
    await m.getRepository(WebhookEvent).insert(events);
    for (let i = 0; i < deliveries.length; i += 200)
      await m.getRepository(WebhookDelivery).insert(deliveries.slice(i, i + 200));
    return deliveries;
  }
}
