/** The `sbom` slice of a policy rule. */
import * as z from '../zod.js';

export const SbomPolicySchema = z._default(
  z.object({
    /**
     * Count only SBOMs in an in-toto attestation signed by an attestation key. Plain referrers and
     * cosign `.sbom` tags are unsigned: anyone who can push to the repository can attach one. They
     * are still read, and one that disagrees with the counted SBOM blocks. @default true
     */
    requireSigned: z._default(z.boolean(), true),
    /**
     * Count the per-platform SBOM attestations BuildKit writes into the index (`docker buildx
     * build --sbom=true`). They are unsigned, so they count as signed only when the index digest
     * itself carries a signature that passes `signature`, which pins them by digest.
     * @default false
     */
    acceptBuildkit: z._default(z.boolean(), false),
    /**
     * When the image carries no SBOM at all (no attestation, referrer or cosign tag, and none that
     * failed to read), ask Amazon Inspector for one (`CreateSbomExport`, CycloneDX 1.4). The export
     * is unsigned, so it counts only with `requireSigned: false`; under `requireSigned` it never
     * does, and the reason says so. @default false
     */
    acceptInspectorExport: z._default(z.boolean(), false),
  }),
  { requireSigned: true, acceptBuildkit: false, acceptInspectorExport: false },
);
export type SbomPolicy = z.infer<typeof SbomPolicySchema>;
