/**
 * From index entries to the releases that have a package version. A node's entries are relative to
 * its base (package-index.ts): a node has a version when it has a present entry for it, or when it
 * has no entry for it and its base has the version. So each present entry stands for its node and
 * for every descendant down to one with its own entry for that version (present again, with other
 * components, a tombstone, or an upgrade that `replaces` it). Entries without a node stand for
 * their release alone.
 *
 * A node's descendants are among the `Limits.indexChainLength` nodes after it (by `seq`): a chain
 * of deltas is never longer. So triage reads those ranges of a repository's nodes, not all of them.
 * The nodes of a PROMOTED release may have left those ranges for the release's track entry
 * (`PromotionTrack.links`): a repository's track is read after its ranges (`readNodeRanges` first),
 * so that a node moving meanwhile is found in one or the other.
 */
import pLimit from 'p-limit';
import { Limits } from '../limits.js';
import type { ReleaseStore } from '../ports.js';
import { type IndexNodeLink, indexNodeRef, LISTING_ORDER, type PackageIndexEntry } from '../records.js';
import type { Digest } from '../types.js';

export type NodeReader = Pick<ReleaseStore, 'listIndexNodes'>;

/** Ranges of repositories' nodes, read once per triage (every package queried shares them). */
export type NodeCache = Map<string, Promise<readonly IndexNodeLink[]>>;

/** Node queries in flight at once: enough to hide round trips, few enough not to throttle a table. */
const NODE_QUERIES_IN_FLIGHT = 16;

const nodeId = (digest: string, set: string): string => `${digest}#${set}`;

/**
 * The `seq` ranges (both ends included) holding every node that may inherit from a node at one of
 * `seqs`: the next `Limits.indexChainLength` of each, merged where they meet.
 */
export function seqRanges(seqs: readonly number[]): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (const seq of [...new Set(seqs)].sort((a, b) => a - b)) {
    const last = out.at(-1);
    const to = seq + Limits.indexChainLength;
    if (last !== undefined && seq + 1 <= last.to + 1) last.to = Math.max(last.to, to);
    else out.push({ from: seq + 1, to });
  }
  return out;
}

/** Reads (once, into `cache`) the ranges of nodes that may inherit from `entries`. */
export async function readNodeRanges(
  reader: NodeReader,
  entries: readonly PackageIndexEntry[],
  cache: NodeCache,
): Promise<void> {
  await Promise.all([...rangeReads(reader, entries, cache).values()].flat());
}

/** The repositories whose nodes `entries` may pass on to descendants (whose tracks may hold their links). */
export const repositoriesWithNodes = (entries: readonly PackageIndexEntry[]): string[] => [
  ...new Set(entries.filter((e) => e.set !== undefined && e.removed !== true).map((e) => e.repository)),
];

/** The reads of the node ranges of each repository of `entries`, started once per triage. */
function rangeReads(
  reader: NodeReader,
  entries: readonly PackageIndexEntry[],
  cache: NodeCache,
): Map<string, Promise<readonly IndexNodeLink[]>[]> {
  const byRepository = new Map<string, number[]>();
  for (const entry of entries) {
    if (entry.set === undefined || entry.removed === true) continue;
    const list = byRepository.get(entry.repository);
    if (list === undefined) byRepository.set(entry.repository, [entry.seq ?? 0]);
    else list.push(entry.seq ?? 0);
  }
  const limit = pLimit(NODE_QUERIES_IN_FLIGHT);
  const reads = new Map<string, Promise<readonly IndexNodeLink[]>[]>();
  for (const [repository, present] of byRepository) {
    const ranges = seqRanges(present).map(({ from, to }) => {
      const key = `${repository}\u0000${from}\u0000${to}`;
      let read = cache.get(key);
      if (read === undefined) {
        read = limit(() => reader.listIndexNodes(repository, { from, to }));
        cache.set(key, read);
      }
      return read;
    });
    reads.set(repository, ranges);
  }
  return reads;
}

/**
 * The releases that have each package version, as entries without node or tombstone: one per
 * (version, release), with the components of every node of the release that has it. `moved` holds,
 * per repository, the links its track holds (read after `readNodeRanges` of these entries).
 */
