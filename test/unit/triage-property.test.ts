/**
 * Property: triage by range through the package index answers exactly what a brute-force scan of
 * every stored SBOM component finds (same releases, same versions), for random releases and
 * random ranges. The brute force reads no index and evaluates the constraints itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { splitPurl } from '../../lambdas/domain/purl.js';
import { triage } from '../../lambdas/domain/triage/triage.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { compareVersions } from '../../lambdas/domain/versions/index.js';
import { newDigest, releaseRecord } from '../support/store-records.js';

/** Packages and versions where the ecosystem order differs from string order. */
const POOLS = {
  deb: {
    bases: ['pkg:deb/debian/openssl', 'pkg:deb/debian/zlib'],
    versions: ['3.0.11-1', '3.0.11-1~deb12u2', '3.0.13-1', '3.0.2-1', '1:1.0-1', '3.0.13~rc1-1', '10.0-1'],
  },
  pypi: {
    bases: ['pkg:pypi/django', 'pkg:pypi/requests'],
    versions: ['1.2', '1.2rc1', '1.2.post1', '1.10', '1!0.1', '1.4.0', '0.9'],
  },
  npm: {
    bases: ['pkg:npm/minimist', 'pkg:npm/%40acme/left-pad'],
    versions: ['1.2.5', '1.2.6', '1.10.0', '1.2.6-beta.1', '2.0.0', '0.0.1'],
  },
} as const;
type Ecosystem = keyof typeof POOLS;
const OPERATORS = ['<', '<=', '>', '>=', '=', '!='] as const;

interface Constraint {
  readonly op: (typeof OPERATORS)[number];
  readonly version: string;
}

function holds(type: Ecosystem, version: string, { op, version: bound }: Constraint): boolean {
  const c = compareVersions(type, version, bound);
  return { '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0, '=': c === 0, '!=': c !== 0 }[op];
}

const scenario = fc.constantFrom<Ecosystem>('deb', 'pypi', 'npm').chain((type) => {
  const pool = POOLS[type];
  const component = fc.record({ base: fc.constantFrom(...pool.bases), version: fc.constantFrom(...pool.versions) });
  const constraint = fc.record({ op: fc.constantFrom(...OPERATORS), version: fc.constantFrom(...pool.versions) });
  return fc.record({
    type: fc.constant(type),
    releases: fc.array(fc.array(component, { maxLength: 5 }), { minLength: 1, maxLength: 6 }),
    alternatives: fc.array(fc.array(constraint, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 2 }),
    asked: fc.constantFrom(...pool.bases),
    separator: fc.constantFrom(',', ' ', ', '),
  });
});

describe('Property: triage by range equals a brute-force scan of every SBOM component', () => {
  it('answers the same releases and versions for random releases and ranges', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ type, releases, alternatives, asked, separator }) => {
        // Prepare
        const store = new MemoryStore();
        const sboms = new Map<Digest, string[]>();
        for (const components of releases) {
          const digest = newDigest();
          const purls = components.map((c) => `${c.base}@${c.version}`);
          sboms.set(digest, purls);
          await store.recordRelease(releaseRecord('prop/app', digest));
          await store.indexPackages('prop/app', digest, purls);
        }
        const range = alternatives.map((a) => a.map((c) => `${c.op}${c.version}`).join(separator)).join(' || ');

        // Act
        const answer = await triage(store, { kind: 'range', purl: asked, range });

        // Assess
        const expected = [...sboms.entries()]
          .map(([digest, purls]) => {
            const versions = purls
              .map((p) => splitPurl(p))
              .filter((p) => p?.base === asked)
              .map((p) => p?.version ?? '')
              .filter((v) => alternatives.some((a) => a.every((c) => holds(type, v, c))));
            return { digest, versions: [...new Set(versions)].sort() };
          })
          .filter((r) => r.versions.length > 0)
          .sort((a, b) => (a.digest < b.digest ? -1 : 1));
        const actual = answer.releases
          .map((r) => ({ digest: r.digest, versions: r.matches.map((m) => m.version).sort() }))
          .sort((a, b) => (a.digest < b.digest ? -1 : 1));
        expect(actual).toEqual(expected);
        expect(answer.queries).toBe(1);
      }),
      { numRuns: 150 },
    );
  });
});
