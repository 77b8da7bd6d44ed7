import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { InvalidInputError, StoreError } from '../../lambdas/domain/errors.js';
import { Limits } from '../../lambdas/domain/limits.js';
import {
  implied,
  indexDelta,
  indexPackages,
  indexSetBytes,
  packageIndexItems,
  parseIndexSet,
} from '../../lambdas/domain/package-index.js';
import { canonicalPurlWithPackageUrl, splitPurlWithPackageUrl } from '../../lambdas/domain/purl.js';
import type { IndexEntryWrite, IndexNode } from '../../lambdas/domain/records.js';
import { presentEntries, seqRanges } from '../../lambdas/domain/triage/inherit.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { anyPurl } from '../support/purls.js';
import { newDigest } from '../support/store-records.js';

const now = () => new Date().toISOString();
const npm = (name: string, version: string) => `pkg:npm/${name}@${version}`;
const item = (name: string, version: string) => ({
  base: `pkg:npm/${name}`,
  version,
  components: [npm(name, version)],
});

/** A memory store whose entry writes fail while `failing` is set (a crash mid-index). */
class CrashingStore extends MemoryStore {
  public failing = false;
  public written = 0;
  public override async writeIndexEntries(node: IndexNode, entries: readonly IndexEntryWrite[]) {
    if (this.failing) {
      // Half the entries land, then the write fails, as a batch cut off by a timeout would.
      await super.writeIndexEntries(node, entries.slice(0, Math.floor(entries.length / 2)));
      throw new StoreError('DynamoDB writeIndexEntries failed (injected)');
    }
    this.written += entries.length;
    return super.writeIndexEntries(node, entries);
  }
}

/** The releases of `repository` that have each version of `base`, as triage resolves them. */
async function releasesWith(store: MemoryStore, base: string): Promise<string[]> {
  const entries = await presentEntries(store, await store.findByPackage(base), new Map());
  return entries.map((e) => `${e.version} ${e.repository}@${e.digest}`).sort();
}

describe('Function: indexDelta', () => {
  it('writes what the base lacks or holds otherwise; an upgrade replaces the old version in the same write', () => {
    // Prepare
    const base = [item('a', '1.0.0'), item('b', '1.0.0'), item('c', '1.0.0')];
    const next = [
      item('a', '1.0.0'),
      item('b', '2.0.0'),
      { ...item('c', '1.0.0'), components: ['pkg:npm/c@1.0.0?x=1'] },
    ];

    // Act
    const delta = indexDelta(base, next);

    // Assess
    expect(delta).toEqual([
      { ...item('b', '2.0.0'), replaces: ['1.0.0'] },
      { ...item('c', '1.0.0'), components: ['pkg:npm/c@1.0.0?x=1'] },
    ]);
  });

  it('writes a tombstone for a package the release no longer has at any version', () => {
    // Act
    const delta = indexDelta([item('a', '1.0.0'), item('b', '1.0.0')], [item('a', '1.0.0')]);

    // Assess
    expect(delta).toEqual([{ ...item('b', '1.0.0'), removed: true }]);
  });
});

describe('Function: seqRanges', () => {
  it('gives the chain length after each node, merged where they meet', () => {
    // Act
    const ranges = seqRanges([120, 3, 40, 3, 60]);

    // Assess
    expect(ranges).toEqual([
      { from: 4, to: 110 },
      { from: 121, to: 170 },
    ]);
  });
});

describe('Function: implied', () => {
  it.each([
    [['pkg:npm/a@1'], true],
    [['pkg:npm/a@12'], false],
    [['pkg:npm/ab1'], false],
    [['pkg:npm/b@1'], false],
    [['pkg:npm/a@1?arch=x'], false],
    [['pkg:npm/a@1', 'pkg:npm/a@1?arch=x'], false],
    [[], false],
  ])('says %j of pkg:npm/a at 1 is implied: %s', (components, expected) => {
    // Act & Assess
    expect(implied({ base: 'pkg:npm/a', version: '1', components })).toBe(expected);
  });
});

