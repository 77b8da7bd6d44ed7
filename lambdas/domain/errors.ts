/**
 * One error vocabulary for the whole gate, shared by the code and the state machine.
 *
 * The ASL's `Retry` and `Catch` blocks match errors by `name` (`ErrorEquals`), and the Lambda
 * runtime reports a thrown error's `name` as its `errorType`. So the names are constants here, the
 * classes below take their `name` from them, and `test/infra/asl.test.ts` checks that every name the
 * ASL matches comes from this module and that every retryable error is retried by every Task.
 * Renaming one is a breaking change for running executions.
 *
 * Models: aws-cdk's `aws-stepfunctions` `Errors` constants, and sigstore-js's typed error codes.
 */

import * as z from './zod.js';

/** The error names the gate's own code throws or sends (`SendTaskFailure`). */
export const ErrorName = {
  Gate: 'GateError',
  InvalidInput: 'InvalidInputError',
  TooLarge: 'TooLargeError',
  NotFound: 'NotFoundError',
  UnsupportedMediaType: 'UnsupportedMediaTypeError',
  DigestMismatch: 'DigestMismatchError',
  Verification: 'VerificationError',
  Untrusted: 'UntrustedError',
  PolicyInvalid: 'PolicyInvalidError',
  Conflict: 'ConflictError',
  AlreadyDecided: 'AlreadyDecidedError',
  Expired: 'ExpiredError',
  Registry: 'RegistryError',
  Store: 'StoreError',
  Notification: 'NotificationError',
  Config: 'ConfigError',
  /**
   * The gate's own signing key (the VSA's KMS key) refused or failed after the SDK's retries. Not
   * retried by the workflow: Promote signs before it changes production, and the ASL routes it to
   * PromotionFailed.
   */
  Signing: 'SigningError',
  /** Promote found the release must not go out after all; the ASL routes it to Quarantine. */
  PromotionBlocked: 'PromotionBlocked',
  /** Sent with `SendTaskFailure` when an approver rejects; the ASL catches it into Quarantine. */
  ApprovalRejected: 'ApprovalRejected',
  /** Set by the `PolicyBlocked` Pass state as the failure of a release the policy blocked. */
  PolicyBlocked: 'PolicyBlocked',
  // Format-specific errors (their detail code says which step failed)
  Notation: 'NotationError',
  SigstoreVerification: 'SigstoreVerificationError',
  InTotoStatement: 'InTotoStatementError',
  NotEvaluable: 'NotEvaluableError',
  UnsupportedEcosystem: 'UnsupportedEcosystemError',
} as const;

export type ErrorNameValue = (typeof ErrorName)[keyof typeof ErrorName];

/**
 * Transient failures of something outside the gate (DynamoDB, S3, the registry, SNS,
 * EventBridge). Every Task retries them with backoff; a collector rethrows them instead of turning
 * them into evidence, so a blip never becomes a verdict.
 */
export const RETRYABLE_ERRORS = [ErrorName.Store, ErrorName.Registry, ErrorName.Notification] as const;

/**
 * The Lambda service errors worth a retry: aws-cdk's default for `LambdaInvoke`
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html), plus
 * throttling.
 */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/**
 * A Lambda that crashed, ran out of memory or hit its own timeout (`Lambda.Unknown`). Every step is
 * safe to run again after a crash past any of its writes (test/workflow/crash-retry.test.ts), so a
 * Task retries it twice, far fewer times than a service error: a crash that repeats (a document
 * that exhausts memory) then reaches the step's Catch and blocks with its reason.
 */
export const LAMBDA_CRASH_ERRORS = ['Lambda.Unknown'] as const;

/** Step Functions' own error names that the ASL or the code matches (States Language spec, "Errors"). */
export const StatesError = {
  ALL: 'States.ALL',
  Timeout: 'States.Timeout',
  TaskFailed: 'States.TaskFailed',
} as const;

/** The gate-wide category of an error: what a caller may do about it. */
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
  'NOTIFICATION_ERROR', // SNS / EventBridge did not accept a message
  'CONFIG_ERROR', // missing or bad environment configuration
  'SIGNING_ERROR', // the gate's own signing key (KMS) failed or refused
] as const;

export type GateErrorCode = (typeof GATE_ERROR_CODES)[number];

export interface GateErrorOptions<Detail extends string = string> {
  readonly cause?: unknown;
  /** The format-specific reason (for example a Notation or Sigstore step), when there is one. */
  readonly detail?: Detail;
}

/**
 * Base of every error the gate throws on purpose: a gate-wide `code` (what a caller may do), a
 * stable `name` (what the ASL matches), and, for format verifiers, a typed `detail` code saying which
 * step failed (as sigstore-js's `PolicyError` with `UNTRUSTED_SIGNER_ERROR`).
 */
export class GateError<Detail extends string = string> extends Error {
  public readonly code: GateErrorCode;
  public readonly detail: Detail | undefined;

  public constructor(code: GateErrorCode, message: string, options?: GateErrorOptions<Detail>) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options?.detail;
    this.name = ErrorName.Gate;
  }
}

type Options = { cause?: unknown };

