import type { IncomingMessage } from 'node:http';
import express from 'express';
import type { Counter } from 'prom-client';
import type { Namespace, Server, Socket } from 'socket.io';
import type { Principal } from '../auth/principals';
import { bearerToken, type Tokens } from '../auth/tokens';
import type { Config } from '../config';
import { AppError, type ErrorBody, errorBody, toAppError } from '../errors';
import type { Logger } from '../logger';

/** Socket.IO's own constraint on event maps (not exported by the package). */
// biome-ignore lint/suspicious/noExplicitAny: mirrors socket.io's EventsMap
type EventsMap = { [event: string]: any };

/** What a namespace needs of the HTTP request that opened the connection; the request itself is dropped. */
interface ConnectionInfo {
  authorization: string | undefined;
  ip: string | null;
  tokenInQuery: boolean;
}

const infos = new WeakMap<object, ConnectionInfo>();
/** A query parameter whose name looks like a credential (`token`, `TOKEN`, `authorization`, `api_key`, …). */
const CREDENTIAL_NAME = /token|auth|jwt|bearer|key|secret|passw|session|cred/i;

/**
 * Keeps three facts of each Engine.IO connection's HTTP request (Authorization header, client address, whether
 * the query string carries a token) and lets go of the request, which would otherwise stay in memory as long as
 * the socket lives. The address is Express's `req.ip` with the same TRUST_PROXY setting as the REST API.
 */
export function keepOnlyHandshakeFacts(io: Server, trustProxy: Config['trustProxy']): void {
  const app = trustProxy === undefined ? undefined : express().set('trust proxy', trustProxy);
  const ipOf = (req: IncomingMessage): string | undefined => {
    if (!app) return req.socket.remoteAddress;
    Object.setPrototypeOf(req, app.request); // what Express does to every request; gives the `ip` getter
    return (req as express.Request).ip;
  };
  io.engine.on('connection', (raw: { request: IncomingMessage | null }) => {
    const req = raw.request!;
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const ip = ipOf(req);
    infos.set(raw, {
      authorization: req.headers.authorization,
      ip: ip ? ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') : null,
      tokenInQuery: [...query.keys()].some((name) => CREDENTIAL_NAME.test(name)),
    });
    raw.request = null;
  });
}

export function clientIp(socket: Pick<Socket, 'conn'>): string | null {
  return infos.get(socket.conn)?.ip ?? null;
}

/**
 * The same verification as REST: `auth.token` (or `Authorization: Bearer`) through Tokens.principalFromToken.
 * A token in the query string refuses the connection (UNAUTHENTICATED): it would end up in access logs.
 */
async function principalOf(
  socket: Pick<Socket, 'conn' | 'handshake'>,
  tokens: Tokens,
): Promise<{ principal: Principal; token: string }> {
  const info = infos.get(socket.conn);
  if (!info || info.tokenInQuery) throw new AppError('UNAUTHENTICATED');
  const auth: unknown = socket.handshake.auth?.token;
  if (auth !== undefined && (typeof auth !== 'string' || auth.length > 4096)) throw new AppError('INVALID_TOKEN');
  const token = auth || bearerToken(info.authorization);
  if (!token) throw new AppError('UNAUTHENTICATED');
  return { principal: await tokens.principalFromToken(token), token };
}

/**
 * Handshake middleware for a namespace: authenticates, then `accept` checks the principal (throwing an AppError
 * refuses) and returns the socket's data. A refusal is a `connect_error` whose message is the code and data
 * {code, message}.
 */
export function authenticateSockets<L extends EventsMap, E extends EventsMap, S extends EventsMap, D>(
  nsp: Namespace<L, E, S, D>,
  deps: { tokens: Tokens; logger: Logger; handshakes: Counter },
  accept: (principal: Principal, token: string, socket: Socket<L, E, S, D>) => D | Promise<D>,
): void {
  nsp.use(async (socket, next) => {
    try {
      const { principal, token } = await principalOf(socket, deps.tokens);
      socket.data = await accept(principal, token, socket);
      deps.handshakes.inc({ namespace: nsp.name, outcome: 'ok' });
      next();
    } catch (err) {
      const data = socketError(err, deps.logger);
      deps.handshakes.inc({ namespace: nsp.name, outcome: data.code });
      next(Object.assign(new Error(data.code), { data }));
    }
  });
}

/** The socket adapter of the one error type (acks, connect_error, `expired`). Anything unexpected is INTERNAL. */
export function socketError(err: unknown, logger: Logger): ErrorBody {
  let appErr = toAppError(err);
  if (!appErr) {
    logger.error({ err }, 'socket handler failed');
    appErr = new AppError('INTERNAL');
  }
  return errorBody(appErr, 'en');
}
