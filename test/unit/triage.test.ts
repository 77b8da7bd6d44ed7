import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { InvalidInputError } from '../../lambdas/domain/errors.js';
import { type OsvRecord, OsvRecordSchema, parseOsvRecord } from '../../lambdas/domain/osv/schema.js';
import { sourcePackagesOf } from '../../lambdas/domain/package-index.js';
import { advisoryPackages } from '../../lambdas/domain/triage/advisory-packages.js';
import { inVersionRange, parseVersionRange } from '../../lambdas/domain/triage/range.js';
import { type TriageReader, triage } from '../../lambdas/domain/triage/triage.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { indexRelease } from '../support/index-release.js';
import { newDigest, newRepository, releaseRecord } from '../support/store-records.js';

const ADVISORIES = fileURLToPath(new URL('../corpus/data/osv-advisories/', import.meta.url));

function advisory(partial: { id?: string; aliases?: string[]; affected: unknown[] }): OsvRecord {
  return OsvRecordSchema.parse({ id: 'TEST-1', ...partial });
}

/** The versions of `versions` that `range` holds for purl type `type`. */
function inside(type: string, range: string, versions: readonly string[]): string[] {
  const parsed = parseVersionRange(range, type);
  return versions.filter((v) => inVersionRange(parsed, v) === true);
}

describe('Function: parseVersionRange / inVersionRange', () => {
  it('orders deb versions the dpkg way: epoch first, tilde below everything', () => {
    expect(inside('deb', '<3.0.13', ['3.0.13~rc1', '3.0.12-1', '3.0.13', '1:1.0', '3.0.11-1~deb12u2'])).toEqual([
      '3.0.13~rc1',
      '3.0.12-1',
      '3.0.11-1~deb12u2',
    ]);
    expect(inside('deb', '>=1:0', ['1:1.0', '9.9'])).toEqual(['1:1.0']);
  });

  it('orders rpm versions the rpmvercmp way, epoch included', () => {
    expect(inside('rpm', '<3.0.7-27.el9', ['3.0.7-26.el9', '3.0.7-27.el9', '3.0.7-3.el9', '1:3.0.1-1.el9'])).toEqual([
      '3.0.7-26.el9',
      '3.0.7-3.el9',
    ]);
  });

  it('orders apk versions the apk-tools way (revisions, _rc)', () => {
    expect(inside('apk', '<3.1.4-r6', ['3.1.4-r5', '3.1.4-r6', '3.1.4_rc1-r0', '3.1.10-r0'])).toEqual([
      '3.1.4-r5',
      '3.1.4_rc1-r0',
    ]);
  });

  it('orders npm versions by SemVer precedence (pre-releases below the release)', () => {
    expect(inside('npm', '>=1.2.0 <1.4.0', ['1.2.0-beta.1', '1.2.0', '1.3.9', '1.4.0', '1.10.0'])).toEqual([
      '1.2.0',
      '1.3.9',
    ]);
  });

  it('orders pypi versions by PEP 440 (rc below, post above), with comma-separated constraints', () => {
    expect(inside('pypi', '>=1.2,<1.4', ['1.2rc1', '1.2', '1.2.post1', '1.3.0', '1.4', '1!1.0'])).toEqual([
      '1.2',
      '1.2.post1',
      '1.3.0',
    ]);
  });

  it('reads `||` as alternatives and a bare version as equality', () => {
    expect(inside('npm', '<1.0.0 || 2.0.0', ['0.9.0', '1.5.0', '2.0.0'])).toEqual(['0.9.0', '2.0.0']);
  });

  it('says a version the ecosystem cannot order is not evaluable (null), never outside', () => {
    expect(inVersionRange(parseVersionRange('<3.0.13', 'deb'), 'not-a-version!')).toBeNull();
  });

  describe('when the range is malformed', () => {
    it.each([
      ['empty', '', 'deb'],
      ['operator without version', '<', 'deb'],
      ['doubled operator', '<<1.0', 'deb'],
      ['unknown operator', '~>1.0', 'npm'],
      ['not a version of the ecosystem', '<abc', 'deb'],
      ['empty alternative', '<1.0.0 ||', 'npm'],
    ])('throws InvalidInputError naming the range (%s)', (_what, range, type) => {
      expect(() => parseVersionRange(range, type)).toThrow(InvalidInputError);
      expect(() => parseVersionRange(range, type)).toThrow(/^range: /);
    });

    it('throws for an ecosystem without a version ordering', () => {
      expect(() => parseVersionRange('<1', 'generic')).toThrow(/range: no version ordering is known for "generic"/);
    });
  });
});

