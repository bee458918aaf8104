import type { Request } from 'express';
import type { DataSource } from 'typeorm';
import { AppError, forbidden, notFound } from '../http/errors';
import { Merchant, Store } from '../tenancy/entities';

export interface StoreContext {
  store: Store;
  merchant: Merchant;
  /** The device acting, or null for a user. */
  deviceId: number | null;
  /** The user of record: the acting user, or for a device the user who paired it. */
  actingUserId: number | null;
  principal: { kind: 'device' | 'user'; id: number };
}

/**
 * Which store a store-API request acts for. A device: its own store (an X-Store-Code naming another is 403).
 * A user: the store named by X-Store-Code; merchant users any store of their merchant, store staff their assigned
 * stores (another store of their merchant is 403), another merchant's store is 404. Admins do not work the counter.
 */
export async function resolveStoreContext(db: DataSource, req: Request): Promise<StoreContext> {
  const p = req.principal;
  if (!p) throw new AppError('UNAUTHENTICATED');
  const header = req.header('x-store-code')?.trim().toUpperCase();
  let store: Store | null;
  if (p.kind === 'device') {
    store = await db.getRepository(Store).findOneBy({ id: p.device.storeId });
    if (!store) throw notFound();
    if (header && header !== store.code) throw forbidden();
  } else {
    if (p.role === 'admin') throw forbidden();
    if (!header) throw new AppError('VALIDATION_ERROR', { fields: { 'X-Store-Code': 'this header names the store to act for' } });
    store = await db.getRepository(Store).findOneBy({ code: header });
    if (!store || store.merchantId !== p.merchantId) throw notFound();
    if (p.role === 'store_staff' && !p.storeIds.includes(store.id)) throw forbidden();
  }
  const merchant = await db.getRepository(Merchant).findOneByOrFail({ id: store.merchantId });
  return p.kind === 'device'
    ? { store, merchant, deviceId: p.id, actingUserId: p.device.createdById, principal: { kind: 'device', id: p.id } }
    : { store, merchant, deviceId: null, actingUserId: p.id, principal: { kind: 'user', id: p.id } };
}
