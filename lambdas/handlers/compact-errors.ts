import { logger } from './logger.js';

/** Longest error message a handler lets through to Step Functions. */
export const MAX_ERROR_MESSAGE = 1000;

/**
 * Step Functions receives a failed Lambda's `{errorType, errorMessage, trace}` as the Catch
 * `Cause`, and the ASL carries it to Quarantine in the state payload. A stack trace or a huge
 * message would push that payload past the size we allow (8 KB), so the full error is logged here
 * and a compact one with the same `name` (what `ErrorEquals` matches) is rethrown.
 */
export function compactErrors<E, R>(handler: (event: E) => Promise<R>): (event: E) => Promise<R> {
  return async (event: E) => {
    try {
      return await handler(event);
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      logger.error('handler failed', { error: err });
      const compact = new Error(err.message.slice(0, MAX_ERROR_MESSAGE));
      compact.name = err.name;
      compact.stack = `${compact.name}: ${compact.message}`;
      throw compact;
    }
  };
}
