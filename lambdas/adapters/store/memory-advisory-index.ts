/**
 * The advisory index in memory (osv/advisory-index.ts): the tests' and the preflight's stand-in
 * for the DynamoDB one, held to the same contract (test/support/contracts/advisory-index.contract.ts).
 */
import type { AdvisoryIndex, ListedAdvisory } from '../../domain/osv/advisory-index.js';

export class MemoryAdvisoryIndex implements AdvisoryIndex {
  private readonly etags = new Map<string, string>();
  /** Match key → `<object key>\0<etag>` of every version indexed under it. */
  private readonly partitions = new Map<string, Set<string>>();

  public async index(key: string, etag: string, matchKeys: readonly string[]): Promise<void> {
    for (const matchKey of matchKeys) {
      const entries = this.partitions.get(matchKey) ?? new Set<string>();
      entries.add(`${key}\u0000${etag}`);
      this.partitions.set(matchKey, entries);
    }
    this.etags.set(key, etag);
  }

  public async indexedETags(): Promise<ReadonlyMap<string, string>> {
    return new Map(this.etags);
  }

  public async naming(matchKeys: readonly string[]): Promise<readonly ListedAdvisory[]> {
    const out = new Set<string>();
    for (const matchKey of new Set(matchKeys)) for (const e of this.partitions.get(matchKey) ?? []) out.add(e);
    return [...out].map((e) => {
      const at = e.indexOf('\u0000');
      return { key: e.slice(0, at), etag: e.slice(at + 1) };
    });
  }
}
