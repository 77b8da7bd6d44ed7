/** The `sbom` slice of a policy rule. */
import { z } from 'zod';

export const SbomPolicySchema = z
  .object({
    /**
     * Accept only SBOMs in an in-toto attestation signed by an attestation key. Plain referrers
     * and cosign `.sbom` tags are unsigned: anyone who can push to the repository can attach one.
     */
    requireSigned: z.boolean().default(false),
  })
  .default({ requireSigned: false });
export type SbomPolicy = z.infer<typeof SbomPolicySchema>;
