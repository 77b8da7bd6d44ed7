// StoreError lives with the rest of the error vocabulary (domain/errors.ts), where the ASL test
// ties its name to the state machine's Retry blocks.
export { StoreError } from '../../domain/errors.js';

/** The SDK's error name (`ConditionalCheckFailedException`, `NoSuchKey`, …), when it has one. */
export function sdkErrorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

/** The HTTP status the SDK recorded for a failed call, when it has one. */
export function sdkHttpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  const metadata: unknown = err.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  const status: unknown = metadata.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}
