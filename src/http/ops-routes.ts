import { Router } from 'express';
import type { AppContext } from '../context';

/** /healthz, /readyz, /metrics, /openapi.json. */
export function opsRoutes(ctx: AppContext, openapi: object): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const failing: string[] = [];
    await ctx.db.query('SELECT 1').catch(() => failing.push('database'));
    for (const check of ctx.readiness) await check().catch((err: Error) => failing.push(err.message));
    res
      .status(failing.length ? 503 : 200)
      .json(failing.length ? { status: 'unavailable', failing } : { status: 'ready' });
  });
  r.get('/metrics', async (_req, res) => {
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  r.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  return r;
}
