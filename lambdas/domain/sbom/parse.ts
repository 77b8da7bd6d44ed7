/**
 * SBOM bytes → `NormalizedSbom`, whatever the format: size and component limits, format detection
 * by content, purl canonicalisation (packageurl-js, purl-spec), scope classification and dedupe.
 */
import {
  arrayBatches,
  DEFAULT_MAX_DEPTH,
  type DocumentLimits,
  locateRootArray,
  parseJsonValue,
  withEmptiedArray,
} from '../document.js';
import { InvalidInputError, TooLargeError } from '../errors.js';
import { Limits } from '../limits.js';
import { MediaTypes } from '../oci.js';
import { canonicalPurlOrParts, type KnownPurlParts } from '../purl.js';
import type { Component, ComponentSource, NormalizedSbom } from './component.js';
import { decodeCycloneDxInto, isCycloneDx } from './cyclonedx.js';
import { decodeSpdxInto, isSpdx } from './spdx.js';

/** One component as a format decoder read it, before purl canonicalisation and scoping. */
export interface DecodedComponent {
  readonly name: string;
  readonly version?: string;
  /** The purl exactly as the SBOM wrote it. */
  readonly purl?: string;
  readonly licenses: readonly string[];
  /** CycloneDX `type: operating-system` / SPDX `primaryPackagePurpose: OPERATING-SYSTEM`. */
  readonly operatingSystem: boolean;
  /** The source package, when the SBOM names one (sbom/source.ts). */
  readonly source?: ComponentSource;
}

/** What a decoder says about the document besides its components. */
export interface DecodedSbomHeader {
  readonly format: NormalizedSbom['format'];
  readonly specVersion: string;
  readonly lockfileDigest?: string;
}

/** What `decodeCycloneDx` / `decodeSpdx` return. */
export interface DecodedSbom extends DecodedSbomHeader {
  readonly components: readonly DecodedComponent[];
}

/** Takes each component from a decoder as it is read, in document order. */
export type ComponentSink = (component: DecodedComponent) => void;

/**
 * Purls already canonicalised, by the string the SBOM wrote (`canonicalPurlOrParts`; null: not a
 * valid purl). One SBOM collection reads the same inventory from several places (the signed
 * attestation, the referrer), and the package index splits every purl: sharing one cache parses
 * each purl once.
 */
export type PurlCache = Map<string, ReturnType<typeof canonicalPurlOrParts>>;

/** A normalised SBOM plus what normalisation had to drop (e.g. invalid purls), for reasons. */
export interface ParsedSbom {
  readonly sbom: NormalizedSbom;
  readonly notes: readonly string[];
}

/** purl types of distribution packages (purl-spec PURL-TYPES: deb, apk, rpm, alpm). */
export const OS_PURL_TYPES: ReadonlySet<string> = new Set(['deb', 'apk', 'rpm', 'alpm']);

/** purl types of language package managers: the image's own (lockfile-pinned) dependencies. */
export const APPLICATION_PURL_TYPES: ReadonlySet<string> = new Set([
  'npm',
  'pypi',
  'maven',
  'golang',
  'cargo',
  'gem',
  'nuget',
  'composer',
  'conda',
  'hex',
  'pub',
  'swift',
  'cocoapods',
]);

/** In-toto Statement `_type` prefix (in-toto attestation spec v1 and v0.1). */
const STATEMENT_TYPE_PREFIX = 'https://in-toto.io/Statement/';

/** At most this many invalid purls are named in notes; the rest are counted. */
const MAX_NAMED_NOTES = 5;

/**
 * The SBOM format a media type announces, or undefined when it announces none.
 * CycloneDX: `application/vnd.cyclonedx+json` with an optional `;version=1.x` parameter
 * (CycloneDX media types); SPDX: `application/spdx+json` (IANA) and `text/spdx+json` (used by
 * some tools for JSON SPDX). XML and tag-value forms are not handled.
 */
export function sbomFormatOfMediaType(mediaType: string | undefined): NormalizedSbom['format'] | undefined {
  const base = mediaType?.split(';')[0]?.trim().toLowerCase();
  if (base === MediaTypes.cyclonedxJson) return 'cyclonedx';
  if (base === MediaTypes.spdxJson || base === 'text/spdx+json') return 'spdx';
  return undefined;
}

