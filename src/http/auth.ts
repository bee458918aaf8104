import type { Request, RequestHandler } from 'express';
import { bearerToken, type DevicePrincipal, type Principal, type Tokens, type UserPrincipal } from '../auth/tokens';
import type { Role } from '../tenancy/entities';
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

/** Only user tokens with one of these roles; a device token is 403 FORBIDDEN here. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    const p = req.principal;
    if (!p) throw new AppError('UNAUTHENTICATED');
    if (p.kind !== 'user' || !roles.includes(p.role)) throw new AppError('FORBIDDEN');
    next();
  };
}

export function userOf(req: Request): UserPrincipal {
  const p = req.principal;
  if (p?.kind !== 'user') throw new AppError('FORBIDDEN');
  return p;
}

export function deviceOf(req: Request): DevicePrincipal | undefined {
  return req.principal?.kind === 'device' ? req.principal : undefined;
}
