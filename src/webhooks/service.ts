import { randomBytes } from 'node:crypto';
import { type DataSource, In, LessThan } from 'typeorm';
import type { Actor } from '../auth/actor';
import { transaction } from '../db/transaction';
import { conflict, notFound, validationError } from '../errors';
import type { EventBus } from '../events';
import { type DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent } from './entities';
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

  async create(
    merchantId: number,
    actor: Actor,
    body: CreateWebhook,
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    await this.checkUrl(body.url);
    const secret = newSecret();
    const now = new Date();
    const endpoint = await transaction(this.db, async (m) => {
      const repo = m.getRepository(WebhookEndpoint);
      if ((await repo.countBy({ merchantId })) >= MAX_ENDPOINTS) throw conflict('too_many_webhooks');
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
    const enabledAgain = await transaction(this.db, async (m) => {
      const repo = m.getRepository(WebhookEndpoint);
      const endpoint = await repo.findOneBy({ id, merchantId });
      if (!endpoint) throw notFound();
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
      if (!changed.length) return false;
      await repo.update({ id }, { ...changes, updatedAt: new Date() });
      Object.assign(endpoint, changes);
      await this.events.record(m, 'webhook.updated', { endpoint, actor, changed });
      // Deliveries that waited while it was off are due now.
      if (changes.enabled)
        await m
          .getRepository(WebhookDelivery)
          .update({ endpointId: id, status: 'pending' }, { nextAttemptAt: new Date() });
      return Boolean(changes.enabled);
    });
    if (enabledAgain) this.onDue();
    return this.get(merchantId, id);
  }

  async remove(merchantId: number, id: number, actor: Actor): Promise<void> {
    await transaction(this.db, async (m) => {
      const endpoint = await m.getRepository(WebhookEndpoint).findOneBy({ id, merchantId });
      if (!endpoint) throw notFound();
      await m.getRepository(WebhookDelivery).delete({ endpointId: id });
      await m.getRepository(WebhookEndpoint).delete({ id });
      await this.events.record(m, 'webhook.deleted', { endpoint, actor });
    });
  }

  /** A new secret; the previous one keeps signing (a second signature) for ROTATION_OVERLAP_MS. */
  async rotateSecret(merchantId: number, id: number, actor: Actor): Promise<string> {
    const secret = newSecret();
    await transaction(this.db, async (m) => {
      const repo = m.getRepository(WebhookEndpoint);
      const endpoint = await repo.findOneBy({ id, merchantId });
      if (!endpoint) throw notFound();
      const now = new Date();
      const changes = {
        secret,
        previousSecret: endpoint.secret,
        previousSecretUntil: new Date(now.getTime() + ROTATION_OVERLAP_MS),
        updatedAt: now,
      };
      await repo.update({ id, secret: endpoint.secret }, changes);
      await this.events.record(m, 'webhook.secret_rotated', { endpoint: { ...endpoint, ...changes }, actor });
    });
    return secret;
  }

  /** A `webhook.test` event to this endpoint only. A disabled endpoint is 409 (it would not be sent). */
  async test(merchantId: number, id: number): Promise<WebhookDelivery> {
    const [delivery] = await transaction(this.db, async (m) => {
      const endpoint = await m.getRepository(WebhookEndpoint).findOneBy({ id, merchantId });
      if (!endpoint) throw notFound();
      if (!endpoint.enabled) throw conflict('webhook_disabled');
      const data = { webhook: { id: endpoint.id, url: endpoint.url } };
      return this.outbox.enqueue(m, { merchantId, type: 'webhook.test', data }, endpoint);
    });
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

  /** Due now, whatever its status: a failed or even a succeeded delivery is sent again (same `webhook-id`). */
  async retry(merchantId: number, id: number, deliveryId: number): Promise<WebhookDelivery> {
    const endpoint = await this.get(merchantId, id);
    if (!endpoint.enabled) throw conflict('webhook_disabled');
    const repo = this.db.getRepository(WebhookDelivery);
    const res = await repo.update(
      { id: deliveryId, endpointId: id, merchantId },
      { status: 'pending', nextAttemptAt: new Date() },
    );
    if (!res.affected) throw notFound();
    this.onDue();
    return repo.findOneByOrFail({ id: deliveryId });
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