/**
 * Parse SBOM bytes (CycloneDX JSON 1.2–1.7, SPDX JSON 2.2/2.3, or an in-toto Statement whose
 * predicate is one of them). The size limit is checked before decoding, the component limit
 * before and after validation. When `mediaTypeHint` names a format the content must be that
 * format. `expected`: another SBOM's inventory this one is compared with (see Normalizer); the
 * result is the same either way. Throws `TooLargeError` or `InvalidInputError`.
 */
export function parseSbomWithNotes(
  bytes: Uint8Array,
  mediaTypeHint?: string,
  purls?: PurlCache,
  expected?: readonly Component[],
): ParsedSbom {
  const parsed =
    parseCycloneDxInPieces(bytes, purls, expected) ??
    normalizeSbomObjectWithNotes(parseJsonValue(bytes, SBOM_LIMITS), purls, expected);
  const announced = sbomFormatOfMediaType(mediaTypeHint);
  if (announced !== undefined && announced !== parsed.sbom.format) {
    throw new InvalidInputError(
      `media type ${mediaTypeHint} announces ${announced} but the content is ${parsed.sbom.format}`,
    );
  }
  return parsed;
}

// SBOM generators on Windows write a BOM; RFC 8259 §8.1 lets a parser ignore it, and a raw SBOM
// is not a signed document whose reading another tool could dispute.
const SBOM_LIMITS: DocumentLimits = { what: 'SBOM', maxBytes: Limits.sbomBytes, byteOrderMark: 'ignore' };

/**
 * A CycloneDX document parsed a few top-level components at a time: the rest of the document (its
 * bytes with `components` emptied), then its components' bytes in batches of about
 * ARRAY_BATCH_BYTES, every piece through the same door (UTF-8, nesting, duplicate names, JSON). At
 * 200,000 components (60 MB) the whole text and the whole parsed tree (about 110 MiB together)
 * never exist; one batch's do, and the normalised inventory. Undefined, for the whole-document
 * path to read and to word any refusal exactly as it always has, when the document is not that
 * shape (SPDX, an in-toto Statement, no `components` array) or when any piece is refused: this path
 * only ever accepts what that one accepts, with the same result.
 */
function parseCycloneDxInPieces(
  bytes: Uint8Array,
  purls?: PurlCache,
  expected?: readonly Component[],
): ParsedSbom | undefined {
  if (bytes.byteLength > Limits.sbomBytes) return undefined;
  const at = locateRootArray(bytes, 'components');
  if (at === undefined) return undefined;
  try {
    const doc = parseJsonValue(withEmptiedArray(bytes, at), SBOM_LIMITS);
    // The elements sit two levels down (the root object, the array): the same depth budget.
    if (1 + at.depth > DEFAULT_MAX_DEPTH) return undefined;
    return normalizeCycloneDxInPieces(doc, arrayBatches(bytes, at, 'SBOM'), purls, expected);
  } catch (err) {
    if (err instanceof InvalidInputError || err instanceof TooLargeError) return undefined;
    throw err;
  }
}

/**
 * A CycloneDX document whose top-level `components` its caller parses a batch at a time: `doc` is
 * the document with that array empty, `batches` its elements. For a reader in pieces that falls
 * back to the whole-document path on any throw, which words every refusal: this throws
 * InvalidInputError for a document that is not plainly CycloneDX (an in-toto Statement, SPDX too,
 * no empty `components`), and as that path throws for the rest.
 */
export function normalizeCycloneDxInPieces(
  doc: unknown,
  batches: Iterable<readonly unknown[]>,
  purls?: PurlCache,
  expected?: readonly Component[],
): ParsedSbom {
  const emptied = typeof doc === 'object' && doc !== null && 'components' in doc ? doc.components : undefined;
  if (unwrapStatement(doc) !== doc || !isCycloneDx(doc) || isSpdx(doc) || !Array.isArray(emptied)) {
    throw new InvalidInputError('not a CycloneDX document with its components read in pieces');
  }
  if (emptied.length > 0) throw new InvalidInputError("the components read in pieces are not the document's");
  const normalizer = new Normalizer(purls, expected);
  return normalizer.finish(decodeCycloneDxInto(doc, normalizer.add, batches));
}

/** `parseSbomWithNotes` without the notes. */
export function parseSbom(bytes: Uint8Array, mediaTypeHint?: string): NormalizedSbom {
  return parseSbomWithNotes(bytes, mediaTypeHint).sbom;
}

