import { z } from 'zod';

const offlineAfter = z
  .number()
  .int()
  .min(10, 'must be null or 10 to 86400 seconds')
  .max(86_400, 'must be null or 10 to 86400 seconds')
  .nullable()
  .meta({ description: 'Seconds a device may stay offline before `device.offline_alert`; null turns alerts off' });

export const alertSettingsBody = z.strictObject({ offline_after_s: offlineAfter });
export const alertSettingsSchema = z.strictObject({ offline_after_s: offlineAfter }).meta({ id: 'AlertSettings' });
