import type { Counter } from 'prom-client';
import type { Namespace, Socket } from 'socket.io';
import type { Principal } from '../auth/principals';
import { bearerToken, type Tokens } from '../auth/tokens';
import { AppError, type ErrorBody, errorBody, toAppError, withDeadline } from '../errors';
import type { Logger } from '../logger';
import { type ConnectionGuard, factsOf } from './connections';

/** Socket.IO's own constraint on event maps (not exported by the package). */
// biome-ignore lint/suspicious/noExplicitAny: mirrors socket.io's EventsMap
type EventsMap = { [event: string]: any };

export function clientIp(socket: Pick<Socket, 'conn'>): string | null {
  return factsOf(socket.conn)?.ip ?? null;
}

/**
 * The same verification as REST: `auth.token` (or `Authorization: Bearer`) through Tokens.principalFromToken.
 * A token in the query string refuses the connection (UNAUTHENTICATED): it would end up in access logs.
 */
async function principalOf(
  socket: Pick<Socket, 'conn' | 'handshake'>,
  tokens: Tokens,
): Promise<{ principal: Principal; token: string; checkedAt: number }> {
  const checkedAt = Date.now();
  const info = factsOf(socket.conn);
  if (!info || info.tokenInQuery) throw new AppError('UNAUTHENTICATED');
  const auth: unknown = socket.handshake.auth?.token;
  if (auth !== undefined && (typeof auth !== 'string' || auth.length > 4096)) throw new AppError('INVALID_TOKEN');
  const token = auth || bearerToken(info.authorization);
  if (!token) throw new AppError('UNAUTHENTICATED');
  return { principal: await tokens.principalFromToken(token, { socket: true }), token, checkedAt };
}

/** What a namespace's handshake needs: the token check, the door it reports refusals to, and its metrics. */
export interface HandshakeDeps {
  tokens: Tokens;
  logger: Logger;
  handshakes: Counter;
  guard: ConnectionGuard;
  /** A token check that has not finished by then (a database that hangs) refuses with SERVICE_UNAVAILABLE. */
  timeoutMs: number;
}

/**
 * Handshake middleware for a namespace: authenticates, then `accept` checks the principal (throwing an AppError
 * refuses) and returns the socket's data. A refusal is a `connect_error` whose message is the code and data
 * {code, message}.
 */
export function authenticateSockets<L extends EventsMap, E extends EventsMap, S extends EventsMap, D>(
  nsp: Namespace<L, E, S, D>,
  deps: HandshakeDeps,
  /** `checkedAt`: when the token check began (a revoke seen after it may not be in the row it read). */
  accept: (principal: Principal, token: string, socket: Socket<L, E, S, D>, checkedAt: number) => D | Promise<D>,
): void {
  nsp.use(async (socket, next) => {
    try {
      const { principal, token, checkedAt } = await withDeadline(principalOf(socket, deps.tokens), deps.timeoutMs);
      socket.data = await accept(principal, token, socket, checkedAt);
      deps.handshakes.inc({ namespace: nsp.name, outcome: 'ok' });
      next();
    } catch (err) {
      const data = socketError(err, deps.logger);
      deps.handshakes.inc({ namespace: nsp.name, outcome: data.code });
      deps.guard.refused(socket.conn);
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
