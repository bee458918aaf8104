import { z } from 'zod';
import { idParam, pagination } from '../http/validate';

const label = z.string().trim().min(1, 'must be 1 to 100 characters').max(100, 'must be 1 to 100 characters');

export const listDevicesQuery = z.object({
  store_id: idParam.optional(),
  status: z.enum(['active', 'revoked', 'expired']).optional(),
  ...pagination,
});
export const pairBody = z.strictObject({ store_id: z.number().int().positive(), label });
export const renameBody = z.strictObject({ label });
export const revokeBody = z
  .strictObject({ reason: z.string().trim().max(255, 'must be at most 255 characters').optional() })
  .default({});
export const deviceParams = z.object({ device_id: idParam });
