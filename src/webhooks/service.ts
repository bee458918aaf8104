import { randomBytes } from 'node:crypto';
import { type DataSource, In, IsNull, LessThan, LessThanOrEqual } from 'typeorm';
import type { Actor } from '../auth/actor';
import { transaction } from '../db/transaction';
import { conflict, notFound, validationError } from '../errors';
import type { EventBus } from '../events';
import { type DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent } from './entities';
import { holdDeliveries, resumeDeliveries } from './deliveries';
import { resolveTarget } from './guard';
import type { WebhookOutbox } from './outbox';
import type { CreateWebhook, UpdateWebhook } from './schemas';

/** Endpoints per merchant. */
export const MAX_ENDPOINTS = 20;
/** How long the previous secret still signs after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** `whsec_` + base64 of 24 random bytes: the Standard Webhooks secret format. */
const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/**
 * A merchant's webhook endpoints (§13): subscribe, change, remove, rotate the secret, send a test event, read the
 * delivery log and retry a delivery. Every query is scoped to the merchant; each change is audited in its own
 * transaction. The URL passes the SSRF guard on every save.
 */
export class WebhookService {
  /** Called when deliveries became due now (a test, a retry, an endpoint enabled again). */
  onDue: () => void = () => undefined;

  constructor(
    private readonly db: DataSource,
    private readonly events: EventBus,
    private readonly outbox: WebhookOutbox,
    private readonly allowPrivate: boolean,
  ) {}

  private get repo() {
    return this.db.getRepository(WebhookEndpoint);
  }

  list(merchantId: number): Promise<WebhookEndpoint[]> {
    return this.repo.find({ where: { merchantId }, order: { id: 'ASC' } });
  }

  async get(merchantId: number, id: number): Promise<WebhookEndpoint> {
    const endpoint = await this.repo.findOneBy({ id, merchantId });
    if (!endpoint) throw notFound();
    return endpoint;
  }

  // Refusals (404, 409) are decided before a transaction or thrown after it: on SQLite a transaction rolled back
  // on the shared connection would take other writes made meanwhile with it.

  async create(
    merchantId: number,
    actor: Actor,
    body: CreateWebhook,
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    await this.checkUrl(body.url);
    if ((await this.repo.countBy({ merchantId })) >= MAX_ENDPOINTS) throw conflict('too_many_webhooks');
    const secret = newSecret();
    const now = new Date();
    const endpoint = await transaction(this.db, async (m) => {
      const repo = m.getRepository(WebhookEndpoint);
      const row = repo.create({
        merchantId,
        url: body.url,
        events: body.events,
        description: body.description || null,
        enabled: true,
        disabledReason: null,
        secret,
        previousSecret: null,
        previousSecretUntil: null,
        failingSince: null,
        createdAt: now,
        updatedAt: now,
      });
      await repo.insert(row);
      await this.events.record(m, 'webhook.created', { endpoint: row, actor });
      return row;
    });
    return { endpoint, secret };
  }

  async update(merchantId: number, id: number, actor: Actor, body: UpdateWebhook): Promise<WebhookEndpoint> {
    if (body.url !== undefined) await this.checkUrl(body.url);
    const endpoint = await this.get(merchantId, id);
    const changes: Partial<WebhookEndpoint> = {};
    if (body.url !== undefined && body.url !== endpoint.url) changes.url = body.url;
    if (body.events !== undefined && JSON.stringify(body.events) !== JSON.stringify(endpoint.events))
      changes.events = body.events;
    if (body.description !== undefined && (body.description || null) !== endpoint.description)
      changes.description = body.description || null;
    if (body.enabled !== undefined && body.enabled !== endpoint.enabled)
      Object.assign(changes, { enabled: body.enabled, disabledReason: body.enabled ? null : 'disabled_by_user' });
    if (changes.enabled) changes.failingSince = null; // a fresh start: 3 more days before it is disabled again
    const changed = Object.keys(changes).filter((k) => k !== 'failingSince' && k !== 'disabledReason');
    if (!changed.length) return endpoint;
    const updated = await transaction(this.db, async (m) => {
      const res = await m
        .getRepository(WebhookEndpoint)
        .update({ id, merchantId }, { ...changes, updatedAt: new Date() });
      if (!res.affected) return false;
      await this.events.record(m, 'webhook.updated', { endpoint: { ...endpoint, ...changes }, actor, changed });
      if (changes.enabled === true) await resumeDeliveries(m, id);
      if (changes.enabled === false) {
        await holdDeliveries(m, id);
        const reason = 'disabled_by_user';
        await this.events.record(m, 'webhook.disabled', { endpoint: { ...endpoint, ...changes }, actor, reason });
      }
      return true;
    });
    if (!updated) throw notFound();
    if (changes.enabled) this.onDue();
    return this.get(merchantId, id);
  }

