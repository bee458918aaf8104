import type { DevicePrincipal, Principal, UserPrincipal } from './auth/principals';
import { AppError, forbidden, notFound, validationError } from './errors';
import type { Merchant, Store } from './tenancy/entities';
import type { TenancyService } from './tenancy/service';

/** Merchant portal routes act on the user's own merchant; their admin twins on the merchant in the path. */
export type Portal = 'merchant' | 'admin';

/** Which store a store-API call acts for, and who is of record for what it writes. */
export interface StoreScope {
  store: Pick<Store, 'id' | 'code' | 'name' | 'merchantId'>;
  merchant: Pick<Merchant, 'id' | 'name'>;
  /** The device acting, or null for a user. */
  deviceId: number | null;
  /** The user of record: the acting user, or for a device the user who paired it. */
  actingUserId: number | null;
  principal: { kind: 'device' | 'user'; id: number };
}

/**
 * Who may act for which merchant and store, decided here and nowhere else: the REST portals, the store API and the
 * `/dashboard` subscribe handler all ask. Another merchant's data is NOT_FOUND (never a hint that it exists); a
 * known thing the caller may not touch is FORBIDDEN.
 */
export class Policy {
  constructor(private readonly tenancy: TenancyService) {}

  /**
   * The merchant a portal call acts on: a merchant user's own on the merchant portal; on the admin portal, the
   * merchant in the path (an unknown one is 404). Any other principal is FORBIDDEN.
   */
  async portalMerchant(p: Principal | undefined, portal: Portal, pathMerchantId?: number): Promise<number> {
    const user = this.user(p);
    if (user.role !== portal) throw forbidden();
    if (user.role === 'merchant') return user.merchantId;
    return (await this.tenancy.getMerchant(pathMerchantId ?? 0)).id;
  }

  /** The merchant a dashboard may watch: an admin any existing one, a merchant user only its own. */
  async dashboardMerchant(user: UserPrincipal, merchantId: number): Promise<number> {
    if (user.role === 'admin') return (await this.tenancy.getMerchant(merchantId)).id;
    if (user.role === 'merchant' && user.merchantId === merchantId) return merchantId;
    throw notFound();
  }

  /** Dashboards are for admins and merchant users; store staff cannot manage devices. */
  canWatchDevices(p: Principal): p is Exclude<UserPrincipal, { role: 'store_staff' }> {
    return p.kind === 'user' && p.role !== 'store_staff';
  }

  /** The stores a user sees in `GET /merchants/stores`: a merchant user all of its merchant's, staff its own. */
  visibleStores(p: Principal | undefined): { merchantId: number; onlyIds?: number[] } {
    const user = this.user(p);
    if (user.role === 'admin') throw forbidden();
    return user.role === 'store_staff' ? { merchantId: user.merchantId, onlyIds: user.storeIds } : user;
  }

  /**
   * The store a store-API call acts for. A device: its own store (an X-Store-Code naming another is 403). A user:
   * the store named by X-Store-Code; merchant users any store of their merchant, store staff their assigned stores
   * (another store of their merchant is 403); another merchant's store is 404. Admins do not work the counter.
   */
  async storeScope(p: Principal | undefined, storeCode: string | undefined): Promise<StoreScope> {
    if (!p) throw new AppError('UNAUTHENTICATED');
    const code = storeCode || undefined; // validated and upper-cased by the route's header schema
    if (p.kind === 'device') return deviceScope(p, code);
    if (p.role === 'admin') throw forbidden();
    if (!code) throw validationError({ 'X-Store-Code': 'this header names the store to act for' });
    const found = await this.tenancy.storeWithMerchant(code);
    if (!found || found.store.merchantId !== p.merchantId) throw notFound();
    if (p.role === 'store_staff' && !p.storeIds.includes(found.store.id)) throw forbidden();
    return { ...found, deviceId: null, actingUserId: p.id, principal: { kind: 'user', id: p.id } };
  }

  private user(p: Principal | undefined): UserPrincipal {
    if (!p) throw new AppError('UNAUTHENTICATED');
    if (p.kind !== 'user') throw forbidden();
    return p;
  }
}

/** A device acts for its own store only; the token check already read the store and merchant. */
function deviceScope(p: DevicePrincipal, code: string | undefined): StoreScope {
  if (code && code !== p.store.code) throw forbidden();
  const principal = { kind: 'device', id: p.id } as const;
  return { store: p.store, merchant: p.merchant, deviceId: p.id, actingUserId: p.device.createdById, principal };
}
