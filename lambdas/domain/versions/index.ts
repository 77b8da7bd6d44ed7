/**
 * Version ordering per ecosystem, keyed by OSV ecosystem name (https://ossf.github.io/osv-schema/#affectedpackage-field,
 * "Defined ecosystems") or purl type (https://github.com/package-url/purl-spec, PURL-TYPES).
 *
 * An ecosystem without a comparator throws `UnsupportedEcosystemError`: a scanner must then report
 * the component as not evaluable, never as "not affected".
 */
import { ErrorName, GateError } from '../errors.js';
import * as apk from './apk.js';
import * as dpkg from './dpkg.js';
import * as maven from './maven.js';
import * as pep440 from './pep440.js';
import * as rpm from './rpm.js';
import * as semver from './semver.js';

export type Comparison = -1 | 0 | 1;

export interface VersionComparator {
  /** The ordering's name, for reasons (`dpkg`, `PEP 440`, …). */
  readonly name: string;
  /** Throws when a version cannot be ordered at all (e.g. not SemVer). */
  compare(a: string, b: string): Comparison;
  /** Whether `version` is a well-formed version of this ecosystem (strict). */
  isValid(version: string): boolean;
  /**
   * Whether `compare` gives `version` a meaningful place in the order. Wider than `isValid` where
   * the ecosystem's tools order versions they would not accept today (apk-tools 2's `1.9.5p3`).
   */
  isOrderable(version: string): boolean;
}

/** No comparator exists for an ecosystem. Fail closed: the component is not evaluable. */
export class UnsupportedEcosystemError extends GateError {
  public readonly ecosystem: string;

  public constructor(ecosystem: string) {
    super('INVALID_INPUT', `no version ordering is known for ecosystem ${JSON.stringify(ecosystem)}`);
    this.name = ErrorName.UnsupportedEcosystem;
    this.ecosystem = ecosystem;
  }
}

// ---------------------------------------------------------------------------------------------
// RubyGems: Gem::Version (rubygems/version.rb). Small enough to live here.

const GEM_VERSION = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

/** `canonical_segments`: numeric then string segments, trailing zeros dropped from each group. */
function gemSegments(version: string): (bigint | string)[] {
  if (!GEM_VERSION.test(version)) throw new Error(`not a RubyGems version: ${JSON.stringify(version)}`);
  const text = version.trim() === '' ? '0' : version.trim().replaceAll('-', '.pre.');
  const segments = (text.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) => (/^\d/.test(s) ? BigInt(s) : s));
  const firstString = segments.findIndex((s) => typeof s === 'string');
  const numeric = firstString === -1 ? segments : segments.slice(0, firstString);
  const strings = firstString === -1 ? [] : segments.slice(firstString);
  const dropTrailingZeros = (xs: (bigint | string)[]): (bigint | string)[] => {
    let end = xs.length;
    while (end > 0 && xs[end - 1] === 0n) end--;
    return xs.slice(0, end);
  };
  return [...dropTrailingZeros(numeric), ...dropTrailingZeros(strings)];
}

function isGemVersion(version: string): boolean {
  return version.trim() !== '' && GEM_VERSION.test(version);
}

