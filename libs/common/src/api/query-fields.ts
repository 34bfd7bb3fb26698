import { z } from 'zod';

/**
 * Query-string fields as zod schemas (every value arrives as a string; a repeated parameter as a list,
 * which each of these refuses): routes check their query with a `z.object` of these through `ZodPipe`
 * and document it with `ApiZodQuery`. Unknown parameters are ignored, as HTTP caches' busters expect.
 */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): z.ZodCoercedNumber<unknown> {
  const message = max === Number.MAX_SAFE_INTEGER ? `must be a whole number from ${min}` : `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ message }).int(message).min(min, message).max(max, message);
}

/** `true` or `false`, as a boolean. */
export const queryFlag = z.enum(['true', 'false'], { message: 'must be true or false' }).transform((value) => value === 'true');

/** `?limit=`: 1-1000, 100 when absent. */
export const PageLimitQuery = z.object({ limit: wholeNumber(1, 1000).default(100).describe('1-1000, default 100') });
