/**
 * RPM version ordering (issue 10, finding 23). The `rpmvercmp` pairs are the cases rpm's own test
 * suite checks (tests/rpmvercmp.at, facts only), which cover tilde, caret, alphanumeric segments,
 * leading zeros and separators; the EVR cases add epoch and release.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareVersions } from '../../lambdas/domain/versions/index.js';
import { compare, isValid, parseRpmVersion, rpmvercmp } from '../../lambdas/domain/versions/rpm.js';

const RPMVERCMP_CASES: readonly (readonly [string, string, -1 | 0 | 1])[] = [
  ['1.0', '1.0', 0],
  ['1.0', '2.0', -1],
  ['2.0.1', '2.0.1', 0],
  ['2.0', '2.0.1', -1],
  ['2.0.1a', '2.0.1', 1],
  ['5.5p1', '5.5p2', -1],
  ['5.5p1', '5.5p10', -1],
  ['10xyz', '10.1xyz', -1],
  ['xyz10', 'xyz10.1', -1],
  ['xyz.4', '8', -1],
  ['xyz.4', '2', -1],
  ['5.5p2', '5.6p1', -1],
  ['5.6p1', '6.5p1', -1],
  ['6.0.rc1', '6.0', 1],
  ['10b2', '10a1', 1],
  ['10a2', '10b2', -1],
  ['1.0a', '1.0aa', -1],
  // Leading zeros: a number, not a string.
  ['10.0001', '10.1', 0],
  ['10.0001', '10.0039', -1],
  ['4.999.9', '5.0', -1],
  ['20101121', '20101122', -1],
  // Separators are all alike.
  ['2.0', '2_0', 0],
  ['a+', 'a_', 0],
  ['+a', '_a', 0],
  ['_+', '_', 0],
  ['+', '_', 0],
  // Tilde sorts before anything, the end of the string included.
  ['1.0~rc1', '1.0', -1],
  ['1.0~rc1', '1.0~rc2', -1],
  ['1.0~rc1~git123', '1.0~rc1', -1],
  // Caret sorts after the base version but before anything else.
  ['1.0^', '1.0', 1],
  ['1.0^git1', '1.0', 1],
  ['1.0^git1', '1.0^git2', -1],
  ['1.0^git1', '1.01', -1],
  ['1.0^20160101', '1.0.1', -1],
  ['1.0^20160102', '1.0^20160101^git1', 1],
  ['1.0~rc1^git1', '1.0~rc1', 1],
  ['1.0^git1', '1.0^git1~pre', 1],
];

describe('Function: rpmvercmp', () => {
  it.each(RPMVERCMP_CASES)('compares %s with %s as %d (and the reverse as its opposite)', (a, b, expected) => {
    // Act
    const forward = rpmvercmp(a, b);
    const backward = rpmvercmp(b, a);

    // Assess
    expect(forward).toBe(expected);
    expect(backward).toBe(-expected || 0);
  });
});

describe('Function: compare (epoch:version-release)', () => {
  it.each([
    ['1:1.0.2k-16.el7', '1.0.2k-19.el7', 1, 'a missing epoch is 0'],
    ['0:1.0-1', '1.0-1', 0, 'epoch 0 is the missing epoch'],
    ['1:1.0.2k-16.el7', '1:1.0.2k-19.el7', -1, 'the release decides when epoch and version are equal'],
    ['1:1.0.2k-16.el7', '1:1.0.2k-16.el7_9', -1, 'a longer release with more segments is newer'],
    ['3.0.7-27.el9', '3.0.7', 1, 'a missing release sorts first'],
    ['2:0.1-1', '1:99-1', 1, 'the epoch outranks the version'],
    ['1.0~rc1-1', '1.0-1', -1, 'tilde in the version'],
  ] as const)('compares %s with %s as %d (%s)', (a, b, expected, _why) => {
    // Act
    const result = compare(a, b);

    // Assess
    expect(result).toBe(expected);
  });

  it('is the ordering of every RPM ecosystem and of the rpm purl type', () => {
    // Act
    const results = [
      'Red Hat:enterprise_linux:9::appstream',
      'AlmaLinux:9',
      'Rocky Linux:8',
      'openEuler:22.03-LTS',
      'SUSE:Linux Enterprise Server 15 SP5',
      'openSUSE:Leap 15.5',
      'Mageia:9',
      'rpm',
    ].map((ecosystem) => compareVersions(ecosystem, '1:3.0.7-25.el9', '1:3.0.7-27.el9'));

    // Assess
    expect(results.every((r) => r === -1)).toBe(true);
  });

  it('parses epoch, version and release', () => {
    // Act
    const parsed = parseRpmVersion('1:3.0.7-27.el9');

    // Assess
    expect(parsed).toEqual({ epoch: 1n, version: '3.0.7', release: '27.el9' });
  });

  it.each(['', 'x:1.0-1', '1.0-1-2', '1.0 -1', ':1.0'])('refuses %j as an RPM version', (version) => {
    // Act
    const valid = isValid(version);

    // Assess
    expect(valid).toBe(false);
  });

  describe('as an order (property)', () => {
    const segment = fc.string({
      unit: fc.constantFrom('0', '1', '9', 'a', 'z', 'A', '.', '_', '+', '~', '^'),
      minLength: 1,
      maxLength: 6,
    });
    const evr = fc
      .tuple(
        fc.option(fc.constantFrom('0', '1', '2'), { nil: undefined }),
        segment,
        fc.option(segment, { nil: undefined }),
      )
      .map(([e, v, r]) => `${e === undefined ? '' : `${e}:`}${v}${r === undefined ? '' : `-${r}`}`)
      .filter((s) => isValid(s));

    it('is antisymmetric and reflexive', () => {
      fc.assert(
        fc.property(evr, evr, (a, b) => {
          expect(compare(a, a)).toBe(0);
          expect(compare(a, b)).toBe(-compare(b, a) || 0);
        }),
      );
    });

    it('is transitive', () => {
      fc.assert(
        fc.property(evr, evr, evr, (a, b, c) => {
          fc.pre(compare(a, b) <= 0 && compare(b, c) <= 0);
          expect(compare(a, c)).toBeLessThanOrEqual(0);
        }),
      );
    });
  });
});
