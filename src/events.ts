import { EventEmitter } from 'node:events';
import type { EntityManager } from 'typeorm';
import type { Actor } from './auth/actor';
import type { DeviceCommand } from './commands/entities';
import type { DeviceView } from './devices/domain';
import type { TerminalDevice } from './devices/entities';
import type { Device } from './devices/schemas';
import type { OfflineReason } from './realtime/socket-events';
import type { WebhookEndpoint } from './webhooks/entities';
import type { Logger } from './logger';

/**
 * Typed in-process domain events. Domain modules publish; realtime/ (and anything else) subscribes.
 * A listener that throws is logged, never fails the request that published the event.
 */
export interface DomainEventMap {
  'device.paired': { device: TerminalDevice };
  'device.updated': { device: TerminalDevice };
  /**
   * Committed, before any read: `device` is what the drop needs; `view()` reads the row once (the dashboards' event
   * and the answer share it), after the drop has gone out.
   */
  'device.revoked': { device: RevokedDevice; actor: Actor; view: () => Promise<DeviceView> };
  'device.reissued': { device: TerminalDevice; previousJti: string };
  'device.expiring': { device: TerminalDevice };
  /** A command was stored: realtime delivers it. */
  'command.created': { command: DeviceCommand };
  /** Any change of a command, its creation included. */
  'command.updated': { command: DeviceCommand };
  /** The device renewed its own token: a new jti and expiry; `previousJti` stays valid for a grace period. */
  'device.renewed': { device: TerminalDevice; previousJti: string };
  /** A device socket got its `session` / went away (audited in batches, not one write per socket). */
  'device.connected': { device: Pick<TerminalDevice, 'id' | 'merchantId'>; ip: string | null };
  'device.disconnected': { device: Pick<TerminalDevice, 'id' | 'merchantId'>; ip: string | null; reason: string };
  /** The renewed token was used for the first time: `previousJti` is refused from now on. */
  'device.previous_token_retired': { device: TerminalDevice; previousJti: string };
  /**
   * A presence transition, published once cluster-wide by the node that announces it to dashboards: the device's
   * first socket anywhere (`online`), or its last one gone (`offline`, with why).
   */
  'device.presence': { device: Device; row: TerminalDevice; online: boolean; reason?: OfflineReason };
  /** Committed: an offline alert was raised (dashboards get `device:offline_alert`). */
  'device.offline_alert': { device: TerminalDevice; offlineSince: Date };
  /** Committed: an alerted device is back. */
  'device.back_online': { device: TerminalDevice; offlineForS: number };
}

/**
 * What happens inside a change's own database transaction: `record()`ed with the transaction's manager, so what a
 * subscriber writes (an audit entry, an outbox event) commits or rolls back with the change.
 */
export interface TransactionalEventMap {
  'device.paired': { device: TerminalDevice; actor: Actor };
  'device.renamed': { device: TerminalDevice; actor: Actor; from: string };
  /** The revoke's conditional UPDATE, not read back: `view()` reads it in the transaction for whoever needs it. */
  'device.revoked': { device: RevokedDevice; actor: Actor; view: () => Promise<DeviceView> };
  'device.reissued': { device: TerminalDevice; actor: Actor };
  'device.token_renewed': { device: TerminalDevice; actor: Actor };
  /** The expiry scan flagged the device (its conditional update): audited and sent to webhooks with it. */
  'device.expiry_flagged': { device: TerminalDevice };
  'command.created': { command: DeviceCommand; actor: Actor };
  /** A final status: succeeded or failed (the device), expired (the sweeper), canceled (a user, or a revoke). */
  'command.finished': { command: DeviceCommand; actor: Actor };
  'program.updated': { merchantId: number; actor: Actor; program: Record<string, unknown> };
  'alerts.updated': { merchantId: number; actor: Actor; offlineAfterS: number | null };
  'webhook.created': { endpoint: WebhookEndpoint; actor: Actor };
  'webhook.updated': { endpoint: WebhookEndpoint; actor: Actor; changed: string[] };
  'webhook.deleted': { endpoint: WebhookEndpoint; actor: Actor };
  'webhook.secret_rotated': { endpoint: WebhookEndpoint; actor: Actor };
  /** Turned off by the dispatcher (every attempt failed for 3 days). */
  'webhook.disabled': { endpoint: WebhookEndpoint; actor: Actor; reason: string };
  /** Offline past the merchant's threshold: raised once per outage, cluster-wide (the alert job's conditional update). */
  'device.offline_alert': { device: TerminalDevice; offlineSince: Date; actor: Actor };
  /** Back after an alerted outage. */
  'device.back_online': { device: TerminalDevice; offlineForS: number; actor: Actor };
}

/** A device as a revoke knows it before reading anything: what its drop and its audit entry need. */
export type RevokedDevice = Pick<TerminalDevice, 'id' | 'merchantId' | 'revokedReason'>;

/** `ahead`'s result, when the listener started one (see `onTransaction`). */
type TxListener<K extends keyof TransactionalEventMap> = (
  e: TransactionalEventMap[K],
  m: EntityManager,
  ahead?: unknown,
) => Promise<void>;

/** Work a transactional listener starts before the transaction: its result is handed to the listener. */
type AheadOf = (scope: { merchantId: number }) => Promise<unknown>;

export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly inTransaction = new Map<string, { listener: TxListener<never>; ahead?: AheadOf }[]>();
  private readonly pending = new Set<Promise<void>>();
  constructor(private readonly logger: Logger) {
    this.emitter.setMaxListeners(50);
  }

  on<K extends keyof DomainEventMap>(name: K, listener: (e: DomainEventMap[K]) => void | Promise<void>): void {
    this.emitter.on(name, (e: DomainEventMap[K]) => {
      const run = Promise.resolve()
        .then(() => listener(e))
        .catch((err) => this.logger.error({ err, event: name }, 'domain event listener failed'))
        .finally(() => this.pending.delete(run));
      this.pending.add(run);
    });
  }

  /**
   * A listener run inside the change's transaction: what it throws rolls the change back. `ahead`: what it can
   * start before the transaction (a read on a pooled connection of its own), for a change that asks for it with
   * `ahead()`: the read then runs alongside the transaction's first statements instead of after them.
   */
  onTransaction<K extends keyof TransactionalEventMap>(name: K, listener: TxListener<K>, ahead?: AheadOf): void {
    const list = this.inTransaction.get(name) ?? [];
    list.push({ listener: listener as TxListener<never>, ahead });
    this.inTransaction.set(name, list);
  }

  /** Starts the `ahead` work of `name`'s listeners, before the transaction; pass the result to `record`. */
  ahead(name: keyof TransactionalEventMap, scope: { merchantId: number }): Promise<unknown[]> {
    return Promise.all((this.inTransaction.get(name) ?? []).map((l) => l.ahead?.(scope)));
  }

  /** Runs the transactional listeners of `name`, one after another, with the transaction's manager. */
  async record<K extends keyof TransactionalEventMap>(
    m: EntityManager,
    name: K,
    event: TransactionalEventMap[K],
    ahead?: unknown[],
  ): Promise<void> {
    const list = this.inTransaction.get(name) ?? [];
    for (let i = 0; i < list.length; i++) await (list[i].listener as TxListener<K>)(event, m, ahead?.[i]);
  }

  emit<K extends keyof DomainEventMap>(name: K, event: DomainEventMap[K]): void {
    this.emitter.emit(name, event);
  }

  /** Resolves once every listener started so far has finished (shutdown, one-shot commands). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
