import type { TerminalDevice } from './entities';

export type DeviceStatus = 'active' | 'revoked' | 'expired';

/** A device as the service hands it out: the row, its store's code, and cluster-wide presence. */
export interface DeviceView {
  device: TerminalDevice;
  storeCode: string;
  online: boolean;
}

export function deviceStatus(d: Pick<TerminalDevice, 'revokedAt' | 'expiresAt'>, now = new Date()): DeviceStatus {
  if (d.revokedAt) return 'revoked';
  if (d.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** Active, and the expiry is within the warning window (or the expiry job already flagged it). */
export function isExpiringSoon(
  d: Pick<TerminalDevice, 'revokedAt' | 'expiresAt' | 'expiryWarnedAt'>,
  warningDays: number,
  now = new Date(),
): boolean {
  if (deviceStatus(d, now) !== 'active') return false;
  return d.expiryWarnedAt !== null || d.expiresAt.getTime() - now.getTime() <= warningDays * 86_400_000;
}

/** Whole days left before the token expires (0 once past), as the `expiring` event tells the tablet. */
export const daysLeft = (d: Pick<TerminalDevice, 'expiresAt'>, now = Date.now()) =>
  Math.max(0, Math.ceil((d.expiresAt.getTime() - now) / 86_400_000));