describe('Function: presentEntries', () => {
  describe('when the links are read from a track, naming their base by its set (at seq - 1)', () => {
    it('finds the same releases as through links that name their base by reference', async () => {
      // Prepare
      const store = new MemoryStore();
      const deps = { store, documents: store, now };
      const digests = [newDigest(), newDigest(), newDigest()];
      for (const [i, digest] of digests.entries()) {
        await indexPackages(deps, 'team/app', digest, [npm('kept', '1.0.0'), npm('moving', `1.0.${i}`)]);
      }
      const bySet = (await store.listIndexNodes('team/app')).map(({ parent, ...link }) => ({
        ...link,
        ...(parent !== undefined && { parentSet: parent.slice(parent.indexOf('#') + 1) }),
      }));
      const movedAll = { listIndexNodes: async () => [] };

      // Act
      const found = await presentEntries(
        movedAll,
        await store.findByPackage('pkg:npm/kept'),
        new Map(),
        new Map([['team/app', bySet]]),
      );

      // Assess
      expect(bySet.filter((l) => l.parentSet !== undefined)).toHaveLength(2);
      expect(found).toEqual(await presentEntries(store, await store.findByPackage('pkg:npm/kept'), new Map()));
      expect(found.map((e) => e.digest).sort()).toEqual([...digests].sort());
    });
  });
});

describe('Function: indexSetBytes / parseIndexSet', () => {
  it('gives the same bytes for the same set in any order, and reads them back', () => {
    // Prepare
    const qualified = { ...item('a', '2.0.0'), components: ['pkg:npm/a@2.0.0?x=1'] };
    const set = [item('b', '1.0.0'), qualified, item('a', '1.0.0')];

    // Act
    const bytes = indexSetBytes(set);

    // Assess
    expect(bytes).toEqual(indexSetBytes([...set].reverse()));
    expect(parseIndexSet(bytes)).toEqual([item('a', '1.0.0'), qualified, item('b', '1.0.0')]);
    expect(new TextDecoder().decode(bytes)).toContain('["pkg:npm/b","1.0.0"]');
  });

  it('refuses bytes that are not an index set', () => {
    // Act
    const act = () => parseIndexSet(new TextEncoder().encode('{"v":1,"entries":[["pkg:npm/a",1,[]]]}'));

    // Assess
    expect(act).toThrow(InvalidInputError);
  });
});

