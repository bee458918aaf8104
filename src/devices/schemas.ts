import { z } from 'zod';
import { idParam, instant, page, pagination, text } from '../http/schema-parts';

const label = text(1, 100);

export const listDevicesQuery = z.object({
  store_id: idParam.optional(),
  status: z.enum(['active', 'revoked', 'expired']).optional(),
  ...pagination,
});
export const pairBody = z.strictObject({ store_id: z.number().int().positive(), label });
export const renameBody = z.strictObject({ label });
export const revokeBody = z.strictObject({ reason: text(0, 255).optional() }).default({});
export const deviceParams = z.object({ device_id: idParam });

/** A short string of a state report: one line, at most 64 characters. */
const stateText = text(0, 64);
const networks = ['wifi', 'cellular', 'ethernet', 'none'] as const;

/** `state` (`/devices`): what a tablet reports about itself; every field optional, unknown fields refused. */
export const stateReport = z.strictObject({
  app_version: stateText.optional(),
  os_version: stateText.optional(),
  model: stateText.optional(),
  battery_pct: z.number().int().min(0).max(100).optional(),
  charging: z.boolean().optional(),
  network: z.enum(networks).optional(),
  wifi_rssi_dbm: z.number().int().min(-120).max(0).optional(),
  free_storage_mb: z.number().int().min(0).max(1e12).optional(),
  locale: stateText.optional(),
});

/** `Device.state`: the latest value of each reported field, and when the latest report arrived. */
export const deviceStateSchema = z
  .strictObject({
    app_version: z.string().max(64).optional(),
    os_version: z.string().max(64).optional(),
    model: z.string().max(64).optional(),
    battery_pct: z.number().int().min(0).max(100).optional(),
    charging: z.boolean().optional(),
    network: z.enum(networks).optional(),
    wifi_rssi_dbm: z.number().int().min(-120).max(0).optional(),
    free_storage_mb: z.number().int().min(0).optional(),
    locale: z.string().max(64).optional(),
    updated_at: instant.meta({ description: 'When the latest state report arrived' }),
  })
  .meta({ id: 'DeviceState' });

/** The public `Device`: never the token, never the jti. */
export const deviceSchema = z
  .strictObject({
    id: z.number().int(),
    merchant_id: z.number().int(),
    store_id: z.number().int(),
    store_code: z.string(),
    label: z.string(),
    status: z.enum(['active', 'revoked', 'expired']),
    online: z.boolean().meta({ description: 'A socket of this device is connected to some node' }),
    expires_at: instant,
    expiring_soon: z.boolean(),
    last_seen_at: instant.nullable(),
    last_seen_ip: z.string().nullable(),
    revoked_at: instant.nullable(),
    revoked_reason: z.string().nullable(),
    revoked_by_id: z.number().int().nullable(),
    created_at: instant,
    created_by_id: z.number().int().nullable(),
    offline_alert_at: instant
      .nullable()
      .meta({ description: 'When the offline alert of the current outage was raised (§13); null: none' }),
    state: deviceStateSchema
      .nullable()
      .meta({ description: 'The latest state the tablet reported (`state` event); null until a first report' }),
  })
  .meta({ id: 'Device' });

/** The one-time secret of a pairing or reissue: the token and the QR that carries it. */
export const pairingSchema = z
  .strictObject({
    auth_token: z.string().meta({ description: 'The device token, shown only in this answer' }),
    expires_at: instant,
    qr: z.strictObject({
      payload: z.string().meta({ description: 'Exactly {"api_url", "store_code", "auth_token"} as JSON' }),
      png_base64: z.string(),
    }),
  })
  .meta({ id: 'Pairing' });

export const deviceAnswer = z.strictObject({ device: deviceSchema });
export const pairingAnswer = z.strictObject({ device: deviceSchema, pairing: pairingSchema });
export const deviceList = page(deviceSchema).meta({ id: 'DeviceList' });

export type Device = z.infer<typeof deviceSchema>;
export type Pairing = z.infer<typeof pairingSchema>;
export type DeviceState = z.infer<typeof deviceStateSchema>;
export type DeviceStateReport = z.infer<typeof stateReport>;
