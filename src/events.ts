import { EventEmitter } from 'node:events';
import type { DeviceCommand } from './commands/entities';
import type { TerminalDevice } from './devices/entities';
import type { Logger } from './logger';

/**
 * Typed in-process domain events. Domain modules publish; realtime/ (and anything else) subscribes.
 * A listener that throws is logged, never fails the request that published the event.
 */
export interface DomainEventMap {
  'device.paired': { device: TerminalDevice };
  'device.updated': { device: TerminalDevice };
  'device.revoked': { device: TerminalDevice };
  'device.reissued': { device: TerminalDevice; previousJti: string };
  'device.expiring': { device: TerminalDevice };
  /** A command was stored: realtime delivers it. */
  'command.created': { command: DeviceCommand };
  /** Any change of a command, its creation included. */
  'command.updated': { command: DeviceCommand };
  /** The device renewed its own token: a new jti and expiry; `previousJti` stays valid for a grace period. */
  'device.renewed': { device: TerminalDevice; previousJti: string };
  /** The renewed token was used for the first time: `previousJti` is refused from now on. */
  'device.previous_token_retired': { device: TerminalDevice; previousJti: string };
}

export class EventBus {
  private readonly emitter = new EventEmitter();
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

  emit<K extends keyof DomainEventMap>(name: K, event: DomainEventMap[K]): void {
    this.emitter.emit(name, event);
  }

  /** Resolves once every listener started so far has finished (shutdown, one-shot commands). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
