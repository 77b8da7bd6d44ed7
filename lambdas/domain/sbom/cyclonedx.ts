/**
 * CycloneDX JSON (spec 1.2 – 1.7) decoder.
 *
 * Lenient on fields the gate does not read (every object is a `looseObject`, so tool-specific
 * properties, hashes, dependencies, vulnerabilities … pass through untouched) and strict on the
 * ones it does: `bomFormat`, `specVersion`, `components[]` (recursively, including nested
 * `components`, CycloneDX 1.x "component.components"), `name`, `version`, `purl`, `type`,
 * `licenses[]`, the source-package `properties` (sbom/source.ts) and `metadata.properties`. A field we read with the wrong shape rejects the whole
 * document: a half-read SBOM is not evidence.
 */
import * as z from 'zod';
import { formatIssues } from '../document.js';
import { InvalidInputError } from '../errors.js';
import { Limits } from '../limits.js';
import { DigestSchema } from '../types.js';
import type { DecodedComponent, DecodedSbom } from './parse.js';
import { sourceFromProperties } from './source.js';

export const CYCLONEDX_SPEC_VERSIONS = ['1.2', '1.3', '1.4', '1.5', '1.6', '1.7'] as const;

/** Component types of CycloneDX 1.2 – 1.7 (`component.type`, bom-1.7.schema.json). */
export const CYCLONEDX_COMPONENT_TYPES = [
  'application',
  'framework',
  'library',
  'container',
  'platform',
  'operating-system',
  'device',
  'device-driver',
  'firmware',
  'file',
  'machine-learning-model',
  'data',
  'cryptographic-asset',
] as const;

/** Metadata property names that carry the lockfile digest the SBOM was generated from. */
export const LOCKFILE_DIGEST_PROPERTIES = ['release-gate.dev:lockfile-digest', 'cdx:lockfile:digest'] as const;

/**
 * `licenses[]` items: CycloneDX 1.2+ `{license: {id}}` / `{license: {name}}` ("oneOf id, name"),
 * and `{expression}` (an SPDX licence expression).
 */
const LicenseChoiceSchema = z
  .looseObject({
    license: z
      .looseObject({ id: z.string().min(1).optional(), name: z.string().min(1).optional() })
      .refine((l) => l.id !== undefined || l.name !== undefined, 'a license needs an id or a name')
      .optional(),
    expression: z.string().min(1).optional(),
  })
  .refine((c) => (c.license === undefined) !== (c.expression === undefined), 'expected either license or expression');

const PropertySchema = z.looseObject({ name: z.string(), value: z.string().optional() });

const CdxComponentSchema = z.looseObject({
  type: z.enum(CYCLONEDX_COMPONENT_TYPES),
  name: z.string().min(1),
  group: z.string().optional(),
  version: z.string().optional(),
  purl: z.string().optional(),
  licenses: z.array(LicenseChoiceSchema).optional(),
  properties: z.array(PropertySchema).optional(),
  get components() {
    return z.array(CdxComponentSchema).optional();
  },
});
type CdxComponent = z.infer<typeof CdxComponentSchema>;

export const CycloneDxDocumentSchema = z.looseObject({
  bomFormat: z.literal('CycloneDX'),
  specVersion: z.enum(CYCLONEDX_SPEC_VERSIONS),
  metadata: z
    .looseObject({
      // Amazon Inspector's SBOM exports write `"component": null` (Inspector user guide,
      // "Exporting SBOMs"); a null subject names none, as an absent one does.
      component: CdxComponentSchema.nullish(),
      properties: z.array(PropertySchema).optional(),
    })
    .optional(),
  components: z.array(CdxComponentSchema).optional(),
});
export type CycloneDxDocument = z.infer<typeof CycloneDxDocumentSchema>;

/** Deeper nesting than this is not a real SBOM; it would only exhaust the validator's stack. */
const MAX_NESTING = 64;

/** True when `value` looks like a CycloneDX document (it says so in `bomFormat`). */
export function isCycloneDx(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'bomFormat' in value;
}

/**
 * Validate a parsed JSON value as CycloneDX and flatten its components (depth first, parents
 * before their nested components). `metadata.component` is the SBOM's subject (the image or
 * application itself), not one of its dependencies, so it is validated but not listed.
 * Throws `InvalidInputError` with every schema issue (up to a handful) in the message.
 */
export function decodeCycloneDx(value: unknown): DecodedSbom {
  assertComponentBudget(value);
  const parsed = CycloneDxDocumentSchema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidInputError(`not a valid CycloneDX document: ${formatIssues(parsed.error.issues)}`);
  }
  const doc = parsed.data;
  const components: DecodedComponent[] = [];
  const stack: CdxComponent[] = [...(doc.components ?? [])].reverse();
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    components.push(toDecoded(next));
    for (const child of [...(next.components ?? [])].reverse()) stack.push(child);
  }
  const lockfileDigest = lockfileDigestOf(doc);
  return {
    format: 'cyclonedx',
    specVersion: doc.specVersion,
    ...(lockfileDigest !== undefined ? { lockfileDigest } : {}),
    components,
  };
}

function toDecoded(c: CdxComponent): DecodedComponent {
  const licenses: string[] = [];
  for (const choice of c.licenses ?? []) {
    const id = choice.expression ?? choice.license?.id ?? choice.license?.name;
    if (id !== undefined) licenses.push(id);
  }
  const source = sourceFromProperties(c.properties);
  return {
    // npm scopes (`@scope`) and composer vendors are CycloneDX `group`s; the package is known by both.
    name: c.group !== undefined && c.group !== '' ? `${c.group}/${c.name}` : c.name,
    ...(c.version !== undefined && { version: c.version }),
    ...(c.purl !== undefined && c.purl !== '' && { purl: c.purl }),
    licenses,
    operatingSystem: c.type === 'operating-system',
    ...(source !== undefined && { source }),
  };
}

function lockfileDigestOf(doc: CycloneDxDocument): string | undefined {
  const values = new Set<string>();
  for (const p of doc.metadata?.properties ?? []) {
    if (!(LOCKFILE_DIGEST_PROPERTIES as readonly string[]).includes(p.name)) continue;
    const parsed = DigestSchema.safeParse(p.value);
    if (!parsed.success) {
      throw new InvalidInputError(`metadata property ${p.name} must be sha256:<64 lowercase hex>, got ${p.value}`);
    }
    values.add(parsed.data);
  }
  if (values.size > 1) {
    throw new InvalidInputError(`metadata carries conflicting lockfile digests: ${[...values].join(', ')}`);
  }
  return [...values][0];
}

/**
 * Count components (and nesting depth) on the raw JSON before validating it, so an oversized or
 * pathologically nested document is refused before zod walks it.
 */
function assertComponentBudget(value: unknown): void {
  let count = 0;
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  const meta = isRecord(value) ? value.metadata : undefined;
  // The subject itself is not one of the components the limit counts (it is not listed); its
  // nested components are validated, so they count.
  if (isRecord(meta) && meta.component !== undefined) stack.push({ node: meta.component, depth: 1 });
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (!isRecord(next.node) || !Array.isArray(next.node.components)) continue;
    if (next.depth >= MAX_NESTING) {
      throw new InvalidInputError(`CycloneDX components are nested more than ${MAX_NESTING} levels deep`);
    }
    count += next.node.components.length;
    if (count > Limits.sbomComponents) {
      throw new InvalidInputError(`SBOM has more than ${Limits.sbomComponents} components`);
    }
    for (const child of next.node.components) stack.push({ node: child, depth: next.depth + 1 });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
