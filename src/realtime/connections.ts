import { type IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { Counter } from 'prom-client';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Server } from 'socket.io';
import type { Config } from '../config';
import { withDeadline } from '../errors';

/** What a namespace needs of the HTTP request that opened the connection; the request itself is dropped. */
export interface ConnectionFacts {
  authorization: string | undefined;
  ip: string | null;
  tokenInQuery: boolean;
}

/** A query parameter whose name looks like a credential (`token`, `TOKEN`, `authorization`, `api_key`, …). */
const CREDENTIAL_NAME = /token|auth|jwt|bearer|key|secret|passw|session|cred/i;
/** What one refused handshake costs its address, in connection attempts: bad-token floods run dry fast. */
const REFUSAL_COST = 5;

const facts = new WeakMap<object, ConnectionFacts>();
/** The address `allowRequest` found for a request, for the connection it opens (read once per connection). */
const addresses = new WeakMap<IncomingMessage, string>();
/**
 * Engine.IO's stand-in response of a WebSocket upgrade, by request. Engine.IO keeps it as long as the connection (in
 * a `close` listener on the TCP socket) and it holds the request: headers, raw headers, URL, streams state, about a
 * kilobyte per connection. Once the connection is made it lets go of its request (`req`, which it needs only while
 * the upgrade's headers are written).
 */
const upgrades = new WeakMap<IncomingMessage, { req: IncomingMessage | null }>();

/** The facts kept of an Engine.IO connection (`socket.conn`). */
export const factsOf = (conn: object): ConnectionFacts | undefined => facts.get(conn);

export interface ConnectionLimits {
  trustProxy: Config['trustProxy'];
  /** Open connections allowed per client address (tablets of a store share a NAT address). */
  maxPerAddress: number;
  /** New connections allowed per client address per minute; each refused handshake costs REFUSAL_COST. */
  connectsPerMinute: number;
}

/**
 * The door of the socket server, before any token check or database work: `allowRequest` refuses a new connection
 * when its address already holds `maxPerAddress` connections or has spent its attempts for the minute. Every
 * accepted connection keeps three facts of its HTTP request (Authorization header, client address, whether the query
 * string carries a credential) and lets go of the request, which would otherwise live as long as the socket.
 * The address is Express's `req.ip` with the same TRUST_PROXY setting as the REST API.
 */
export class ConnectionGuard {
  private readonly open = new Map<string, number>();
  private readonly attempts: RateLimiterMemory;
  private readonly ipOf: (req: IncomingMessage) => string;

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly refusals: Counter,
  ) {
    this.attempts = new RateLimiterMemory({ points: limits.connectsPerMinute, duration: 60 });
    const app = limits.trustProxy === undefined ? undefined : express().set('trust proxy', limits.trustProxy);
    this.ipOf = (req) => {
      let ip = req.socket.remoteAddress;
      if (app) {
        Object.setPrototypeOf(req, app.request); // what Express does to every request; gives the `ip` getter
        ip = (req as express.Request).ip;
      }
      return (ip ?? 'unknown').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
    };
  }

  /** Engine.IO's `allowRequest`: called once per new connection, before anything else is done for it. */
  readonly allowRequest = (req: IncomingMessage, callback: (err: string | null | undefined, ok: boolean) => void) => {
    const ip = this.ipOf(req);
    addresses.set(req, ip);
    if ((this.open.get(ip) ?? 0) >= this.limits.maxPerAddress) {
      this.refusals.inc({ reason: 'too_many_open' });
      return callback('too many connections from this address', false);
    }
    this.attempts.consume(ip).then(
      () => callback(null, true),
      () => {
        this.refusals.inc({ reason: 'too_many_attempts' });
        callback('too many connection attempts from this address', false);
      },
    );
  };

  /** Keeps the facts of each connection and counts it against its address until it closes. */
  attach(io: Server): void {
    io.engine.use((req: IncomingMessage, res: unknown, next: () => void) => {
      if (!(res instanceof ServerResponse) && res && typeof res === 'object' && 'req' in res)
        upgrades.set(req, res as { req: IncomingMessage | null });
      next();
    });
    io.engine.on('connection', (raw: { request: IncomingMessage | null; on(e: 'close', f: () => void): void }) => {
      const req = raw.request!;
      const ip = addresses.get(req) ?? this.ipOf(req);
      const url = req.url ?? '';
      const query = new URLSearchParams(url.slice(url.indexOf('?') + 1 || url.length));
      facts.set(raw, {
        authorization: req.headers.authorization,
        ip,
        tokenInQuery: [...query.keys()].some((name) => CREDENTIAL_NAME.test(name)),
      });
      raw.request = null;
      const upgrade = upgrades.get(req);
      if (upgrade) upgrade.req = null;
      this.open.set(ip, (this.open.get(ip) ?? 0) + 1);
      raw.on('close', this.closed); // emitted once; `on` spares the wrapper `once` makes per connection
    });
  }

  /** One handler for every connection (`this`: the connection): no closure per connection. */
  private readonly closed = ((guard: ConnectionGuard) =>
    function (this: object) {
      const ip = factsOf(this)?.ip;
      if (ip === undefined || ip === null) return;
      const n = (guard.open.get(ip) ?? 1) - 1;
      if (n > 0) guard.open.set(ip, n);
      else guard.open.delete(ip);
    })(this);

  /** A refused handshake spends more of its address's attempts. */
  refused(conn: object): void {
    const ip = factsOf(conn)?.ip;
    if (ip) this.attempts.penalty(ip, REFUSAL_COST - 1).catch(() => undefined);
  }
}

/** How long a shutdown waits for the clients to answer its close frames before it drops their connections. */
export const CLOSE_WAIT_MS = 500;

/**
 * `io.close()`, bounded: every socket is disconnected and its client sent a WebSocket close frame at once, the
 * listener stops; then the close handshakes are the clients' to finish. Waiting for each one (ws gives a silent peer
 * 30 s) would hold a restart up for the slowest tablet: after `waitMs` the connections still open are dropped (the
 * close frame is already on its way; the tablets reconnect either way).
 */
export async function closeSockets(io: Server, waitMs = CLOSE_WAIT_MS): Promise<void> {
  // Engine.IO lets go of a connection as soon as it has sent its close frame; its `ws` socket (the transport's
  // `socket`) lives on until the handshake ends, and only it can drop the TCP connection: taken beforehand.
  const { clients } = io.engine as unknown as {
    clients: Record<string, { transport?: { socket?: { terminate?(): void } } }>;
  };
  const sockets = Object.values(clients).map((conn) => conn.transport?.socket);
  const closed = io.close(); // resolves once every connection of the HTTP server has ended
  const answered = await withDeadline(closed, waitMs).then(
    () => true,
    () => false,
  );
  if (answered) return;
  for (const ws of sockets) ws?.terminate?.(); // a no-op for one already closed
  closed.catch(() => undefined); // HTTP requests still open are the caller's to close
}
