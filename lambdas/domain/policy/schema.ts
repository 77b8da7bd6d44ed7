import { z } from 'zod';
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

export const TrustedKeySchema = z.object({
  /** A name for reasons and reports, e.g. `ci-signing-2026`. */
  id: z.string().min(1),
  publicKey: PemPublicKey,
});
export type TrustedKey = z.infer<typeof TrustedKeySchema>;

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
      /** cosign keys trusted to sign images of these repositories. */
      keys: z.array(TrustedKeySchema).default([]),
      /** Distinct trusted signers required. */
      minSigners: z.number().int().min(1).default(1),
      /**
       * Registry hosts/prefixes an image's `docker-reference` may carry besides the source
       * repository itself (e.g. the CI registry it was pushed to before ECR replication).
       */
      allowedReferencePrefixes: z.array(z.string()).default([]),
    })
    .default({ keys: [], minSigners: 1, allowedReferencePrefixes: [] }),
  attestations: z
    .object({
      /** Keys trusted to sign DSSE attestations (provenance, SBOM, eval results). */
      keys: z.array(TrustedKeySchema).default([]),
    })
    .default({ keys: [] }),
  provenance: z
    .object({
      /** Exact `runDetails.builder.id` values (v1) / `builder.id` (v0.2) allowed. */
      builders: z.array(z.string().min(1)).default([]),
      /** Allowed source repositories (exact URI, compared after stripping `git+` and `.git`). */
      sourceRepositories: z.array(z.string().min(1)).default([]),
    })
    .default({ builders: [], sourceRepositories: [] }),
  lockfile: z
    .object({
      /** Block when the base image is not identified by digest. */
      requirePinnedBase: z.boolean().default(true),
    })
    .default({ requirePinnedBase: true }),
  scan: z
    .object({
      /** Maximum number of findings per severity; a severity not listed is unlimited. */
      maxFindings: z.partialRecord(SeveritySchema, z.number().int().min(0)).default({ CRITICAL: 0, HIGH: 0 }),
      /** Vulnerability ids accepted outright (prefer VEX with an expiry, issue 3). */
      ignore: z.array(z.object({ id: z.string(), reason: z.string().min(1), expires: z.iso.datetime() })).default([]),
      /**
       * VEX exceptions: inline statements (each with an explicit `expires`) plus signed OpenVEX
       * attestations on the image, which expire `maxAgeDays` after they were issued.
       */
      vex: VexPolicySchema.default({ maxAgeDays: 90, trustedAuthors: [], exceptions: [] }),
    })
    .default({
      maxFindings: { CRITICAL: 0, HIGH: 0 },
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
