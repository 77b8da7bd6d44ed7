/** The `provenance` slice of a policy rule: allowed builders, sources, refs, inputs and platforms. */
import * as z from '../zod.js';
import { PlatformListSchema } from './platforms-policy.js';

export const ProvenancePolicySchema = z._default(
  z.object({
    /** Exact `runDetails.builder.id` values (v1) / `builder.id` (v0.2) allowed. */
    builders: z._default(z.array(z.string().check(z.minLength(1))), []),
    /** Allowed source repositories (exact URI, compared after stripping `git+` and `.git`). */
    sourceRepositories: z._default(z.array(z.string().check(z.minLength(1))), []),
    /**
     * Source ref constraints, each checked on its own like slsa-verifier's `--source-branch`,
     * `--source-tag` and `--source-versioned-tag` (see attest/provenance-checks.ts).
     * @default - any ref
     */
    sourceRef: z.optional(
      z.object({
        /** Branch name (`main` or `refs/heads/main`) the build ran on, or the tag was cut from. */
        branch: z.optional(z.string().check(z.minLength(1))),
        /** Exact tag name (`v1.2.3` or `refs/tags/v1.2.3`) of a tag build. */
        tag: z.optional(z.string().check(z.minLength(1))),
        /** Semver prefix (`v1`, `v1.5`, `v1.5.0`) the tag of a tag build must match. */
        versionedTag: z.optional(
          z
            .string()
            .check(
              z.regex(
                /^v(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/,
                'expected vX[.Y[.Z]]',
              ),
            ),
        ),
      }),
    ),
    /**
     * `workflow_dispatch` inputs the build must have run with (`--build-workflow-input`); inputs
     * not named here are not checked. @default - inputs are not checked
     */
    workflowInputs: z.optional(z.record(z.string().check(z.minLength(1)), z.string())),
    /**
     * The older name of the rule-level `platforms.required` (platforms-policy.ts), which now gates
     * sbom and scan per platform too. Still honoured alone; a rule may not set both differently.
     * @default - every platform of the index (or the single image)
     */
    requiredPlatforms: z.optional(PlatformListSchema),
    /**
     * Count BuildKit attestation manifests (`vnd.docker.reference.type: attestation-manifest`).
     * They are unsigned, so they are accepted only when the index digest itself carries a
     * signature that passes `signature` (keys, minSigners, and naming this digest).
     */
    acceptBuildkit: z._default(z.boolean(), false),
  }),
  { builders: [], sourceRepositories: [], acceptBuildkit: false },
);
export type ProvenancePolicy = z.infer<typeof ProvenancePolicySchema>;
