import { type DeviceView, deviceStatus, isExpiringSoon } from './domain';
import type { Device } from './schemas';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The public `Device` of the contract: never the token, never the jti. */
export function presentDevice(
  { device: d, storeCode, online }: DeviceView,
  warningDays: number,
  now = new Date(),
): Device {
  return {
    id: d.id,
    merchant_id: d.merchantId,
    store_id: d.storeId,
    store_code: storeCode,
    label: d.label,
    status: deviceStatus(d, now),
    online,
    expires_at: d.expiresAt.toISOString(),
    expiring_soon: isExpiringSoon(d, warningDays, now),
    last_seen_at: iso(d.lastSeenAt),
    last_seen_ip: d.lastSeenIp,
    revoked_at: iso(d.revokedAt),
    revoked_reason: d.revokedReason,
    revoked_by_id: d.revokedById,
    created_at: d.createdAt.toISOString(),
    created_by_id: d.createdById,
    offline_alert_at: iso(d.offlineAlertAt),
    state: d.state ?? null,
  };
}
