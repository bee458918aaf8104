import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { negotiateLocale, translate } from '../i18n';
import type { Logger } from '../logger';
import { AppError } from './errors';
import { validationDetails } from './validate';

/** Maps anything thrown to an AppError: ours as they are, body-parser's and zod's to their codes, the rest to INTERNAL. */
export function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) return new AppError('VALIDATION_ERROR', validationDetails(err));
  const type = (err as { type?: string } | null)?.type;
  if (type === 'entity.parse.failed') return new AppError('MALFORMED_JSON');
  if (type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE', { limit: (err as { limit?: number }).limit });
  if (type === 'encoding.unsupported' || type === 'charset.unsupported' || type === 'request.size.invalid')
    return new AppError('VALIDATION_ERROR', { fields: { body: 'unsupported encoding' } });
  return undefined;
}

export function sendError(res: Parameters<RequestHandler>[1], err: AppError, acceptLanguage: string | undefined) {
  if (err.headers) res.set(err.headers);
  res.status(err.status).json({
    error: { code: err.code, message: translate(negotiateLocale(acceptLanguage), `errors.${err.code}`), ...(err.details ? { details: err.details } : {}) },
  });
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new AppError('NOT_FOUND'));

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    let appErr = toAppError(err);
    if (!appErr) {
      logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
      appErr = new AppError('INTERNAL');
    }
    sendError(res, appErr, req.headers['accept-language']);
  };
}
