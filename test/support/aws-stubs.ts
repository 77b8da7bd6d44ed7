/**
 * A real AWS SDK v3 client (and its real command objects) whose `send` is answered at the front of
 * its middleware stack instead of calling AWS: for adapters of services no stand-in serves here
 * (SNS, EventBridge, the Step Functions service API).
 */

/** The part of an SDK client's middleware stack the stub uses. */
interface StubbableClient<Input, Output> {
  readonly middlewareStack: {
    add(
      middleware: (
        next: unknown,
        context: { readonly commandName?: string },
      ) => (args: { readonly input: Input }) => Promise<{ output: Output; response: unknown }>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

export interface StubbedCall<Input> {
  readonly command: string;
  readonly input: Input;
}

/**
 * Answers every command `client` sends with `respond` (an Error is thrown, as the SDK throws a
 * service exception). Returns the calls, in order.
 */
export function stubSend<Input, Output>(
  client: StubbableClient<Input, Output>,
  respond: (command: string, input: Input) => Output | Error,
): StubbedCall<Input>[] {
  const calls: StubbedCall<Input>[] = [];
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      calls.push({ command, input: args.input });
      const result = respond(command, args.input);
      if (result instanceof Error) throw result;
      return { output: result, response: {} };
    },
    { step: 'initialize', name: 'stubSend' },
  );
  return calls;
}

/** Credentials that are never sent anywhere. */
export const STUB_CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' } as const;