/** Input failed validation (zod) or a size limit. Not retryable. */
export class InvalidInputError extends GateError {
  public constructor(message: string, options?: Options) {
    super('INVALID_INPUT', message, options);
    this.name = ErrorName.InvalidInput;
  }
}

/**
 * A document was larger than its stated limit (or a list longer than its count limit); it was
 * rejected before parsing.
 */
export class TooLargeError extends GateError {
  public constructor(what: string, size: number, limit: number, unit = 'bytes') {
    super(
      'TOO_LARGE',
      unit === 'bytes'
        ? `${what} is ${size} bytes, above the limit of ${limit} bytes`
        : `${what} has ${size} ${unit}, above the limit of ${limit}`,
    );
    this.name = ErrorName.TooLarge;
  }
}

export class NotFoundError extends GateError {
  public constructor(message: string, options?: Options) {
    super('NOT_FOUND', message, options);
    this.name = ErrorName.NotFound;
  }
}

export class UnsupportedMediaTypeError extends GateError {
  public constructor(message: string, options?: Options) {
    super('UNSUPPORTED_MEDIA_TYPE', message, options);
    this.name = ErrorName.UnsupportedMediaType;
  }
}

/** Content did not hash to the digest it was addressed by: never trusted, never retried. */
export class DigestMismatchError extends GateError {
  public constructor(message: string, options?: Options) {
    super('DIGEST_MISMATCH', message, options);
    this.name = ErrorName.DigestMismatch;
  }
}

export class VerificationError extends GateError {
  public constructor(message: string, options?: Options) {
    super('VERIFICATION_FAILED', message, options);
    this.name = ErrorName.Verification;
  }
}

/** Verified, but by an identity or key the policy does not trust. */
export class UntrustedError extends GateError {
  public constructor(message: string, options?: Options) {
    super('UNTRUSTED', message, options);
    this.name = ErrorName.Untrusted;
  }
}

export class PolicyInvalidError extends GateError {
  public constructor(message: string, options?: Options) {
    super('POLICY_INVALID', message, options);
    this.name = ErrorName.PolicyInvalid;
  }
}

/** A conditional write lost: the item already exists or changed since it was read. */
export class ConflictError extends GateError {
  public constructor(message: string, options?: Options) {
    super('CONFLICT', message, options);
    this.name = ErrorName.Conflict;
  }
}

/** An approval was already answered; the first answer stands. */
export class AlreadyDecidedError extends GateError {
  public constructor(message: string, options?: Options) {
    super('ALREADY_DECIDED', message, options);
    this.name = ErrorName.AlreadyDecided;
  }
}

export class ExpiredError extends GateError {
  public constructor(message: string, options?: Options) {
    super('EXPIRED', message, options);
    this.name = ErrorName.Expired;
  }
}

/** The registry answered with an unexpected status or could not be reached. Retryable. */
export class RegistryError extends GateError {
  public constructor(message: string, options?: Options) {
    super('REGISTRY_ERROR', message, options);
    this.name = ErrorName.Registry;
  }
}

/**
 * DynamoDB or S3 failed for a reason other than a lost condition (throttling, network, a missing
 * table or bucket, a validation error). Retryable.
 */
export class StoreError extends GateError {
  public constructor(message: string, options?: Options) {
    super('STORE_ERROR', message, options);
    this.name = ErrorName.Store;
  }
}

/** SNS or EventBridge did not accept a notification (SDK failure or a failed PutEvents entry). Retryable. */
export class NotificationError extends GateError {
  public constructor(message: string, options?: Options) {
    super('NOTIFICATION_ERROR', message, options);
    this.name = ErrorName.Notification;
  }
}

/** Missing or bad deployment configuration (environment, endpoints, files). */
export class ConfigError extends GateError {
  public constructor(message: string, options?: Options) {
    super('CONFIG_ERROR', message, options);
    this.name = ErrorName.Config;
  }
}

/**
 * The gate's own signing key (the VSA's KMS key) failed after the SDK's own retries, or refused
 * (disabled, no permission). Not retryable by the workflow (see `ErrorName.Signing`).
 */
export class SigningError extends GateError {
  public constructor(message: string, options?: Options) {
    super('SIGNING_ERROR', message, options);
    this.name = ErrorName.Signing;
  }
}

/** Promote found the release must not go out after all; the ASL routes it to Quarantine. */
export class PromotionBlockedError extends GateError {
  public constructor(message: string) {
    super('VERIFICATION_FAILED', message);
    this.name = ErrorName.PromotionBlocked;
  }
}

/** Whether the workflow retries this error (it names one of `RETRYABLE_ERRORS`). */
export function isRetryable(err: unknown): boolean {
  return err instanceof Error && (RETRYABLE_ERRORS as readonly string[]).includes(err.name);
}

/** Render any thrown value as a one-line reason, keeping the cause chain. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    // A ZodError's message is its issues as multi-line JSON; the error wrapping it (parseJsonDocument,
    // parseEvent) already names them on one line, and reasons and logs stay one line each.
    const cause = err.cause !== undefined && !(err.cause instanceof z.$ZodError) ? `: ${describeError(err.cause)}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
