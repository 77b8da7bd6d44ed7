/**
 * The hand-written CVSS scorer (lambdas/domain/osv/cvss-equations.ts) held to `ae-cvss-calculator`,
 * the library it stands in for in the bundles: on every base vector of every version, and on
 * generated vectors that also set threat, temporal, environmental and supplemental metrics (which
 * a base score ignores).
 */
import aeCvss from 'ae-cvss-calculator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cvssBaseScore } from '../../lambdas/domain/osv/cvss.js';

type Metrics = readonly (readonly [string, readonly string[]])[];

const IMPACT = ['H', 'L', 'N'] as const;
const REQUIREMENT = ['X', 'H', 'M', 'L'] as const;

const V2_BASE: Metrics = [
  ['AV', ['L', 'A', 'N']],
  ['AC', ['H', 'M', 'L']],
  ['Au', ['M', 'S', 'N']],
  ['C', ['N', 'P', 'C']],
  ['I', ['N', 'P', 'C']],
  ['A', ['N', 'P', 'C']],
];
const V2_OTHER: Metrics = [
  ['E', ['U', 'POC', 'F', 'H', 'ND']],
  ['RL', ['OF', 'TF', 'W', 'U', 'ND']],
  ['RC', ['UC', 'UR', 'C', 'ND']],
  ['CDP', ['N', 'L', 'LM', 'MH', 'H', 'ND']],
  ['TD', ['N', 'L', 'M', 'H', 'ND']],
  ['CR', ['L', 'M', 'H', 'ND']],
  ['IR', ['L', 'M', 'H', 'ND']],
  ['AR', ['L', 'M', 'H', 'ND']],
];
const V3_BASE: Metrics = [
  ['AV', ['N', 'A', 'L', 'P']],
  ['AC', ['L', 'H']],
  ['PR', ['N', 'L', 'H']],
  ['UI', ['N', 'R']],
  ['S', ['U', 'C']],
  ['C', IMPACT],
  ['I', IMPACT],
  ['A', IMPACT],
];
const V3_OTHER: Metrics = [
  ['E', ['X', 'H', 'F', 'P', 'U']],
  ['RL', ['X', 'U', 'W', 'T', 'O']],
  ['RC', ['X', 'C', 'R', 'U']],
  ['CR', REQUIREMENT],
  ['IR', REQUIREMENT],
  ['AR', REQUIREMENT],
  ['MAV', ['X', 'N', 'A', 'L', 'P']],
  ['MAC', ['X', 'L', 'H']],
  ['MPR', ['X', 'N', 'L', 'H']],
  ['MUI', ['X', 'N', 'R']],
  ['MS', ['X', 'U', 'C']],
  ['MC', ['X', ...IMPACT]],
  ['MI', ['X', ...IMPACT]],
  ['MA', ['X', ...IMPACT]],
];
const V4_BASE: Metrics = [
  ['AV', ['N', 'A', 'L', 'P']],
  ['AC', ['L', 'H']],
  ['AT', ['N', 'P']],
  ['PR', ['N', 'L', 'H']],
  ['UI', ['N', 'P', 'A']],
  ...(['VC', 'VI', 'VA', 'SC', 'SI', 'SA'] as const).map((m) => [m, IMPACT] as const),
];
const V4_OTHER: Metrics = [
  ['E', ['X', 'A', 'P', 'U']],
  ['CR', REQUIREMENT],
  ['IR', REQUIREMENT],
  ['AR', REQUIREMENT],
  ['MAV', ['X', 'N', 'A', 'L', 'P']],
  ['MAC', ['X', 'L', 'H']],
  ['MAT', ['X', 'N', 'P']],
  ['MPR', ['X', 'N', 'L', 'H']],
  ['MUI', ['X', 'N', 'P', 'A']],
  ['MVC', ['X', ...IMPACT]],
  ['MVI', ['X', ...IMPACT]],
  ['MVA', ['X', ...IMPACT]],
  ['MSC', ['X', ...IMPACT]],
  ['MSI', ['X', 'S', ...IMPACT]],
  ['MSA', ['X', 'S', ...IMPACT]],
  ['S', ['X', 'N', 'P']],
  ['AU', ['X', 'N', 'Y']],
  ['R', ['X', 'A', 'U', 'I']],
  ['V', ['X', 'D', 'C']],
  ['RE', ['X', 'L', 'M', 'H']],
  ['U', ['X', 'Clear', 'Green', 'Amber', 'Red']],
];

