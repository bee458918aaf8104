import type { Request } from 'express';
import type { DataSource } from 'typeorm';
import { AppError, forbidden, notFound } from '../errors';
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
  let found: { store: Store; merchant: Merchant } | null;
  if (p.kind === 'device') {
    found = await storeWithMerchant(db, { id: p.device.storeId });
    if (!found) throw notFound();
    if (header && header !== found.store.code) throw forbidden();
  } else {
    if (p.role === 'admin') throw forbidden();
    if (!header)
      throw new AppError('VALIDATION_ERROR', { fields: { 'X-Store-Code': 'this header names the store to act for' } });
    found = await storeWithMerchant(db, { code: header });
    if (!found || found.store.merchantId !== p.merchantId) throw notFound();
    if (p.role === 'store_staff' && !p.storeIds.includes(found.store.id)) throw forbidden();
  }
  const { store, merchant } = found;
  return p.kind === 'device'
    ? { store, merchant, deviceId: p.id, actingUserId: p.device.createdById, principal: { kind: 'device', id: p.id } }
    : { store, merchant, deviceId: null, actingUserId: p.id, principal: { kind: 'user', id: p.id } };
}

/** A store and its merchant in one round trip (this runs on every store-API request). */
async function storeWithMerchant(
  db: DataSource,
  by: { id: number } | { code: string },
): Promise<{ store: Store; merchant: Merchant } | null> {
  const row = (await db
    .getRepository(Store)
    .createQueryBuilder('s')
    .innerJoinAndMapOne('s.merchant', Merchant, 'm', 'm.id = s.merchantId')
    .where('id' in by ? 's.id = :id' : 's.code = :code', by)
    .getOne()) as (Store & { merchant: Merchant }) | null;
  if (!row) return null;
  const { merchant, ...store } = row;
  return { store: store as Store, merchant };
}
