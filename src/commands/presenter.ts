import { type DeviceCommand, UNFINISHED } from './entities';
import type { Command } from './schemas';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const json = <T>(text: string | null): T | null => (text ? (JSON.parse(text) as T) : null);

/** The effective status: an unfinished command past its expiry reads as expired even before the sweep. */
export const effectiveStatus = (c: DeviceCommand, now = Date.now()) =>
  UNFINISHED.includes(c.status) && c.expiresAt.getTime() <= now ? 'expired' : c.status;

export function presentCommand(c: DeviceCommand, now = Date.now()): Command {
  return {
    id: c.id,
    device_id: c.deviceId,
    type: c.type,
    args: json<Record<string, unknown>>(c.args) ?? {},
    status: effectiveStatus(c, now),
    result: json(c.result),
    error: json(c.error),
    created_at: c.createdAt.toISOString(),
    created_by_id: c.createdById,
    sent_at: iso(c.sentAt),
    delivered_at: iso(c.deliveredAt),
    completed_at: iso(c.completedAt),
    expires_at: c.expiresAt.toISOString(),
  };
}