const VERSIONS = [
  { version: '2.0', prefix: '', base: V2_BASE, other: V2_OTHER, count: 729 },
  { version: '3.0', prefix: 'CVSS:3.0/', base: V3_BASE, other: V3_OTHER, count: 2_592 },
  { version: '3.1', prefix: 'CVSS:3.1/', base: V3_BASE, other: V3_OTHER, count: 2_592 },
  { version: '4.0', prefix: 'CVSS:4.0/', base: V4_BASE, other: V4_OTHER, count: 104_976 },
] as const;

/** Every combination of the metrics' values, as `M:v` parts. */
function* everyVector(metrics: Metrics, i = 0, parts: readonly string[] = []): Generator<readonly string[]> {
  const metric = metrics[i];
  if (metric === undefined) {
    yield parts;
    return;
  }
  for (const value of metric[1]) yield* everyVector(metrics, i + 1, [...parts, `${metric[0]}:${value}`]);
}

/** ae-cvss-calculator's base score of `vector` (CVSS-B for v4.0), or undefined where it has none. */
function referenceScore(vector: string): number | undefined {
  const parsed = aeCvss.fromVector(vector);
  if (parsed === null || parsed === undefined || !parsed.isBaseFullyDefined()) return undefined;
  const scores = parsed.calculateScores();
  return vector.startsWith('CVSS:4.0/') ? scores.baseMetricsOnly : scores.base;
}

describe('Function: cvssBaseScore (the hand-written equations)', () => {
  describe.each(VERSIONS)('of CVSS $version', ({ prefix, base, other, count }) => {
    it(`scores each of the ${count.toLocaleString('en')} base vectors as ae-cvss-calculator does`, () => {
      // Prepare
      const differ: string[] = [];
      let seen = 0;

      // Act
      for (const parts of everyVector(base)) {
        const vector = prefix + parts.join('/');
        seen++;
        if (cvssBaseScore(vector).score !== referenceScore(vector)) differ.push(vector);
      }

      // Assess
      expect(seen).toBe(count);
      expect(differ).toEqual([]);
    }, 120_000);

    it('scores vectors with any threat, temporal, environmental and supplemental metrics as ae-cvss-calculator does', () => {
      // Prepare
      const values = (metrics: Metrics) =>
        fc.tuple(...metrics.map(([m, vs]) => fc.constantFrom(...vs.map((v) => `${m}:${v}`))));
      const vectors = fc
        .tuple(values(base), values(other))
        .chain(([b, o]) => fc.subarray(o).map((picked) => prefix + [...b, ...picked].join('/')));

      // Act / Assess
      fc.assert(
        fc.property(vectors, (vector) => {
          expect(cvssBaseScore(vector).score).toBe(referenceScore(vector));
        }),
        { numRuns: 2_000 },
      );
    });
  });

  describe('when a metric or value is not of the version', () => {
    it.each([
      [
        'a v4.0 base integrity impact of Safety (only MSI may say S)',
        'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N',
      ],
      ['a v3 metric in a v2 vector', 'AV:N/AC:L/Au:N/C:P/I:P/A:P/MAV:N'],
      ['a v2 value in a v3 vector', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:ND'],
      ['a lower-case value', 'CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
      ['a base metric not defined', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:X/SC:N/SI:N/SA:N'],
    ])('throws for %s', (_, vector) => {
      // Act
      const act = () => cvssBaseScore(vector);

      // Assess
      expect(act).toThrow();
    });
  });
});
