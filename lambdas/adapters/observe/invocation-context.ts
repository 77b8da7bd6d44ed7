import { AsyncLocalStorage } from 'node:async_hooks';

/** What one Lambda invocation is about, as far as its event says. */
export interface InvocationContext {
  readonly repository?: string;
  readonly digest?: string;
  /** The Step Functions execution a workflow step runs in (`$$.Execution.Id` in the ASL payload). */
  readonly executionArn?: string;
}

// AsyncLocalStorage, not a module variable: tests (and the local stack) run several invocations
// of one handler at once in one process, and each must link to its own execution.
const storage = new AsyncLocalStorage<InvocationContext>();

/** Runs `fn` as the invocation described by `context` (handlers/invocation.ts sets it). */
export function runInvocation<R>(context: InvocationContext, fn: () => Promise<R>): Promise<R> {
  return storage.run(context, fn);
}

/** The current invocation's context; empty outside one (the CLI, the local stack). */
export function currentInvocation(): InvocationContext {
  return storage.getStore() ?? {};
}