export async function presentEntries(
  reader: NodeReader,
  entries: readonly PackageIndexEntry[],
  cache: NodeCache,
  moved: ReadonlyMap<string, readonly IndexNodeLink[]> = new Map(),
): Promise<PackageIndexEntry[]> {
  const out = new Map<string, { entry: PackageIndexEntry; components: Set<string> }>();
  const emit = (e: PackageIndexEntry, digest: Digest) => {
    const key = `${e.version}\u0000${e.repository}\u0000${digest}`;
    const have = out.get(key) ?? {
      entry: { version: e.version, repository: e.repository, digest },
      components: new Set<string>(),
    };
    for (const c of e.components ?? []) have.components.add(c);
    out.set(key, have);
  };
  const byRepository = new Map<string, PackageIndexEntry[]>();
  for (const entry of entries) {
    if (entry.set === undefined) {
      if (entry.removed !== true) emit(entry, entry.digest);
      continue;
    }
    const list = byRepository.get(entry.repository);
    if (list === undefined) byRepository.set(entry.repository, [entry]);
    else list.push(entry);
  }
  // The ranges of nodes that may inherit, 16 queries in flight at most, each read once per triage,
  // and the links moved to the repository's track.
  const reads = rangeReads(reader, entries, cache);
  const listed = new Map<string, readonly IndexNodeLink[]>();
  await Promise.all(
    [...reads].map(async ([repository, ranges]) =>
      listed.set(repository, [...(await Promise.all(ranges)).flat(), ...(moved.get(repository) ?? [])]),
    ),
  );

  for (const [repository, repoEntries] of byRepository) {
    // By the parent's reference (records.ts `indexNodeRef`), or its `seq` and set: a node whose
    // reference two nodes shared would be taken for a child of both, which can add a release, never
    // drop one.
    const children = new Map<string, string[]>();
    const seqOf = new Map<string, number>();
    const addChild = (parent: string, id: string) => {
      const list = children.get(parent);
      if (list === undefined) children.set(parent, [id]);
      else list.push(id);
    };
    const bySeq = (seq: number, set: string) => `${seq}\u0000${set}`;
    for (const node of listed.get(repository) ?? []) {
      const id = nodeId(node.digest, node.set);
      seqOf.set(id, node.seq);
      if (node.parent !== undefined) addChild(node.parent, id);
      if (node.parentSet !== undefined) addChild(bySeq(node.seq - 1, node.parentSet), id);
    }
    for (const e of repoEntries) {
      if (e.set !== undefined && e.seq !== undefined) seqOf.set(nodeId(e.digest, e.set), e.seq);
    }
    const childrenOf = (id: string): readonly string[] => {
      const at = id.indexOf('#');
      const set = id.slice(at + 1);
      const seq = seqOf.get(id);
      return [
        ...(children.get(indexNodeRef(id.slice(0, at), set)) ?? []),
        ...(seq === undefined ? [] : (children.get(bySeq(seq, set)) ?? [])),
      ];
    };
    // Which nodes have an entry of their own for each version: inheritance stops there. An
    // upgrade's entry is a tombstone for each version it replaces.
    const own = new Map<string, Set<string>>();
    for (const e of repoEntries) {
      for (const version of [e.version, ...(e.replaces ?? [])]) {
        const set = own.get(version) ?? new Set<string>();
        set.add(nodeId(e.digest, e.set ?? ''));
        own.set(version, set);
      }
    }
    for (const e of repoEntries) {
      if (e.removed === true) continue;
      emit(e, e.digest);
      const stops = own.get(e.version) ?? new Set<string>();
      const seen = new Set<string>([nodeId(e.digest, e.set ?? '')]);
      const stack = [...childrenOf(nodeId(e.digest, e.set ?? ''))];
      for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
        if (seen.has(id) || stops.has(id)) continue;
        seen.add(id);
        emit(e, id.slice(0, id.indexOf('#')) as Digest);
        stack.push(...childrenOf(id));
      }
    }
  }
  return [...out.values()]
    .map(({ entry, components }) => ({
      ...entry,
      ...(components.size > 0 && { components: [...components].sort() }),
    }))
    .sort(LISTING_ORDER.packageIndex);
}
