import type { ErrorBody } from '../errors';
import type { Device } from '../devices/schemas';

/** Why a device went offline, as `device:offline` tells dashboards. */
export type OfflineReason =
  | 'client_disconnect'
  | 'ping_timeout'
  | 'revoked'
  | 'expired'
  | 'server_shutdown'
  | 'node_lost'
  | 'reissued';

/** `session`: sent to a tablet once presence has recorded its socket. */
export interface SessionPayload {
  device_id: number;
  store_code: string;
  expires_at: string;
  expiring_soon: boolean;
}

/** `revoked`: the device was revoked, or its token replaced by a reissue; the server then disconnects. */
export interface RevokedPayload {
  reason: 'revoked' | 'reissued';
  revoked_reason: string | null;
}

/** `expiring`: the expiry job flagged the device. */
export interface ExpiringPayload {
  expires_at: string;
  days_left: number;
}

/** `/devices`: what the server sends a tablet. */
export interface DeviceServerEvents {
  session: (payload: SessionPayload) => void;
  revoked: (payload: RevokedPayload) => void;
  expired: (payload: ErrorBody) => void;
  expiring: (payload: ExpiringPayload) => void;
}

/** `/devices`: tablets send nothing yet (pongs are Engine.IO packets, not events). */
export type DeviceClientEvents = Record<never, never>;

export interface DeviceEventPayload {
  device: Device;
}
export interface DeviceOfflinePayload extends DeviceEventPayload {
  reason: OfflineReason;
}

/** The answer to `subscribe`: the newest devices (like `GET …/devices?limit=500`) or an error. */
export type SubscribeAck = { items: Device[]; total: number } | { error: ErrorBody };

/** `/dashboard`: what the server sends a dashboard. Each event carries the full REST `Device`. */
export interface DashboardServerEvents {
  'device:paired': (payload: DeviceEventPayload) => void;
  'device:updated': (payload: DeviceEventPayload) => void;
  'device:revoked': (payload: DeviceEventPayload) => void;
  'device:online': (payload: DeviceEventPayload) => void;
  'device:offline': (payload: DeviceOfflinePayload) => void;
  'device:expiring': (payload: DeviceEventPayload) => void;
  expired: (payload: ErrorBody) => void;
}

/** The dashboard events about one device (everything but `expired`). */
export type DashboardDeviceEvent = Exclude<keyof DashboardServerEvents, 'expired'>;

/** `/dashboard`: what a dashboard may send. */
export interface DashboardClientEvents {
  subscribe: (payload: { merchant_id: number }, ack: (answer: SubscribeAck) => void) => void;
}