  async remove(merchantId: number, id: number, actor: Actor): Promise<void> {
    const endpoint = await this.get(merchantId, id);
    await transaction(this.db, async (m) => {
      await m.getRepository(WebhookDelivery).delete({ endpointId: id });
      const res = await m.getRepository(WebhookEndpoint).delete({ id, merchantId });
      if (res.affected) await this.events.record(m, 'webhook.deleted', { endpoint, actor });
    });
  }

  /**
   * A new secret; the previous one keeps signing (a second signature) for ROTATION_OVERLAP_MS. Two rotations racing:
   * the one that lost is 409 (its secret was never stored).
   */
  async rotateSecret(merchantId: number, id: number, actor: Actor): Promise<string> {
    const endpoint = await this.get(merchantId, id);
    const secret = newSecret();
    const now = new Date();
    const changes = {
      secret,
      previousSecret: endpoint.secret,
      previousSecretUntil: new Date(now.getTime() + ROTATION_OVERLAP_MS),
      updatedAt: now,
    };
    const stored = await transaction(this.db, async (m) => {
      const res = await m.getRepository(WebhookEndpoint).update({ id, merchantId, secret: endpoint.secret }, changes);
      if (!res.affected) return false;
      await this.events.record(m, 'webhook.secret_rotated', { endpoint: { ...endpoint, ...changes }, actor });
      return true;
    });
    if (!stored) throw conflict('webhook_changed');
    return secret;
  }

  /** A `webhook.test` event to this endpoint only. A disabled endpoint is 409 (it would not be sent). */
  async test(merchantId: number, id: number): Promise<WebhookDelivery> {
    const endpoint = await this.get(merchantId, id);
    if (!endpoint.enabled) throw conflict('webhook_disabled');
    const data = { webhook: { id: endpoint.id, url: endpoint.url } };
    const [delivery] = await transaction(this.db, (m) =>
      this.outbox.enqueue(m, { merchantId, type: 'webhook.test', data }, endpoint),
    );
    this.onDue();
    return delivery;
  }

  /** The delivery log, newest first. */
  async deliveries(
    merchantId: number,
    id: number,
    q: { status?: DeliveryStatus; limit: number },
  ): Promise<WebhookDelivery[]> {
    await this.get(merchantId, id);
    return this.db.getRepository(WebhookDelivery).find({
      where: { endpointId: id, merchantId, ...(q.status ? { status: q.status } : {}) },
      order: { id: 'DESC' },
      take: q.limit,
    });
  }

  /**
   * Due now, whatever its status: a failed or even a succeeded delivery is sent again (same `webhook-id`). One being
   * attempted right now (claimed by a node) is left to that attempt and answered as it is.
   */
  async retry(merchantId: number, id: number, deliveryId: number): Promise<WebhookDelivery> {
    const endpoint = await this.get(merchantId, id);
    if (!endpoint.enabled) throw conflict('webhook_disabled');
    const repo = this.db.getRepository(WebhookDelivery);
    const now = new Date();
    const mine = { id: deliveryId, endpointId: id, merchantId };
    const res = await repo.update(
      [
        { ...mine, claimedUntil: IsNull() },
        { ...mine, claimedUntil: LessThanOrEqual(now) },
      ],
      {
        status: 'pending',
        nextAttemptAt: now,
        claimedUntil: null,
      },
    );
    const delivery = await repo.findOneBy(mine);
    if (!delivery) throw notFound();
    if (res.affected) this.onDue();
    return delivery;
  }

  /**
   * Retention: events created before `before` go, with their deliveries (in batches of 500). Anything that old is
   * final: an event is given up 3 days after it was created.
   */
  async purge(before: Date): Promise<number> {
    let n = 0;
    for (;;) {
      const ids = (
        await this.db.getRepository(WebhookEvent).find({
          where: { createdAt: LessThan(before) },
          select: { id: true },
          take: 500,
        })
      ).map((e) => e.id);
      if (!ids.length) return n;
      await transaction(this.db, async (m) => {
        await m.getRepository(WebhookDelivery).delete({ eventId: In(ids) });
        await m.getRepository(WebhookEvent).delete({ id: In(ids) });
      });
      n += ids.length;
    }
  }

  private async checkUrl(url: string): Promise<void> {
    const target = await resolveTarget(url, this.allowPrivate);
    if ('refused' in target) throw validationError({ url: target.refused });
  }
}
