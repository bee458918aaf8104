import type { Merchant, Store, User } from './entities';
import type { MerchantBody, StoreBody, UserBody } from './schemas';

export const presentMerchant = (m: Merchant): MerchantBody => ({
  id: m.id,
  name: m.name,
  created_at: m.createdAt.toISOString(),
});

export const presentStore = (s: Store): StoreBody => ({
  id: s.id,
  merchant_id: s.merchantId,
  name: s.name,
  code: s.code,
  created_at: s.createdAt.toISOString(),
});

export const presentUser = (u: Pick<User, 'id' | 'email' | 'role' | 'merchantId'>, storeIds?: number[]): UserBody => ({
  id: u.id,
  email: u.email,
  role: u.role,
  merchant_id: u.merchantId,
  ...(storeIds && u.role === 'store_staff' ? { store_ids: storeIds } : {}),
});
