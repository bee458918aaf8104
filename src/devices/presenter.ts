import { deviceStatus, type TerminalDevice } from './entities';

/** A device as the service hands it out: the row, its store's code, and cluster-wide presence. */
export interface DeviceView {
  device: TerminalDevice;
  storeCode: string;
  online: boolean;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** `expiring_soon`: active, and the expiry is within the warning window (or the expiry job already flagged it). */
export function isExpiringSoon(d: TerminalDevice, warningDays: number, now = new Date()): boolean {
  if (deviceStatus(d, now) !== 'active') return false;
  return d.expiryWarnedAt !== null || d.expiresAt.getTime() - now.getTime() <= warningDays * 86_400_000;
}

/** The public `Device` of the contract: never the token, never the jti. */
export function presentDevice({ device: d, storeCode, online }: DeviceView, warningDays: number, now = new Date()) {
  return {
    id: d.id,
    merchant_id: d.merchantId,
    store_id: d.storeId,
    store_code: storeCode,
    label: d.label,
    status: deviceStatus(d, now),
    online,
    expires_at: iso(d.expiresAt),
    expiring_soon: isExpiringSoon(d, warningDays, now),
    last_seen_at: iso(d.lastSeenAt),
    last_seen_ip: d.lastSeenIp,
    revoked_at: iso(d.revokedAt),
    revoked_reason: d.revokedReason,
    revoked_by_id: d.revokedById,
    created_at: iso(d.createdAt),
    created_by_id: d.createdById,
  };
}

export type PresentedDevice = ReturnType<typeof presentDevice>;
