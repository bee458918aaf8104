import { Webhook } from 'standardwebhooks';
import { type DataSource, type EntityManager, In, IsNull, LessThanOrEqual, Not } from 'typeorm';
import { SYSTEM_ACTOR } from '../auth/actor';
import { isMysql, transaction } from '../db/transaction';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { WebhookDelivery, WebhookEndpoint, WebhookEvent } from './entities';
import { DNS_TIMEOUT_MS, resolveTarget } from './guard';
import { GIVE_UP_MS, holdDeliveries, retryDelay } from './deliveries';
import { type Attempt, DELIVERY_TIMEOUT_MS, post } from './sender';

/**
 * A claimed delivery is not claimed again for this long: a node that died mid-attempt delays it, never loses it.
 * Longer than an attempt can take (the name's lookup, DNS_TIMEOUT_MS, then the POST, DELIVERY_TIMEOUT_MS).
 */
const LEASE_MS = DNS_TIMEOUT_MS + DELIVERY_TIMEOUT_MS + 5_000;
/** Attempts in flight per node. */
const CONCURRENCY = 32;
/** Free slots that make the dispatcher claim again before its next poll. */
const REFILL = 8;

/** `v1,<base64>` per active secret, space-separated (both during a rotation's 24 h). */
export function signatures(endpoint: WebhookEndpoint, id: string, at: Date, body: string, now = Date.now()): string {
  const secrets = [endpoint.secret];
  if (endpoint.previousSecret && endpoint.previousSecretUntil && endpoint.previousSecretUntil.getTime() > now)
    secrets.push(endpoint.previousSecret);
  return secrets.map((s) => new Webhook(s).sign(id, at, body)).join(' ');
}

