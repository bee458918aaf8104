import { z } from 'zod';
import { idParam, instant, text } from '../http/schema-parts';
import { COMMAND_STATUSES, COMMAND_TYPES } from './entities';

const ttl = z.number().int().min(10).max(604_800).default(600).meta({ description: 'Seconds until it expires' });
const noArgs = z.strictObject({}).default({});

/** `POST …/commands`: the arguments each type takes (§9). */
export const createCommandBody = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('identify'),
    args: z.strictObject({ seconds: z.number().int().min(1).max(120).default(10) }).default({ seconds: 10 }),
    ttl_s: ttl,
  }),
  z.strictObject({
    type: z.literal('show_message'),
    args: z.strictObject({ text: text(1, 500), seconds: z.number().int().min(1).max(3600).optional() }),
    ttl_s: ttl,
  }),
  z.strictObject({ type: z.literal('reload'), args: noArgs, ttl_s: ttl }),
  z.strictObject({ type: z.literal('sync'), args: noArgs, ttl_s: ttl }),
  z.strictObject({ type: z.literal('ping'), args: noArgs, ttl_s: ttl }),
]);
export type CreateCommand = z.output<typeof createCommandBody>;

export const listCommandsQuery = z.object({
  status: z.enum(COMMAND_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export const commandParams = z.object({ command_id: idParam });

/** What a tablet reports back: `command:result`; `result` is at most 4 KB as JSON. */
export const commandResultPayload = z.strictObject({
  id: z.number().int().positive(),
  ok: z.boolean(),
  result: z
    .record(z.string(), z.unknown())
    .refine((r) => JSON.stringify(r).length <= 4096, 'must be at most 4 KB as JSON')
    .optional(),
  error: z.strictObject({ code: z.string().min(1).max(64), message: z.string().max(500) }).optional(),
});

export const commandSchema = z
  .strictObject({
    id: z.number().int(),
    device_id: z.number().int(),
    type: z.enum(COMMAND_TYPES),
    args: z.record(z.string(), z.unknown()),
    status: z.enum(COMMAND_STATUSES),
    result: z.record(z.string(), z.unknown()).nullable(),
    error: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
    created_at: instant,
    created_by_id: z.number().int().nullable(),
    sent_at: instant.nullable(),
    delivered_at: instant.nullable(),
    completed_at: instant.nullable(),
    expires_at: instant,
  })
  .meta({ id: 'Command' });
export const commandAnswer = z.strictObject({ command: commandSchema });
export const commandList = z.strictObject({ items: z.array(commandSchema) });

export type Command = z.infer<typeof commandSchema>;
