/**
 * The `platforms` slice of a policy rule: which platform manifests of a multi-platform image (an
 * OCI index) are gated. One notion for every per-platform evidence kind (sbom, scan, provenance).
 */
import * as z from '../zod.js';

/** `os/arch` or `os/arch/variant`; `linux/arm64` matches any variant. */
export const PlatformListSchema = z
  .array(z.string().check(z.regex(/^[a-z0-9._-]+\/[a-z0-9._-]+(\/[a-z0-9._-]+)?$/, 'expected os/arch[/variant]')))
  .check(z.minLength(1, 'omit the list to require every platform'));

export const PlatformsPolicySchema = z._default(
  z.object({
    /**
     * Platforms whose manifests must each pass the per-platform evidence (sbom, scan, provenance);
     * a required platform the index lacks fails. @default - every platform of the index
     */
    required: z.optional(PlatformListSchema),
  }),
  {},
);
export type PlatformsPolicy = z.infer<typeof PlatformsPolicySchema>;

/**
 * The platforms a rule requires: `platforms.required`, or the older `provenance.requiredPlatforms`
 * (kept working; the schema refuses a rule that sets both differently). Undefined means every one.
 */
export function requiredPlatformsOf(rule: {
  readonly platforms: PlatformsPolicy;
  readonly provenance: { readonly requiredPlatforms?: readonly string[] | undefined };
}): readonly string[] | undefined {
  return rule.platforms.required ?? rule.provenance.requiredPlatforms;
}
