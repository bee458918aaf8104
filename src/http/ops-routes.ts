import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { bearerToken } from '../auth/tokens';
import type { Services } from '../context';
import { AppError } from '../errors';
import { Reply, type Route, route } from './route';

const ready = z.strictObject({ status: z.literal('ready') });
const unavailable = z.strictObject({ status: z.literal('unavailable'), failing: z.array(z.string()) });

const digest = (s: string) => createHash('sha256').update(s).digest();

/** With METRICS_TOKEN set, /metrics wants `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time). */
function metricsGuard(token: string | undefined): RequestHandler[] {
  if (!token) return [];
  const expected = digest(token);
  return [
    (req, _res, next) => {
      const given = bearerToken(req.headers.authorization);
      next(given && timingSafeEqual(digest(given), expected) ? undefined : new AppError('UNAUTHENTICATED'));
    },
  ];
}

/** /healthz, /readyz, /metrics, /openapi.json. */
export function opsRoutes({ readiness, metrics, config }: Services, openapi: () => object): Route[] {
  const ops = { tag: 'operations', auth: 'none' } as const;
  return [
    route({
      ...ops,
      method: 'get',
      path: '/healthz',
      summary: 'The process is up',
      response: z.strictObject({ status: z.literal('ok') }),
      handler: () => ({ status: 'ok' as const }),
    }),
    route({
      ...ops,
      method: 'get',
      path: '/readyz',
      summary: 'The database (and Redis, when configured) answer',
      response: ready,
      otherResponses: { 503: { description: 'Something this node needs does not answer', schema: unavailable } },
      handler: async () => {
        const failing: string[] = [];
        for (const { name, check } of readiness) await check().catch(() => failing.push(name));
        if (failing.length) return new Reply(503, { status: 'unavailable', failing });
        return { status: 'ready' as const };
      },
    }),
    route({
      ...ops,
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      description: 'With METRICS_TOKEN set, only with `Authorization: Bearer <METRICS_TOKEN>`.',
      before: metricsGuard(config.metricsToken),
      ...(config.metricsToken ? { errors: { UNAUTHENTICATED: 'METRICS_TOKEN is set and was not given' } } : {}),
      response: { contentType: metrics.registry.contentType },
      handler: () => metrics.registry.metrics(),
    }),
    route({
      ...ops,
      method: 'get',
      path: '/openapi.json',
      summary: 'This document (OpenAPI 3.1)',
      response: z.looseObject({ openapi: z.literal('3.1.0') }),
      handler: () => openapi() as { openapi: '3.1.0' },
    }),
  ];
}