/**
 * Normalise an already-parsed SBOM object: a CycloneDX or SPDX JSON document, or an in-toto
 * Statement carrying one as its predicate (e.g. a verified attestation's statement).
 */
export function normalizeSbomObjectWithNotes(
  value: unknown,
  purls?: PurlCache,
  expected?: readonly Component[],
): ParsedSbom {
  const doc = unwrapStatement(value);
  const cdx = isCycloneDx(doc);
  const spdx = isSpdx(doc);
  if (cdx && spdx)
    throw new InvalidInputError('document claims to be both CycloneDX (bomFormat) and SPDX (spdxVersion)');
  if (!cdx && !spdx) {
    throw new InvalidInputError('not an SBOM: neither CycloneDX (no bomFormat) nor SPDX (no spdxVersion)');
  }
  // Each component is normalised as the decoder reads it: the decoded list is never built.
  const normalizer = new Normalizer(purls, expected);
  const header = cdx ? decodeCycloneDxInto(doc, normalizer.add) : decodeSpdxInto(doc, normalizer.add);
  return normalizer.finish(header);
}

/** `normalizeSbomObjectWithNotes` without the notes. */
export function normalizeSbomObject(value: unknown): NormalizedSbom {
  return normalizeSbomObjectWithNotes(value).sbom;
}

/** Canonicalise purls, classify scope, dedupe identical components and re-check the component limit. */
export function normalizeDecoded(decoded: DecodedSbom, purls: PurlCache = new Map()): ParsedSbom {
  const normalizer = new Normalizer(purls);
  for (const c of decoded.components) normalizer.add(c);
  return normalizer.finish(decoded);
}

/** Normalises components one at a time, in document order (`add`), then checks the whole (`finish`). */
class Normalizer {
  private readonly invalid: string[] = [];
  // Components by purl (else name): the few that share one are compared whole. A serialised key
  // per component cost more than the rest of normalisation at 200,000 components.
  private readonly seen = new Map<string, Component | Component[]>();
  private readonly components: Component[] = [];
  /**
   * How many of `expected` the SBOM has listed so far, one for one and in order; undefined once it
   * lists anything else (or when nothing is expected). While it matches, nothing is kept: the
   * inventory is `expected` itself.
   */
  private matched: number | undefined;

  /**
   * `expected`: the inventory another SBOM of the image already gave (the signed one), which this
   * one is only compared with: read the same, it is not built a second time (no component, set or
   * string of it outlives the parse).
   */
  public constructor(
    private readonly purls: PurlCache = new Map(),
    private readonly expected?: readonly Component[],
  ) {
    this.matched = expected === undefined ? undefined : 0;
  }

  /** Bound, so that a decoder can call it as its sink. */
  public readonly add = (c: DecodedComponent): void => {
    const component = normalizeComponent(c, this.invalid, this.purls);
    if (this.matched !== undefined) {
      const want = this.expected?.[this.matched];
      if (want !== undefined && sameComponent(want, component) && want.operatingSystem === component.operatingSystem) {
        this.matched++;
        return;
      }
      this.diverge();
    }
    this.keep(component);
  };

  /** From here on the SBOM is its own inventory: the components it matched, then the rest. */
  private diverge(): void {
    const matched = this.matched ?? 0;
    this.matched = undefined;
    for (const component of this.expected?.slice(0, matched) ?? []) this.keep(component);
  }

  private keep(component: Component): void {
    const identity = component.purl ?? `\u0000${component.name}`;
    const same = this.seen.get(identity);
    if (same === undefined) this.seen.set(identity, component);
    else if (!Array.isArray(same)) {
      if (sameComponent(same, component)) return;
      this.seen.set(identity, [same, component]);
    } else if (same.some((other) => sameComponent(other, component))) return;
    else same.push(component);
    this.components.push(component);
  }

  public finish(header: DecodedSbomHeader): ParsedSbom {
    if (this.matched !== undefined && this.matched !== this.expected?.length) this.diverge();
    // Every expected component, one for one: the same inventory (the expected list was deduped).
    const components = this.matched !== undefined && this.expected !== undefined ? [...this.expected] : this.components;
    const { invalid, purls } = this;
    if (components.length > Limits.sbomComponents) {
      throw new InvalidInputError(
        `SBOM has ${components.length} components, above the limit of ${Limits.sbomComponents}`,
      );
    }
    const notes: string[] = [];
    if (invalid.length > 0) {
      const named = invalid.slice(0, MAX_NAMED_NOTES).join(', ');
      const more = invalid.length > MAX_NAMED_NOTES ? ` and ${invalid.length - MAX_NAMED_NOTES} more` : '';
      notes.push(`dropped ${invalid.length} invalid purl(s): ${named}${more}`);
    }
    const sbom: NormalizedSbom = {
      format: header.format,
      specVersion: header.specVersion,
      ...(header.lockfileDigest !== undefined && { lockfileDigest: header.lockfileDigest }),
      components,
    };
    purlsOfBuilt.set(sbom, purls);
    return { sbom, notes };
  }
}

