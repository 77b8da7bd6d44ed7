/** The `sbom` slice of a policy rule. */
import { z } from 'zod';

export const SbomPolicySchema = z
  .object({
    /**
     * Count only SBOMs in an in-toto attestation signed by an attestation key. Plain referrers and
     * cosign `.sbom` tags are unsigned: anyone who can push to the repository can attach one. They
     * are still read, and one that disagrees with the counted SBOM blocks. @default true
     */
    requireSigned: z.boolean().default(true),
    /**
     * Count the per-platform SBOM attestations BuildKit writes into the index (`docker buildx
     * build --sbom=true`). They are unsigned, so they count as signed only when the index digest
     * itself carries a signature that passes `signature`, which pins them by digest.
     * @default false
     */
    acceptBuildkit: z.boolean().default(false),
  })
  .default({ requireSigned: true, acceptBuildkit: false });
export type SbomPolicy = z.infer<typeof SbomPolicySchema>;
