/** The `signature` slice of a policy rule: which signature formats count, and whom they must come from. */
import { KeylessTrustSchema, PemCertificate, TrustedKeySchema } from '../policy/trust-schema.js';
import * as z from '../zod.js';

/** Signature formats the gate verifies. */
export const SIGNATURE_KINDS = ['cosign', 'sigstore-bundle', 'notation'] as const;
export type SignatureKind = (typeof SIGNATURE_KINDS)[number];

export const SignaturePolicySchema = z._default(
  z.object({
    /**
     * Keys trusted to sign images of these repositories: cosign simple signing and key-based
     * Sigstore bundles.
     */
    keys: z._default(z.array(TrustedKeySchema), []),
    /** Distinct trusted signers required (a key, a keyless identity or a Notation signer each count once). */
    minSigners: z._default(z.number().check(z.int(), z.gte(1)), 1),
    /**
     * Registry hosts/prefixes an image's `docker-reference` may carry besides the source
     * repository itself (e.g. the CI registry it was pushed to before ECR replication).
     */
    allowedReferencePrefixes: z._default(z.array(z.string()), []),
    /** Which signature formats count. @default - all three; each needs its own trust anchors. */
    accept: z._default(z.array(z.enum(SIGNATURE_KINDS)).check(z.minLength(1)), () => [...SIGNATURE_KINDS]),
    /** Keyless Sigstore (Fulcio certificate + transparency log), verified against a pinned trusted root. */
    sigstore: z._default(KeylessTrustSchema, { identities: [] }),
    /** Notation (Notary Project) signatures, e.g. ECR managed signing with AWS Signer. */
    notation: z._default(
      z.object({
        /** Root (or pinned intermediate) certificates: PEM. AWS Signer's root for managed signing. */
        trustAnchors: z._default(
          z.array(z.object({ id: z.string().check(z.minLength(1)), certificate: PemCertificate })),
          [],
        ),
        /** `notary.x509` or `notary.x509.signingAuthority` (AWS Signer); either when absent. */
        signingScheme: z.optional(z.enum(['notary.x509', 'notary.x509.signingAuthority'])),
        /** x509 signers as in the Notary trust policy: `x509.subject: C=US, ST=WA, O=Acme, CN=ci`. */
        trustedIdentities: z._default(z.array(z.string().check(z.minLength(1))), []),
        /** AWS Signer signing-profile ARNs (any version) or profile-version ARNs. */
        awsSignerProfiles: z._default(
          z.array(z.string().check(z.regex(/^arn:aws[a-z-]*:signer:/, 'expected a signing-profile ARN'))),
          [],
        ),
      }),
      { trustAnchors: [], trustedIdentities: [], awsSignerProfiles: [] },
    ),
  }),
  {
    keys: [],
    minSigners: 1,
    allowedReferencePrefixes: [],
    accept: [...SIGNATURE_KINDS],
    sigstore: { identities: [] },
    notation: { trustAnchors: [], trustedIdentities: [], awsSignerProfiles: [] },
  },
);
export type SignaturePolicy = z.infer<typeof SignaturePolicySchema>;
