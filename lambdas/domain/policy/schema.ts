import { type ApprovalPolicy, ApprovalPolicySchema, ApprovalStageOverrideSchema } from '../evidence/approval-policy.js';
import { EvalPolicySchema } from '../evidence/eval-policy.js';
import { LockfilePolicySchema } from '../evidence/lockfile-policy.js';
import { PlatformsPolicySchema } from '../evidence/platforms-policy.js';
import { ProvenancePolicySchema } from '../evidence/provenance-policy.js';
import { SbomPolicySchema } from '../evidence/sbom-policy.js';
import { ScanPolicySchema } from '../evidence/scan-policy.js';
import { SignaturePolicySchema } from '../evidence/signature-policy.js';
import { EvidenceKindSchema } from '../types.js';
import { approvalRulesProblems } from '../workflow/approvers.js';
import * as z from '../zod.js';
import { AttestationTrustSchema } from './trust-schema.js';

/**
 * The policy document (JSON or YAML). One document holds rules; the first rule whose
 * `repositories` glob matches the repository applies. Validated at load time: an invalid policy
 * refuses to start the gate (fail closed), it never falls back to a default.
 *
 * Each evidence kind's slice lives next to its collector (`evidence/<kind>-policy.ts`); this file
 * composes them into a rule.
 */

export { SEVERITIES, type Severity, SeveritySchema } from '../evidence/scan-policy.js';
export { SIGNATURE_KINDS, type SignatureKind } from '../evidence/signature-policy.js';
export type { TrustedKey } from '../trust-material.js';
export { TrustedKeySchema } from './trust-schema.js';

export const StageSchema = z.object({
  /** Evidence kinds that must be PASS for this stage. */
  require: z.array(EvidenceKindSchema).check(z.minLength(1)),
  /** This stage's approval rules: each field given replaces the rule's `approval` field. */
  approval: z.optional(ApprovalStageOverrideSchema),
});

export const DEFAULT_STAGES = {
  staging: { require: ['sbom', 'provenance', 'dependency-diff'] },
  production: {
    require: ['lockfile', 'dependency-diff', 'sbom', 'provenance', 'signature', 'scan', 'eval', 'approval'],
  },
} as const;

export const RepositoryPolicySchema = z
  .object({
    /** Glob patterns over repository names: `*` matches within a path segment, `**` across. */
    repositories: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
    stages: z._default(
      z.record(z.string().check(z.minLength(1)), StageSchema),
      () => structuredClone(DEFAULT_STAGES) as never,
    ),
    /**
     * The stage pushes to these repositories are evaluated for (one of `stages`), so one deployment
     * gates staging repositories and production repositories, each promoted to its own rule's
     * target. The repository decides, never the pushed tag: whoever pushes chooses the tag.
     * Default: the deployment's stage (`GATE_STAGE`).
     */
    stage: z.optional(z.string().check(z.minLength(1))),
    /** Which platform manifests of a multi-platform image are gated (sbom, scan, provenance). */
    platforms: PlatformsPolicySchema,
    signature: SignaturePolicySchema,
    attestations: AttestationTrustSchema,
    provenance: ProvenancePolicySchema,
    sbom: SbomPolicySchema,
    lockfile: LockfilePolicySchema,
    scan: ScanPolicySchema,
    eval: EvalPolicySchema,
    approval: ApprovalPolicySchema,
    promotion: z._default(
      z.object({
        /** Repository images are promoted into (same registry). `{repository}` is substituted. */
        targetRepository: z._default(z.string().check(z.minLength(1)), 'prod/{repository}'),
        /**
         * The mutable channel tag of the production repository: the live pointer that Promote
         * moves to each promoted release and `rollback` moves back. Every other tag stays
         * immutable. A tag name (distribution-spec), never a `release-`/`sha256-` name.
         */
        channelTag: z._default(
          z.string().check(
            z.regex(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/, 'a tag name'),
            z.refine((t) => !/^(release-|sha256-|quarantine)/.test(t), 'a tag the gate writes immutably'),
          ),
          'live',
        ),
      }),
      { targetRepository: 'prod/{repository}', channelTag: 'live' },
    ),
  })
  .check(
    z.superRefine((rule, ctx) => {
      if (rule.stage !== undefined && rule.stages[rule.stage] === undefined) {
        ctx.addIssue({ code: 'custom', path: ['stage'], message: `"${rule.stage}" is not one of this rule's stages` });
      }
      // The approval rules of every stage (its own fields over the rule's) must be satisfiable.
      for (const stage of Object.keys(rule.stages)) {
        for (const message of approvalRulesProblems(approvalRulesFor(rule, stage))) {
          ctx.addIssue({ code: 'custom', path: ['stages', stage, 'approval'], message });
        }
      }
      // `provenance.requiredPlatforms` predates the rule-level list and still works alone; two lists
      // that disagree would gate provenance and the other kinds on different platforms.
      const older = rule.provenance.requiredPlatforms;
      const shared = rule.platforms.required;
      if (older !== undefined && shared !== undefined && older.join(',') !== shared.join(',')) {
        ctx.addIssue({
          code: 'custom',
          path: ['provenance', 'requiredPlatforms'],
          message: 'set platforms.required only (provenance.requiredPlatforms is its older name)',
        });
      }
    }),
  );
export type RepositoryPolicy = z.infer<typeof RepositoryPolicySchema>;

export const PolicyDocumentSchema = z.object({
  apiVersion: z.literal('release-gate.dev/v1'),
  kind: z.literal('Policy'),
  rules: z.array(RepositoryPolicySchema).check(z.minLength(1)),
});
export type PolicyDocument = z.infer<typeof PolicyDocumentSchema>;

/** The approval rules of `stage` in a rule: the rule's `approval`, with the stage's own fields over it. */
export function approvalRulesFor(policy: RepositoryPolicy, stage: string): ApprovalPolicy {
  return { ...policy.approval, ...(policy.stages[stage]?.approval ?? {}) };
}
