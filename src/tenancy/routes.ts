import { Router } from 'express';
import rateLimit, { ipKeyGenerator } from 'express-rate-limit';
import type { AppContext } from '../context';
import { requireRole, userOf } from '../http/auth';
import { AppError } from '../errors';
import { body, params, query } from '../http/validate';
import { presentMerchant, presentStore, presentUser } from './presenters';
import { listQuery, loginBody, merchantBody, merchantParams, storeBody, userBody } from './schemas';

/** `POST /api/v1/auth/login`: no token needed; failures are rate limited per address and email. */
export function loginRoutes(ctx: AppContext): Router {
  const r = Router();
  const limiter = rateLimit({
    windowMs: 15 * 60_000,
    limit: 10,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? '')}|${String(req.body?.email ?? '').toLowerCase()}`,
    handler: (req, _res, next) => {
      const reset = (req as unknown as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfter = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
      next(new AppError('RATE_LIMITED', { retry_after_seconds: retryAfter }, { 'Retry-After': String(retryAfter) }));
    },
  });
  r.post('/login', limiter, async (req, res) => {
    const input = body(req, loginBody);
    const user = await ctx.tenancy.login(input.email, input.password);
    const { token, expiresAt } = await ctx.tokens.createUserToken(user);
    res.set('Cache-Control', 'no-store').json({ token, expires_at: expiresAt.toISOString(), user: presentUser(user) });
  });
  return r;
}

/** `GET /api/v1/auth/me`: the current user (device tokens use the store API's session route). */
export function meRoutes(): Router {
  const r = Router();
  r.get('/me', requireRole('admin', 'merchant', 'store_staff'), (req, res) => {
    const u = userOf(req);
    res.json({ user: presentUser({ id: u.id, email: u.email, role: u.role, merchantId: u.merchantId }, u.storeIds) });
  });
  return r;
}

/** `/api/v1/admin/merchants`: platform admins manage merchants, their stores and users. */
export function adminTenancyRoutes(ctx: AppContext): Router {
  const r = Router();
  r.use(requireRole('admin'));
  r.post('/', async (req, res) => {
    res.status(201).json({ merchant: presentMerchant(await ctx.tenancy.createMerchant(body(req, merchantBody).name)) });
  });
  r.get('/', async (req, res) => {
    const { items, total } = await ctx.tenancy.listMerchants(query(req, listQuery));
    res.json({ items: items.map(presentMerchant), total });
  });
  r.get('/:merchant_id', async (req, res) => {
    res.json({ merchant: presentMerchant(await ctx.tenancy.getMerchant(params(req, merchantParams).merchant_id)) });
  });
  r.post('/:merchant_id/stores', async (req, res) => {
    const { merchant_id } = params(req, merchantParams);
    res.status(201).json({ store: presentStore(await ctx.tenancy.createStore(merchant_id, body(req, storeBody))) });
  });
  r.get('/:merchant_id/stores', async (req, res) => {
    const { merchant_id } = params(req, merchantParams);
    await ctx.tenancy.getMerchant(merchant_id);
    res.json({ items: (await ctx.tenancy.listStores(merchant_id)).map(presentStore) });
  });
  r.post('/:merchant_id/users', async (req, res) => {
    const { merchant_id } = params(req, merchantParams);
    const input = body(req, userBody);
    const { user, storeIds } = await ctx.tenancy.createUser(merchant_id, {
      email: input.email,
      password: input.password,
      role: input.role,
      storeIds: input.store_ids,
    });
    res.status(201).json({ user: presentUser(user, storeIds) });
  });
  r.get('/:merchant_id/users', async (req, res) => {
    const { merchant_id } = params(req, merchantParams);
    await ctx.tenancy.getMerchant(merchant_id);
    const { items, total } = await ctx.tenancy.listUsers(merchant_id, query(req, listQuery));
    res.json({ items: items.map((i) => presentUser(i.user, i.storeIds)), total });
  });
  return r;
}

/** `GET /api/v1/merchants/stores`: a merchant user sees its merchant's stores; store staff their assigned ones. */
export function merchantTenancyRoutes(ctx: AppContext): Router {
  const r = Router();
  r.get('/stores', requireRole('merchant', 'store_staff'), async (req, res) => {
    const u = userOf(req);
    const stores = await ctx.tenancy.listStores(u.merchantId!, u.role === 'store_staff' ? u.storeIds : undefined);
    res.json({ items: stores.map(presentStore) });
  });
  return r;
}
