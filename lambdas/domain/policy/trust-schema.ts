/**
 * Trust material in the policy: trusted keys and keyless Sigstore identities, shared by the
 * signature slice and the attestation trust (provenance, SBOM and eval attestations).
 */
import { TrustedRootPinSchema } from '../sigstore/trusted-root-pin.js';
import type { TrustedKey } from '../trust-material.js';
import * as z from '../zod.js';

export const PemPublicKey = z
  .string()
  .check(z.regex(/-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/, 'expected a PEM SubjectPublicKeyInfo'));

export const PemCertificate = z
  .string()
  .check(z.regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/, 'expected a PEM certificate'));

/** Keyless Sigstore trust: a pinned trusted root and the certificate identities it must vouch for. */
export const KeylessTrustSchema = z
  .object({
    /** `trusted_root.json` stored next to the policy, pinned by sha256. Refreshing it is an operator action. */
    trustedRoot: z.optional(TrustedRootPinSchema),
    /** Certificate identity (SAN; exact or `*` glob) and OIDC issuer (exact). */
    identities: z._default(z.array(z.object({ issuer: z.url(), subject: z.string().check(z.minLength(1)) })), []),
  })
  .check(
    z.refine((v) => v.identities.length === 0 || v.trustedRoot !== undefined, {
      message: 'keyless identities need a pinned trustedRoot',
    }),
  );

export const TrustedKeySchema = z.object({
  /** A name for reasons and reports, e.g. `ci-signing-2026`. */
  id: z.string().check(z.minLength(1)),
  publicKey: PemPublicKey,
});
export type { TrustedKey };

// The schema's output is the format verifiers' trust material type.
TrustedKeySchema satisfies z.ZodMiniType<TrustedKey>;

/** Keys and keyless identities trusted to sign DSSE attestations (provenance, SBOM, eval results). */
export const AttestationTrustSchema = z._default(
  z.object({
    /** Keys trusted to sign DSSE attestations (provenance, SBOM, eval results). */
    keys: z._default(z.array(TrustedKeySchema), []),
    /**
     * Keyless Sigstore identities trusted to sign provenance in Sigstore bundles (e.g. the SLSA
     * GitHub generator's reusable workflow), verified against the pinned trusted root.
     */
    sigstore: z._default(KeylessTrustSchema, { identities: [] }),
  }),
  { keys: [], sigstore: { identities: [] } },
);
