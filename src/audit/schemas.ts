import { z } from 'zod';
import { idParam, instant } from '../http/schema-parts';

const when = z.iso
  .datetime({ offset: true })
  .transform((s) => new Date(s))
  .meta({ description: 'An ISO 8601 instant' });

export const listAuditQuery = z.object({
  device_id: idParam.optional(),
  action: z
    .string()
    .regex(/^[a-z_]+\.[a-z_]+$/, 'must be an action name such as device.revoked')
    .optional(),
  actor_id: idParam.optional(),
  since: when.optional(),
  until: when.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(64).optional(),
});

export const auditEventSchema = z
  .strictObject({
    id: z.number().int(),
    merchant_id: z.number().int(),
    at: instant,
    actor: z.strictObject({
      kind: z.enum(['user', 'device', 'system']),
      id: z.number().int().nullable(),
      email: z.string().optional(),
    }),
    on_behalf: z.boolean(),
    action: z.string(),
    target: z.strictObject({ type: z.string(), id: z.number().int().nullable() }),
    ip: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEvent' });
export type AuditEventView = z.infer<typeof auditEventSchema>;

export const auditList = z.strictObject({ items: z.array(auditEventSchema), next_cursor: z.string().nullable() });
