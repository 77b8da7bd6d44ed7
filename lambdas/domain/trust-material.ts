/**
 * Trust material as the format verifiers (DSSE, cosign, Sigstore, in-toto discovery) take it. The
 * policy schema produces these values; format code never imports the policy, so a verifier can be
 * read, tested and reused without it.
 */

/** A public key trusted to sign, with a name for reasons and reports (e.g. `ci-signing-2026`). */
export interface TrustedKey {
  readonly id: string;
  /** SPKI PEM. */
  readonly publicKey: string;
}
