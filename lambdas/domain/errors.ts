/**
 * One error hierarchy for the whole gate. The `name` of each class is stable: the ASL `Retry` and
 * `Catch` blocks match on it (`ErrorEquals`), so renaming one is a breaking change.
 */
export const GATE_ERROR_CODES = [
  'INVALID_INPUT', // an event, document or argument failed its schema
  'TOO_LARGE', // a document exceeded its size limit before parsing
  'NOT_FOUND', // a manifest, blob, record or object does not exist
  'UNSUPPORTED_MEDIA_TYPE', // a manifest or document of a media type we do not handle
  'DIGEST_MISMATCH', // content did not hash to the digest it was addressed by
  'VERIFICATION_FAILED', // a signature, chain or attestation did not verify
  'UNTRUSTED', // verified, but by an identity the policy does not trust
  'POLICY_INVALID', // the policy document is not valid
  'CONFLICT', // a conditional write lost: the item already exists or changed
  'ALREADY_DECIDED', // an approval was already answered
  'EXPIRED', // an approval, exception or token is past its expiry
  'REGISTRY_ERROR', // the registry answered with an unexpected status
  'STORE_ERROR', // DynamoDB / S3 failed
  'CONFIG_ERROR', // missing or bad environment configuration
] as const;

export type GateErrorCode = (typeof GATE_ERROR_CODES)[number];

/** Base of every error the gate throws on purpose. */
export class GateError extends Error {
  public readonly code: GateErrorCode;

  public constructor(code: GateErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'GateError';
  }
}

/** Input failed validation (zod) or a size limit. Not retryable. */
export class InvalidInputError extends GateError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_INPUT', message, options);
    this.name = 'InvalidInputError';
  }
}

/** A document was larger than its stated limit; it was rejected before parsing. */
export class TooLargeError extends GateError {
  public constructor(what: string, size: number, limit: number) {
    super('TOO_LARGE', `${what} is ${size} bytes, above the limit of ${limit} bytes`);
    this.name = 'TooLargeError';
  }
}

export class NotFoundError extends GateError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends GateError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super('CONFLICT', message, options);
    this.name = 'ConflictError';
  }
}

export class VerificationError extends GateError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super('VERIFICATION_FAILED', message, options);
    this.name = 'VerificationError';
  }
}

export class RegistryError extends GateError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super('REGISTRY_ERROR', message, options);
    this.name = 'RegistryError';
  }
}

/** Render any thrown value as a one-line reason, keeping the cause chain. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause !== undefined ? `: ${describeError(err.cause)}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
