import { PackageURL, type PurlTypeEntry } from 'packageurl-js';
import { InvalidInputError } from './errors.js';
import { Limits } from './limits.js';

/** A package URL split into the package's identity and its version (purl-spec). */
export interface PurlParts {
  readonly type: string;
  readonly namespace?: string;
  readonly name: string;
  /** `''` when the purl has no version. */
  readonly version: string;
  /**
   * The canonical purl without version, qualifiers and subpath: `pkg:type/namespace/name`. All
   * builds of one package share it (`arch` or `distro` qualifiers are build details, not identity).
   */
  readonly base: string;
}

/**
 * Splits a purl with packageurl-js (which canonicalises it: lowercase type, percent-encoding) into
 * identity and version: `pkg:deb/debian/openssl@3.0.7-1?arch=amd64` → base
 * `pkg:deb/debian/openssl`, version `3.0.7-1`. Null when the string is not a valid purl.
 */
export function splitPurl(purl: string): PurlParts | null {
  return canonicalPurlParts(purl) ?? splitPurlWithPackageUrl(purl);
}

/** `splitPurl` by packageurl-js alone, without the fast path (for the tests that compare them). */
export function splitPurlWithPackageUrl(purl: string): PurlParts | null {
  let parsed: PackageURL;
  try {
    parsed = PackageURL.fromString(purl);
  } catch {
    return null;
  }
  return {
    type: parsed.type,
    ...(parsed.namespace !== undefined && parsed.namespace !== '' && { namespace: parsed.namespace }),
    name: parsed.name,
    version: parsed.version ?? '',
    base: baseOf(parsed),
  };
}

/**
 * `pkg:type/namespace/name`, as packageurl-js writes it. Some types' rules refuse a purl without
 * its version (swift, cran) or, with a namespace, without its qualifiers (conan): for those the
 * identity is cut from the whole purl's canonical text, where `@` only ever separates the version
 * (packageurl-js escapes it in a namespace or name).
 */