function compareGem(a: string, b: string): Comparison {
  const x = gemSegments(a);
  const y = gemSegments(b);
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const l = x[i] ?? 0n;
    const r = y[i] ?? 0n;
    if (l === r) continue;
    // A string segment is a pre-release: it sorts below any number.
    if (typeof l === 'string' && typeof r !== 'string') return -1;
    if (typeof l !== 'string' && typeof r === 'string') return 1;
    return l < r ? -1 : 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------

export const Comparators = {
  semver: { name: 'SemVer', compare: semver.compare, isValid: semver.isValid, isOrderable: semver.isValid },
  pep440: { name: 'PEP 440', compare: pep440.compare, isValid: pep440.isValid, isOrderable: pep440.isValid },
  dpkg: { name: 'dpkg', compare: dpkg.compare, isValid: dpkg.isValid, isOrderable: dpkg.isValid },
  apk: { name: 'apk', compare: apk.compare, isValid: apk.isValid, isOrderable: apk.isOrderable },
  maven: { name: 'Maven', compare: maven.compare, isValid: maven.isValid, isOrderable: maven.isValid },
  rpm: { name: 'rpm', compare: rpm.compare, isValid: rpm.isValid, isOrderable: rpm.isValid },
  rubygems: { name: 'RubyGems', compare: compareGem, isValid: isGemVersion, isOrderable: isGemVersion },
} as const satisfies Record<string, VersionComparator>;

/**
 * OSV ecosystem names and purl types, lower-cased, to their ordering. Only the part before the
 * first `:` is looked up (`Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.18`).
 */
const BY_ECOSYSTEM: Readonly<Record<string, VersionComparator>> = {
  npm: Comparators.semver,
  go: Comparators.semver,
  golang: Comparators.semver,
  'crates.io': Comparators.semver,
  cargo: Comparators.semver,
  hex: Comparators.semver,
  pypi: Comparators.pep440,
  debian: Comparators.dpkg,
  ubuntu: Comparators.dpkg,
  deb: Comparators.dpkg,
  alpine: Comparators.apk,
  wolfi: Comparators.apk,
  chainguard: Comparators.apk,
  apk: Comparators.apk,
  maven: Comparators.maven,
  // RPM-based distributions (osv-schema ecosystems) and the purl type.
  'red hat': Comparators.rpm,
  almalinux: Comparators.rpm,
  'rocky linux': Comparators.rpm,
  openeuler: Comparators.rpm,
  suse: Comparators.rpm,
  opensuse: Comparators.rpm,
  mageia: Comparators.rpm,
  'azure linux': Comparators.rpm,
  'photon os': Comparators.rpm,
  rpm: Comparators.rpm,
  rubygems: Comparators.rubygems,
  gem: Comparators.rubygems,
};

/** `Debian:12` → `Debian`. */
export function baseEcosystem(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return colon === -1 ? ecosystem : ecosystem.slice(0, colon);
}

export function hasComparator(ecosystem: string): boolean {
  return Object.hasOwn(BY_ECOSYSTEM, baseEcosystem(ecosystem).toLowerCase());
}

/** The ordering of an ecosystem; throws `UnsupportedEcosystemError` when none is known. */
export function comparatorFor(ecosystem: string): VersionComparator {
  const key = baseEcosystem(ecosystem).toLowerCase();
  if (!Object.hasOwn(BY_ECOSYSTEM, key)) throw new UnsupportedEcosystemError(ecosystem);
  const comparator = BY_ECOSYSTEM[key];
  if (comparator === undefined) throw new UnsupportedEcosystemError(ecosystem);
  return comparator;
}

/** Compare two versions of `ecosystem`. Throws for an unknown ecosystem or unorderable versions. */
export function compareVersions(ecosystem: string, a: string, b: string): Comparison {
  return comparatorFor(ecosystem).compare(a, b);
}

/**
 * The order OSV events are compared in once the `introduced: "0"` sentinel is set aside: a version
 * the ecosystem cannot parse (e.g. Debian's `<end-of-life>` as a "fixed" event) sorts above every
 * valid one, so a range with an unparseable end stays open. Callers must still refuse an invalid
 * *component* version themselves: this order would otherwise make it look newer than every fix.
 */
export function compareEventVersions(comparator: VersionComparator, a: string, b: string): Comparison {
  const aValid = comparator.isOrderable(a);
  const bValid = comparator.isOrderable(b);
  if (!aValid || !bValid) {
    if (!aValid && !bValid) return 0;
    return aValid ? -1 : 1;
  }
  return comparator.compare(a, b);
}

/**
 * osv.dev's `sort_key` order: `compareEventVersions`, with `0` below every version. osv-schema
 * gives `0` that meaning for `introduced` events only ("Evaluation"); range evaluation therefore
 * applies the sentinel itself (osv/match.ts) and compares every other event with
 * `compareEventVersions`, where `0` is an ordinary version.
 */
export function compareOsvVersions(comparator: VersionComparator, a: string, b: string): Comparison {
  const aZero = a === '0';
  const bZero = b === '0';
  if (aZero || bZero) {
    if (aZero && bZero) return 0;
    return aZero ? -1 : 1;
  }
  return compareEventVersions(comparator, a, b);
}
