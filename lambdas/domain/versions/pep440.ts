/**
 * Python package versions: PEP 440 (https://peps.python.org/pep-0440/), with the pre-PEP 440
 * "legacy" ordering for strings that are not PEP 440 versions.
 *
 * PEP 440 parsing, normalisation and ordering come from `@renovatebot/pep440` (maintained, used by
 * Renovate, a port of pypa/packaging). It agrees with every PEP 440 vector of pypa/packaging's
 * test suite and osv-scalibr in test/corpus/data/versions/. It has no legacy versions, so those
 * are handled here.
 *
 * Legacy versions: pypa/packaging < 22 (`LegacyVersion`, the ordering osv-scalibr and osv.dev
 * use for real PyPI data) sorts every non-PEP 440 string below every PEP 440 version. Among
 * themselves they are ordered by setuptools' old `parse_version` key, re-implemented below.
 * `isValid` stays strict: only PEP 440 versions are valid, so a component with a legacy version
 * is reported as not evaluable rather than silently ordered.
 */
import { clean as pep440Clean, compare as pep440Compare, valid as pep440Valid } from '@renovatebot/pep440';
import type { Comparison } from './index.js';

/** Whitespace around a version is ignored by pypa/packaging (`Version("  1.0\n")` is valid). */
function pep440(version: string): string | null {
  return pep440Valid(version.trim());
}

export function isValid(version: string): boolean {
  return pep440(version) !== null;
}

/** The normalised form (`1.0-RC1` → `1.0rc1`), or null when not a PEP 440 version. */
export function normalize(version: string): string | null {
  return pep440Clean(version);
}

const LEGACY_REPLACEMENTS: Readonly<Record<string, string>> = {
  pre: 'c',
  preview: 'c',
  '-': 'final-',
  rc: 'c',
  dev: '@',
};

/** setuptools' legacy `parse_version` key (packaging 21 `_legacy_cmpkey`). */
function legacyKey(version: string): string[] {
  const parts: string[] = [];
  for (const raw of [...version.toLowerCase().split(/(\d+|[a-z]+|\.|-)/), '*final']) {
    let part: string;
    if (raw === '*final') {
      part = raw;
    } else {
      const replaced = LEGACY_REPLACEMENTS[raw] ?? raw;
      if (replaced === '' || replaced === '.') continue;
      part = /^\d/.test(replaced) ? replaced.padStart(8, '0') : `*${replaced}`;
    }
    if (part.startsWith('*')) {
      if (part < '*final') {
        while (parts.length > 0 && parts[parts.length - 1] === '*final-') parts.pop();
      }
      while (parts.length > 0 && parts[parts.length - 1] === '00000000') parts.pop();
    }
    parts.push(part);
  }
  return parts;
}

function compareKeys(a: readonly string[], b: readonly string[]): Comparison {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  if (a.length === b.length) return 0;
  return a.length < b.length ? -1 : 1;
}

export function compare(a: string, b: string): Comparison {
  const pa = pep440(a);
  const pb = pep440(b);
  if (pa !== null && pb !== null) {
    const c = pep440Compare(pa, pb);
    if (c < 0) return -1;
    return c > 0 ? 1 : 0;
  }
  // A legacy version sorts below every PEP 440 version (its key has epoch -1 in packaging 21).
  if (pa !== null) return 1;
  if (pb !== null) return -1;
  return compareKeys(legacyKey(a), legacyKey(b));
}
