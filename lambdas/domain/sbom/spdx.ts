/**
 * SPDX JSON (2.2 and 2.3) decoder.
 *
 * Strict on what the gate reads: `spdxVersion`, `creationInfo` (SPDX 2.3 §6.8/§6.9: `created` and
 * a non-empty list of `creators` strings such as `Tool: syft-1.0`), `packages[]` with `SPDXID`,
 * `name`, `versionInfo`, `filesAnalyzed` (a boolean), `licenseConcluded`/`licenseDeclared`,
 * `primaryPackagePurpose`, `sourceInfo` and `externalRefs`. Everything else passes through. This rejects the
 * documents that only look like SPDX (e.g. `packageName` instead of `name`, `filesAnalyzed` as the
 * string "false", creators as objects), as Syft's decoder does.
 */
import { formatIssues } from '../document.js';
import { InvalidInputError } from '../errors.js';
import { Limits } from '../limits.js';
import * as z from '../zod.js';
import type { ComponentSink, DecodedComponent, DecodedSbom, DecodedSbomHeader } from './parse.js';
import { sourceFromSpdxSourceInfo } from './source.js';

export const SPDX_VERSIONS = ['SPDX-2.2', 'SPDX-2.3'] as const;

/** License fields whose value says "no information" (SPDX 2.3 §7.13, §7.15). */
const NO_LICENSE = new Set(['NOASSERTION', 'NONE', '']);

const ExternalRefSchema = z.looseObject({
  referenceCategory: z.string().check(z.minLength(1)),
  referenceType: z.string().check(z.minLength(1)),
  referenceLocator: z.string(),
});

const SpdxPackageSchema = z.looseObject({
  SPDXID: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  versionInfo: z.optional(z.string()),
  filesAnalyzed: z.optional(z.boolean()),
  licenseConcluded: z.optional(z.string()),
  licenseDeclared: z.optional(z.string()),
  primaryPackagePurpose: z.optional(z.string()),
  sourceInfo: z.optional(z.string()),
  externalRefs: z.optional(z.array(ExternalRefSchema)),
});
type SpdxPackage = z.infer<typeof SpdxPackageSchema>;

export const SpdxDocumentSchema = z.looseObject({
  spdxVersion: z.enum(SPDX_VERSIONS),
  SPDXID: z.literal('SPDXRef-DOCUMENT'),
  creationInfo: z.looseObject({
    created: z.string().check(z.minLength(1)),
    creators: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  }),
  packages: z.optional(z.array(SpdxPackageSchema)),
});
export type SpdxDocument = z.infer<typeof SpdxDocumentSchema>;

/** True when `value` looks like an SPDX document (it says so in `spdxVersion`). */
export function isSpdx(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'spdxVersion' in value;
}

/**
 * Validate a parsed JSON value as SPDX 2.2/2.3 and list its packages. SPDX carries no lockfile
 * digest for the gate (only CycloneDX metadata does). Throws `InvalidInputError`.
 */
export function decodeSpdx(value: unknown): DecodedSbom {
  const components: DecodedComponent[] = [];
  return { ...decodeSpdxInto(value, (c) => components.push(c)), components };
}

/** `decodeSpdx`, handing each package to `sink` in document order instead of listing them. */
export function decodeSpdxInto(value: unknown, sink: ComponentSink): DecodedSbomHeader {
  if (typeof value === 'object' && value !== null && 'packages' in value && Array.isArray(value.packages)) {
    if (value.packages.length > Limits.sbomComponents) {
      throw new InvalidInputError(`SBOM has more than ${Limits.sbomComponents} components`);
    }
  }
  const parsed = SpdxDocumentSchema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidInputError(`not a valid SPDX 2.2/2.3 document: ${formatIssues(parsed.error.issues)}`);
  }
  const doc = parsed.data;
  for (const p of doc.packages ?? []) sink(toDecoded(p));
  return { format: 'spdx', specVersion: doc.spdxVersion.replace(/^SPDX-/, '') };
}

function toDecoded(p: SpdxPackage): DecodedComponent {
  // SPDX 2.2 spells the category PACKAGE_MANAGER, 2.3 PACKAGE-MANAGER (Annex F).
  const purlRef = (p.externalRefs ?? []).find(
    (r) =>
      (r.referenceCategory === 'PACKAGE-MANAGER' || r.referenceCategory === 'PACKAGE_MANAGER') &&
      r.referenceType === 'purl',
  );
  const licenses = [p.licenseConcluded, p.licenseDeclared].filter(
    (l): l is string => l !== undefined && !NO_LICENSE.has(l.trim()),
  );
  const source = sourceFromSpdxSourceInfo(p.sourceInfo);
  return {
    name: p.name,
    ...(p.versionInfo !== undefined && { version: p.versionInfo }),
    ...(purlRef !== undefined && purlRef.referenceLocator !== '' && { purl: purlRef.referenceLocator }),
    licenses: [...new Set(licenses)],
    operatingSystem: p.primaryPackagePurpose === 'OPERATING-SYSTEM',
    ...(source !== undefined && { source }),
  };
}
