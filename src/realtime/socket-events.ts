import type { ErrorBody } from '../errors';
import type { Command } from '../commands/schemas';
import type { Device, DeviceState, DeviceStateReport } from '../devices/schemas';

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

/** `command`: do this; acknowledge receipt with the callback, then report with `command:result`. */
export interface CommandPayload {
  id: number;
  type: Command['type'];
  args: Record<string, unknown>;
  expires_at: string;
}

/** `command:result`, from the tablet. */
export interface CommandResultPayload {
  id: number;
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/** The answer to `command:result`: the command's status now, or why nothing changed. */
export type CommandResultAck = { status: Command['status'] } | { error: ErrorBody };

/** `/devices`: what the server sends a tablet. */
export interface DeviceServerEvents {
  session: (payload: SessionPayload) => void;
  command: (payload: CommandPayload, received: () => void) => void;
  revoked: (payload: RevokedPayload) => void;
  expired: (payload: ErrorBody) => void;
  expiring: (payload: ExpiringPayload) => void;
}

/** The answer to `state`: `{ok: true}`, or `{error}` (VALIDATION_ERROR with `details.fields`) and nothing kept. */
export type StateAck = { ok: true } | { error: ErrorBody };

/** `/devices`: what a tablet sends (pongs are Engine.IO packets, not events). */
export interface DeviceClientEvents {
  'command:result': (payload: CommandResultPayload, ack: (answer: CommandResultAck) => void) => void;
  state: (payload: DeviceStateReport, ack: (answer: StateAck) => void) => void;
}

/** `device:state`: a device's latest state, at most once per 5 s per device (the latest at the end of the window). */
export interface DeviceStatePayload {
  device_id: number;
  state: DeviceState;
}

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
  /** Offline for longer than the merchant's `offline_after_s` (§13): once per outage. */
  'device:offline_alert': (payload: DeviceEventPayload & { offline_since: string }) => void;
  'command:updated': (payload: { command: Command }) => void;
  'device:state': (payload: DeviceStatePayload) => void;
  expired: (payload: ErrorBody) => void;
}

/** The dashboard events that carry a full `Device` (everything but `expired`, `command:updated` and `device:state`). */
export type DashboardDeviceEvent = Exclude<
  keyof DashboardServerEvents,
  'expired' | 'command:updated' | 'device:state' | 'device:offline_alert'
>;

/** `/dashboard`: what a dashboard may send. */
export interface DashboardClientEvents {
  subscribe: (payload: { merchant_id: number }, ack: (answer: SubscribeAck) => void) => void;
}
