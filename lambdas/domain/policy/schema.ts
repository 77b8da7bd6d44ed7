import { z } from 'zod';
import { TrustedRootPinSchema } from '../sigstore/trusted-root.js';
import type { TrustedKey } from '../trust-material.js';
import { EvidenceKindSchema } from '../types.js';
import { VexPolicySchema } from '../vex/statement.js';

/**
 * The policy document (JSON or YAML). One document holds rules; the first rule whose
 * `repositories` glob matches the repository applies. Validated at load time: an invalid policy
 * refuses to start the gate (fail closed), it never falls back to a default.
 */

const PemPublicKey = z
  .string()
  .regex(/-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/, 'expected a PEM SubjectPublicKeyInfo');

const PemCertificate = z
  .string()
  .regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/, 'expected a PEM certificate');

/** Signature formats the gate verifies. */
export const SIGNATURE_KINDS = ['cosign', 'sigstore-bundle', 'notation'] as const;
export type SignatureKind = (typeof SIGNATURE_KINDS)[number];

/** Keyless Sigstore trust: a pinned trusted root and the certificate identities it must vouch for. */
const KeylessTrustSchema = z
  .object({
    /** `trusted_root.json` stored next to the policy, pinned by sha256. Refreshing it is an operator action. */
    trustedRoot: TrustedRootPinSchema.optional(),
    /** Certificate identity (SAN; exact or `*` glob) and OIDC issuer (exact). */
    identities: z.array(z.object({ issuer: z.string().url(), subject: z.string().min(1) })).default([]),
  })
  .refine((v) => v.identities.length === 0 || v.trustedRoot !== undefined, {
    message: 'keyless identities need a pinned trustedRoot',
  });

export const TrustedKeySchema = z.object({
  /** A name for reasons and reports, e.g. `ci-signing-2026`. */
  id: z.string().min(1),
  publicKey: PemPublicKey,
});
export type { TrustedKey };

// The schema's output is the format verifiers' trust material type.
TrustedKeySchema satisfies z.ZodType<TrustedKey>;

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

export const StageSchema = z.object({
  /** Evidence kinds that must be PASS for this stage. */
  require: z.array(EvidenceKindSchema).min(1),
});

export const DEFAULT_STAGES = {
  staging: { require: ['sbom', 'provenance', 'dependency-diff'] },
  production: {
    require: ['lockfile', 'dependency-diff', 'sbom', 'provenance', 'signature', 'scan', 'eval', 'approval'],
  },
} as const;

