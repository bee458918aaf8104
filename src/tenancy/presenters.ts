import type { Merchant, Store, User } from './entities';

export const presentMerchant = (m: Merchant) => ({ id: m.id, name: m.name, created_at: m.createdAt.toISOString() });

export const presentStore = (s: Store) => ({
  id: s.id,
  merchant_id: s.merchantId,
  name: s.name,
  code: s.code,
  created_at: s.createdAt.toISOString(),
});

export const presentUser = (u: Pick<User, 'id' | 'email' | 'role' | 'merchantId'>, storeIds?: number[]) => ({
  id: u.id,
  email: u.email,
  role: u.role,
  merchant_id: u.merchantId,
  ...(storeIds && u.role === 'store_staff' ? { store_ids: storeIds } : {}),
});
