import { ErrorName, GateError, type GateErrorCode } from '../errors.js';

/** Why a Notation signature was rejected. One code per verification step that can fail. */
export const NOTATION_ERROR_CODES = [
  'TOO_LARGE', // the envelope exceeds NOTATION_ENVELOPE_MAX_BYTES
  'MALFORMED_ENVELOPE', // not a well-formed Notary JWS (JSON, base64url, required headers, x5c)
  'UNSUPPORTED_ENVELOPE', // COSE or another envelope type this verifier does not handle
  'UNKNOWN_CRITICAL_HEADER', // a `crit` name this verifier does not understand
  'ALGORITHM_MISMATCH', // `alg` is not the one the leaf key's type and size require
  'NOTATION_INTEGRITY', // the JWS signature does not verify with the leaf key
  'TARGET_MISMATCH', // payload targetArtifact digest, mediaType or size differs from the image
  'INVALID_CERTIFICATE_CHAIN', // x5c is not a valid leaf → root chain meeting the certificate requirements
  'UNTRUSTED_ANCHOR', // the chain does not reach a configured trust anchor
  'SIGNING_SCHEME_MISMATCH', // the signing scheme is not the one the policy requires
  'EXPIRED', // a certificate outside its validity at the relevant time, or the signature past `expiry`
  'IDENTITY_MISMATCH', // signer (x509 subject or AWS Signer profile) not trusted
  'REVOKED', // the revocation checker reports the signature, profile, job or a certificate revoked
  'REVOCATION_UNAVAILABLE', // revocation could not be checked (fails closed)
  'POLICY_INVALID', // the verification options themselves are invalid (bad anchor, identity, `*` profile)
] as const;
export type NotationErrorCode = (typeof NOTATION_ERROR_CODES)[number];

const GATE_CODE_OF: Readonly<Record<NotationErrorCode, GateErrorCode>> = {
  TOO_LARGE: 'TOO_LARGE',
  MALFORMED_ENVELOPE: 'INVALID_INPUT',
  UNSUPPORTED_ENVELOPE: 'UNSUPPORTED_MEDIA_TYPE',
  UNKNOWN_CRITICAL_HEADER: 'VERIFICATION_FAILED',
  ALGORITHM_MISMATCH: 'VERIFICATION_FAILED',
  NOTATION_INTEGRITY: 'VERIFICATION_FAILED',
  TARGET_MISMATCH: 'VERIFICATION_FAILED',
  INVALID_CERTIFICATE_CHAIN: 'VERIFICATION_FAILED',
  UNTRUSTED_ANCHOR: 'UNTRUSTED',
  SIGNING_SCHEME_MISMATCH: 'UNTRUSTED',
  EXPIRED: 'EXPIRED',
  IDENTITY_MISMATCH: 'UNTRUSTED',
  REVOKED: 'VERIFICATION_FAILED',
  REVOCATION_UNAVAILABLE: 'VERIFICATION_FAILED',
  POLICY_INVALID: 'POLICY_INVALID',
};

/**
 * A Notation signature was rejected. `detail` says which step failed; `code` is the gate-wide code
 * it maps to, so generic handlers keep working.
 */
export class NotationError extends GateError<NotationErrorCode> {
  declare public readonly detail: NotationErrorCode;

  public constructor(detail: NotationErrorCode, message: string, options?: { cause?: unknown }) {
    super(GATE_CODE_OF[detail], message, { ...options, detail });
    this.name = ErrorName.Notation;
  }
}
