import type { TrustedKey } from '../trust-material.js';

/** An in-toto Statement (v1 or v0.1) after schema validation. */
export interface InTotoStatement {
  readonly type: string;
  readonly subject: readonly { name?: string; digest: Readonly<Record<string, string>> }[];
  readonly predicateType: string;
  readonly predicate: Readonly<Record<string, unknown>>;
}

/**
 * An attestation whose DSSE signature verified against a trusted key and whose subject is the image.
 * `R`: what `DiscoverOptions.inPieces` read of its predicate.
 */
export interface VerifiedAttestation<R = never> {
  /** The statement; when `read` is set, the predicate's array that `read` was made of is empty here. */
  readonly statement: InTotoStatement;
  /** What `DiscoverOptions.inPieces` made of the predicate's array, when it read it. */
  readonly read?: R;
  readonly predicateType: string;
  /** `id` of the TrustedKey that verified the envelope. */
  readonly signer: string;
  /** Where it was found, for reasons: `referrer sha256:…` or `tag sha256-….att`. */
  readonly source: string;
  /** The exact DSSE envelope bytes, stored as raw evidence. */
  readonly envelope: Uint8Array;
}

/** The outcome of looking for attestations of some predicate types on an image. */
export interface AttestationScan<R = never> {
  readonly verified: readonly VerifiedAttestation<R>[];
  /** Envelopes found but rejected, with the reason (bad signature, untrusted key, wrong subject, …). */
  readonly rejected: readonly { source: string; predicateType?: string; reason: string }[];
}

export type { TrustedKey };
