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
  })
  .default({ requireSigned: true });
export type SbomPolicy = z.infer<typeof SbomPolicySchema>;