function baseOf(parsed: PackageURL): string {
  try {
    return new PackageURL(parsed.type, parsed.namespace, parsed.name, undefined, undefined, undefined).toString();
  } catch {
    const text = parsed.toString().replace(/[?#].*$/s, '');
    const at = text.indexOf('@');
    return at === -1 ? text : text.slice(0, at);
  }
}

/** How many invalid purls an error message quotes. */
const QUOTED_INVALID = 5;

/**
 * Splits every purl, or throws InvalidInputError quoting the ones that are not valid purls. For
 * callers that must fail closed rather than drop a package (the incident index).
 */
export function splitPurls(purls: readonly string[], canonical?: boolean[], known?: KnownPurlParts): PurlParts[] {
  const parts: PurlParts[] = [];
  const invalid: string[] = [];
  for (const purl of purls) {
    const fast = known?.(purl) ?? canonicalPurlParts(purl);
    canonical?.push(fast !== undefined);
    const split = fast ?? splitPurlWithPackageUrl(purl);
    if (split === null) invalid.push(purl);
    else parts.push(split);
  }
  if (invalid.length > 0) throw invalidPurls(invalid);
  return parts;
}

/**
 * The parts of purls already split as canonical (by `canonicalPurlOrParts`, while normalising an
 * SBOM), by the purl; undefined for the others. Lets the package index parse each purl once.
 */
export type KnownPurlParts = (purl: string) => PurlParts | undefined;

/** Splits one purl, or throws InvalidInputError quoting it. */
export function requirePurl(purl: string): PurlParts {
  const split = splitPurl(purl);
  if (split === null) throw invalidPurls([purl]);
  return split;
}

/** Whether `text` is more than `max` bytes in UTF-8; counted only when it could be (3 bytes a UTF-16 unit at most). */
export function utf8Above(text: string, max: number): boolean {
  return text.length * 3 > max && Buffer.byteLength(text, 'utf8') > max;
}

function invalidPurls(invalid: readonly string[]): InvalidInputError {
  const quoted = invalid.slice(0, QUOTED_INVALID).map((s) => JSON.stringify(s.slice(0, 200)));
  if (invalid.length > QUOTED_INVALID) quoted.push(`and ${invalid.length - QUOTED_INVALID} more`);
  return new InvalidInputError(`not a package URL (purl-spec): ${quoted.join(', ')}`);
}

/**
 * The purls of one release as the package index keys them: every purl valid, its identity within
 * `Limits.indexedPurlBytes` and its version within `Limits.indexedVersionBytes` (UTF-8 bytes).
 * Throws InvalidInputError naming the ones that are not, so both stores refuse the same batch
 * before writing anything, instead of one of them failing half-way.
 */
export function splitIndexablePurls(
  purls: readonly string[],
  canonical?: boolean[],
  known?: KnownPurlParts,
): PurlParts[] {
  const parts = splitPurls(purls, canonical, known);
  const oversized = parts.filter(
    (p) => utf8Above(p.base, Limits.indexedPurlBytes) || utf8Above(p.version, Limits.indexedVersionBytes),
  );
  if (oversized.length > 0) {
    const quoted = oversized
      .slice(0, QUOTED_INVALID)
      .map((p) => JSON.stringify(`${p.base}@${p.version}`.slice(0, 120)));
    if (oversized.length > QUOTED_INVALID) quoted.push(`and ${oversized.length - QUOTED_INVALID} more`);
    throw new InvalidInputError(
      `package URL too long for the package index (identity above ${Limits.indexedPurlBytes} bytes or version above ${Limits.indexedVersionBytes} bytes): ${quoted.join(', ')}`,
    );
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// The fast path: a purl already written the way packageurl-js writes it.
//
// Hand-written because parsing with packageurl-js costs ~12 µs a purl (a WHATWG URL and
// URLSearchParams per call), and the gate reads every component's purl several times (scope,
// package index, source packages, the stores). Almost every purl an SBOM carries is already in the
// canonical form, so that form is recognised here with string checks and packageurl-js's own
// type rules (`PackageURL.Type`), and anything the checks do not cover (a subpath, an escape in a
// qualifier, a repeated or unsorted qualifier key, lowercase hex, an escape that decodes to
// whitespace or a slash …) goes to packageurl-js. test/unit/purl.test.ts checks both ways agree on
// arbitrary purls.

/**
 * The shape `canonicalPurlParts` reads, `^pkg:([a-z][a-z0-9.-]*)\/([^@?#]+)(?:@([^?#]+))?(?:\?([^#]+))?$`:
 * `pkg:type/path[@version][?qualifiers]` with no subpath; the parts checked one by one after.
 */
const TYPE_TEXT = /^[a-z][a-z0-9.-]*$/;
/** What `encodeURIComponent` leaves alone, and its (uppercase) escapes. */
const NAME_TEXT = /^(?:[A-Za-z0-9._~!*'()-]|%[0-9A-F]{2})+$/;
/** Namespace segments: as a name, and `:` (packageurl-js writes it unescaped), none empty. */
const NAMESPACE_TEXT = /^(?:[A-Za-z0-9._~!*'():-]|%[0-9A-F]{2})+(?:\/(?:[A-Za-z0-9._~!*'():-]|%[0-9A-F]{2})+)*$/;
/** A version: as a name, and `:` and `+` (packageurl-js writes them unescaped). */
const VERSION_TEXT = /^(?:[A-Za-z0-9._~!*'():+-]|%[0-9A-F]{2})+$/;
/**
 * One qualifier: a lowercase key that does not start with a digit, and a value of the characters
 * `application/x-www-form-urlencoded` leaves unescaped (so nothing to decode, nothing to trim).
 */
const QUALIFIER_TEXT = /^([a-z._-][a-z0-9._-]*)=([A-Za-z0-9._*-]+)$/;

const TYPE_RULES: Readonly<Record<string, PurlTypeEntry | undefined>> = PackageURL.Type;

const decoded = (text: string): string | undefined => {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
};

/**
 * The parts of `purl` when it is exactly what packageurl-js writes for itself
 * (`PackageURL.fromString(purl).toString() === purl`), else undefined (then ask packageurl-js).
 */
function canonicalPurlParts(purl: string): PurlParts | undefined {
  // PURL_SHAPE, found by index rather than matched: no match array and captures per purl.
  if (!purl.startsWith('pkg:') || purl.includes('#')) return undefined;
  const typeEnd = purl.indexOf('/', 4);
  if (typeEnd < 0) return undefined;
  const type = purl.slice(4, typeEnd);
  if (!TYPE_TEXT.test(type)) return undefined;
  const question = purl.indexOf('?', typeEnd + 1);
  const end = question < 0 ? purl.length : question;
  const at = purl.indexOf('@', typeEnd + 1);
  const pathEnd = at >= 0 && at < end ? at : end;
  if (pathEnd === typeEnd + 1 || (pathEnd === at && end === at + 1) || question === purl.length - 1) return undefined;
  const versionText = pathEnd === at ? purl.slice(at + 1, end) : undefined;
  const qualifierText = question < 0 ? undefined : purl.slice(question + 1);
  const slash = purl.lastIndexOf('/', pathEnd - 1);
  const nameText = purl.slice(slash + 1, pathEnd);
  const namespaceText = slash === typeEnd ? undefined : purl.slice(typeEnd + 1, slash);
  if (!NAME_TEXT.test(nameText)) return undefined;
  const name = decoded(nameText);
  // packageurl-js trims the name; a name it would change is not canonical.
  // Without an escape the text is its own encoding (the regex admits only what encoding keeps).
  if (name === undefined || (name !== nameText && (name.trim() !== name || encodeURIComponent(name) !== nameText))) {
    return undefined;
  }
  let namespace: string | undefined;
  if (namespaceText !== undefined) {
    // Empty segments (`a//b`, a leading or trailing slash) are collapsed by packageurl-js.
    if (!NAMESPACE_TEXT.test(namespaceText)) return undefined;
    namespace = decoded(namespaceText);
    if (namespace === undefined || (namespace !== namespaceText && encodeNamespace(namespace) !== namespaceText)) {
      return undefined;
    }
  }
  let version: string | undefined;
  if (versionText !== undefined) {
    if (!VERSION_TEXT.test(versionText)) return undefined;
    version = decoded(versionText);
    if (
      version === undefined ||
      (version !== versionText && (version.trim() !== version || encodeVersion(version) !== versionText))
    ) {
      return undefined;
    }
  }
  let qualifiers: Record<string, string> | undefined;
  if (qualifierText !== undefined) {
    qualifiers = Object.create(null) as Record<string, string>;
    let previous = '';
    for (const pair of qualifierText.split('&')) {
      const q = QUALIFIER_TEXT.exec(pair);
      // Keys sorted and distinct, as packageurl-js writes them.
      if (q === null || q[1] === undefined || q[2] === undefined || (previous !== '' && q[1] <= previous)) {
        return undefined;
      }
      previous = q[1];
      qualifiers[q[1]] = q[2];
    }
  }
  const rules = TYPE_RULES[type];
  if (rules !== undefined && !followsTypeRules(rules, type, namespace, name, version, qualifiers)) return undefined;
  // Field by field: a `...(x && {…})` spread costs an object per call, and this runs per purl. The
  // base is the text up to the version: `pkg:`, the type, the namespace and the name as written.
  const parts: { -readonly [K in keyof PurlParts]: PurlParts[K] } = {
    type,
    name,
    version: version ?? '',
    base: purl.slice(0, pathEnd),
  };
  if (namespace !== undefined && namespace !== '') parts.namespace = namespace;
  return parts;
}

/**
 * Whether the type's own rules (PURL-TYPES: lowercase names, required namespaces, …), applied as
 * packageurl-js applies them, leave the parts as they are and accept them.
 */
function followsTypeRules(
  rules: PurlTypeEntry,
  type: string,
  namespace: string | undefined,
  name: string,
  version: string | undefined,
  qualifiers: Record<string, string> | undefined,
): boolean {
  try {
    // The rules read and write these fields only; a PackageURL is not built, to save its parse.
    // One probe for every call (filled afresh each time; the rules run synchronously).
    const probe = probeOf(type, namespace, name, version, qualifiers);
    const asPurl = probe as unknown as PackageURL;
    rules.normalize(asPurl);
    if (probe.namespace !== namespace || probe.name !== name || probe.version !== version) return false;
    if (!rules.validate(asPurl, false)) return false;
    // splitPurl builds the base as a PackageURL without version and qualifiers; where the type's
    // rules refuse that (swift, cran, conan need them), packageurl-js throws, and so must we.
    return rules.validate(probeOf(type, namespace, name, undefined, undefined) as unknown as PackageURL, false);
  } catch {
    // A rule that throws (golang's reads an undefined `throws`) refuses; packageurl-js says how.
    return false;
  }
}

const PROBE: {
  type: string;
  namespace: string | undefined;
  name: string;
  version: string | undefined;
  qualifiers: Record<string, string> | undefined;
  subpath: string | undefined;
} = { type: '', namespace: undefined, name: '', version: undefined, qualifiers: undefined, subpath: undefined };

/** PROBE, filled afresh. */
function probeOf(
  type: string,
  namespace: string | undefined,
  name: string,
  version: string | undefined,
  qualifiers: Record<string, string> | undefined,
): typeof PROBE {
  PROBE.type = type;
  PROBE.namespace = namespace;
  PROBE.name = name;
  PROBE.version = version;
  PROBE.qualifiers = qualifiers;
  PROBE.subpath = undefined;
  return PROBE;
}

/** packageurl-js `encode.js` encodeNamespace. */
const encodeNamespace = (namespace: string): string =>
  encodeURIComponent(namespace).replace(/%3A/g, ':').replace(/%2F/g, '/');

/** packageurl-js `encode.js` encodeVersion. */
const encodeVersion = (version: string): string =>
  encodeURIComponent(version).replace(/%3A/g, ':').replace(/%2B/g, '+');

/**
 * A purl's canonical form as `canonicalPurl` finds it, without a second object: its parts when it
 * is already canonical (the purl is then itself; most SBOM purls are), else the canonical text and
 * type packageurl-js gave. `'base' in` tells which. Null when packageurl-js refuses it.
 */
export function canonicalPurlOrParts(
  purl: string,
): PurlParts | { readonly purl: string; readonly type: string } | null {
  return canonicalPurlParts(purl) ?? canonicalPurlWithPackageUrl(purl);
}

/**
 * `PackageURL.fromString(purl).toString()` and its type, or null when packageurl-js refuses it; a
 * purl already in that form is recognised without parsing it.
 */
export function canonicalPurl(purl: string): { readonly purl: string; readonly type: string } | null {
  const fast = canonicalPurlParts(purl);
  return fast === undefined ? canonicalPurlWithPackageUrl(purl) : { purl, type: fast.type };
}

/** `canonicalPurl` by packageurl-js alone, without the fast path (for the tests that compare them). */
export function canonicalPurlWithPackageUrl(purl: string): { readonly purl: string; readonly type: string } | null {
  try {
    const parsed = PackageURL.fromString(purl);
    return { purl: parsed.toString(), type: parsed.type };
  } catch {
    return null;
  }
}
