/**
 * SemVer 2.0.0 precedence (https://semver.org/#spec-item-11), used for npm and for every OSV
 * range of type SEMVER (Go, crates.io, Hex, …).
 *
 * Versions are parsed with node-semver in loose mode (it accepts the `v`/`=` prefixes and spaces
 * that npm tolerates, as node-semver's own fixtures mark). node-semver refuses two things that
 * real advisories and osv-scalibr's vectors contain: numeric identifiers above 2^53 and cores with
 * more or fewer than three parts (`1.1.3.4.5`, `1.2`). Those fall back to a small SemVer-precedence
 * comparator over BigInt parts; it orders the versions node-semver accepts the same way.
 */
// Its functions one by one: the package's index loads every class and range helper (about 29 kB of a bundle).
import semverCompare from 'semver/functions/compare.js';
import semverParse from 'semver/functions/parse.js';
import type { Comparison } from './index.js';

interface LenientSemver {
  readonly core: readonly bigint[];
  readonly prerelease: readonly string[];
}

const IDENT = '[0-9A-Za-z-]+';
const LENIENT = new RegExp(
  `^[v=\\s]*(\\d+(?:\\.\\d+)*)(?:-?(${IDENT}(?:\\.${IDENT})*))?(?:\\+${IDENT}(?:\\.${IDENT})*)?$`,
);

function parseLenient(input: string): LenientSemver | null {
  const m = LENIENT.exec(input.trim());
  if (m === null) return null;
  const core = (m[1] ?? '').split('.').map((part) => BigInt(part));
  const prerelease = m[2] === undefined ? [] : m[2].split('.');
  return { core, prerelease };
}

function sign(n: number | bigint): Comparison {
  if (n < 0) return -1;
  if (n > 0) return 1;
  return 0;
}

/** §11.4: numeric identifiers compare numerically and sort before alphanumeric ones. */
function compareIdentifier(a: string, b: string): Comparison {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return sign(BigInt(a) - BigInt(b));
  if (an) return -1;
  if (bn) return 1;
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function compareLenient(a: LenientSemver, b: LenientSemver): Comparison {
  const n = Math.max(a.core.length, b.core.length);
  for (let i = 0; i < n; i++) {
    const c = sign((a.core[i] ?? 0n) - (b.core[i] ?? 0n));
    if (c !== 0) return c;
  }
  // §11.3: a pre-release version has lower precedence than the normal version.
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return sign(b.prerelease.length - a.prerelease.length);
  }
  const m = Math.max(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < m; i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const c = compareIdentifier(x, y);
    if (c !== 0) return c;
  }
  return 0;
}

const LOOSE = { loose: true } as const;

export function isValid(version: string): boolean {
  return semverParse(version, LOOSE) !== null || parseLenient(version) !== null;
}

/** Throws when either side is not a SemVer version (even leniently). */
export function compare(a: string, b: string): Comparison {
  const sa = semverParse(a, LOOSE);
  const sb = semverParse(b, LOOSE);
  if (sa !== null && sb !== null) return semverCompare(sa, sb, LOOSE);
  const la = parseLenient(a);
  const lb = parseLenient(b);
  if (la === null || lb === null) {
    throw new Error(`not a SemVer version: ${JSON.stringify(la === null ? a : b)}`);
  }
  return compareLenient(la, lb);
}
