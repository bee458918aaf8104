import type { TerminalDevice } from '../devices/entities';

interface UserBase {
  kind: 'user';
  id: number;
  email: string;
}

/** A platform admin: acts for any merchant, on its behalf, through the admin portal. */
export interface AdminPrincipal extends UserBase {
  role: 'admin';
}

/** A merchant user: acts for every store of its merchant. */
export interface MerchantPrincipal extends UserBase {
  role: 'merchant';
  merchantId: number;
}

/** Store staff: works the counter of the stores it is assigned to, nothing else. */
export interface StaffPrincipal extends UserBase {
  role: 'store_staff';
  merchantId: number;
  storeIds: number[];
}

export type UserPrincipal = AdminPrincipal | MerchantPrincipal | StaffPrincipal;

/** A tablet: its row, its store and merchant (read in one joined query with the row), its token's expiry. */
export interface DevicePrincipal {
  kind: 'device';
  id: number;
  device: TerminalDevice;
  store: { id: number; code: string; name: string; merchantId: number };
  merchant: { id: number; name: string };
  /** The token's expiry, for timers that drop a socket when it passes. */
  expiresAt: Date;
  /** Socket handshakes only: whether the device has unfinished commands to deliver. */
  pendingCommands?: boolean;
}

export type Principal = UserPrincipal | DevicePrincipal;
