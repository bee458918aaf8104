import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import type { Principal } from '../auth/principals';
import { AppError, type ErrorCode, forbidden, withDeadline } from '../errors';
import type { Role } from '../tenancy/entities';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Which token a route takes: none, a user token, or either kind (the store API). Which user, and for which merchant
 * or store, is the policy's to decide (`roles` here, `Policy` in the handler).
 */
export type Auth = 'none' | 'user' | 'user_or_device';

/** A reply with a status other than the route's own (e.g. 503 from /readyz), or with headers. */
export class Reply<T> {
  constructor(
    readonly status: number,
    readonly body: T,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** An answer already serialised (an Idempotency-Key replay is the first answer, byte for byte). */
export class RawJson {
  constructor(
    readonly status: number,
    readonly json: string,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** The route's body, or a Reply (another status, or headers), or a pre-serialised answer. */
type Answer<R> = NoInfer<R> | Reply<unknown> | RawJson;

export interface RouteInput<P, Q, B, H> {
  params: P;
  query: Q;
  body: B;
  headers: H;
  principal: Principal | undefined;
  /** The client address, as Express derives it with TRUST_PROXY. */
  ip: string;
}

/** What a route answers with on success: a JSON schema, or another content type (Prometheus text). */
export type RouteResponse<R> = z.ZodType<R> | { contentType: string };

/**
 * One route, defined once: the same object mounts it on Express and documents it in OpenAPI. `path` is the full
 * path in OpenAPI form (`/api/v1/merchants/loyalty/devices/{device_id}`). Request parts are parsed (a bad one is
 * 400 VALIDATION_ERROR naming each field) before the handler runs; the handler calls one service method and
 * presents the result, which the route sends with `status`.
 */
export interface Route<P = unknown, Q = unknown, B = unknown, H = unknown, R = unknown> {
  method: Method;
  path: string;
  tag: string;
  summary: string;
  description?: string;
  auth: Auth;
  /** Only users with one of these roles (others, and devices, are 403 FORBIDDEN). */
  roles?: readonly Role[];
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Request headers, keyed by their canonical name (`Idempotency-Key`); every one optional on the wire. */
  headers?: z.ZodObject<z.ZodRawShape> & z.ZodType<H>;
  status?: number;
  response: RouteResponse<R>;
  /** Other statuses this route answers with a JSON body that is not an error (documented only). */
  otherResponses?: Record<number, { description: string; schema: z.ZodType }>;
  /** The route's own refusals, by code, with when they happen. Token and validation errors are added from `auth`. */
  errors?: Partial<Record<ErrorCode, string>>;
  /** `Cache-Control: no-store` (answers that carry a secret). */
  noStore?: boolean;
  /** Middleware run after the body is read, before it is validated (a rate limiter). */
  before?: RequestHandler[];
  handler(input: RouteInput<P, Q, B, H>): Promise<Answer<R>> | Answer<R>;
}

/** Defines a route with its types inferred from its schemas. */
export const route = <P = undefined, Q = undefined, B = undefined, H = undefined, R = unknown>(
  r: Route<P, Q, B, H, R>,
): Route => r as unknown as Route;

/** `/devices/{device_id}` → `/devices/:device_id`. */
export const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

export interface MountOptions {
  /** Check every JSON answer against the route's response schema (tests): a mismatch is a 500 and an error log. */
  validateResponses: boolean;
  /** Reads a JSON body: run only by routes that take one, after authentication (nothing is parsed before needed). */
  jsonBody: RequestHandler;
  /** A handler that has not answered by then (a database that hangs) is answered 503 SERVICE_UNAVAILABLE. */
  timeoutMs: number;
}

/** Mounts routes on a router, each with its parsing, role check, handler and answer. */
export function mountRoutes(router: Router, routes: Route[], opts: MountOptions): void {
  for (const r of routes) {
    const parse = r.body ? [opts.jsonBody] : [];
    router[r.method](expressPath(r.path), ...parse, ...(r.before ?? []), handle(r, opts));
  }
}

function handle(r: Route, opts: MountOptions): RequestHandler {
  return async (req: Request, res: Response) => {
    const principal = req.principal;
    if (r.auth !== 'none' && !principal) throw new AppError('UNAUTHENTICATED');
    if (r.auth === 'user' && principal?.kind !== 'user') throw forbidden();
    if (r.roles && !(principal?.kind === 'user' && r.roles.includes(principal.role))) throw forbidden();
    const input = {
      params: r.params ? r.params.parse(req.params) : undefined,
      query: r.query ? r.query.parse(req.query) : undefined,
      headers: r.headers ? r.headers.parse(headersOf(req, Object.keys(r.headers.shape))) : undefined,
      body: r.body ? r.body.parse(req.body ?? undefined) : undefined,
      principal,
      ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
    };
    const out = await withDeadline(Promise.resolve(r.handler(input)), opts.timeoutMs);
    if (r.noStore) res.set('Cache-Control', 'no-store');
    if (out instanceof RawJson) return void res.status(out.status).set(out.headers).type('json').send(out.json);
    const reply = out instanceof Reply ? out : new Reply(r.status ?? 200, out);
    res.status(reply.status).set(reply.headers);
    if ('contentType' in r.response) return void res.type(r.response.contentType).send(reply.body);
    if (reply.status === 204) return void res.end();
    if (opts.validateResponses && reply.status === (r.status ?? 200)) checkResponse(r, reply.body);
    res.json(reply.body);
  };
}

function headersOf(req: Request, names: string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, req.header(name)]));
}

function checkResponse(r: Route, body: unknown): void {
  const result = (r.response as z.ZodType).safeParse(body);
  if (!result.success) {
    const where = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    // Not a ZodError: the caller did nothing wrong, so this must not become a 400.
    throw new Error(`${r.method.toUpperCase()} ${r.path} answered outside its response schema (${where})`);
  }
}
