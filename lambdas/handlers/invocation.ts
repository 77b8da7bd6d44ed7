import { type InvocationContext, runInvocation } from '../adapters/observe/invocation-context.js';
import * as z from '../domain/zod.js';
import { logger } from './logger.js';
import { gateMetrics } from './metrics.js';

const Key = z.catch(z.optional(z.string().check(z.minLength(1), z.maxLength(512))), undefined);

/**
 * Where an event names its release: the workflow steps' payloads (`executionArn` is the ASL's
 * `$$.Execution.Id`), or an EventBridge event's detail (ECR pushes and scans). Read leniently and
 * only for logs and links: each handler still parses its event in full.
 */
const EventKeysSchema = z.object({
  repository: Key,
  digest: Key,
  executionArn: Key,
  detail: z.catch(z.optional(z.object({ 'repository-name': Key, 'image-digest': Key })), undefined),
});

function keysOf(event: unknown): InvocationContext {
  const parsed = EventKeysSchema.safeParse(event);
  if (!parsed.success) return {};
  const { repository, digest, executionArn, detail } = parsed.data;
  const keys = {
    repository: repository ?? detail?.['repository-name'],
    digest: digest ?? detail?.['image-digest'],
    executionArn,
  };
  return Object.fromEntries(Object.entries(keys).filter(([, v]) => v !== undefined));
}

/**
 * One Lambda invocation: every log line carries the `repository`, `digest` and `executionArn` its
 * event names (the keys of the invocation before are cleared first: a warm container runs many),
 * the notifier links to the execution, and a throw counts in `GateErrors` before it is rethrown.
 */
export function invocation<R>(handler: (event: unknown) => Promise<R>): (event: unknown) => Promise<R> {
  return async (event: unknown) => {
    const context = keysOf(event);
    logger.resetKeys();
    logger.appendKeys({ ...context });
    try {
      return await runInvocation(context, () => handler(event));
    } catch (err) {
      gateMetrics.gateError();
      throw err;
    }
  };
}

/** Keys a handler learns after parsing (a scan event's repository, from its ARN), for the lines after. */
export function appendInvocationKeys(keys: Readonly<Record<string, string>>): void {
  logger.appendKeys({ ...keys });
}
