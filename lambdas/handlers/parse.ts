import { formatIssues } from '../domain/document.js';
import { InvalidInputError, TooLargeError } from '../domain/errors.js';
import { Limits } from '../domain/limits.js';
import type * as z from '../domain/zod.js';

/**
 * Parse a Lambda event: size first (before any schema work), then the zod schema, reporting every
 * invalid field at once. Nothing downstream sees an unparsed event.
 */
export function parseEvent<S extends z.ZodMiniType>(schema: S, event: unknown, what: string): z.infer<S> {
  const size = Buffer.byteLength(JSON.stringify(event ?? null) ?? '', 'utf8');
  if (size > Limits.eventBytes) throw new TooLargeError(what, size, Limits.eventBytes);
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidInputError(`${what} is invalid: ${formatIssues(parsed.error.issues)}`, { cause: parsed.error });
  }
  return parsed.data;
}
