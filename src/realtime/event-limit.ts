import type { Counter } from 'prom-client';
import type { Socket } from 'socket.io';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { socketError } from './handshake';

/** Refused events in a row after which a socket is dropped: it is not listening to RATE_LIMITED. */
const DROP_AFTER = 50;

/**
 * A token bucket per socket for the events a client sends: `perSecond` on average, bursts of twice that. An event
 * over the limit is not handled; its ack (if any) gets `{error: {code: "RATE_LIMITED"}}`. A socket that keeps
 * sending regardless is disconnected.
 */
export class EventLimiter {
  constructor(
    private readonly perSecond: number,
    private readonly logger: Logger,
    private readonly limited: Counter,
  ) {}

  apply(socket: Socket, namespace: string): void {
    const burst = this.perSecond * 2;
    let tokens = burst;
    let last = Date.now();
    let refusedInARow = 0;
    socket.use((packet, next) => {
      const now = Date.now();
      tokens = Math.min(burst, tokens + ((now - last) * this.perSecond) / 1000);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        refusedInARow = 0;
        return next();
      }
      this.limited.inc({ namespace });
      const ack = packet[packet.length - 1];
      if (typeof ack === 'function') ack({ error: socketError(new AppError('RATE_LIMITED'), this.logger) });
      if (++refusedInARow >= DROP_AFTER) socket.disconnect(true);
    });
  }
}
