/** The `signature` slice of a policy rule: which signature formats count, and whom they must come from. */
import * as z from 'zod';
import { KeylessTrustSchema, PemCertificate, TrustedKeySchema } from '../policy/trust-schema.js';

/** Signature formats the gate verifies. */
export const SIGNATURE_KINDS = ['cosign', 'sigstore-bundle', 'notation'] as const;
export type SignatureKind = (typeof SIGNATURE_KINDS)[number];

export const SignaturePolicySchema = z
  .object({
    /**
     * Keys trusted to sign images of these repositories: cosign simple signing and key-based
     * Sigstore bundles.
     */
    keys: z.array(TrustedKeySchema).default([]),
    /** Distinct trusted signers required (a key, a keyless identity or a Notation signer each count once). */
    minSigners: z.number().int().min(1).default(1),
    /**
     * Registry hosts/prefixes an image's `docker-reference` may carry besides the source
     * repository itself (e.g. the CI registry it was pushed to before ECR replication).
     */
    allowedReferencePrefixes: z.array(z.string()).default([]),
    /** Which signature formats count. @default - all three; each needs its own trust anchors. */
    accept: z
      .array(z.enum(SIGNATURE_KINDS))
      .min(1)
      .default(() => [...SIGNATURE_KINDS]),
    /** Keyless Sigstore (Fulcio certificate + transparency log), verified against a pinned trusted root. */
    sigstore: KeylessTrustSchema.default({ identities: [] }),
    /** Notation (Notary Project) signatures, e.g. ECR managed signing with AWS Signer. */
    notation: z
      .object({
        /** Root (or pinned intermediate) certificates: PEM. AWS Signer's root for managed signing. */
        trustAnchors: z.array(z.object({ id: z.string().min(1), certificate: PemCertificate })).default([]),
        /** `notary.x509` or `notary.x509.signingAuthority` (AWS Signer); either when absent. */
        signingScheme: z.enum(['notary.x509', 'notary.x509.signingAuthority']).optional(),
        /** x509 signers as in the Notary trust policy: `x509.subject: C=US, ST=WA, O=Acme, CN=ci`. */
        trustedIdentities: z.array(z.string().min(1)).default([]),
        /** AWS Signer signing-profile ARNs (any version) or profile-version ARNs. */
        awsSignerProfiles: z
          .array(z.string().regex(/^arn:aws[a-z-]*:signer:/, 'expected a signing-profile ARN'))
          .default([]),
      })
      .default({ trustAnchors: [], trustedIdentities: [], awsSignerProfiles: [] }),
  })
  .default({
    keys: [],
    minSigners: 1,
    allowedReferencePrefixes: [],
    accept: [...SIGNATURE_KINDS],
    sigstore: { identities: [] },
    notation: { trustAnchors: [], trustedIdentities: [], awsSignerProfiles: [] },
  });
export type SignaturePolicy = z.infer<typeof SignaturePolicySchema>;
