import express, { type Express, type Router } from 'express';
import helmet from 'helmet';
import pinoHttp from 'pino-http';
import type { AppContext } from '../context';
import { deviceDocs } from '../devices/docs';
import { deviceRoutes } from '../devices/routes';
import { loyaltyDocs } from '../loyalty/docs';
import { programRoutes, storeLoyaltyRoutes } from '../loyalty/routes';
import { tenancyDocs } from '../tenancy/docs';
import { adminTenancyRoutes, loginRoutes, meRoutes, merchantTenancyRoutes } from '../tenancy/routes';
import { webRoutes } from '../web/routes';
import { authenticate } from './auth';
import { errorHandler, notFoundHandler } from './error-handler';
import { buildOpenApi, type ApiOp } from './openapi';
import { opsDocs } from './ops-docs';
import { opsRoutes } from './ops-routes';

export const apiDocs: ApiOp[] = [...opsDocs, ...tenancyDocs, ...deviceDocs, ...loyaltyDocs];

/** A router and the path it is mounted at (the OpenAPI test walks these). */
export interface Mount {
  path: string;
  router: Router;
}

/** The Express app: middleware, every router, the error handler. Pure wiring, no logic. */
export function createApp(ctx: AppContext, extraMounts: Mount[] = []): { app: Express; mounts: Mount[] } {
  const app = express();
  const mounts: Mount[] = [];
  const mount = (path: string, router: Router) => {
    mounts.push({ path, router });
    app.use(
      path,
      (_req, res, next) => {
        res.locals.routeBase = path;
        next();
      },
      router,
    );
  };

  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.trustProxy ?? false);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
    }),
  );
  app.use(
    pinoHttp({
      logger: ctx.logger,
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: String(req.url).split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    }),
  );
  app.use((req, res, next) => {
    const end = ctx.metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = req.route ? routeTemplate(res.locals.routeBase, req.route.path) : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      ctx.metrics.httpRequests.inc(labels);
      end(labels);
    });
    next();
  });
  app.use(express.json({ limit: ctx.config.bodyLimit, strict: true }));

  const openapi = buildOpenApi(apiDocs, ctx.config.publicUrl);
  mount('/', opsRoutes(ctx, openapi));
  mount('/', webRoutes());
  mount('/api/v1/auth', loginRoutes(ctx));
  app.use('/api/v1', authenticate(ctx.tokens));
  mount('/api/v1/auth', meRoutes());
  mount('/api/v1/admin/merchants/:merchant_id/loyalty/devices', deviceRoutes(ctx, 'admin'));
  mount('/api/v1/admin/merchants/:merchant_id/loyalty/program', programRoutes(ctx, 'admin'));
  mount('/api/v1/admin/merchants', adminTenancyRoutes(ctx));
  mount('/api/v1/merchants/loyalty/devices', deviceRoutes(ctx, 'merchant'));
  mount('/api/v1/merchants/loyalty/program', programRoutes(ctx, 'merchant'));
  mount('/api/v1/merchants', merchantTenancyRoutes(ctx));
  mount('/api/v1/store/loyalty', storeLoyaltyRoutes(ctx));
  for (const m of extraMounts) mount(m.path, m.router);

  app.use(notFoundHandler);
  app.use(errorHandler(ctx.logger));
  return { app, mounts };
}

/** `/api/v1/merchants/loyalty/devices` + `/:device_id` → the route's template, for metric labels of low cardinality. */
export function routeTemplate(base: string | undefined, path: string): string {
  const joined = `${base && base !== '/' ? base : ''}${path === '/' ? '' : path}`;
  return joined || '/';
}
