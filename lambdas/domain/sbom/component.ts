import * as z from '../zod.js';

/**
 * The source package a distribution binary package was built from (Debian `Source`, Alpine
 * `origin`, RPM `SOURCERPM`), as the SBOM states it. Debian, Alpine and RPM advisories are keyed
 * by source package. `version` is absent when the SBOM gives only the name (the source then has
 * the binary's version).
 */
export const ComponentSourceSchema = z.object({
  name: z.string().check(z.minLength(1)),
  version: z.optional(z.string().check(z.minLength(1))),
});
export type ComponentSource = z.infer<typeof ComponentSourceSchema>;

/**
 * One SBOM component after normalisation, whatever the source format (CycloneDX or SPDX).
 * `purl` is canonicalised with packageurl-js; `version` is exactly what the SBOM says (no ranges
 * are resolved: a range or an empty version is a lockfile failure, not something we guess).
 */
export const ComponentSchema = z.object({
  name: z.string(),
  version: z.optional(z.string()),
  purl: z.optional(z.string()),
  /** purl type (npm, pypi, deb, apk, maven, golang, oci, …) when a purl is known. */
  ecosystem: z.optional(z.string()),
  licenses: z.array(z.string()),
  /**
   * `application` for the image's own dependencies (language packages), `os` for distro packages,
   * `other` otherwise. Lockfile and drift checks look at `application` components.
   */
  scope: z.enum(['application', 'os', 'other']),
  /**
   * The component is the operating system itself (CycloneDX `operating-system`, SPDX purpose
   * OPERATING-SYSTEM), not a package: scanners look at its packages, which are listed separately.
   */
  operatingSystem: z.optional(z.boolean()),
  /** The source package, from the SBOM's own fields (the purl `upstream` qualifier is read too). */
  source: z.optional(ComponentSourceSchema),
});
export type Component = z.infer<typeof ComponentSchema>;

/** The normalised SBOM the gate stores (`components.json`) and diffs between releases. */
export const NormalizedSbomSchema = z.object({
  format: z.enum(['cyclonedx', 'spdx']),
  specVersion: z.string(),
  /** Lockfile digest carried in the SBOM metadata, when present (see lockfile evidence). */
  lockfileDigest: z.optional(z.string()),
  components: z.array(ComponentSchema),
});
export type NormalizedSbom = z.infer<typeof NormalizedSbomSchema>;
