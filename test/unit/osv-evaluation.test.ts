/**
 * The OSV matcher against osv-schema's evaluation algorithm (https://ossf.github.io/osv-schema/,
 * "Evaluation"): sorted events, `introduced: "0"` as the only sentinel, `limit`, `versions`, GIT
 * ranges, and a component whose version is unknown (issue 10, finding 23).
 */
import { describe, expect, it } from 'vitest';
import { collectScan } from '../../lambdas/domain/evidence/scan.js';
import { matchRecord, NotEvaluableError } from '../../lambdas/domain/osv/match.js';
import { type OsvRecord, OsvRecordSchema } from '../../lambdas/domain/osv/schema.js';
import type { Component } from '../../lambdas/domain/sbom/component.js';
import { scanComponents } from '../../lambdas/domain/scan/local-scanner.js';
import { expectEvidence } from '../support/matchers.js';
import { imageContext } from '../support/memory-evidence.js';

function record(affected: unknown[], extra: Record<string, unknown> = {}): OsvRecord {
  return OsvRecordSchema.parse({ id: 'TEST-1', aliases: ['CVE-2099-0001'], affected, ...extra });
}

function entry(ecosystem: string, name: string, fields: Record<string, unknown>) {
  return { package: { ecosystem, name }, ...fields };
}

const ecosystemRange = (...events: Record<string, string>[]) => [{ type: 'ECOSYSTEM', events }];

describe('Function: matchRecord (osv-schema evaluation)', () => {
  describe('when "0" is the version of a fixed or last_affected event', () => {
    it.each([
      // dpkg: `0~rc1` sorts below `0`, so a range fixed at "0" still covers it.
      ['Debian:12', 'foo', '0~rc1', [{ introduced: '0' }, { fixed: '0' }], true],
      ['Debian:12', 'foo', '0', [{ introduced: '0' }, { fixed: '0' }], false],
      // PEP 440: `0.dev1` is a pre-release of 0, so "last_affected 0" includes it; 0.1 is above.
      ['PyPI', 'foo', '0.dev1', [{ introduced: '0' }, { last_affected: '0' }], true],
      ['PyPI', 'foo', '0', [{ introduced: '0' }, { last_affected: '0' }], true],
      ['PyPI', 'foo', '0.1', [{ introduced: '0' }, { last_affected: '0' }], false],
    ] as const)('%s %s %s in %j is affected: %s', (ecosystem, name, version, events, expected) => {
      // Prepare
      const r = record([entry(ecosystem, name, { ranges: ecosystemRange(...events) })]);

      // Act
      const match = matchRecord(r, { ecosystem, name, version });

      // Assess
      expect(match.affected).toBe(expected);
    });
  });

  describe('when an event version cannot be ordered by the ecosystem', () => {
    it.each([
      ['an introduction', [{ introduced: 'not a version' }, { fixed: '2.0.0' }], true],
      ['a fix', [{ introduced: '1.0.0' }, { fixed: 'not a version' }], true],
      ['a last_affected', [{ introduced: '1.0.0' }, { last_affected: 'not a version' }], true],
    ] as const)('reads %s safely: npm 1.5.0 in %j is affected', (_what, events, expected) => {
      // Prepare
      const r = record([entry('npm', 'foo', { ranges: ecosystemRange(...events) })]);

      // Act
      const match = matchRecord(r, { ecosystem: 'npm', name: 'foo', version: '1.5.0' });

      // Assess
      expect(match.affected).toBe(expected);
    });
  });

  describe('when a range has limit events', () => {
    it.each([
      ['1.5.0', [{ introduced: '0' }, { limit: '2.0.0' }], true],
      ['2.0.0', [{ introduced: '0' }, { limit: '2.0.0' }], false],
      ['9.0.0', [{ introduced: '0' }, { limit: '*' }], true],
      ['1.5.0', [{ introduced: '1.0.0' }, { fixed: '1.2.0' }, { limit: '2.0.0' }], false],
    ] as const)('npm %s in %j is affected: %s', (version, events, expected) => {
      // Prepare
      const r = record([entry('npm', 'foo', { ranges: ecosystemRange(...events) })]);

      // Act
      const match = matchRecord(r, { ecosystem: 'npm', name: 'foo', version });

      // Assess
      expect(match.affected).toBe(expected);
    });
  });

  describe('when an entry has only GIT ranges', () => {
    const git = [{ type: 'GIT', repo: 'https://example.com/foo.git', events: [{ introduced: '0' }, { fixed: 'abc' }] }];

    it('cannot be decided without a versions list, so it throws NotEvaluableError', () => {
      // Prepare
      const r = record([entry('npm', 'foo', { ranges: git })]);

      // Act
      const act = () => matchRecord(r, { ecosystem: 'npm', name: 'foo', version: '1.0.0' });

      // Assess
      expect(act).toThrow(NotEvaluableError);
    });

    it('is decided by the versions list when there is one', () => {
      // Prepare
      const r = record([entry('npm', 'foo', { ranges: git, versions: ['1.0.0'] })]);

      // Act
      const listed = matchRecord(r, { ecosystem: 'npm', name: 'foo', version: '1.0.0' });
      const unlisted = matchRecord(r, { ecosystem: 'npm', name: 'foo', version: '1.1.0' });

      // Assess
      expect(listed.affected).toBe(true);
      expect(unlisted.affected).toBe(false);
    });
  });

  describe('when the component version is empty', () => {
    it('is affected by a record naming the package, and says the version is unknown', () => {
      // Prepare
      const r = record([entry('npm', 'foo', { ranges: ecosystemRange({ introduced: '1.0.0' }, { fixed: '1.2.0' }) })]);

      // Act
      const match = matchRecord(r, { ecosystem: 'npm', name: 'foo', version: '' });

      // Assess
      expect(match).toEqual({ affected: true, versionUnknown: true });
    });

    it('is not affected by a record for another package', () => {
      // Prepare
      const r = record([entry('npm', 'bar', { ranges: ecosystemRange({ introduced: '0' }) })]);

      // Act
      const match = matchRecord(r, { ecosystem: 'npm', name: 'foo', version: '' });

      // Assess
      expect(match.affected).toBe(false);
    });
  });
});

