import { PackageURL } from 'packageurl-js';
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
  let parsed: PackageURL;
  try {
    parsed = PackageURL.fromString(purl);
  } catch {
    return null;
  }
  const base = new PackageURL(parsed.type, parsed.namespace, parsed.name, undefined, undefined, undefined).toString();
  return {
    type: parsed.type,
    ...(parsed.namespace !== undefined && parsed.namespace !== '' && { namespace: parsed.namespace }),
    name: parsed.name,
    version: parsed.version ?? '',
    base,
  };
}

/** How many invalid purls an error message quotes. */
const QUOTED_INVALID = 5;

/**
 * Splits every purl, or throws InvalidInputError quoting the ones that are not valid purls. For
 * callers that must fail closed rather than drop a package (the incident index).
 */
export function splitPurls(purls: readonly string[]): PurlParts[] {
  const parts: PurlParts[] = [];
  const invalid: string[] = [];
  for (const purl of purls) {
    const split = splitPurl(purl);
    if (split === null) invalid.push(purl);
    else parts.push(split);
  }
  if (invalid.length > 0) throw invalidPurls(invalid);
  return parts;
}

/** Splits one purl, or throws InvalidInputError quoting it. */
export function requirePurl(purl: string): PurlParts {
  const split = splitPurl(purl);
  if (split === null) throw invalidPurls([purl]);
  return split;
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
export function splitIndexablePurls(purls: readonly string[]): PurlParts[] {
  const parts = splitPurls(purls);
  const oversized = parts.filter(
    (p) =>
      Buffer.byteLength(p.base, 'utf8') > Limits.indexedPurlBytes ||
      Buffer.byteLength(p.version, 'utf8') > Limits.indexedVersionBytes,
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
