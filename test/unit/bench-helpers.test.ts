/**
 * The benchmark's helpers (bench/): its statistics and its synthetic inputs. The figures themselves
 * are printed, never asserted; these tests only check that what the bench measures is what it says.
 */
import { describe, expect, it } from 'vitest';
import { formatTable, percentile, perSecond } from '../../bench/report.js';
import { syntheticComponents, syntheticCycloneDx, syntheticPackages } from '../../bench/synthetic.js';
import { parseOsvRecord } from '../../lambdas/domain/osv/schema.js';
import { parseSbom } from '../../lambdas/domain/sbom/parse.js';
import { scanComponents } from '../../lambdas/domain/scan/local-scanner.js';

describe('Function: percentile', () => {
  describe('when given unsorted values', () => {
    it('returns the nearest-rank percentile', () => {
      // Prepare
      const values = [50, 10, 40, 20, 30, 100, 90, 80, 70, 60];

      // Act
      const p50 = percentile(values, 50);
      const p95 = percentile(values, 95);
      const p100 = percentile(values, 100);

      // Assess
      expect([p50, p95, p100]).toEqual([50, 100, 100]);
    });
  });

  describe('when given no values', () => {
    it('returns undefined', () => {
      // Act & Assess
      expect(percentile([], 50)).toBeUndefined();
    });
  });
});

describe('Function: perSecond', () => {
  describe('when 250 operations take 500 ms', () => {
    it('returns 500 per second', () => {
      // Act & Assess
      expect(perSecond(250, 500)).toBe(500);
    });
  });
});

describe('Function: formatTable', () => {
  describe('when cells are wider than the headers', () => {
    it('aligns every column to its widest cell', () => {
      // Prepare
      const columns = [{ header: 'name' }, { header: 'n' }];

      // Act
      const lines = formatTable(columns, [
        ['a', 1],
        ['longer name', 12_345],
      ]).split('\n');

      // Assess
      expect(lines).toEqual([
        'name              n',
        '───────────  ──────',
        'a                 1',
        'longer name  12,345',
      ]);
    });
  });
});

describe('Function: syntheticCycloneDx', () => {
  describe('when built from 1,000 synthetic packages', () => {
    it('parses to 1,000 distinct components plus the operating system', () => {
      // Prepare
      const packages = syntheticPackages(1_000);

      // Act
      const sbom = parseSbom(syntheticCycloneDx(packages));

      // Assess
      const purls = new Set(sbom.components.map((c) => c.purl).filter((p) => p !== undefined));
      expect(sbom.components).toHaveLength(1_001);
      expect(purls.size).toBe(1_000);
      expect(new Set(sbom.components.map((c) => c.ecosystem))).toEqual(new Set(['npm', 'pypi', 'deb', undefined]));
    });
  });

  describe('when built twice with the same seed', () => {
    it('is byte-identical (runs measure the same work)', () => {
      // Act
      const a = syntheticCycloneDx(syntheticPackages(200, 5));
      const b = syntheticCycloneDx(syntheticPackages(200, 5));

      // Assess
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    });
  });
});

describe('Function: syntheticComponents', () => {
  const advisory = parseOsvRecord(
    JSON.stringify({
      id: 'GHSA-test-0000-0000',
      aliases: ['CVE-2099-0001'],
      affected: [
        {
          package: { ecosystem: 'npm', name: 'leftpad-bench' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '6.0.0' }] }],
        },
      ],
    }),
    'json',
  );

  describe('when half of the components should hit advisory packages', () => {
    it('names the advisory package in that share, and the scanner evaluates every component', () => {
      // Prepare
      const count = 400;

      // Act
      const components = syntheticComponents(count, [advisory], 0.5);
      const report = scanComponents(components, [advisory]);

      // Assess
      const hits = components.filter((c) => c.name === 'leftpad-bench');
      expect(components).toHaveLength(count);
      expect(hits).toHaveLength(200);
      expect(report.unevaluated).toEqual([]);
      expect(report.findings.length).toBeGreaterThan(0);
      expect(report.findings.length).toBeLessThan(hits.length);
    });
  });
});
