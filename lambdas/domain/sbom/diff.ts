/**
 * Dependency diff between two normalised SBOMs: what a release adds, removes and changes
 * compared with the last promoted release of its repository.
 */
import { splitPurl } from '../purl.js';
import type { Component, NormalizedSbom } from './component.js';

export interface ChangedComponent {
  readonly name: string;
  /** The diff key: the purl without version, qualifiers and subpath, or `name:<ecosystem>/<name>`. */
  readonly purlBase: string;
  readonly from: string;
  readonly to: string;
  readonly scope: Component['scope'];
}

export interface SbomDiff {
  readonly added: readonly Component[];
  readonly removed: readonly Component[];
  readonly changed: readonly ChangedComponent[];
  /** Licences that no component of the previous SBOM carried, sorted. */
  readonly newLicenses: readonly string[];
  /** True when there was no previous SBOM: every component counts as added. */
  readonly firstRelease: boolean;
}

/**
 * The package identity used to match components across releases: a purl without version
 * (purl-spec: `pkg:type/namespace/name`; qualifiers such as `arch` or `distro` are build details,
 * not identity), or `name:<ecosystem>/<name>` when a component has no purl.
 */
export function componentKey(c: Component): string {
  const base = c.purl === undefined ? undefined : canonicalPurlBase(c.purl);
  if (base !== undefined) return base;
  return `name:${c.ecosystem ?? ''}/${c.name}`;
}

/**
 * The identity of a purl of a normalised SBOM, which parse.ts canonicalised (packageurl-js
 * `toString`), without parsing it a second time: packageurl-js percent-encodes `@`, `?` and `#`
 * inside the namespace and the name, so the first of them ends the identity, and it equals
 * `splitPurl(purl).base` (test/unit/sbom-diff.test.ts checks it on every purl of the corpus). A purl
 * whose identity is not written in canonical characters is parsed; an unparseable one falls back to
 * the name key.
 */
