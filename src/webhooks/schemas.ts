import { z } from 'zod';
import { idParam, instant, text } from '../http/schema-parts';
import { DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES } from './entities';

const url = z
  .string()
  .trim()
  .min(1, 'must be a URL')
  .max(2048, 'must be at most 2048 characters')
  .meta({ description: 'https:// and a public address (checked on save and at every delivery)' });

/** A list of types, each once, or `["*"]` for all of them. */
const events = z
  .array(z.string())
  .min(1, 'must list at least one event type, or "*"')
  .max(WEBHOOK_EVENT_TYPES.length)
  .superRefine((list, ctx) => {
    if (list.includes('*') && list.length > 1) ctx.addIssue({ code: 'custom', message: '"*" stands alone' });
    for (const t of list)
      if (t !== '*' && !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(t))
        ctx.addIssue({ code: 'custom', message: `unknown event type "${t.slice(0, 40)}"` });
    if (new Set(list).size !== list.length) ctx.addIssue({ code: 'custom', message: 'lists a type twice' });
  })
  .meta({ description: `Types among ${WEBHOOK_EVENT_TYPES.join(', ')}; or ["*"]` });

const description = text(0, 200).optional();

export const createWebhookBody = z.strictObject({ url, events, description });
export const updateWebhookBody = z
  .strictObject({ url: url.optional(), events: events.optional(), description, enabled: z.boolean().optional() })
  .refine((b) => Object.keys(b).length > 0, 'must change something: url, events, description or enabled');
export type CreateWebhook = z.output<typeof createWebhookBody>;
export type UpdateWebhook = z.output<typeof updateWebhookBody>;

export const webhookParams = z.object({ webhook_id: idParam });
export const deliveryParams = webhookParams.extend({ delivery_id: idParam });
export const listDeliveriesQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const webhookSchema = z
  .strictObject({
    id: z.number().int(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable(),
    created_at: instant,
  })
  .meta({ id: 'Webhook' });
export type WebhookView = z.infer<typeof webhookSchema>;

export const deliverySchema = z
  .strictObject({
    id: z.number().int(),
    event_id: z.string(),
    event_type: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    last_attempt_at: instant.nullable(),
    next_attempt_at: instant.nullable(),
    response_status: z.number().int().nullable(),
    response_ms: z.number().int().nullable(),
    response_excerpt: z.string().nullable(),
    created_at: instant,
  })
  .meta({ id: 'WebhookDelivery' });
export type DeliveryView = z.infer<typeof deliverySchema>;

const secret = z.string().meta({ description: 'whsec_ + base64: shown once, keep it to verify signatures' });
export const webhookAnswer = z.strictObject({ webhook: webhookSchema });
export const createdWebhookAnswer = z.strictObject({ webhook: webhookSchema, secret });
export const secretAnswer = z.strictObject({ secret });
export const webhookList = z.strictObject({ items: z.array(webhookSchema) });
export const deliveryAnswer = z.strictObject({ delivery: deliverySchema });
export const deliveryList = z.strictObject({ items: z.array(deliverySchema) });
