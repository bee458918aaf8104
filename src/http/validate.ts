import type { Request } from 'express';
import { z } from 'zod';

/** Parses and returns typed input; a ZodError becomes 400 VALIDATION_ERROR naming each bad field (see error handler). */
export const body = <T extends z.ZodType>(req: Request, schema: T): z.output<T> => schema.parse(req.body ?? undefined);
export const query = <T extends z.ZodType>(req: Request, schema: T): z.output<T> => schema.parse(req.query);
export const params = <T extends z.ZodType>(req: Request, schema: T): z.output<T> => schema.parse(req.params);

/** A positive integer id from a path or query string. */
export const idParam = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, 'must be a positive integer')
  .transform(Number);

export const pagination = {
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
};
