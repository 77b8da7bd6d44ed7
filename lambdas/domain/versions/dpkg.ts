/**
 * Debian package version ordering (`[epoch:]upstream_version[-debian_revision]`), as defined by
 * Debian Policy §5.6.12 "Version" (https://www.debian.org/doc/debian-policy/ch-controlfields.html#version).
 *
 * Hand-written: there is no maintained JavaScript library for dpkg version comparison. The
 * algorithm follows the policy text; the behaviour is pinned by the dpkg test suite facts and the
 * osv-scalibr/osv.dev vectors in test/corpus/data/versions/.
 *
 * `compare` is lenient like `dpkg --compare-versions` (it orders strings that do not strictly
 * parse, e.g. an upstream part that starts with a letter); `isValid` is strict like
 * `Dpkg::Version->is_valid` so callers can refuse to evaluate a malformed component version.
 */
import type { Comparison } from './index.js';

export interface DebianVersion {
  readonly epoch: number;
  readonly upstream: string;
  readonly revision: string;
}

/** Largest epoch dpkg accepts (it parses into a C `int`). */
const MAX_EPOCH = 2_147_483_647;

/**
 * Split a version into epoch, upstream version and revision: the epoch is before the FIRST colon,
 * the revision after the LAST hyphen (Policy §5.6.12). Leading and trailing whitespace is ignored
 * as dpkg does. Throws on a non-numeric epoch, which cannot be ordered at all.
 */
export function parseDebianVersion(input: string): DebianVersion {
  const version = input.trim();
  const colon = version.indexOf(':');
  let epoch = 0;
  let rest = version;
  if (colon !== -1) {
    const epochText = version.slice(0, colon);
    if (!/^\d+$/.test(epochText)) throw new Error(`invalid Debian version epoch in ${JSON.stringify(input)}`);
    epoch = Number(epochText);
    rest = version.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  if (hyphen === -1) return { epoch, upstream: rest, revision: '' };
  return { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) };
}

/** Strict validity, the union of dpkg's C parser errors and `Dpkg::Version` validity. */
export function isValid(input: string): boolean {
  const version = input.trim();
  if (version === '' || /\s/.test(version)) return false;
  const colon = version.indexOf(':');
  let rest = version;
  if (colon !== -1) {
    const epochText = version.slice(0, colon);
    if (!/^\d+$/.test(epochText) || Number(epochText) > MAX_EPOCH) return false;
    rest = version.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen === -1 ? rest : rest.slice(0, hyphen);
  const revision = hyphen === -1 ? undefined : rest.slice(hyphen + 1);
  // Policy: the upstream version must start with a digit (dpkg's C parser only warns; Dpkg::Version
  // and osv.dev refuse it). Allowed characters: alphanumerics and . + - ~ (and : after an epoch).
  if (!/^\d[A-Za-z0-9.+~:-]*$/.test(upstream)) return false;
  if (revision !== undefined && !/^[A-Za-z0-9.+~]+$/.test(revision)) return false;
  return true;
}

/**
 * The weight of a non-digit character: `~` sorts before everything, even the end of the string;
 * then the end of the string; then letters; then every other character (Policy §5.6.12).
 */
function weight(ch: string | undefined): number {
  if (ch === undefined || ch === '') return 0;
  if (ch === '~') return -1;
  const code = ch.charCodeAt(0);
  if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) return code;
  return code + 256;
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

/**
 * Compare two upstream versions or two revisions: alternately the longest non-digit prefix
 * (character by character with `weight`) and the longest digit prefix (numerically).
 */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const wa = i < a.length && !isDigit(a[i]) ? weight(a[i]) : 0;
      const wb = j < b.length && !isDigit(b[j]) ? weight(b[j]) : 0;
      if (wa !== wb) return wa - wb;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    const startA = i;
    const startB = j;
    while (isDigit(a[i])) i++;
    while (isDigit(b[j])) j++;
    const digitsA = a.slice(startA, i);
    const digitsB = b.slice(startB, j);
    // Leading zeros are gone, so a longer digit run is a larger number.
    if (digitsA.length !== digitsB.length) return digitsA.length - digitsB.length;
    if (digitsA !== digitsB) return digitsA < digitsB ? -1 : 1;
  }
  return 0;
}

/** dpkg ordering of two version strings: epoch, then upstream version, then revision. */
export function compare(a: string, b: string): Comparison {
  const va = parseDebianVersion(a);
  const vb = parseDebianVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch < vb.epoch ? -1 : 1;
  const upstream = compareFragment(va.upstream, vb.upstream);
  if (upstream !== 0) return upstream < 0 ? -1 : 1;
  const revision = compareFragment(va.revision, vb.revision);
  if (revision !== 0) return revision < 0 ? -1 : 1;
  return 0;
}
