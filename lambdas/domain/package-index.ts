/**
 * What the package index (`PKG#<purl without version>`, table-schema.ts) holds for one release:
 * one entry per package identity and version, naming the release's components it stands for.
 * Both stores build their items here, so they agree on every entry.
 *
 * Distribution advisories are keyed by source package (Debian `Source`, Alpine `origin`, RPM
 * `SOURCERPM`): a release with `libssl3` built from `openssl` gets an extra entry under
 * `pkg:deb/debian/openssl` at the source version, pointing to `libssl3`. Triage for `openssl`
 * then finds it with one query.
 */
import { PackageURL } from 'packageurl-js';
import { InvalidInputError, isRetryable } from './errors.js';
import { Limits } from './limits.js';
import { sha256Digest } from './oci.js';
import type { DocumentStore, ReleaseStore } from './ports.js';
import {
  canonicalPurl,
  type KnownPurlParts,
  type PurlParts,
  splitIndexablePurls,
  splitPurls,
  utf8Above,
} from './purl.js';
import type { IndexEntryWrite, IndexNode } from './records.js';
import type { Component } from './sbom/component.js';

export type { IndexEntryWrite } from './records.js';

import { componentCoordinates, DISTRO_PURL_TYPES, sourceCoordinates } from './scan/coordinates.js';
import type { Digest } from './types.js';

/** A source package of a release's binary component. */
export interface SourcePackage {
  /** The source package as a purl with its version: `pkg:deb/debian/openssl@3.0.11-1~deb12u2`. */
  readonly purl: string;
  /** The binary component's full purl: `pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12`. */
  readonly binary: string;
}

/** One index entry of one release, before the store adds the release. */
export interface PackageIndexItem {
  /** The partition's identity, `pkg:type/namespace/name`. */
  readonly base: string;
  readonly version: string;
  /** Sorted, distinct, at most `Limits.indexedComponentsPerEntry`. */
  readonly components: readonly string[];
}

/**
 * The entries for a release's purls and source packages, one per (identity, version). Throws
 * InvalidInputError before anything is built when a purl is not indexable (`splitIndexablePurls`).
 */
export function packageIndexItems(
  purls: readonly string[],
  sources: readonly SourcePackage[] = [],
  known?: KnownPurlParts,
): PackageIndexItem[] {
  // Whether each purl is already canonical (as the SBOM step wrote it): then it is kept as it is.
  const canonical: boolean[] = [];
  const direct = splitIndexablePurls(purls, canonical, known);
  const sourceParts = splitIndexablePurls(sources.map((s) => s.purl));
  splitPurls(sources.map((s) => s.binary));
  // Most entries stand for one component: a Set each would cost more than the rest of the entry
  // (200,000 of them at the component limit), so one is kept as a string until a second comes.
  const byKey = new Map<string, { base: string; version: string; components: string | Set<string> }>();
  const add = (parts: PurlParts, component: string, isCanonical = false) => {
    const key = `${parts.base}\u0000${parts.version}`;
    const kept = keptComponent(component, parts, isCanonical);
    const entry = byKey.get(key);
    if (entry === undefined) byKey.set(key, { base: parts.base, version: parts.version, components: kept });
    else if (typeof entry.components === 'string') {
      if (entry.components !== kept) entry.components = new Set([entry.components, kept]);
    } else entry.components.add(kept);
  };
  for (const [i, parts] of direct.entries()) add(parts, purls[i] ?? parts.base, canonical[i]);
  for (const [i, parts] of sourceParts.entries()) {
    const binary = sources[i]?.binary;
    if (binary !== undefined) add(parts, binary);
  }
  return [...byKey.values()].map((e) => ({
    base: e.base,
    version: e.version,
    components:
      typeof e.components === 'string'
        ? [e.components]
        : [...e.components].sort().slice(0, Limits.indexedComponentsPerEntry),
  }));
}

/**
 * A component purl as an entry keeps it: canonical (packageurl-js) and whole, or its identity and
 * version when too long (its `distro` is then unknown, which matches every release: fail closed).
 */
function keptComponent(component: string, parts: PurlParts, isCanonical: boolean): string {
  // The component's own string when it is already canonical (SBOM purls are): the entry then holds
  // no second copy of it.
  const canonical = isCanonical ? component : canonicalPurl(component)?.purl;
  if (canonical === undefined) return `${parts.base}@${parts.version}`;
  if (!utf8Above(canonical, Limits.indexedComponentBytes)) return canonical;
  const split = splitPurls([canonical])[0];
  return split === undefined ? parts.base : `${split.base}@${split.version}`;
}

/** A purl whose type is written in canonical characters (lowercase, unescaped). */
const PURL_TYPE_PREFIX = /^pkg:[a-z][a-z0-9.-]*\//;
const DISTRO_PURL_PREFIXES = [...DISTRO_PURL_TYPES].map((type) => `pkg:${type}/`);

/**
 * The source packages of an SBOM's distribution components, read the way the scanner reads them
 * (`sourceCoordinates`: the purl `upstream` qualifier and the SBOM's own source fields), so that
 * triage finds exactly what the scan matches.
 */