export const RepositoryPolicySchema = z.object({
  /** Glob patterns over repository names: `*` matches within a path segment, `**` across. */
  repositories: z.array(z.string().min(1)).min(1),
  stages: z.record(z.string().min(1), StageSchema).default(() => structuredClone(DEFAULT_STAGES) as never),
  signature: z
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
    }),
  attestations: z
    .object({
      /** Keys trusted to sign DSSE attestations (provenance, SBOM, eval results). */
      keys: z.array(TrustedKeySchema).default([]),
      /**
       * Keyless Sigstore identities trusted to sign provenance in Sigstore bundles (e.g. the SLSA
       * GitHub generator's reusable workflow), verified against the pinned trusted root.
       */
      sigstore: KeylessTrustSchema.default({ identities: [] }),
    })
    .default({ keys: [], sigstore: { identities: [] } }),
  provenance: z
    .object({
      /** Exact `runDetails.builder.id` values (v1) / `builder.id` (v0.2) allowed. */
      builders: z.array(z.string().min(1)).default([]),
      /** Allowed source repositories (exact URI, compared after stripping `git+` and `.git`). */
      sourceRepositories: z.array(z.string().min(1)).default([]),
      /**
       * Source ref constraints, each checked on its own like slsa-verifier's `--source-branch`,
       * `--source-tag` and `--source-versioned-tag` (see attest/provenance-checks.ts).
       * @default - any ref
       */
      sourceRef: z
        .object({
          /** Branch name (`main` or `refs/heads/main`) the build ran on, or the tag was cut from. */
          branch: z.string().min(1).optional(),
          /** Exact tag name (`v1.2.3` or `refs/tags/v1.2.3`) of a tag build. */
          tag: z.string().min(1).optional(),
          /** Semver prefix (`v1`, `v1.5`, `v1.5.0`) the tag of a tag build must match. */
          versionedTag: z
            .string()
            .regex(
              /^v(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/,
              'expected vX[.Y[.Z]]',
            )
            .optional(),
        })
        .optional(),
      /**
       * `workflow_dispatch` inputs the build must have run with (`--build-workflow-input`); inputs
       * not named here are not checked. @default - inputs are not checked
       */
      workflowInputs: z.record(z.string().min(1), z.string()).optional(),
      /**
       * Platforms (`os/arch` or `os/arch/variant`; `linux/arm64` matches any variant) whose
       * manifests must be covered by provenance. @default - every platform of the index (or the
       * single image)
       */
      requiredPlatforms: z
        .array(z.string().regex(/^[a-z0-9._-]+\/[a-z0-9._-]+(\/[a-z0-9._-]+)?$/, 'expected os/arch[/variant]'))
        .min(1, 'omit requiredPlatforms to require every platform')
        .optional(),
      /**
       * Count BuildKit attestation manifests (`vnd.docker.reference.type: attestation-manifest`).
       * They are unsigned, so they are accepted only when the index digest itself carries a
       * signature that passes `signature` (keys, minSigners, and naming this digest).
       */
      acceptBuildkit: z.boolean().default(false),
    })
    .default({ builders: [], sourceRepositories: [], acceptBuildkit: false }),
  sbom: z
    .object({
      /**
       * Accept only SBOMs in an in-toto attestation signed by an attestation key. Plain referrers
       * and cosign `.sbom` tags are unsigned: anyone who can push to the repository can attach one.
       */
      requireSigned: z.boolean().default(false),
    })
    .default({ requireSigned: false }),
  lockfile: z
    .object({
      /** Block when the base image is not identified by digest. */
      requirePinnedBase: z.boolean().default(true),
    })
    .default({ requirePinnedBase: true }),
  scan: z
    .object({
      /**
       * Maximum number of findings per severity; a severity not listed is unlimited. A finding the
       * scanner could not score is UNDEFINED, which the default caps at 0 (fail closed).
       */
      maxFindings: z
        .partialRecord(SeveritySchema, z.number().int().min(0))
        .default({ CRITICAL: 0, HIGH: 0, UNDEFINED: 0 }),
      /** Vulnerability ids accepted outright (prefer VEX with an expiry, issue 3). */
      ignore: z.array(z.object({ id: z.string(), reason: z.string().min(1), expires: z.iso.datetime() })).default([]),
      /**
       * VEX exceptions: inline statements (each with an explicit `expires`) plus signed OpenVEX
       * attestations on the image, which expire `maxAgeDays` after they were issued.
       */
      vex: VexPolicySchema.default({ maxAgeDays: 90, trustedAuthors: [], exceptions: [] }),
    })
    .default({
      maxFindings: { CRITICAL: 0, HIGH: 0, UNDEFINED: 0 },
      ignore: [],
      vex: { maxAgeDays: 90, trustedAuthors: [], exceptions: [] },
    }),
  eval: z
    .object({
      /** Largest allowed regression per metric vs the last promoted release, in metric units. */
      maxRegression: z.number().min(0).default(0.02),
      /** Metrics that must be present. */
      requiredMetrics: z.array(z.string()).default([]),
    })
    .default({ maxRegression: 0.02, requiredMetrics: [] }),
  approval: z
    .object({
      /** Identities allowed to approve; empty means anyone who can reach the link or CLI. */
      approvers: z.array(z.string()).default([]),
      /** How long RequestApproval waits (Step Functions `TimeoutSecondsPath`); then the release is quarantined. */
      timeoutSeconds: z
        .number()
        .int()
        .min(1)
        .max(7 * 24 * 3600)
        .default(24 * 3600),
    })
    .default({ approvers: [], timeoutSeconds: 24 * 3600 }),
  promotion: z
    .object({
      /** Repository images are promoted into (same registry). `{repository}` is substituted. */
      targetRepository: z.string().min(1).default('prod/{repository}'),
    })
    .default({ targetRepository: 'prod/{repository}' }),
});
export type RepositoryPolicy = z.infer<typeof RepositoryPolicySchema>;

export const PolicyDocumentSchema = z.object({
  apiVersion: z.literal('release-gate.dev/v1'),
  kind: z.literal('Policy'),
  rules: z.array(RepositoryPolicySchema).min(1),
});
export type PolicyDocument = z.infer<typeof PolicyDocumentSchema>;
