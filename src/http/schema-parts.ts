import { z } from 'zod';

/** A positive integer id from a path or query string. */
export const idParam = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, 'must be a positive integer')
  .transform(Number)
  .meta({ description: 'A positive integer id' });

export const pagination = {
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
};

/** An instant in answers: ISO 8601, UTC (`2026-11-25T13:00:00.000Z`). */
export const instant = z.string().meta({ format: 'date-time' });

/** A paged list answer: `{items, total}`. */
export const page = <T extends z.ZodType>(item: T) => z.strictObject({ items: z.array(item), total: z.number().int() });