export function sourcePackagesOf(components: readonly Component[]): SourcePackage[] {
  const out = new Map<string, SourcePackage>();
  for (const component of components) {
    if (component.purl === undefined) continue;
    // Only distribution packages have source packages: the others are skipped before their purl
    // is parsed (three times below). A purl that starts `pkg:<type>/` is of that type (tested
    // without a match, as this runs for every component).
    if (
      !DISTRO_PURL_PREFIXES.some((prefix) => component.purl?.startsWith(prefix)) &&
      PURL_TYPE_PREFIX.test(component.purl)
    ) {
      continue;
    }
    const coords = componentCoordinates(component);
    if ('reason' in coords) continue;
    let binary: PackageURL;
    try {
      binary = PackageURL.fromString(component.purl);
    } catch {
      continue;
    }
    if (!DISTRO_PURL_TYPES.has(binary.type)) continue;
    for (const source of sourceCoordinates(coords, component)) {
      // rpm versions carry the epoch in the version for matching; a purl carries it as a qualifier.
      const epoch = /^(\d+):(.*)$/.exec(source.version);
      const version = epoch?.[2] ?? source.version;
      const qualifiers = epoch?.[1] === undefined ? undefined : { epoch: epoch[1] };
      const purl = new PackageURL(binary.type, binary.namespace, source.name, version, qualifiers).toString();
      out.set(`${purl}\u0000${component.purl}`, { purl, binary: component.purl });
    }
  }
  return [...out.values()];
}

// ---------------------------------------------------------------------------------------------
// Index nodes: a release writes what changed

/** The media type of a node's whole entry set in the document store. */
export const INDEX_SET_MEDIA_TYPE = 'application/vnd.release-gate.index-set.v1+json';

/**
 * A node's whole entry set as stored bytes: sorted, so the same set always has the same digest
 * (the set id). Written by our code alone and read back by digest, so the digest is the check.
 */
export function indexSetBytes(items: readonly PackageIndexItem[]): Uint8Array {
  const rows = [...items]
    // By package then version; bases are compared once when they differ (most pairs), not twice.
    .sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : compare(a.version, b.version)))
    // Components are left out when they are just the package at the version (most entries).
    .map((i) => (implied(i) ? [i.base, i.version] : [i.base, i.version, i.components]));
  return new TextEncoder().encode(JSON.stringify({ v: 1, entries: rows }));
}

const AT = 0x40;

/** Whether an entry's components are just the package at the version: then they go unsaid. */
export const implied = (i: Pick<PackageIndexItem, 'base' | 'version' | 'components'>): boolean => {
  const only = i.components.length === 1 ? i.components[0] : undefined;
  // `${base}@${version}`, compared in place: no string built per entry (one per package).
  return (
    only !== undefined &&
    only.length === i.base.length + 1 + i.version.length &&
    only.startsWith(i.base) &&
    only.charCodeAt(i.base.length) === AT &&
    only.endsWith(i.version)
  );
};

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The entry set of `indexSetBytes`; InvalidInputError when it is not one. */
export function parseIndexSet(bytes: Uint8Array): PackageIndexItem[] {
  const doc: unknown = JSON.parse(new TextDecoder().decode(bytes));
  const rows = (doc as { v?: unknown; entries?: unknown } | null)?.entries;
  if ((doc as { v?: unknown } | null)?.v !== 1 || !Array.isArray(rows)) {
    throw new InvalidInputError('not an index set (v1)');
  }
  return rows.map((row: unknown) => {
    if (
      !Array.isArray(row) ||
      typeof row[0] !== 'string' ||
      typeof row[1] !== 'string' ||
      (row[2] !== undefined && (!Array.isArray(row[2]) || !row[2].every((c: unknown) => typeof c === 'string')))
    ) {
      throw new InvalidInputError('an index set row is not [package, version, components?]');
    }
    return { base: row[0], version: row[1], components: (row[2] as string[] | undefined) ?? [`${row[0]}@${row[1]}`] };
  });
}

const entryKey = (i: { readonly base: string; readonly version: string }): string => `${i.base}\u0000${i.version}`;

/**
 * What a node writes relative to its base's set: every entry the base lacks or holds with other
 * components, and for every base entry the node lacks a tombstone, or, when the node writes an
 * entry of the same package anyway (an upgrade), a `replaces` on that entry: one write, not two.
 * Descendants inherit the rest.
 */
export function indexDelta(base: readonly PackageIndexItem[], items: readonly PackageIndexItem[]): IndexEntryWrite[] {
  const before = new Map(base.map((i) => [entryKey(i), i.components.join('\n')]));
  const written: PackageIndexItem[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const key = entryKey(item);
    seen.add(key);
    if (before.get(key) !== item.components.join('\n')) written.push(item);
  }
  const gone = new Map<string, string[]>();
  for (const item of base) {
    if (!seen.has(entryKey(item))) gone.set(item.base, [...(gone.get(item.base) ?? []), item.version]);
  }
  const out: IndexEntryWrite[] = written.map((item) => {
    const replaces = gone.get(item.base);
    if (replaces === undefined) return item;
    gone.delete(item.base);
    return { ...item, replaces };
  });
  for (const item of base) {
    if (gone.get(item.base)?.includes(item.version)) out.push({ ...item, removed: true });
  }
  return out;
}

