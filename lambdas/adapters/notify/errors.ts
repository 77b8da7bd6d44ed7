import { GateError } from '../../domain/errors.js';

/**
 * SNS or EventBridge did not accept a notification (SDK failure or a failed PutEvents entry).
 * Carries the `STORE_ERROR` code (a downstream AWS service failed, retry with backoff); the
 * stable name lets the ASL match it separately from `StoreError`.
 */
export class NotificationError extends GateError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_ERROR', message, options);
    this.name = 'NotificationError';
  }
}
