/**
 * CVSS v3 base scores computed from vectors, checked against the scores published for the same
 * vectors (NVD / GitHub advisories, and the baseScore Amazon Inspector returns in the vendored
 * ECR response).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cvss3BaseScore, cvssRating, severityOf } from '../../lambdas/domain/osv/match.js';
import { OsvRecordSchema } from '../../lambdas/domain/osv/schema.js';

describe('Function: cvss3BaseScore', () => {
  describe('when the vector is a published one', () => {
    it.each([
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0, 'CVE-2021-44228 (log4j)'],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, 'CVE-2021-44906 (minimist)'],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H', 9.1, 'CVE-2019-10744 (lodash)'],
      ['CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:H', 9.0, 'CVE-2023-6730 (transformers)'],
      ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N', 8.1, 'CVE-2023-43804 (NVD, via PYSEC)'],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5, 'CVE-2024-8768 (vllm)'],
      ['CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N', 6.1, 'CVE-2023-32681 (requests)'],
      ['CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:N', 5.9, 'CVE-2023-43804 (GHSA)'],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N', 5.4, 'CVE-2024-22195 (jinja2)'],
      ['CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N', 4.7, 'CVE-2018-5407 (openssl)'],
      ['CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N', 4.4, 'CVE-2024-37891 (urllib3)'],
    ])('scores %s as %d (%s)', (vector, expected) => {
      // Act
      const score = cvss3BaseScore(vector);

      // Assess
      expect(score).toBe(expected);
    });

    it('agrees with the baseScore in the vendored Inspector finding', () => {
      // Prepare
      const file = fileURLToPath(
        new URL('../corpus/data/ecr-scan-findings/moto-describe-image-scan-findings-enhanced.json', import.meta.url),
      );
      const Cvss = z.object({ baseScore: z.number(), scoringVector: z.string(), version: z.string() });
      const response = z
        .object({
          imageScanFindings: z.object({
            enhancedFindings: z.array(z.object({ packageVulnerabilityDetails: z.object({ cvss: z.array(Cvss) }) })),
          }),
        })
        .parse(JSON.parse(readFileSync(file, 'utf8')));
      const scored = response.imageScanFindings.enhancedFindings.flatMap((f) => f.packageVulnerabilityDetails.cvss);

      // Act
      const computed = scored.map((c) => cvss3BaseScore(c.scoringVector));

      // Assess
      expect(scored.length).toBeGreaterThan(0);
      expect(computed).toEqual(scored.map((c) => c.baseScore));
    });
  });

  describe('when no impact metric is set', () => {
    it('scores 0', () => {
      // Act
      const score = cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N');

      // Assess
      expect(score).toBe(0);
    });
  });

  describe('when temporal and environmental metrics are present', () => {
    it('ignores them for the base score', () => {
      // Act
      const score = cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U/CR:L');

      // Assess
      expect(score).toBe(9.8);
    });
  });

  describe('when the vector is malformed', () => {
    it.each([
      ['a CVSS v2 vector', 'AV:N/AC:L/Au:N/C:P/I:P/A:P'],
      ['a CVSS v4 vector', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N'],
      ['a missing base metric', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H'],
      ['a duplicated metric', 'CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
      ['an unknown metric value', 'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
      ['an unknown metric', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1'],
    ])('throws for %s', (_, vector) => {
      // Act
      const act = () => cvss3BaseScore(vector);

      // Assess
      expect(act).toThrow();
    });
  });
});

describe('Function: cvssRating', () => {
  it.each([
    [10, 'CRITICAL'],
    [9.0, 'CRITICAL'],
    [8.9, 'HIGH'],
    [7.0, 'HIGH'],
    [6.9, 'MEDIUM'],
    [4.0, 'MEDIUM'],
    [3.9, 'LOW'],
    [0.1, 'LOW'],
    [0, 'LOW'],
  ] as const)('rates %d as %s', (score, expected) => {
    // Act
    const rating = cvssRating(score);

    // Assess
    expect(rating).toBe(expected);
  });
});

describe('Function: severityOf', () => {
  const base = { id: 'TEST-1', affected: [] };

  describe.each([
    [
      'GHSA gives a database severity',
      'maps MODERATE to MEDIUM, whatever the vector says',
      {
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
        database_specific: { severity: 'MODERATE' },
      },
      'MEDIUM',
    ],
    [
      'only CVSS vectors are given',
      'takes the highest rating, including per-package vectors',
      {
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N' }],
        affected: [
          {
            package: { ecosystem: 'npm', name: 'x' },
            severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H' }],
          },
        ],
      },
      'CRITICAL',
    ],
    [
      'the only vector is CVSS v4 or malformed',
      'is UNDEFINED',
      {
        severity: [
          { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N' },
          { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N' },
        ],
      },
      'UNDEFINED',
    ],
  ] as const)('when %s', (_when, then, fields, expected) => {
    it(then, () => {
      // Prepare
      const record = OsvRecordSchema.parse({ ...base, ...fields });

      // Act
      const severity = severityOf(record);

      // Assess
      expect(severity).toBe(expected);
    });
  });
});
