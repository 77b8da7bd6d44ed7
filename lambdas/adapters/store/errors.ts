import { GateError } from '../../domain/errors.js';

/**
 * DynamoDB or S3 failed for a reason other than a lost condition (throttling, network, a missing
 * table or bucket, a validation error). The name is stable: the ASL `Retry` blocks match
 * `StoreError` to retry transient storage failures with backoff.
 */
export class StoreError extends GateError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_ERROR', message, options);
    this.name = 'StoreError';
  }
}

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
