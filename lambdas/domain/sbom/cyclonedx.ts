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
import { formatPath } from '../document.js';
import { InvalidInputError } from '../errors.js';
import { Limits } from '../limits.js';
import { DigestSchema } from '../types.js';
import * as z from '../zod.js';
import type { ComponentSource } from './component.js';
import type { ComponentSink, DecodedComponent, DecodedSbom, DecodedSbomHeader } from './parse.js';
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

const PropertySchema = z.looseObject({ name: z.string(), value: z.optional(z.string()) });

/**
 * The document around the components. `components` (here and in `metadata.component`) is read by
 * `readComponentTree` instead of a zod schema: zod copies every object it validates and allocates
 * per value, which for 200,000 components is most of the parse's time and memory. It checks the
 * same rules in place and reads each component straight into a DecodedComponent.
 */
export const CycloneDxDocumentSchema = z.looseObject({
  bomFormat: z.literal('CycloneDX'),
  specVersion: z.enum(CYCLONEDX_SPEC_VERSIONS),
  metadata: z.optional(
    z.looseObject({
      // Amazon Inspector's SBOM exports write `"component": null` (Inspector user guide,
      // "Exporting SBOMs"); a null subject names none, as an absent one does.
      component: z.optional(z.unknown()),
      properties: z.optional(z.array(PropertySchema)),
    }),
  ),
  components: z.optional(z.unknown()),
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
  const components: DecodedComponent[] = [];
  return { ...decodeCycloneDxInto(value, (c) => components.push(c)), components };
}

/**
 * `decodeCycloneDx`, handing each component to `sink` as it is read instead of listing them, so
 * that at 200,000 components the decoded list never sits in memory next to the parsed document
 * and the normalised one. The sink may see components of a document that is refused later (an
 * issue further on); the caller then drops what it built, as the throw says.
 */
export function decodeCycloneDxInto(
  value: unknown,
  sink: ComponentSink,
  /**
   * The top-level `components`, when the caller parses them a batch at a time (sbom/parse.ts reads
   * a raw SBOM in pieces), in order; `value.components` is then an empty array. Counted against the
   * limit as they come: a document above it throws part way, before the rest is parsed.
   */
  pieces?: Iterable<readonly unknown[]>,
): DecodedSbomHeader {
  let count = assertComponentBudget(value);
  const parsed = CycloneDxDocumentSchema.safeParse(value);
  const issues: Issue[] = parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path, message: i.message }));
  if (parsed.success) {
    const subject = parsed.data.metadata?.component;
    if (subject !== undefined && subject !== null) readComponent(subject, ['metadata', 'component'], issues, undefined);
    if (pieces === undefined) readComponentTree(parsed.data.components, ['components'], issues, sink);
    else {
      const path: PropertyKey[] = ['components', 0];
      for (const batch of pieces) {
        for (let i = 0; i < batch.length; i++) {
          const component = batch[i];
          if (++count > Limits.sbomComponents) {
            throw new InvalidInputError(`SBOM has more than ${Limits.sbomComponents} components`);
          }
          // Only a component with components of its own is walked (no root list for the others).
          if (isRecord(component) && Array.isArray(component.components)) {
            count = countComponents([{ node: component, depth: 1 }], count);
          }
          readComponent(component, path, issues, sink);
          path[1] = Number(path[1]) + 1;
        }
      }
    }
  }
  if (!parsed.success || issues.length > 0) {
    throw new InvalidInputError(`not a valid CycloneDX document: ${formatIssueList(issues)}`);
  }
  const doc = parsed.data;
  const lockfileDigest = lockfileDigestOf(doc);
  return {
    format: 'cyclonedx',
    specVersion: doc.specVersion,
    ...(lockfileDigest !== undefined ? { lockfileDigest } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Components, read in place. The rules (bom-1.7.schema.json, as far as the gate reads them):
// `type` one of CYCLONEDX_COMPONENT_TYPES; `name` a non-empty string; `group`, `version`, `purl`
// strings when present; `licenses[]` items `{license: {id | name}}` or `{expression}`, exactly one
// of the two, non-empty; `properties[]` items `{name, value?}` strings; nested `components[]` the
// same, recursively (depth bounded by assertComponentBudget). Other members pass untouched.

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** Issues kept with their path; a document this broken is not read further for the message. */
const MAX_ISSUES = 10;

const COMPONENT_TYPES: ReadonlySet<string> = new Set(CYCLONEDX_COMPONENT_TYPES);

function report(issues: Issue[], path: readonly PropertyKey[], message: string): void {
  if (issues.length < MAX_ISSUES) issues.push({ path: [...path], message });
}

/** `list` (absent, or an array of components) into `out` depth first, parents before their children. */
function readComponentTree(list: unknown, path: PropertyKey[], issues: Issue[], out: ComponentSink | undefined): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) {
    report(issues, path, 'expected an array of components');
    return;
  }
  for (let i = 0; i < list.length; i++) {
    path.push(i);
    readComponent(list[i], path, issues, out);
    path.pop();
  }
}

