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
import { Comparators, comparatorFor, compareVersions } from '../../lambdas/domain/versions/index.js';
import { indexRelease } from '../support/index-release.js';
import { newDigest, releaseRecord } from '../support/store-records.js';

/**
 * Packages and versions where the ecosystem order differs from string order: one purl type per
 * version ordering of versions/index.ts at least (checked below), SemVer under three types.
 */
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
  cargo: {
    bases: ['pkg:cargo/serde', 'pkg:cargo/tokio'],
    versions: ['1.0.9', '1.0.10', '1.0.100', '1.0.10-alpha.1', '0.9.0'],
  },
  golang: {
    bases: ['pkg:golang/github.com/gin-gonic/gin', 'pkg:golang/golang.org/x/net'],
    versions: ['v1.9.1', 'v1.10.0', 'v1.9.0-rc.1', 'v2.0.0', 'v0.0.0-20230101000000-abcdefabcdef'],
  },
  apk: {
    bases: ['pkg:apk/alpine/busybox', 'pkg:apk/alpine/openssl'],
    versions: ['1.36.1-r0', '1.36.1-r10', '1.36.1-r2', '1.36.0_rc1-r0', '1.4_alpha2-r0', '1.36.1_p1-r0', '1.9-r0'],
  },
  rpm: {
    bases: ['pkg:rpm/redhat/openssl', 'pkg:rpm/fedora/curl'],
    versions: [
      '3.0.7-27.el9',
      '3.0.7-3.el9',
      '3.0.10-1.el9',
      '3.0.7-26.el9',
      '3.0.7~beta1-1.el9',
      '3.0.7^20230101-1.el9',
    ],
  },
  maven: {
    bases: ['pkg:maven/org.apache.logging.log4j/log4j-core', 'pkg:maven/com.fasterxml.jackson.core/jackson-databind'],
    versions: ['2.14.1', '2.15.0', '2.3', '2.17.0-rc1', '2.10.0', '2.0-beta9', '2.17.0'],
  },
  gem: {
    bases: ['pkg:gem/rails', 'pkg:gem/nokogiri'],
    versions: ['7.0.8', '7.0.10', '7.1.0.rc1', '6.1', '7.0.8.1', '7.1.0'],
  },
} as const;
const ECOSYSTEMS = Object.keys(POOLS) as (keyof typeof POOLS)[];
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

const scenario = fc.constantFrom<Ecosystem>(...ECOSYSTEMS).chain((type) => {
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
  it('draws from every version ordering triage compares with', () => {
    expect(new Set(ECOSYSTEMS.map((type) => comparatorFor(type).name))).toEqual(
      new Set(Object.values(Comparators).map((c) => c.name)),
    );
    for (const type of ECOSYSTEMS) {
      const comparator = comparatorFor(type);
      expect(
        POOLS[type].versions.filter((v) => !comparator.isValid(v)),
        type,
      ).toEqual([]);
    }
  });

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
          await indexRelease(store, 'prop/app', digest, purls, [], store);
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
      { numRuns: 400 },
    );
  });
});
