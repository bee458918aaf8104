import { z } from 'zod';
import { type Locale, translate } from './i18n';

/** Every error code of the contract (§3), with its HTTP status. */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  MALFORMED_JSON: 400,
  UNAUTHENTICATED: 401,
  INVALID_TOKEN: 401,
  TOKEN_EXPIRED: 401,
  TERMINAL_DEVICE_REVOKED: 401,
  TERMINAL_DEVICE_EXPIRED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INSUFFICIENT_STAMPS: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * The one error type, imported by every layer. `code` is stable and public; the message shown to clients comes from
 * the locale files (`errors.<CODE>`), so nothing internal leaks through it. `details` is public too: put only
 * client-safe data in it.
 */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(code);
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = () => new AppError('NOT_FOUND');
export const forbidden = () => new AppError('FORBIDDEN');
export const conflict = (reason: string) => new AppError('CONFLICT', { reason });
export const validationError = (fields: Record<string, string>) => new AppError('VALIDATION_ERROR', { fields });
/** The database (or Redis, where it is needed) does not answer, or not in time: try again shortly. */
export const unavailable = () => new AppError('SERVICE_UNAVAILABLE', undefined, { 'Retry-After': '5' });

/**
 * Driver error codes that mean "the database is not there right now", not "this request is wrong": a refused or
 * lost connection, a timeout, a full server, a lock held too long.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_QUERY_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);

function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown }; message?: unknown } | null;
  const code = e?.driverError?.code ?? e?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  // mysql2 once its pool is closed, ioredis once it gave up on a command.
  return typeof e?.message === 'string' && /^(Pool is closed|Connection is closed|Queue limit reached)/.test(e.message);
}

/** Rejects with SERVICE_UNAVAILABLE when `work` takes longer than `ms` (the work itself runs on, unobserved). */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unavailable()), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** `{fields: {"label": "…", "store_id": "…"}}`: one message per bad field, `body` when the body itself is wrong. */
export function validationDetails(err: z.ZodError): { fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  for (const issue of err.issues) {
    const key = issue.path.length ? issue.path.join('.') : 'body';
    fields[key] ??= issue.message;
  }
  return { fields };
}

/** Maps anything thrown to an AppError: ours as they are, body-parser's and zod's to their codes, else undefined. */
export function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err instanceof z.ZodError) return new AppError('VALIDATION_ERROR', validationDetails(err));
  const type = (err as { type?: string } | null)?.type;
  if (type === 'entity.parse.failed') return new AppError('MALFORMED_JSON');
  if (type === 'entity.too.large')
    return new AppError('PAYLOAD_TOO_LARGE', { limit: (err as { limit?: number }).limit });
  if (type === 'encoding.unsupported' || type === 'charset.unsupported' || type === 'request.size.invalid')
    return validationError({ body: 'unsupported encoding' });
  if (isUnavailable(err)) return unavailable();
  return undefined;
}

/** The wire form of an error, `{code, message, details?}`: the `error` of a REST body, an ack, a connect_error. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** Builds the error body in a locale; the REST and socket adapters both call this. */
export function errorBody(err: AppError, locale: Locale): ErrorBody {
  const message = translate(locale, `errors.${err.code}`);
  return { code: err.code, message, ...(err.details ? { details: err.details } : {}) };
}