/** What writing a release's index needs: the store, and the document store for entry sets. */
export interface IndexDeps {
  readonly store: Pick<
    ReleaseStore,
    'getIndexHead' | 'getIndexNode' | 'startIndexNode' | 'writeIndexEntries' | 'completeIndexNode'
  >;
  /** Without it every node is a full snapshot (its set is not stored, so it is never a base). */
  readonly documents?: DocumentStore;
  readonly now: () => string;
  /**
   * A snapshot at least every this many nodes of a chain (at most `Limits.indexChainLength`).
   * @default Limits.indexChainLength
   */
  readonly chainLength?: number;
}

/** How one index write went, for the bench and the tests. */
export interface IndexWriteResult {
  readonly node: IndexNode;
  /** Entries written: every entry for a snapshot, what changed for a delta, 0 when already complete. */
  readonly written: number;
  readonly entries: number;
}

/**
 * Writes the incident index of one collected SBOM of one release as an index node (records.ts
 * IndexNode). The node's entries are relative to the repository's newest complete node when
 * that is cheaper than a snapshot, so a release writes what changed, not one item per component.
 *
 * Safe to repeat, and safe under concurrency: the node is keyed by its entry set, and it is
 * started once with its base (a conditional put); a retry finds it and writes the same delta
 * again, a complete node writes nothing. Every entry a node writes is true of its release on its
 * own (present, or no longer present), whichever base it was computed against. A base whose set
 * cannot be read gives a snapshot. Throws InvalidInputError before anything is written when a
 * purl is not indexable. `known`: the purls' parts as the SBOM step already split them.
 */
export async function indexPackages(
  deps: IndexDeps,
  repository: string,
  digest: Digest,
  purls: readonly string[],
  sources: readonly SourcePackage[] = [],
  known?: KnownPurlParts,
): Promise<IndexWriteResult> {
  const items = packageIndexItems(purls, sources, known);
  const bytes = indexSetBytes(items);
  const setDigest = deps.documents
    ? await deps.documents.put(bytes, INDEX_SET_MEDIA_TYPE)
    : (sha256Digest(bytes) as Digest);
  const set = setDigest.slice('sha256:'.length, 'sha256:'.length + 16);
  const existing = await deps.store.getIndexNode(repository, digest, set);
  if (existing?.completedAt !== undefined) return { node: existing, written: 0, entries: items.length };

  let node = existing;
  let writes: readonly IndexEntryWrite[] | null = null;
  if (node === null) {
    const head = await deps.store.getIndexHead(repository);
    const chainLength = Math.min(deps.chainLength ?? Limits.indexChainLength, Limits.indexChainLength);
    // The chain ends here when it is long enough: a snapshot, which no earlier node's entries reach.
    const extends_ = head !== null && head.depth + 1 < chainLength;
    const baseItems = extends_ ? await readSet(deps.documents, head.setDigest) : null;
    const delta = baseItems === null ? null : indexDelta(baseItems, items);
    // A delta as large as the set is no saving: write a snapshot.
    const base = head !== null && delta !== null && delta.length < items.length ? head : null;
    const started = await deps.store.startIndexNode({
      repository,
      digest,
      set,
      setDigest,
      base: base === null ? null : { digest: base.digest, set: base.set, setDigest: base.setDigest },
      seq: head === null ? 0 : head.seq + 1,
      depth: base === null ? 0 : base.depth + 1,
      startedAt: deps.now(),
    });
    node = started.node;
    // Lost to a concurrent start of the same node: its base stands, so its delta is recomputed.
    if (started.created) writes = base === null ? items : delta;
  }
  if (writes === null) {
    if (node.base === null) {
      writes = items;
    } else {
      const baseItems = await readSet(deps.documents, node.base.setDigest);
      if (baseItems === null) {
        throw new InvalidInputError(
          `the index set ${node.base.setDigest} of the base ${node.base.digest} cannot be read; this node's delta depends on it`,
        );
      }
      writes = indexDelta(baseItems, items);
    }
  }
  await deps.store.writeIndexEntries(node, writes);
  const completedAt = deps.now();
  await deps.store.completeIndexNode(node, completedAt);
  return { node: { ...node, completedAt }, written: writes.length, entries: items.length };
}

/** A base's entry set, or null when it is not stored or not readable (then: a snapshot). */
async function readSet(documents: DocumentStore | undefined, setDigest: Digest): Promise<PackageIndexItem[] | null> {
  if (documents === undefined) return null;
  try {
    return parseIndexSet(await documents.get(setDigest));
  } catch (err) {
    if (isRetryable(err)) throw err;
    return null;
  }
}