function canonicalPurlBase(purl: string): string | undefined {
  const end = purl.search(/[@?#]/);
  const base = end < 0 ? purl : purl.slice(0, end);
  if (CANONICAL_BASE.test(base)) return base;
  return splitPurl(purl)?.base;
}

/** `pkg:<lowercase type>/<encoded segments>`: what packageurl-js writes, nothing to decode or normalise. */
const CANONICAL_BASE = /^pkg:[a-z0-9.+-]+\/[A-Za-z0-9._~%:/!'()*-]+$/;

/**
 * Diff `current` against `previous` (null for a first release). Components are grouped by
 * `componentKey`; one package may appear in several versions (npm nests them), so versions are
 * compared as sets per key; a vanished version is paired with the most similar new version as a
 * change, and versions left over are reported as added or removed.
 */
export function diffSboms(previous: NormalizedSbom | null, current: NormalizedSbom): SbomDiff {
  const before = groupByKey(previous?.components ?? []);
  const after = groupByKey(current.components);
  const added: Component[] = [];
  const removed: Component[] = [];
  const changed: ChangedComponent[] = [];
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const key of keys) {
    const prev = before.get(key) ?? new Map<string, Component>();
    const curr = after.get(key) ?? new Map<string, Component>();
    const gone = [...prev.keys()].filter((v) => !curr.has(v)).sort();
    const fresh = [...curr.keys()].filter((v) => !prev.has(v)).sort();
    // Pair each vanished version with the new version it shares the longest prefix with
    // (4.17.20 → 4.17.21 rather than → 2.4.2); what cannot be paired is added or removed.
    const unpaired = [...fresh];
    const unmatched: string[] = [];
    for (const from of gone) {
      const best = closest(from, unpaired);
      const component = best === undefined ? undefined : curr.get(best);
      if (best === undefined || component === undefined) {
        unmatched.push(from);
        continue;
      }
      unpaired.splice(unpaired.indexOf(best), 1);
      changed.push({ name: component.name, purlBase: key, from, to: best, scope: component.scope });
    }
    for (const v of unmatched) pushDefined(removed, prev.get(v));
    for (const v of unpaired) pushDefined(added, curr.get(v));
  }
  const oldLicenses = new Set((previous?.components ?? []).flatMap((c) => c.licenses));
  const newLicenses = [...new Set(current.components.flatMap((c) => c.licenses))]
    .filter((l) => !oldLicenses.has(l))
    .sort();
  return { added, removed, changed, newLicenses, firstRelease: previous === null };
}

/** Components of application scope (language packages) the diff touches. */
export function applicationChanges(diff: SbomDiff): string[] {
  return [
    ...diff.added.filter((c) => c.scope === 'application').map((c) => `+${label(c)}`),
    ...diff.removed.filter((c) => c.scope === 'application').map((c) => `-${label(c)}`),
    ...diff.changed.filter((c) => c.scope === 'application').map((c) => `${c.name} ${c.from}→${c.to}`),
  ];
}

export interface DiffSummary {
  readonly added: number;
  readonly removed: number;
  readonly changed: number;
  readonly newLicenses: readonly string[];
  readonly firstRelease: boolean;
  readonly addedSample: readonly string[];
  readonly removedSample: readonly string[];
  readonly changedSample: readonly string[];
}

/** Largest serialised summary: it goes into evidence facts (DynamoDB item, state payload). */
export const MAX_SUMMARY_BYTES = 1500;
const MAX_ENTRY_CHARS = 80;

/**
 * Counts plus the first `sampleSize` entries of each list, shrunk until the JSON is under
 * `MAX_SUMMARY_BYTES`. The full diff is stored as a document.
 */
export function summarizeDiff(diff: SbomDiff, sampleSize = 10): DiffSummary {
  const addedAll = diff.added.map(label);
  const removedAll = diff.removed.map(label);
  const changedAll = diff.changed.map((c) => `${c.name} ${c.from}→${c.to}`);
  const licensesAll = diff.newLicenses.map(clip);
  for (let n = sampleSize; n >= 0; n--) {
    const summary: DiffSummary = {
      added: diff.added.length,
      removed: diff.removed.length,
      changed: diff.changed.length,
      newLicenses: licensesAll.slice(0, n),
      firstRelease: diff.firstRelease,
      addedSample: addedAll.slice(0, n).map(clip),
      removedSample: removedAll.slice(0, n).map(clip),
      changedSample: changedAll.slice(0, n).map(clip),
    };
    if (new TextEncoder().encode(JSON.stringify(summary)).byteLength < MAX_SUMMARY_BYTES) return summary;
  }
  // Unreachable: with no samples the summary is a few dozen bytes.
  return {
    added: diff.added.length,
    removed: diff.removed.length,
    changed: diff.changed.length,
    newLicenses: [],
    firstRelease: diff.firstRelease,
    addedSample: [],
    removedSample: [],
    changedSample: [],
  };
}

function label(c: Component): string {
  return c.version !== undefined && c.version !== '' ? `${c.name}@${c.version}` : c.name;
}

function clip(s: string): string {
  return s.length > MAX_ENTRY_CHARS ? `${s.slice(0, MAX_ENTRY_CHARS - 1)}…` : s;
}

function groupByKey(components: readonly Component[]): Map<string, Map<string, Component>> {
  const groups = new Map<string, Map<string, Component>>();
  for (const c of components) {
    const key = componentKey(c);
    const versions = groups.get(key) ?? new Map<string, Component>();
    if (!versions.has(c.version ?? '')) versions.set(c.version ?? '', c);
    groups.set(key, versions);
  }
  return groups;
}

function closest(version: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestLength = -1;
  for (const candidate of candidates) {
    let n = 0;
    while (n < version.length && n < candidate.length && version[n] === candidate[n]) n++;
    if (n > bestLength) {
      best = candidate;
      bestLength = n;
    }
  }
  return best;
}

function pushDefined(into: Component[], c: Component | undefined): void {
  if (c !== undefined) into.push(c);
}
