/**
 * The advisory index: which OSV records under the evidence bucket's `advisories/` prefix a release's
 * packages meet, so a rollback or release reads those records and not the whole prefix.
 *
 * A record is indexed at the ETag it was read at, under its match keys (scan/local-scanner.ts
 * `advisoryMatchKeys`: the keys the matcher itself looks records up by, so a record the matcher
 * could match for a component is one the component's keys find). Readers trust the index only for
 * a record whose listed ETag is the indexed one: a record that is new, changed or never indexed is
 * read directly (`advisoryKeysToRead`), so a missing or lagging index costs time, never a match.
 */
import type { Component } from '../sbom/component.js';
import type { OsvRecord } from './schema.js';

/** An advisory object as listed: its key and ETag (quotes removed). */
export interface ListedAdvisory {
  readonly key: string;
  readonly etag: string;
}

/**
 * Where the advisory index is kept (the evidence table on AWS, memory in tests). Writes are
 * idempotent and safe under concurrency: `index` writes the record's match keys first and its ETag
 * last, so an ETag is never indexed before the keys of that version are.
 */
export interface AdvisoryIndex {
  /** Records that the object `key` at `etag` names `matchKeys` (none: it can match nothing). */
  index(key: string, etag: string, matchKeys: readonly string[]): Promise<void>;
  /** Every indexed object and the ETag it was last indexed at. */
  indexedETags(): Promise<ReadonlyMap<string, string>>;
  /**
   * The objects indexed under any of `matchKeys`, at every ETag they were indexed at (a key of an
   * earlier version may still be listed: readers compare the ETag).
   */
  naming(matchKeys: readonly string[]): Promise<readonly ListedAdvisory[]>;
}

/**
 * Today's OSV records that may affect `components`: every one that does, and maybe more (a
 * superset is safe, a subset is not). The advisories folder gives all of its records; the bucket's
 * prefix gives those its index points to plus every record the index does not cover.
 */
export type AdvisorySource = (components: readonly Component[]) => Promise<readonly OsvRecord[]>;

/**
 * The listed objects to read for a release whose match keys found `named`: those indexed at their
 * listed ETag and named, and every one not indexed at its listed ETag (new, changed, never
 * indexed). Deleted objects are not listed, so they are not read whatever the index says.
 */
export function advisoryKeysToRead(
  listed: readonly ListedAdvisory[],
  indexed: ReadonlyMap<string, string>,
  named: readonly ListedAdvisory[],
): string[] {
  const hits = new Set(named.map((n) => `${n.key}\u0000${n.etag}`));
  // An object listed without an ETag cannot be told from another version of it: read.
  return listed
    .filter((o) => o.etag === '' || indexed.get(o.key) !== o.etag || hits.has(`${o.key}\u0000${o.etag}`))
    .map((o) => o.key);
}
