/**
 * RPM version ordering (`[epoch:]version[-release]`), as rpm itself orders packages: the epoch
 * numerically, then the version and then the release with `rpmvercmp` (rpm's rpmio/rpmvercmp.c,
 * documented in rpm's "Package Versioning" page, https://rpm-software-management.github.io/rpm/manual/dependencies.html#versioning
 * and the `rpmdev-vercmp` tool).
 *
 * Hand-written: no maintained JavaScript library compares RPM versions (none in the npm package
 * list; the rpm-related packages there build or parse RPM files). The algorithm below is rpmvercmp
 * step by step:
 * - only ASCII letters and digits form segments; every other character separates them;
 * - `~` sorts before anything, even the end of the string (`1.0~rc1` < `1.0`);
 * - `^` sorts after the end of the string but before anything else (`1.0` < `1.0^git1` < `1.0.1`);
 * - a numeric segment is newer than an alphabetic one; numbers compare without leading zeros,
 *   letters compare as bytes (`strcmp`);
 * - when every segment is equal, the string with characters left over is newer.
 */
import type { Comparison } from './index.js';

export interface RpmVersion {
  /** 0 when absent (rpm reads a missing epoch as 0). */
  readonly epoch: bigint;
  readonly version: string;
  /** '' when absent. */
  readonly release: string;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
const isAlnum = (c: string | undefined): boolean => isDigit(c) || isAlpha(c);

function sign(n: number): Comparison {
  if (n < 0) return -1;
  return n > 0 ? 1 : 0;
}

/** rpm's `rpmvercmp(a, b)` on one version or release string. */
export function rpmvercmp(a: string, b: string): Comparison {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;

    // Tilde sorts before everything else, the end of the string included.
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }

    // Caret is like tilde, except that the end of the string (the base version) sorts before it.
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }

    if (i >= a.length || j >= b.length) break;

    // The next segment of `a` decides its kind; `b`'s segment of that kind may be empty.
    const numeric = isDigit(a[i]);
    const inSegment = numeric ? isDigit : isAlpha;
    let iEnd = i;
    let jEnd = j;
    while (iEnd < a.length && inSegment(a[iEnd])) iEnd++;
    while (jEnd < b.length && inSegment(b[jEnd])) jEnd++;
    let x = a.slice(i, iEnd);
    let y = b.slice(j, jEnd);

    // Segments of different kinds: the numeric one is newer.
    if (y === '') return numeric ? 1 : -1;

    if (numeric) {
      x = x.replace(/^0+/, '');
      y = y.replace(/^0+/, '');
      if (x.length !== y.length) return x.length > y.length ? 1 : -1;
    }
    // strcmp: byte order (segments are ASCII here).
    if (x !== y) return x < y ? -1 : 1;
    i = iEnd;
    j = jEnd;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}

const EVR = /^(?:(\d+):)?([^\s:-]+)(?:-([^\s:-]+))?$/;

/**
 * Split `[epoch:]version[-release]`: the epoch is before the colon, the release after the hyphen.
 * rpm forbids `-` in a version or release and `:` outside the epoch separator, so a string with
 * more of them is not an RPM version. Throws when the string is not one.
 */
export function parseRpmVersion(input: string): RpmVersion {
  const m = EVR.exec(input.trim());
  if (m === null || m[2] === undefined) throw new Error(`not an RPM version: ${JSON.stringify(input)}`);
  return { epoch: BigInt(m[1] ?? '0'), version: m[2], release: m[3] ?? '' };
}

export function isValid(version: string): boolean {
  return EVR.test(version.trim());
}

/** A missing release sorts before any release (rpm's `compare_values` in rpmevr.c). */
function compareRelease(a: string, b: string): Comparison {
  if (a === '' || b === '') return sign(Number(a !== '') - Number(b !== ''));
  return rpmvercmp(a, b);
}

/** rpm's EVR order (`rpmEVRcmp`): epoch (missing = 0), then version, then release. */
export function compare(a: string, b: string): Comparison {
  const x = parseRpmVersion(a);
  const y = parseRpmVersion(b);
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  return rpmvercmp(x.version, y.version) || compareRelease(x.release, y.release);
}
