import type { Counter } from 'prom-client';
import type { Socket } from 'socket.io';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { socketError } from './handshake';

/** Refused events in a row after which a socket is dropped: it is not listening to RATE_LIMITED. */
const DROP_AFTER = 50;

/** A socket's token bucket: three numbers, kept by the socket (no closure per socket). */
export interface EventBucket {
  tokens: number;
  last: number;
  refused: number;
}

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

  /** A full bucket for a new socket. */
  bucket(): EventBucket {
    return { tokens: this.perSecond * 2, last: Date.now(), refused: 0 };
  }

  /** As a middleware of the socket's events (for sockets whose events go to `socket.on` handlers). */
  apply(socket: Socket, namespace: string): void {
    const bucket = this.bucket();
    socket.use((packet, next) => this.allow(socket, bucket, packet, namespace) && next());
  }

  /**
   * Whether the socket may send this event (`args`: the event's arguments, an ack function last if it asked for
   * one) now; if not, the ack is answered RATE_LIMITED.
   */
  allow(socket: Socket, bucket: EventBucket, args: unknown[], namespace: string): boolean {
    const now = Date.now();
    const burst = this.perSecond * 2;
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.last) * this.perSecond) / 1000);
    bucket.last = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.refused = 0;
      return true;
    }
    this.limited.inc({ namespace });
    const ack = args[args.length - 1];
    if (typeof ack === 'function') ack({ error: socketError(new AppError('RATE_LIMITED'), this.logger) });
    if (++bucket.refused >= DROP_AFTER) socket.disconnect(true);
    return false;
  }
}