/** The purl cache each inventory was normalised with, for `knownPurlPartsOf`. */
const purlsOfBuilt = new WeakMap<NormalizedSbom, PurlCache>();

/**
 * The parts of `sbom`'s purls as normalisation split them, when this process normalised it
 * (undefined otherwise, e.g. a merged or stored inventory): its component purls are the canonical
 * ones, so a purl the cache holds as parts is the key itself.
 */
export function knownPurlPartsOf(sbom: NormalizedSbom): KnownPurlParts | undefined {
  const purls = purlsOfBuilt.get(sbom);
  if (purls === undefined) return undefined;
  return (purl) => {
    const known = purls.get(purl);
    return known !== undefined && known !== null && 'base' in known ? known : undefined;
  };
}

function normalizeComponent(c: DecodedComponent, invalid: string[], purls: PurlCache): Component {
  let purl: string | undefined;
  let ecosystem: string | undefined;
  if (c.purl !== undefined) {
    let canonical = purls.get(c.purl);
    if (canonical === undefined) {
      canonical = canonicalPurlOrParts(c.purl);
      purls.set(c.purl, canonical);
    }
    if (canonical === null) invalid.push(`${c.name} (${JSON.stringify(c.purl.slice(0, 120))})`);
    else if ('base' in canonical) {
      // Parts: the purl was already canonical, and is kept as the SBOM wrote it.
      purl = c.purl;
      ecosystem = canonical.type;
    } else {
      purl = canonical.purl;
      ecosystem = canonical.type;
      // Split the canonical text too, once, for the package index (`knownPurlPartsOf`).
      if (!purls.has(purl)) purls.set(purl, canonicalPurlOrParts(purl));
    }
  }
  let scope: Component['scope'] = 'other';
  if (c.operatingSystem || (ecosystem !== undefined && OS_PURL_TYPES.has(ecosystem))) scope = 'os';
  else if (ecosystem !== undefined && APPLICATION_PURL_TYPES.has(ecosystem)) scope = 'application';
  // Built field by field: spreading `...(x && {…})` allocates a throwaway object per field, and
  // this runs once per component (200,000 at the limit).
  const component: Component = { name: c.name, licenses: distinct(c.licenses), scope };
  if (c.version !== undefined) component.version = c.version;
  if (purl !== undefined) component.purl = purl;
  if (ecosystem !== undefined) component.ecosystem = ecosystem;
  if (c.operatingSystem) component.operatingSystem = true;
  if (c.source !== undefined) component.source = c.source;
  return component;
}

/**
 * The licences without repeats. The decoders hand over an array of their own per component, which
 * is kept as it is when nothing repeats (almost always: no copy per component).
 */
function distinct(items: readonly string[]): string[] {
  for (let i = 1; i < items.length; i++) {
    if (items.indexOf(items[i] ?? '') < i) return [...new Set(items)];
  }
  return items as string[];
}

/** The same component: every field but `operatingSystem` (scope already says `os`) is equal. */
function sameComponent(a: Component, b: Component): boolean {
  return (
    a.name === b.name &&
    a.version === b.version &&
    a.purl === b.purl &&
    a.scope === b.scope &&
    a.ecosystem === b.ecosystem &&
    a.licenses.length === b.licenses.length &&
    a.licenses.every((l, i) => l === b.licenses[i]) &&
    a.source?.name === b.source?.name &&
    a.source?.version === b.source?.version
  );
}

/** An in-toto Statement's predicate, or the value itself when it is not a Statement. */
function unwrapStatement(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('_type' in value)) return value;
  if (typeof value._type !== 'string' || !value._type.startsWith(STATEMENT_TYPE_PREFIX)) return value;
  if (!('predicate' in value) || typeof value.predicate !== 'object' || value.predicate === null) {
    throw new InvalidInputError('in-toto Statement has no predicate object');
  }
  return value.predicate;
}
