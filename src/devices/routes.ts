import { Router, type Request } from 'express';
import type { AppContext } from '../context';
import { requireRole, userOf } from '../http/auth';
import { portalMerchantId, type Portal } from '../http/portal';
import { body, params, query } from '../http/validate';
import { presentDevice } from './presenter';
import { deviceParams, listDevicesQuery, pairBody, renameBody, revokeBody } from './schemas';

/**
 * The device endpoints, one router for both portals: `merchant` acts on the user's own merchant,
 * `admin` on the merchant in the path (recording the admin as the actor).
 */
export function deviceRoutes(ctx: AppContext, portal: Portal): Router {
  const r = Router({ mergeParams: true });
  r.use(requireRole(portal));
  const { devices } = ctx;
  const present = (v: Parameters<typeof presentDevice>[0]) => presentDevice(v, ctx.config.expiryWarningDays);

  const merchantOf = (req: Request) => portalMerchantId(ctx, portal, req);
  const deviceIdOf = (req: Request) => params(req, deviceParams).device_id;

  r.get('/', async (req, res) => {
    const merchantId = await merchantOf(req);
    const q = query(req, listDevicesQuery);
    const { items, total } = await devices.list(merchantId, {
      storeId: q.store_id,
      status: q.status,
      limit: q.limit,
      offset: q.offset,
    });
    res.json({ items: items.map(present), total });
  });

  r.post('/', async (req, res) => {
    const merchantId = await merchantOf(req);
    const input = body(req, pairBody);
    const { view, pairing } = await devices.pair(merchantId, userOf(req).id, {
      storeId: input.store_id,
      label: input.label,
    });
    res
      .status(201)
      .set('Cache-Control', 'no-store')
      .json({ device: present(view), pairing });
  });

  r.get('/:device_id', async (req, res) => {
    res.json({ device: present(await devices.get(await merchantOf(req), deviceIdOf(req))) });
  });

  r.patch('/:device_id', async (req, res) => {
    const merchantId = await merchantOf(req);
    const id = deviceIdOf(req);
    res.json({ device: present(await devices.rename(merchantId, id, body(req, renameBody).label)) });
  });

  r.post('/:device_id/revoke', async (req, res) => {
    const merchantId = await merchantOf(req);
    const id = deviceIdOf(req);
    const { reason } = body(req, revokeBody);
    res.json({ device: present(await devices.revoke(merchantId, id, userOf(req).id, reason)) });
  });

  r.post('/:device_id/reissue', async (req, res) => {
    const merchantId = await merchantOf(req);
    const { view, pairing } = await devices.reissue(merchantId, deviceIdOf(req));
    res.set('Cache-Control', 'no-store').json({ device: present(view), pairing });
  });

  return r;
}