describe('Function: indexPackages (index nodes)', () => {
  it('writes every entry for the first release of a repository, and only what changed for the next', async () => {
    // Prepare
    const store = new MemoryStore();
    const deps = { store, documents: store, now };
    const first = Array.from({ length: 100 }, (_, i) => npm(`p${i}`, '1.0.0'));
    const second = first.map((p, i) => (i === 7 ? npm('p7', '1.0.1') : p));

    // Act
    const a = await indexPackages(deps, 'team/app', newDigest(), first);
    const b = await indexPackages(deps, 'team/app', newDigest(), second);

    // Assess
    expect([a.written, a.node.base]).toEqual([100, null]);
    expect([b.written, b.node.base?.digest]).toEqual([1, a.node.digest]);
    expect(await releasesWith(store, 'pkg:npm/p7')).toEqual(
      [`1.0.0 team/app@${a.node.digest}`, `1.0.1 team/app@${b.node.digest}`].sort(),
    );
    expect(await releasesWith(store, 'pkg:npm/p8')).toEqual(
      [`1.0.0 team/app@${a.node.digest}`, `1.0.0 team/app@${b.node.digest}`].sort(),
    );
  });

  it('writes nothing again for a release already indexed with the same SBOM', async () => {
    // Prepare
    const store = new CrashingStore();
    const deps = { store, documents: store, now };
    const digest = newDigest();
    await indexPackages(deps, 'team/app', digest, [npm('a', '1.0.0')]);

    // Act
    const again = await indexPackages(deps, 'team/app', digest, [npm('a', '1.0.0')]);

    // Assess
    expect(again.written).toBe(0);
    expect(store.written).toBe(1);
  });

  it('writes a snapshot when the base set cannot be read', async () => {
    // Prepare: the head's set is not in this document store.
    const store = new MemoryStore();
    await indexPackages({ store, now }, 'team/app', newDigest(), [npm('a', '1.0.0'), npm('b', '1.0.0')]);

    // Act
    const next = await indexPackages({ store, documents: store, now }, 'team/app', newDigest(), [npm('a', '1.0.0')]);

    // Assess
    expect([next.written, next.node.base]).toEqual([1, null]);
    expect(await releasesWith(store, 'pkg:npm/b')).toHaveLength(1);
  });

  it('completes a node cut off mid-write against the base it started with', async () => {
    // Prepare
    const store = new CrashingStore();
    const deps = { store, documents: store, now };
    const shared = ['e', 'f', 'g', 'h', 'i', 'j'].map((n) => npm(n, '1.0.0'));
    const a = await indexPackages(deps, 'team/app', newDigest(), [...shared, npm('a', '1.0.0'), npm('b', '1.0.0')]);
    const digest = newDigest();
    const purls = [...shared, npm('a', '1.0.0'), npm('b', '2.0.0'), npm('c', '1.0.0'), npm('d', '1.0.0')];
    store.failing = true;
    await expect(indexPackages(deps, 'team/app', digest, purls)).rejects.toBeInstanceOf(StoreError);
    // Another release completes meanwhile and becomes the head.
    store.failing = false;
    const other = await indexPackages(deps, 'team/app', newDigest(), [npm('z', '1.0.0')]);

    // Act
    const retried = await indexPackages(deps, 'team/app', digest, purls);

    // Assess
    expect(retried.node.base?.digest).toBe(a.node.digest);
    expect((await store.getIndexHead('team/app'))?.digest).toBe(retried.node.digest);
    expect(await releasesWith(store, 'pkg:npm/b')).toEqual(
      [`1.0.0 team/app@${a.node.digest}`, `2.0.0 team/app@${digest}`].sort(),
    );
    expect(await releasesWith(store, 'pkg:npm/z')).toEqual([`1.0.0 team/app@${other.node.digest}`]);
  });

  it('indexes a repository’s release in full every chain length, and triage finds the whole chain', async () => {
    // Prepare: 60 releases of one repository, each one package different from the one before.
    const store = new MemoryStore();
    const deps = { store, documents: store, now };
    const shared = Array.from({ length: 20 }, (_, i) => npm(`s${i}`, '1.0.0'));
    const results = [];
    for (let r = 0; r < 60; r++) {
      results.push(await indexPackages(deps, 'team/app', newDigest(), [...shared, npm('moving', `1.0.${r}`)]));
    }
    const asked: { from: number; to: number }[] = [];
    const reader = {
      listIndexNodes: (repository: string, seqs?: { from: number; to: number }) => {
        if (seqs !== undefined) asked.push(seqs);
        return store.listIndexNodes(repository, seqs);
      },
    };

    // Act
    const found = await presentEntries(reader, await store.findByPackage('pkg:npm/s7'), new Map());

    // Assess
    expect(results.map((r) => r.node.depth)).toEqual([
      ...Array.from({ length: 50 }, (_, i) => i),
      ...Array.from({ length: 10 }, (_, i) => i),
    ]);
    expect(results.map((r) => r.written)).toEqual([21, ...Array(49).fill(1), 21, ...Array(9).fill(1)]);
    expect(found.map((e) => e.digest).sort()).toEqual(results.map((r) => r.node.digest).sort());
    // The nodes read: the chain length after each snapshot holding the entry, not the repository's all.
    expect(asked).toEqual([{ from: 1, to: 100 }]);
  });

  it('fails when a started node’s base set is gone, rather than write a delta against nothing', async () => {
    // Prepare: a node started against a base whose set was never stored.
    const store = new MemoryStore();
    const digest = newDigest();
    const items = [item('a', '1.0.0')];
    const bytes = indexSetBytes(items);
    const setDigest = await store.put(bytes, 'application/json');
    const missing = `sha256:${'0'.repeat(64)}` as Digest;
    await store.startIndexNode({
      repository: 'team/app',
      digest,
      set: setDigest.slice(7, 23),
      setDigest,
      base: { digest: newDigest(), set: '0'.repeat(16), setDigest: missing },
      seq: 1,
      depth: 1,
      startedAt: now(),
    });

    // Act
    const act = indexPackages({ store, documents: store, now }, 'team/app', digest, [npm('a', '1.0.0')]);

    // Assess
    await expect(act).rejects.toThrow(/cannot be read; this node's delta depends on it/);
  });
});

const NAMES = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9'];

/**
 * One step: the next release of a repository, a few package changes from its previous one (so
 * that most releases are written as deltas), indexed alone or together with the next steps.
 */
const step = fc.record({
  repository: fc.constantFrom('team/a', 'team/b'),
  changes: fc.array(fc.record({ name: fc.constantFrom(...NAMES), version: fc.constantFrom('1', '2', '3', 'gone') }), {
    maxLength: 3,
  }),
  crash: fc.boolean(),
  together: fc.integer({ min: 1, max: 3 }),
});

describe('Property: triage through index nodes equals a scan of every SBOM', () => {
  it('finds exactly the releases that have each package version, through deltas, concurrency and crashes', async () => {
    let deltas = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 14 }),
        fc.integer({ min: 2, max: 6 }),
        async (steps, chainLength) => {
          // Prepare
          const store = new CrashingStore();
          const deps = { store, documents: store, now, chainLength };
          const current = new Map<string, Map<string, string>>();
          const sboms: { repository: string; digest: Digest; purls: string[] }[] = [];
          for (let i = 0; i < steps.length; ) {
            const group = steps.slice(i, i + (steps[i]?.together ?? 1));
            i += group.length;
            const releases = group.map((s) => {
              const packages = new Map(current.get(s.repository) ?? NAMES.slice(0, 8).map((n) => [n, '1']));
              for (const c of s.changes) {
                if (c.version === 'gone') packages.delete(c.name);
                else packages.set(c.name, c.version);
              }
              current.set(s.repository, packages);
              const purls = [...packages].map(([name, version]) => npm(name, `${version}.0.0`));
              return { repository: s.repository, digest: newDigest(), purls, crash: s.crash };
            });
            sboms.push(...releases);
            // A crashed release is retried after the group, as the ASL retries the step.
            store.failing = false;
            await Promise.all(
              releases.filter((r) => !r.crash).map((r) => indexPackages(deps, r.repository, r.digest, r.purls)),
            );
            for (const r of releases.filter((r) => r.crash)) {
              store.failing = true;
              await indexPackages(deps, r.repository, r.digest, r.purls).catch(() => undefined);
              store.failing = false;
              await indexPackages(deps, r.repository, r.digest, r.purls);
            }
          }
          for (const repository of current.keys()) {
            deltas += (await store.listIndexNodes(repository)).filter((n) => n.parent !== undefined).length;
          }

          // Act and Assess
          for (const name of NAMES) {
            const expected = sboms
              .flatMap((s) =>
                s.purls
                  .filter((p) => p.startsWith(`pkg:npm/${name}@`))
                  .map((p) => `${p.slice(p.indexOf('@') + 1)} ${s.repository}@${s.digest}`),
              )
              .sort();
            expect(await releasesWith(store, `pkg:npm/${name}`)).toEqual(expected);
          }
        },
      ),
      { numRuns: 150 },
    );
    // The property is about deltas: most releases after a repository's first are written as one.
    expect(deltas).toBeGreaterThan(300);
  });
});