describe('Function: scanComponents, a component without a version', () => {
  const minimist = record(
    [entry('npm', 'minimist', { ranges: ecosystemRange({ introduced: '1.0.0' }, { fixed: '1.2.6' }) })],
    { database_specific: { severity: 'CRITICAL' } },
  );
  const unversioned: Component = {
    name: 'minimist',
    purl: 'pkg:npm/minimist',
    licenses: [],
    scope: 'application',
  };

  it('reports the finding as affected, with a note that the version is unknown', () => {
    // Act
    const report = scanComponents([unversioned], [minimist]);

    // Assess
    expect(report.unevaluated).toEqual([]);
    expect(report.findings).toEqual([
      expect.objectContaining({
        id: 'CVE-2099-0001',
        severity: 'CRITICAL',
        packageName: 'minimist',
        packageVersion: '',
        note: expect.stringContaining('no version'),
      }),
    ]);
  });

  it('blocks the scan evidence by its severity, like any other finding', async () => {
    // Prepare
    const report = scanComponents([unversioned], [minimist]);
    const unused = (): never => {
      throw new Error('not used by the scan collector');
    };
    const { ctx } = await imageContext(
      'team/app',
      { scan: {}, attestations: { keys: [] } },
      {
        now: new Date('2026-06-01T00:00:00Z'),
        releases: { getEvidence: unused, lastPromotion: unused },
        documents: { get: unused },
        scans: { getFindings: async () => report },
      },
    );

    // Act
    const result = await collectScan(ctx);

    // Assess
    expectEvidence(result, {
      status: 'FAIL',
      firstReason: /^1 CRITICAL finding \(max 0\): CVE-2099-0001 in minimist \(.*no version/,
    });
  });
});
