import express, { type Express, type Request, type RequestHandler, Router } from 'express';
import helmet from 'helmet';
import pinoHttp from 'pino-http';
import { auditRoutes } from '../audit/routes';
import { webhookRoutes } from '../webhooks/routes';
import { alertRoutes } from '../alerts/routes';
import { commandRoutes } from '../commands/routes';
import type { Services } from '../context';
import { toAppError, validationError } from '../errors';
import { deviceRoutes } from '../devices/routes';
import { programRoutes, storeLoyaltyRoutes } from '../loyalty/routes';
import { loginRoutes, tenancyRoutes } from '../tenancy/routes';
import { webRoutes } from '../web/routes';
import { authenticate } from './auth';
import { errorHandler, notFoundHandler } from './error-handler';
import { buildOpenApi } from './openapi';
import { opsRoutes } from './ops-routes';
import { mountRoutes, type Route } from './route';

/** A router and the path it is mounted at (the OpenAPI test walks these). */
export interface Mount {
  path: string;
  router: Router;
}

/** Every REST route, each defined once with its schemas: what is mounted is what /openapi.json documents. */
export function apiRoutes(services: Services, openapi: () => object = () => ({})): Route[] {
  return [
    ...opsRoutes(services, openapi),
    ...loginRoutes(services),
    ...tenancyRoutes(services),
    ...deviceRoutes(services, 'merchant'),
    ...deviceRoutes(services, 'admin'),
    ...programRoutes(services, 'merchant'),
    ...programRoutes(services, 'admin'),
    ...storeLoyaltyRoutes(services),
    ...commandRoutes(services, 'merchant'),
    ...commandRoutes(services, 'admin'),
    ...auditRoutes(services, 'merchant'),
    ...auditRoutes(services, 'admin'),
    ...webhookRoutes(services, 'merchant'),
    ...webhookRoutes(services, 'admin'),
    ...alertRoutes(services, 'merchant'),
    ...alertRoutes(services, 'admin'),
  ];
}

/**
 * The JSON body parser, for routes that take a body. Whatever it cannot read is the client's doing and a 400: a body
 * that is not JSON, a charset or Content-Encoding it cannot decode (a "gzip" body that is not gzip), an aborted upload.
 */
function jsonBody(limit: string): RequestHandler {
  const json = express.json({ limit, strict: true });
  const notJson = validationError({ body: 'must be JSON (Content-Type: application/json)' });
  const undecodable = validationError({ body: 'could not be decoded (Content-Encoding or charset)' });
  return (req, res, next) => {
    if (hasBody(req) && !req.is('json')) return next(notJson);
    json(req, res, (err?: unknown) => next(err ? (toAppError(err) ?? undecodable) : undefined));
  };
}

const hasBody = (req: Request) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/** The Express app: middleware, the routes, the pages, the error handler. Pure wiring, no logic. */
export function createApp(services: Services): { app: Express; mounts: Mount[] } {
  const { config, logger, metrics, tokens } = services;
  const app = express();
  const mounts: Mount[] = [];
  const mount = (router: Router) => {
    mounts.push({ path: '/', router });
    app.use(router);
  };

  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy ?? false);
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
      logger,
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
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      // The route's template (`/api/v1/merchants/loyalty/devices/:device_id`): labels of low cardinality.
      const route = req.route ? String(req.route.path) : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      end(labels);
    });
    next();
  });

  let doc: object | undefined;
  const routes = apiRoutes(services, () => (doc ??= buildOpenApi(routes, config.publicUrl)));
  const open = Router();
  const authenticated = Router();
  const opts = {
    validateResponses: config.validateResponses,
    jsonBody: jsonBody(config.bodyLimit),
    timeoutMs: config.requestTimeoutMs,
  };
  mountRoutes(
    open,
    routes.filter((r) => r.auth === 'none'),
    opts,
  );
  mountRoutes(
    authenticated,
    routes.filter((r) => r.auth !== 'none'),
    opts,
  );

  mount(open);
  mount(webRoutes());
  app.use('/api/v1', authenticate(tokens, config.requestTimeoutMs));
  mount(authenticated);

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return { app, mounts };
}
