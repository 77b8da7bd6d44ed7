/**
 * CVSS base scores computed from vectors (v2, v3.0, v3.1, v4.0), checked against the scores
 * published for the same vectors (NVD / GitHub advisories, FIRST's CVSS v4.0 examples, and the
 * baseScore Amazon Inspector returns in the vendored ECR response).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cvssBaseScore, cvssRating } from '../../lambdas/domain/osv/cvss.js';
import { severityOf } from '../../lambdas/domain/osv/match.js';
import { OsvRecordSchema } from '../../lambdas/domain/osv/schema.js';

describe('Function: cvssBaseScore', () => {
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
      ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N', 8.7, 'GHSA-w2r7-9579-27hf (corpus)'],
      ['CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 7.3, 'CVE-2022-41741 (FIRST v4.0 examples)'],
      ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3, 'CVSS-B of a full network compromise'],
      ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 10, 'the v4.0 maximum'],
      ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5, 'NVD v2, partial impact over the network'],
      ['AV:N/AC:M/Au:N/C:N/I:P/A:N', 4.3, 'NVD v2 cross-site scripting'],
      ['AV:N/AC:L/Au:N/C:C/I:C/A:C', 10, 'the v2 maximum'],
      // FIRST's worked examples: "CVSS v3.1: Examples" (the same vectors score the same under 3.0: the
      // two versions differ only in environmental rounding) and "CVSS v2 Complete Documentation" §3.3.
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1, 'CVE-2013-1937 phpMyAdmin reflected XSS'],
      ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4, 'CVE-2013-0375 MySQL stored SQL injection'],
      ['CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', 3.1, 'CVE-2014-3566 SSLv3 POODLE'],
      ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9, 'CVE-2012-1516 VMware guest to host escape'],
      ['CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L', 4.2, 'CVE-2009-0783 Apache Tomcat XML parser'],
      ['CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 7.8, 'CVE-2015-1098 Apple iWork denial of service'],
      ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N', 6.8, 'CVE-2008-1447 DNS Kaminsky bug'],
      ['CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 6.8, 'CVE-2014-2005 Sophos login screen bypass'],
      ['CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H', 9.3, 'CVE-2013-6014 Juniper proxy ARP denial of service'],
      ['CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N', 4.6, 'CVE-2014-2019 Apple iOS security control bypass'],
      ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N', 7.4, 'CVE-2014-0224 OpenSSL CCS injection'],
      ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5, 'CVE-2014-0160 Heartbleed, as 3.0'],
      ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N', 5.8, 'CVE-2010-0467 Joomla directory traversal, as 3.0'],
      ['CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:H', 7.5, 'CVE-2016-2118 Samba Badlock, as 3.0'],
      ['AV:N/AC:L/Au:N/C:N/I:N/A:C', 7.8, 'CVE-2002-0392 Apache chunked encoding (v2 guide)'],
      ['AV:N/AC:L/Au:N/C:C/I:C/A:C', 10, 'CVE-2003-0818 Microsoft Windows ASN.1 (v2 guide)'],
      ['AV:L/AC:H/Au:N/C:C/I:C/A:C', 6.2, 'CVE-2003-0062 NOD32 buffer overflow (v2 guide)'],
    ])('scores %s as %d (%s)', (vector, expected, _source) => {
      // Act
      const { score } = cvssBaseScore(vector);

      // Assess
      expect(score).toBe(expected);
    });

    it("rounds a v4.0 score that lands just under a tie as FIRST's calculator does (half up, after a 1e-6 lift)", () => {
      // Prepare: value - mean distance is 8.55 on paper and 8.549999… in floating point. FIRST's
      // calculator lifts it by 1e-6 before rounding (cvss-v4-calculator, fix of 2024-11-01); without
      // the lift it scores 8.5, as the older calculator and several npm scorers (cvss4, cvss.js) do.
      const vector = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:L/VA:N/SC:H/SI:H/SA:H';

      // Act
      const { score } = cvssBaseScore(vector);

      // Assess
      expect(score).toBe(8.6);
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
      const computed = scored.map((c) => cvssBaseScore(c.scoringVector).score);

      // Assess
      expect(scored.length).toBeGreaterThan(0);
      expect(computed).toEqual(scored.map((c) => c.baseScore));
    });
  });

  describe('when no impact metric is set', () => {
    it('scores 0', () => {
      // Act
      const { score } = cvssBaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N');

      // Assess
      expect(score).toBe(0);
    });
  });

  describe('when temporal, threat or environmental metrics are present', () => {
    it.each([
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U/CR:L', 9.8],
      ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U', 9.3],
    ])('ignores them for the base score of %s', (vector, expected) => {
      // Act
      const { score } = cvssBaseScore(vector);

      // Assess
      expect(score).toBe(expected);
    });
  });

  describe('when the OSV severity type names another version', () => {
    it('throws', () => {
      // Act
      const act = () => cvssBaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N', 'CVSS_V3');

      // Assess
      expect(act).toThrow('not of severity type CVSS_V3');
    });
  });

  describe('when the vector is malformed', () => {
    it.each([
      ['an unknown version', 'CVSS:5.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
      ['a missing base metric', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H'],
      ['a missing v4 base metric', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N'],
      ['a missing v2 base metric', 'AV:N/AC:L/Au:N/C:P/I:P'],
      ['a duplicated v4 metric', 'CVSS:4.0/AV:N/AV:L/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N'],
      ['not a vector', 'garbage'],
      ['a duplicated metric', 'CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
      ['an unknown metric value', 'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
      ['an unknown metric', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1'],
    ])('throws for %s', (_, vector) => {
      // Act
      const act = () => cvssBaseScore(vector);

      // Assess
      expect(act).toThrow();
    });
  });
});

describe('Function: cvssRating', () => {
  it('has no CRITICAL band for CVSS v2 (NVD: High is 7.0-10.0)', () => {
    // Act
    const rating = cvssRating(10, '2.0');

    // Assess
    expect(rating).toBe('HIGH');
  });

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
      'the only vector is CVSS v4 (it was unscored before)',
      'scores it',
      { severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N' }] },
      'HIGH',
    ],
    [
      'the only vector is CVSS v2',
      'scores it on the v2 scale',
      { severity: [{ type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:C/I:C/A:C' }] },
      'HIGH',
    ],
    [
      'CVSS v3 and v4 vectors are both given',
      'takes the newest version',
      {
        severity: [
          { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
          { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N' },
        ],
      },
      'HIGH',
    ],
    [
      'the v4 vector is malformed and a v3 one is valid',
      'falls back to the v3 vector',
      {
        severity: [
          { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N' },
          { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
        ],
      },
      'CRITICAL',
    ],
    [
      'every vector is malformed',
      'is UNDEFINED (unscored, which the default scan policy caps at 0)',
      {
        severity: [
          { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N' },
          { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N' },
          { type: 'CVSS_V3', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N' },
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
