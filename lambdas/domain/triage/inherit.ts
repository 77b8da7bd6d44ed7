/**
 * From index entries to the releases that have a package version. A node's entries are relative to
 * its base (package-index.ts): a node has a version when it has a present entry for it, or when it
 * has no entry for it and its base has the version. So each present entry stands for its node and
 * for every descendant down to one with its own entry for that version (present again, with other
 * components, a tombstone, or an upgrade that `replaces` it). Entries without a node stand for
 * their release alone.
 */
import pLimit from 'p-limit';
import type { ReleaseStore } from '../ports.js';
import { type IndexNodeLink, LISTING_ORDER, type PackageIndexEntry } from '../records.js';
import type { Digest } from '../types.js';

export type NodeReader = Pick<ReleaseStore, 'listIndexNodes'>;

/** Each repository's nodes, read once per triage (every package queried shares them). */
export type NodeCache = Map<string, Promise<readonly IndexNodeLink[]>>;

/** Node queries in flight at once: enough to hide round trips, few enough not to throttle a table. */
const NODE_QUERIES_IN_FLIGHT = 16;

const nodeId = (digest: string, set: string): string => `${digest}#${set}`;

/**
 * The releases that have each package version, as entries without node or tombstone: one per
 * (version, release), with the components of every node of the release that has it.
 */
export async function presentEntries(
  reader: NodeReader,
  entries: readonly PackageIndexEntry[],
  cache: NodeCache,
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
    byRepository.set(entry.repository, [...(byRepository.get(entry.repository) ?? []), entry]);
  }
  // Each repository's nodes, 16 queries in flight at most; read once per triage.
  const limit = pLimit(NODE_QUERIES_IN_FLIGHT);
  for (const repository of byRepository.keys()) {
    if (!cache.has(repository))
      cache.set(
        repository,
        limit(() => reader.listIndexNodes(repository)),
      );
  }
  await Promise.all([...byRepository.keys()].map((r) => cache.get(r)));
  for (const [repository, repoEntries] of byRepository) {
    const nodes = cache.get(repository) ?? Promise.resolve([]);
    const children = new Map<string, string[]>();
    for (const node of await nodes) {
      if (node.parent === undefined) continue;
      children.set(node.parent, [...(children.get(node.parent) ?? []), nodeId(node.digest, node.set)]);
    }
    // Which nodes have an entry of their own for each version: inheritance stops there.
    const own = new Map<string, Set<string>>();
    for (const e of repoEntries) {
      // An upgrade's entry is a tombstone for each version it replaces.
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
      const stack = [...(children.get(nodeId(e.digest, e.set ?? '')) ?? [])];
      for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
        if (seen.has(id) || stops.has(id)) continue;
        seen.add(id);
        emit(e, id.slice(0, id.indexOf('#')) as Digest);
        stack.push(...(children.get(id) ?? []));
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