describe('Property: the package index built from canonical purl text equals the one packageurl-js gives', () => {
  it('has the same entries for arbitrary purls (qualifiers, namespaces, percent-encoding)', () => {
    fc.assert(
      fc.property(fc.array(anyPurl, { maxLength: 12 }), (raw) => {
        // Prepare: purls as the SBOM step writes them (canonical), and as anything else might.
        const valid = raw.filter((p) => {
          try {
            return splitPurlWithPackageUrl(p) !== null;
          } catch {
            return false;
          }
        });
        const purls = [...valid, ...valid.flatMap((p) => canonicalPurlWithPackageUrl(p)?.purl ?? [])];
        let items: ReturnType<typeof packageIndexItems> | 'refused';
        try {
          items = packageIndexItems(purls);
        } catch {
          items = 'refused';
        }

        // Act: the oracle, packageurl-js on every purl.
        let expected: typeof items;
        try {
          const entries = new Map<string, { base: string; version: string; components: Set<string> }>();
          for (const purl of purls) {
            const parts = splitPurlWithPackageUrl(purl);
            if (parts === null) throw new Error('not a purl');
            if (parts.base.length > Limits.indexedPurlBytes || parts.version.length > Limits.indexedVersionBytes) {
              throw new Error('too long for the index');
            }
            const key = `${parts.base}\u0000${parts.version}`;
            const entry = entries.get(key) ?? { ...parts, components: new Set<string>() };
            entry.components.add(canonicalPurlWithPackageUrl(purl)?.purl ?? `${parts.base}@${parts.version}`);
            entries.set(key, entry);
          }
          expected = [...entries.values()].map((e) => ({
            base: e.base,
            version: e.version,
            components: [...e.components].sort(),
          }));
        } catch {
          expected = 'refused';
        }

        // Assess
        expect(items).toEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });
});