/**
 * Delivers the outbox. Every node polls; a poll claims due deliveries in one short transaction (`FOR UPDATE SKIP
 * LOCKED` on MySQL/MariaDB, so two nodes never claim the same row; SQLite has one writer) by moving their
 * `next_attempt_at` a lease ahead, then attempts them outside any transaction and writes each outcome with a
 * conditional update. A node killed mid-attempt leaves the lease to run out: the delivery is attempted again, late.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private polling: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly attempts;
  private readonly seconds;

  constructor(
    private readonly db: DataSource,
    private readonly events: EventBus,
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly opts: { allowPrivate: boolean; pollMs: number },
  ) {
    this.attempts = metrics.counter('webhook_attempts_total', 'Webhook delivery attempts by outcome', ['outcome']);
    this.seconds = metrics.histogram(
      'webhook_attempt_seconds',
      'Webhook delivery attempt duration',
      [0.05, 0.2, 1, 5, 10],
    );
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.opts.pollMs);
    this.timer.unref();
  }

  /** Looks for due deliveries now (new events were committed, or a retry was asked for). */
  kick(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = this.poll()
      .catch((err) => this.logger.warn({ err }, 'webhook poll failed'))
      .finally(() => {
        this.polling = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Stops polling and waits for the attempts in flight (each bounded by the delivery timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.race([this.polling, new Promise((r) => setTimeout(r, LEASE_MS).unref())]);
    // Bounded: an attempt not recorded by then is attempted again once its lease runs out (by any node).
    const end = Date.now() + LEASE_MS;
    while (this.inFlight && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  }

  private async poll(): Promise<void> {
    for (;;) {
      const room = CONCURRENCY - this.inFlight;
      if (room <= 0 || this.stopped) return;
      const claimed = await this.claim(room);
      if (!claimed.length) return;
      const [events, endpoints] = await Promise.all([
        this.db.getRepository(WebhookEvent).findBy({ id: In([...new Set(claimed.map((d) => d.eventId))]) }),
        this.db.getRepository(WebhookEndpoint).findBy({ id: In([...new Set(claimed.map((d) => d.endpointId))]) }),
      ]);
      for (const d of claimed) {
        this.inFlight++;
        const event = events.find((e) => e.id === d.eventId);
        const endpoint = endpoints.find((e) => e.id === d.endpointId);
        void this.attempt(d, event, endpoint)
          .catch((err) => this.logger.error({ err, delivery: d.id }, 'webhook attempt failed to record'))
          .finally(() => {
            this.inFlight--;
            // Room again: more may be due. Refilled a batch at a time (a claim per freed slot would be one row each).
            if (this.inFlight === 0 || CONCURRENCY - this.inFlight === REFILL) this.kick();
          });
      }
    }
  }

  /**
   * Due deliveries of enabled endpoints, oldest due first, leased to this node. READ COMMITTED on MySQL: record
   * locks only, no gap locks that would stall (or deadlock with) the transactions inserting new deliveries.
   */
  private claim(limit: number): Promise<WebhookDelivery[]> {
    const now = new Date();
    return transaction(
      this.db,
      async (m) => {
        const qb = m
          .getRepository(WebhookDelivery)
          .createQueryBuilder('d')
          .select(['d.id', 'd.eventId', 'd.endpointId', 'd.attempts'])
          .where('d.status = :pending', { pending: 'pending' })
          .andWhere('d.next_attempt_at <= :now', { now })
          .andWhere('d.endpoint_id IN (SELECT e.id FROM webhook_endpoints e WHERE e.enabled = 1)')
          .orderBy('d.next_attempt_at', 'ASC')
          .limit(limit);
        if (isMysql(this.db)) qb.setLock('pessimistic_write').setOnLocked('skip_locked');
        const due = await qb.getMany();
        if (!due.length) return [];
        const until = new Date(now.getTime() + LEASE_MS);
        await m
          .createQueryBuilder()
          .update(WebhookDelivery)
          .set({ nextAttemptAt: until, claimedUntil: until, lastAttemptAt: now, attempts: () => 'attempts + 1' })
          .where({ id: In(due.map((d) => d.id)) })
          .execute();
        for (const d of due) d.attempts++;
        return due;
      },
      'READ COMMITTED',
    );
  }

  private async attempt(d: WebhookDelivery, event?: WebhookEvent, endpoint?: WebhookEndpoint): Promise<void> {
    if (!event || !endpoint) return; // deleted meanwhile (its deliveries go with it)
    const started = Date.now();
    const target = await resolveTarget(endpoint.url, this.opts.allowPrivate);
    let result: Attempt;
    if ('refused' in target) {
      result = { status: null, ok: false, ms: 0, excerpt: `not sent: the URL ${target.refused}` };
    } else {
      const at = new Date();
      const headers = {
        'webhook-id': event.id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signatures(endpoint, event.id, at, event.payload),
      };
      result = await post(target.ok, headers, event.payload);
    }
    this.attempts.inc({ outcome: result.ok ? 'succeeded' : 'failed' });
    this.seconds.observe((Date.now() - started) / 1000);
    await this.record(d, event, endpoint, result);
  }

  private async record(d: WebhookDelivery, event: WebhookEvent, endpoint: WebhookEndpoint, r: Attempt): Promise<void> {
    const now = new Date();
    const { attempts } = d; // this claim's, counted when it was claimed
    const next = new Date(now.getTime() + retryDelay(attempts));
    const givenUp = !r.ok && next.getTime() - event.createdAt.getTime() > GIVE_UP_MS;
    const outcome = {
      claimedUntil: null,
      status: r.ok ? ('succeeded' as const) : givenUp ? ('failed' as const) : ('pending' as const),
      nextAttemptAt: r.ok || givenUp ? now : next,
      lastAttemptAt: now,
      responseStatus: r.status,
      responseMs: r.ms,
      responseExcerpt: r.excerpt.slice(0, 1024),
    };
    // Only this claim's outcome: a later claim (after its lease ran out) has counted another attempt.
    const claimed = { id: d.id, status: 'pending' as const, attempts };
    if (r.ok) {
      const res = await this.db.getRepository(WebhookDelivery).update(claimed, outcome);
      if (res.affected)
        await this.db
          .getRepository(WebhookEndpoint)
          .update({ id: endpoint.id, failingSince: Not(IsNull()) }, { failingSince: null });
      return;
    }
    // A failure and what it does to the endpoint commit together: whoever reads the delivery as failed reads the
    // endpoint disabled too.
    await transaction(this.db, async (m) => {
      const res = await m.getRepository(WebhookDelivery).update(claimed, outcome);
      if (!res.affected) return;
      const endpoints = m.getRepository(WebhookEndpoint);
      await endpoints.update({ id: endpoint.id, failingSince: IsNull() }, { failingSince: now });
      await this.disableIfFailing(m, endpoint.id, now);
    });
  }

  /** Every attempt failed for GIVE_UP_MS: the endpoint is disabled (`disabled_reason: failing`), once. */
  private async disableIfFailing(m: EntityManager, endpointId: number, now: Date): Promise<void> {
    const res = await m
      .getRepository(WebhookEndpoint)
      .update(
        { id: endpointId, enabled: true, failingSince: LessThanOrEqual(new Date(now.getTime() - GIVE_UP_MS)) },
        { enabled: false, disabledReason: 'failing', updatedAt: now },
      );
    if (!res.affected) return;
    const endpoint = await m.getRepository(WebhookEndpoint).findOneByOrFail({ id: endpointId });
    await holdDeliveries(m, endpointId);
    await this.events.record(m, 'webhook.disabled', { endpoint, actor: SYSTEM_ACTOR, reason: 'failing' });
  }
}