describe('Function: advisoryPackages', () => {
  it('names one partition per affected package, from the OSV ecosystem and name', () => {
    const record = advisory({
      affected: [
        { package: { ecosystem: 'Debian:12', name: 'openssl' } },
        { package: { ecosystem: 'Alpine:v3.19', name: 'openssl' } },
        { package: { ecosystem: 'npm', name: '@acme/left-pad' } },
        { package: { ecosystem: 'PyPI', name: 'Django_Foo' } },
        { package: { ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core' } },
        { package: { ecosystem: 'Go', name: 'github.com/gin-gonic/gin' } },
        { package: { ecosystem: 'OSS-Fuzz', name: 'thing' } },
      ],
    });

    const { bases, unqueried } = advisoryPackages(record);

    expect(bases).toEqual([
      'pkg:apk/alpine/openssl',
      'pkg:deb/debian/openssl',
      'pkg:golang/github.com/gin-gonic/gin',
      'pkg:maven/org.apache.logging.log4j/log4j-core',
      'pkg:npm/%40acme/left-pad',
      'pkg:pypi/django-foo',
    ]);
    expect(unqueried).toEqual([expect.objectContaining({ ecosystem: 'OSS-Fuzz', name: 'thing' })]);
  });
});

describe('Function: sourcePackagesOf', () => {
  it('maps a deb binary to its source (purl `upstream`, SBOM source info) and an apk to its origin', () => {
    const libssl = 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl';
    const libcrypto = 'pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1';
    const libc = 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12';

    const sources = sourcePackagesOf([
      { name: 'libssl3', purl: libssl, licenses: [], scope: 'os' },
      { name: 'libcrypto3', purl: libcrypto, licenses: [], scope: 'os', source: { name: 'openssl' } },
      { name: 'libc6', purl: libc, licenses: [], scope: 'os', source: { name: 'glibc', version: '2.36-9+deb12u4' } },
      { name: 'left-pad', purl: 'pkg:npm/left-pad@1.3.0', licenses: [], scope: 'application' },
    ]);

    expect(sources).toEqual([
      { purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u2', binary: libssl },
      { purl: 'pkg:apk/alpine/openssl@3.1.4-r5', binary: libcrypto },
      { purl: 'pkg:deb/debian/glibc@2.36-9+deb12u4', binary: libc },
    ]);
  });
});

/** A store with releases; `index` lists each release's purls (and source packages). */
async function world(
  releases: {
    purls: string[];
    sources?: { purl: string; binary: string }[];
    state?: 'PROMOTED' | 'QUARANTINED';
    promotedAt?: string;
  }[],
) {
  const store = new MemoryStore();
  const repository = newRepository();
  const digests: Digest[] = [];
  for (const r of releases) {
    const digest = newDigest();
    digests.push(digest);
    await store.recordRelease(releaseRecord(repository, digest, { state: 'AWAITING_APPROVAL' }));
    await indexRelease(store, repository, digest, r.purls, r.sources ?? [], store);
    if (r.state !== undefined) await store.updateReleaseState(repository, digest, r.state);
    if (r.promotedAt !== undefined) {
      await store.appendPromotion({
        repository,
        digest,
        promotedAt: r.promotedAt,
        targetRepository: `prod/${repository}`,
        tag: 'v1',
      });
    }
  }
  return { store, repository, digests };
}

/** Counts the index partitions read, and every other read (`method argument`). */
function counting(store: TriageReader): { reader: TriageReader; queries: string[]; reads: string[] } {
  const queries: string[] = [];
  const reads: string[] = [];
  const reader: TriageReader = {
    findByPackage: (p) => {
      queries.push(p);
      return store.findByPackage(p);
    },
    listIndexNodes: (r) => {
      reads.push(`listIndexNodes ${r}`);
      return store.listIndexNodes(r);
    },
    findByVulnerability: (id) => store.findByVulnerability(id),
    getReleaseStatuses: (keys, options) => {
      reads.push(`getReleaseStatuses ${keys.length}`);
      return store.getReleaseStatuses(keys, options);
    },
    listPromotionsWithStates: (r) => {
      reads.push(`listPromotionsWithStates ${r}`);
      return store.listPromotionsWithStates(r);
    },
    listParentIndexes: (r, d) => {
      reads.push(`listParentIndexes ${d}`);
      return store.listParentIndexes(r, d);
    },
  };
  return { reader, queries, reads };
}

describe('Function: triage', () => {
  describe('with a range', () => {
    it('answers the releases with a version in range, with state, live flag and windows', async () => {
      // Prepare
      const { store, digests } = await world([
        {
          purls: ['pkg:deb/debian/openssl@3.0.11-1?distro=debian-12'],
          state: 'PROMOTED',
          promotedAt: '2026-01-01T00:00:00.000Z',
        },
        {
          purls: ['pkg:deb/debian/openssl@3.0.13-1?distro=debian-12'],
          state: 'PROMOTED',
          promotedAt: '2026-02-01T00:00:00.000Z',
        },
        { purls: ['pkg:deb/debian/openssl@3.0.12-1?distro=debian-12'], state: 'QUARANTINED' },
      ]);

      // Act
      const answer = await triage(store, { kind: 'range', purl: 'pkg:deb/debian/openssl', range: '<3.0.13' });

      // Assess
      expect(answer.queries).toBe(1);
      const byDigest = new Map(answer.releases.map((r) => [r.digest, r]));
      expect([...byDigest.keys()].sort()).toEqual([digests[0], digests[2]].sort());
      expect(byDigest.get(digests[0] as Digest)).toMatchObject({
        status: 'PROMOTED',
        state: 'PROMOTED',
        liveNow: false,
        windows: [{ from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' }],
        matches: [{ package: 'pkg:deb/debian/openssl', version: '3.0.11-1', by: 'range' }],
      });
      expect(byDigest.get(digests[2] as Digest)).toMatchObject({ status: 'QUARANTINED', liveNow: false, windows: [] });
    });

    it('marks the latest promotion of the repository as live, with an open window', async () => {
      // Prepare
      const { store, digests } = await world([
        { purls: ['pkg:npm/minimist@1.2.5'], state: 'PROMOTED', promotedAt: '2026-01-01T00:00:00.000Z' },
        { purls: ['pkg:npm/minimist@1.2.6'], state: 'PROMOTED', promotedAt: '2026-02-01T00:00:00.000Z' },
      ]);

      // Act
      const answer = await triage(store, { kind: 'range', purl: 'pkg:npm/minimist', range: '>=1.2.0' });

      // Assess
      const live = answer.releases.find((r) => r.digest === digests[1]);
      expect(live).toMatchObject({
        status: 'LIVE',
        liveNow: true,
        windows: [{ from: '2026-02-01T00:00:00.000Z', to: null }],
      });
    });

    it('finds a binary through its source package entry', async () => {
      // Prepare
      const libssl = 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12';
      const { store, digests } = await world([
        { purls: [libssl], sources: [{ purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u2', binary: libssl }] },
      ]);

      // Act
      const answer = await triage(store, { kind: 'range', purl: 'pkg:deb/debian/openssl', range: '<3.0.13' });

      // Assess
      expect(answer.releases).toEqual([
        expect.objectContaining({
          digest: digests[0],
          status: 'AWAITING_APPROVAL',
          matches: [
            { package: 'pkg:deb/debian/openssl', version: '3.0.11-1~deb12u2', components: [libssl], by: 'range' },
          ],
        }),
      ]);
    });

    it('answers a platform manifest indexed on its own under the index that is the release', async () => {
      // Prepare
      const { store, repository, digests } = await world([
        { purls: [], state: 'PROMOTED', promotedAt: '2026-03-01T00:00:00.000Z' },
      ]);
      const index = digests[0] as Digest;
      const platform = newDigest();
      await store.recordParentIndex(repository, platform, index);
      await indexRelease(store, repository, platform, ['pkg:npm/minimist@1.2.5']);

      // Act
      const answer = await triage(store, { kind: 'range', purl: 'pkg:npm/minimist', range: '<1.2.6' });

      // Assess
      expect(answer.releases).toEqual([
        expect.objectContaining({ digest: index, status: 'LIVE', platforms: [platform] }),
      ]);
    });

    it('throws InvalidInputError for a malformed range or purl', async () => {
      const store = new MemoryStore();
      await expect(triage(store, { kind: 'range', purl: 'pkg:deb/debian/openssl', range: '<<3' })).rejects.toThrow(
        /^range: /,
      );
      await expect(triage(store, { kind: 'range', purl: 'openssl', range: '<3' })).rejects.toBeInstanceOf(
        InvalidInputError,
      );
    });
  });

  describe('when several packages match in several releases of one repository', () => {
    it('reads the releases hit in one batch and the track once, and reads nothing twice', async () => {
      // Prepare: three promoted releases, each with two packages of the advisory; one revoked.
      const { store, repository, digests } = await world(
        ['2026-01-01', '2026-02-01', '2026-03-01'].map((day) => ({
          purls: ['pkg:npm/lodash@4.17.20', 'pkg:npm/underscore@1.12.0'],
          state: 'PROMOTED' as const,
          promotedAt: `${day}T00:00:00.000Z`,
        })),
      );
      const revoked = { repository, digest: digests[0] as Digest, revokedAt: 'x', revokedBy: 'o', reason: 'CVE' };
      await store.revokeRelease(revoked);
      const record = advisory({
        affected: ['lodash', 'underscore'].map((name) => ({
          package: { ecosystem: 'npm', name },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '9.0.0' }] }],
        })),
      });
      const { reader, reads } = counting(store);

      // Act
      const answer = await triage(reader, { kind: 'advisory', advisory: record });

      // Assess
      // The repository's index nodes once, for both packages.
      expect(reads).toEqual([
        `listIndexNodes ${repository}`,
        `listPromotionsWithStates ${repository}`,
        'getReleaseStatuses 3',
      ]);
      expect(answer.releases.map((r) => [r.digest, r.status, r.matches.length])).toEqual(
        [
          [digests[0], 'REVOKED', 2],
          [digests[1], 'PROMOTED', 2],
          [digests[2], 'LIVE', 2],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      expect(answer.releases.find((r) => r.digest === digests[0])?.revoked).toEqual({
        at: 'x',
        by: 'o',
        reason: 'CVE',
      });
    });
  });

  describe('with an OSV advisory (the scan matcher)', () => {
    it('honours last_affected and limit, and the ecosystem release of each component', async () => {
      // Prepare
      const { store, digests } = await world([
        { purls: ['pkg:deb/debian/curl@7.88.1-10?distro=debian-12'] },
        { purls: ['pkg:deb/debian/curl@7.88.1-11?distro=debian-12'] },
        { purls: ['pkg:deb/debian/curl@7.74.0-1.3?distro=debian-11'] },
        { purls: ['pkg:npm/lodash@4.17.20'] },
        { purls: ['pkg:npm/lodash@5.0.0'] },
      ]);
      const record = advisory({
        affected: [
          {
            package: { ecosystem: 'Debian:12', name: 'curl' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '7.88.1-10' }] }],
          },
          {
            package: { ecosystem: 'npm', name: 'lodash' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { limit: '5.0.0' }] }],
          },
          { package: { ecosystem: 'PyPI', name: 'lodash' }, versions: ['4.17.20'] },
        ],
      });
      const { reader, queries } = counting(store);

      // Act
      const answer = await triage(reader, { kind: 'advisory', advisory: record });

      // Assess
      expect(answer.releases.map((r) => r.digest).sort()).toEqual([digests[0], digests[3]].sort());
      expect(queries.sort()).toEqual(['pkg:deb/debian/curl', 'pkg:npm/lodash', 'pkg:pypi/lodash']);
      expect(answer.queries).toBe(3);
    });

    it('matches the real Debian DSA-3029-1 (nginx, Debian:7) through the index', async () => {
      // Prepare
      const record = parseOsvRecord(readFileSync(`${ADVISORIES}Debian/DSA-3029-1.json`), 'json');
      const { store, digests } = await world([
        { purls: ['pkg:deb/debian/nginx@1.2.1-2.2+wheezy2?distro=debian-7'] },
        { purls: ['pkg:deb/debian/nginx@1.2.1-2.2+wheezy3?distro=debian-7'] },
        { purls: ['pkg:deb/debian/nginx@1.2.1-2.2?distro=debian-8'] },
      ]);

      // Act
      const answer = await triage(store, { kind: 'advisory', advisory: record });

      // Assess
      expect(answer.releases).toEqual([
        expect.objectContaining({
          digest: digests[0],
          matches: [
            expect.objectContaining({ version: '1.2.1-2.2+wheezy2', by: 'DSA-3029-1', fixedIn: '1.2.1-2.2+wheezy3' }),
          ],
        }),
      ]);
    });

    it('lists a package the advisory names by purl but no OSV ecosystem covers as not evaluable', async () => {
      // Prepare
      const { store, digests } = await world([{ purls: ['pkg:rpm/amzn/openssl@1.0.2k-24.amzn2?distro=amzn-2'] }]);
      const record = advisory({
        affected: [
          {
            package: { ecosystem: 'Amazon Linux:2', name: 'openssl', purl: 'pkg:rpm/amzn/openssl' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0.2k-25.amzn2' }] }],
          },
        ],
      });

      // Act
      const answer = await triage(store, { kind: 'advisory', advisory: record });

      // Assess
      expect(answer.releases).toEqual([
        expect.objectContaining({
          digest: digests[0],
          matches: [expect.objectContaining({ notEvaluable: expect.stringContaining('has no OSV ecosystem') })],
        }),
      ]);
      expect(answer.unqueried).toEqual([]);
    });

    it('never matches a withdrawn advisory', async () => {
      const record = parseOsvRecord(readFileSync(`${ADVISORIES}PyPI/PYSEC-2021-63.withdrawn.json`), 'json');
      const { store } = await world([{ purls: ['pkg:pypi/cryptography@3.2'] }]);
      expect((await triage(store, { kind: 'advisory', advisory: record })).releases).toEqual([]);
    });
  });

  describe('with a vulnerability id', () => {
    it('answers the releases the gate scan reported, plus those a matching advisory finds', async () => {
      // Prepare
      const { store, repository, digests } = await world([
        { purls: ['pkg:npm/minimist@1.2.5'] },
        { purls: ['pkg:npm/minimist@1.2.0'] },
      ]);
      await store.indexVulnerabilities(repository, digests[0] as Digest, ['CVE-2021-44906']);
      const record = advisory({
        id: 'GHSA-xvch-5gv4-984h',
        aliases: ['CVE-2021-44906'],
        affected: [
          {
            package: { ecosystem: 'npm', name: 'minimist' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.6' }] }],
          },
        ],
      });
      const unrelated = advisory({ id: 'GHSA-other', affected: [{ package: { ecosystem: 'npm', name: 'x' } }] });

      // Act
      const answer = await triage(store, {
        kind: 'vulnerability',
        id: 'cve-2021-44906',
        advisories: [record, unrelated],
      });

      // Assess
      expect(answer.releases.map((r) => r.digest).sort()).toEqual([...digests].sort());
      const first = answer.releases.find((r) => r.digest === digests[0]);
      expect(first?.matches.map((m) => m.by).sort()).toEqual(['GHSA-xvch-5gv4-984h', 'scan']);
      expect(answer.queries).toBe(2);
    });
  });
});
