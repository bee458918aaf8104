import { Router } from 'express';
import type { AppContext } from '../context';
import { resolveStoreContext } from './store-context';

/** `/api/v1/store/loyalty/*`: the store API, for device tokens and store staff / merchant users. */
export function storeLoyaltyRoutes(ctx: AppContext): Router {
  const r = Router();
  r.get('/session', async (req, res) => {
    const sc = await resolveStoreContext(ctx.db, req);
    res.json({
      principal: sc.principal,
      store: { id: sc.store.id, code: sc.store.code, name: sc.store.name },
      merchant: { id: sc.merchant.id, name: sc.merchant.name },
      program: null,
    });
  });
  return r;
}
