import type { RequestHandler } from 'express';
import type { Principal } from '../auth/principals';
import { bearerToken, type Tokens } from '../auth/tokens';
import { AppError } from '../errors';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** Authenticates every request below it: sets req.principal or answers 401 with the contract's code. */
export function authenticate(tokens: Tokens): RequestHandler {
  return async (req, _res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new AppError('UNAUTHENTICATED');
    req.principal = await tokens.principalFromToken(token);
    next();
  };
}
