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

/** C0 and C1 controls (NUL, ESC, CR, LF, TAB, DEL…) and the bidi embeddings, overrides and isolates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_OR_BIDI = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** A UTF-16 surrogate that is not half of a pair (not a character at all). */
const LONE_SURROGATE = /\p{Cs}/u;
/** Characters that show nothing: a string of only these is blank. */
const INVISIBLE = /[\s\u200b-\u200d\u2060\ufeff]/gu;

/**
 * One line of human text (labels, names, reasons): lone surrogates, control and bidi-override characters are
 * refused; the rest is normalised to NFC and trimmed, and a string of only zero-width characters counts as blank.
 * `min` 0 allows blank (an optional text); the length counts characters after normalisation.
 */
export function text(min: number, max: number) {
  const size = min > 0 ? `must be ${min} to ${max} characters` : `must be at most ${max} characters`;
  return z
    .string()
    .max(max * 4, size)
    .refine((s) => !LONE_SURROGATE.test(s), 'must not contain unpaired surrogates')
    .refine((s) => !CONTROL_OR_BIDI.test(s), 'must not contain control or bidi-override characters')
    .transform((s) => {
      const t = s.normalize('NFC').trim();
      return t.replace(INVISIBLE, '') === '' ? '' : t;
    })
    .pipe(z.string().min(min, size).max(max, size));
}

/** An ASCII code (store codes, card numbers) checked as typed, then upper-cased: `ſtore` is refused, not `STORE`. */
export const asciiCode = (pattern: RegExp, message: string) =>
  z
    .string()
    .trim()
    .regex(pattern, message)
    .transform((c) => c.toUpperCase());

/** An `Idempotency-Key` header: visible ASCII, like a UUID; at most 255 characters. */
export const idempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters, e.g. a UUID')
  .optional();
