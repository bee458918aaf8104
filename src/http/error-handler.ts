import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { AppError, errorBody, toAppError } from '../errors';
import { negotiateLocale } from '../i18n';
import type { Logger } from '../logger';

/** The Express adapter of the one error type: `{error: {code, message, details?}}` in the request's language. */
export function sendError(res: Response, err: AppError, acceptLanguage: string | undefined) {
  if (err.headers) res.set(err.headers);
  res.status(err.status).json({ error: errorBody(err, negotiateLocale(acceptLanguage)) });
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