function readComponent(value: unknown, path: PropertyKey[], issues: Issue[], out: ComponentSink | undefined): void {
  if (!isRecord(value)) {
    report(issues, path, 'expected a component object');
    return;
  }
  const before = issues.length;
  const { type, name, group, version, purl } = value;
  if (typeof type !== 'string' || !COMPONENT_TYPES.has(type)) {
    report(issues, [...path, 'type'], `expected one of ${CYCLONEDX_COMPONENT_TYPES.join('|')}`);
  }
  if (typeof name !== 'string' || name === '') report(issues, [...path, 'name'], 'expected a non-empty string');
  if (group !== undefined && typeof group !== 'string') report(issues, [...path, 'group'], 'expected a string');
  if (version !== undefined && typeof version !== 'string') report(issues, [...path, 'version'], 'expected a string');
  if (purl !== undefined && typeof purl !== 'string') report(issues, [...path, 'purl'], 'expected a string');
  const licenses = readLicenses(value.licenses, path, issues);
  const properties = value.properties;
  let source: ComponentSource | undefined;
  if (properties !== undefined) {
    if (Array.isArray(properties) && properties.every(isProperty)) source = sourceFromProperties(properties);
    else report(issues, [...path, 'properties'], 'expected an array of {name, value?} strings');
  }
  if (out !== undefined && issues.length === before && typeof name === 'string') {
    // Field by field, not with `...(x && {…})` spreads: each spread allocates an object, per component.
    const decoded: { -readonly [K in keyof DecodedComponent]: DecodedComponent[K] } = {
      // npm scopes (`@scope`) and composer vendors are CycloneDX `group`s; the package is known by both.
      name: typeof group === 'string' && group !== '' ? `${group}/${name}` : name,
      licenses,
      operatingSystem: type === 'operating-system',
    };
    if (typeof version === 'string') decoded.version = version;
    if (typeof purl === 'string' && purl !== '') decoded.purl = purl;
    if (source !== undefined) decoded.source = source;
    out(decoded);
  }
  if (value.components !== undefined) {
    path.push('components');
    readComponentTree(value.components, path, issues, out);
    path.pop();
  }
}

/** The licence ids, names and expressions of `licenses[]`, in order. */
function readLicenses(licenses: unknown, path: readonly PropertyKey[], issues: Issue[]): string[] {
  if (licenses === undefined) return [];
  if (!Array.isArray(licenses)) {
    report(issues, [...path, 'licenses'], 'expected an array');
    return [];
  }
  // One licence (most components): an array of exactly one, not one grown by push (17 slots).
  if (licenses.length === 1) {
    const id = licenseOf(licenses[0]);
    if (id !== undefined) return [id];
  }
  const ids: string[] = [];
  for (let i = 0; i < licenses.length; i++) {
    const id = licenseOf(licenses[i]);
    if (id === undefined) {
      report(issues, [...path, 'licenses', i], 'expected {license: {id | name}} or {expression}, exactly one');
    } else {
      ids.push(id);
    }
  }
  return ids;
}

/** A `licenses[]` item's id, name or expression; undefined when it breaks the rules. */
function licenseOf(choice: unknown): string | undefined {
  if (!isRecord(choice)) return undefined;
  const { license, expression } = choice;
  if (license !== undefined && expression !== undefined) return undefined;
  if (expression !== undefined) return typeof expression === 'string' && expression !== '' ? expression : undefined;
  if (!isRecord(license)) return undefined;
  const { id, name } = license;
  if (!isAbsentOrText(id) || !isAbsentOrText(name)) return undefined;
  if (typeof id === 'string') return id;
  return typeof name === 'string' ? name : undefined;
}

function isAbsentOrText(v: unknown): boolean {
  return v === undefined || (typeof v === 'string' && v !== '');
}

function isProperty(p: unknown): p is { readonly name: string; readonly value?: string } {
  return isRecord(p) && typeof p.name === 'string' && (p.value === undefined || typeof p.value === 'string');
}

function formatIssueList(issues: readonly Issue[]): string {
  return issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
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
function assertComponentBudget(value: unknown): number {
  const roots: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  const meta = isRecord(value) ? value.metadata : undefined;
  // The subject itself is not one of the components the limit counts (it is not listed); its
  // nested components are validated, so they count.
  if (isRecord(meta) && meta.component !== undefined) roots.push({ node: meta.component, depth: 1 });
  return countComponents(roots, 0);
}

/** `before` plus the components nested under `roots`; throws past the limit or MAX_NESTING. */
function countComponents(roots: readonly { node: unknown; depth: number }[], before: number): number {
  let count = before;
  if (count > Limits.sbomComponents) {
    throw new InvalidInputError(`SBOM has more than ${Limits.sbomComponents} components`);
  }
  const stack = [...roots];
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
  return count;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
