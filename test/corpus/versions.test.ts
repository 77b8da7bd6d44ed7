/**
 * Every ordering vector in test/corpus/data/versions/ (see MANIFEST.md §2) against the gate's
 * comparators. Each file is checked whole; pairs that are left out are listed in EXCLUDED with
 * the reason, and the test fails if an exclusion no longer names a pair of its file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as apk from '../../lambdas/domain/versions/apk.js';
import * as dpkg from '../../lambdas/domain/versions/dpkg.js';
import {
  Comparators,
  type Comparison,
  comparatorFor,
  compareOsvVersions,
  compareVersions,
  type VersionComparator,
} from '../../lambdas/domain/versions/index.js';
import * as pep440 from '../../lambdas/domain/versions/pep440.js';

const DIR = fileURLToPath(new URL('./data/versions/', import.meta.url));

const Cmp = z.union([z.literal(-1), z.literal(0), z.literal(1)]);
const PairSchema = z.object({ a: z.string(), b: z.string(), cmp: Cmp });
type Pair = z.infer<typeof PairSchema>;
const PairsFile = z.object({ pairs: z.array(PairSchema) });

function load<T extends z.ZodType>(file: string, schema: T): z.infer<T> {
  return schema.parse(JSON.parse(readFileSync(`${DIR}${file}`, 'utf8')));
}

interface Exclusion {
  readonly file: string;
  readonly a: string;
  readonly b: string;
  readonly reason: string;
}

const INVALID_APK =
  'both sides are outside apk version syntax; osv-scalibr orders such strings with its own parser ' +
  '(e.g. string comparison when both are invalid), apk-tools has no defined order for them, and the ' +
  'matcher refuses invalid apk versions instead of ordering them';

/** Pairs not checked, each with why. Nothing else is filtered. */
const EXCLUDED: readonly Exclusion[] = [
  { file: 'alpine-osv-scalibr-handwritten.json', a: '0.r1', b: '0r2', reason: INVALID_APK },
  { file: 'alpine-osv-scalibr-handwritten.json', a: '0.8.21.r2', b: '0.8.21r2', reason: INVALID_APK },
  { file: 'alpine-osv-scalibr-handwritten.json', a: '1', b: '1-ruff', reason: INVALID_APK },
  { file: 'alpine-osv-scalibr-handwritten.json', a: '1-ruff2', b: '1--ruff1', reason: INVALID_APK },
  { file: 'alpine-osv-scalibr-handwritten.json', a: '.2', b: '.1', reason: INVALID_APK },
  { file: 'alpine-osv-scalibr-handwritten.json', a: 'a', b: 'b', reason: INVALID_APK },
  { file: 'alpine-osv-scalibr-handwritten.json', a: 'c', b: 'b', reason: INVALID_APK },
  {
    file: 'maven-osv-scalibr-handwritten.json',
    a: '1-1',
    b: '1-ga-1',
    reason:
      "osv-scalibr's hand-written expectation; Maven's ComparableVersion (whose own test vectors and " +
      "scalibr's generated vectors all pass here) normalises `ga` away inside the sub-list, leaving " +
      '[1, [[1]]], which sorts below [1, [1]]',
  },
];

function excluded(file: string, p: Pair): boolean {
  return EXCLUDED.some((e) => e.file === file && e.a === p.a && e.b === p.b);
}

function safeCompare(cmp: (a: string, b: string) => Comparison, a: string, b: string): Comparison | string {
  try {
    return cmp(a, b);
  } catch (err) {
    return `threw ${String(err)}`;
  }
}

/** Compares every pair; returns the mismatches and how many pairs were checked. */
function checkPairs(
  file: string,
  pairs: readonly Pair[],
  cmp: (a: string, b: string) => Comparison,
): { mismatches: string[]; checked: number; skipped: number } {
  const mismatches: string[] = [];
  let checked = 0;
  let skipped = 0;
  for (const p of pairs) {
    if (excluded(file, p)) {
      skipped++;
      continue;
    }
    checked++;
    const got = safeCompare(cmp, p.a, p.b);
    if (got !== p.cmp)
      mismatches.push(`${JSON.stringify(p.a)} vs ${JSON.stringify(p.b)}: expected ${p.cmp}, got ${got}`);
  }
  return { mismatches, checked, skipped };
}

function pairsTest(file: string, comparator: VersionComparator): void {
  describe(`when reading ${file}`, () => {
    it('orders every listed pair as the file says', () => {
      // Prepare
      const { pairs } = load(file, PairsFile);

      // Act
      const result = checkPairs(file, pairs, comparator.compare);

      // Assess
      expect(result.mismatches).toEqual([]);
      expect(result.checked + result.skipped).toBe(pairs.length);
      expect(result.skipped).toBe(EXCLUDED.filter((e) => e.file === file).length);
    });
  });
}

const HANDLED_FILES = new Set<string>();
function handles(file: string): string {
  HANDLED_FILES.add(file);
  return file;
}

describe('Function: version comparators (corpus)', () => {
  describe('when an exclusion is listed', () => {
    it('names a pair that exists in its file', () => {
      // Prepare
      const missing = EXCLUDED.filter((e) => !load(e.file, PairsFile).pairs.some((p) => p.a === e.a && p.b === e.b));

      // Assess
      expect(missing).toEqual([]);
    });

    it('only excludes apk pairs with an invalid side', () => {
      // Prepare
      const apkExclusions = EXCLUDED.filter((e) => e.file.startsWith('alpine-'));

      // Act
      const withValidSides = apkExclusions.filter((e) => apk.isValid(e.a) && apk.isValid(e.b));

      // Assess
      expect(apkExclusions.length).toBeGreaterThan(0);
      expect(withValidSides).toEqual([]);
    });
  });

  describe('Comparator: apk', () => {
    pairsTest(handles('alpine-apk-tools-version-data.json'), Comparators.apk);
    pairsTest(handles('alpine-osv-scalibr-handwritten.json'), Comparators.apk);
    pairsTest(handles('alpine-osv-scalibr-generated-sample.json'), Comparators.apk);

    const ApkExtras = z.object({
      fuzzy_ops: z.array(
        z.object({ a: z.string(), op: z.enum(apk.APK_OPERATORS), b: z.string(), expect: z.boolean() }),
      ),
      valid: z.array(z.string()),
      invalid: z.array(z.string()),
    });

    it('evaluates every fuzzy operator case of apk-tools', () => {
      // Prepare
      const { fuzzy_ops } = load('alpine-apk-tools-version-data.json', ApkExtras);

      // Act
      const wrong = fuzzy_ops.filter((f) => apk.satisfies(f.a, f.op, f.b) !== f.expect);

      // Assess
      expect(fuzzy_ops.length).toBe(16);
      expect(wrong).toEqual([]);
    });

    it('accepts every valid and rejects every invalid version of apk-tools', () => {
      // Prepare
      const { valid, invalid } = load('alpine-apk-tools-version-data.json', ApkExtras);

      // Act
      const rejected = valid.filter((v) => !apk.isValid(v));
      const accepted = invalid.filter((v) => apk.isValid(v));

      // Assess
      expect(rejected).toEqual([]);
      expect(accepted).toEqual([]);
    });
  });

  describe('Comparator: dpkg', () => {
    pairsTest(handles('debian-osv-scalibr-handwritten.json'), Comparators.dpkg);
    pairsTest(handles('debian-osv-scalibr-generated-sample.json'), Comparators.dpkg);

    const DpkgSuite = z.object({
      pairs: z.array(PairSchema),
      c_struct_pairs: z.array(PairSchema),
      parse_equivalences: z.array(
        z.object({ input: z.string(), epoch: z.number(), upstream: z.string(), revision: z.string() }),
      ),
      invalid: z.array(z.string()),
      perl_Dpkg_Version_invalid: z.array(z.string()),
      'invalid_upstream_chars_in_position_of_a_in_0:0a-0': z.string(),
      'invalid_revision_chars_after_0:0-0': z.string(),
      warn_only_upstream_not_starting_with_digit: z.array(z.string()),
    });
    const file = handles('debian-dpkg-testsuite.json');

    it('orders every pair of the dpkg test suite (Dpkg_Version.t and t-version.c)', () => {
      // Prepare
      const suite = load(file, DpkgSuite);

      // Act
      const perl = checkPairs(file, suite.pairs, dpkg.compare);
      const c = checkPairs(file, suite.c_struct_pairs, dpkg.compare);

      // Assess
      expect(perl.mismatches).toEqual([]);
      expect(c.mismatches).toEqual([]);
      expect(perl.checked + c.checked).toBe(57);
    });

    it('splits every parse-equivalence input into epoch, upstream and revision', () => {
      // Prepare
      const suite = load(file, DpkgSuite);

      // Act
      const parsed = suite.parse_equivalences.map((p) => ({
        ...dpkg.parseDebianVersion(p.input),
        valid: dpkg.isValid(p.input),
      }));

      // Assess
      expect(parsed).toEqual(
        suite.parse_equivalences.map((p) => ({
          epoch: p.epoch,
          upstream: p.upstream,
          revision: p.revision,
          valid: true,
        })),
      );
    });

    it('rejects every invalid version and invalid character', () => {
      // Prepare
      const suite = load(file, DpkgSuite);
      const upstreamChars = [...suite['invalid_upstream_chars_in_position_of_a_in_0:0a-0']].map((ch) => `0:0${ch}-0`);
      const revisionChars = [...suite['invalid_revision_chars_after_0:0-0']].map((ch) => `0:0-0${ch}`);
      const inputs = [...suite.invalid, ...suite.perl_Dpkg_Version_invalid, ...upstreamChars, ...revisionChars];

      // Act
      const accepted = inputs.filter((v) => dpkg.isValid(v));

      // Assess
      expect(inputs.length).toBe(13 + 5 + 24 + 25);
      expect(accepted).toEqual([]);
    });

    it('refuses an upstream version that does not start with a digit but still orders it', () => {
      // Prepare: dpkg's C parser only warns about these; Dpkg::Version (and this gate) refuse them.
      const { warn_only_upstream_not_starting_with_digit: warnOnly } = load(file, DpkgSuite);

      // Act
      const verdicts = warnOnly.map((v) => ({ valid: dpkg.isValid(v), self: dpkg.compare(v, v) }));

      // Assess
      expect(verdicts).toEqual(warnOnly.map(() => ({ valid: false, self: 0 })));
    });
  });

  describe('Comparator: Maven', () => {
    pairsTest(handles('maven-ComparableVersionTest.json'), Comparators.maven);
    pairsTest(handles('maven-osv-scalibr-handwritten.json'), Comparators.maven);
    pairsTest(handles('maven-osv-scalibr-generated-sample.json'), Comparators.maven);

    it('keeps both ComparableVersionTest lists strictly increasing', () => {
      // Prepare
      const { ordered_lists } = load(
        'maven-ComparableVersionTest.json',
        z.object({ ordered_lists: z.record(z.string(), z.array(z.string())) }),
      );

      // Act
      const wrong: string[] = [];
      for (const list of Object.values(ordered_lists)) {
        for (let i = 0; i < list.length; i++) {
          for (let j = i + 1; j < list.length; j++) {
            const a = list[i] ?? '';
            const b = list[j] ?? '';
            if (Comparators.maven.compare(a, b) !== -1) wrong.push(`${a} < ${b}`);
          }
        }
      }

      // Assess
      expect(Object.keys(ordered_lists)).toEqual(['VERSIONS_QUALIFIER', 'VERSIONS_NUMBER']);
      expect(wrong).toEqual([]);
    });
  });

  describe('Comparator: SemVer', () => {
    pairsTest(handles('npm-semver-node-semver-compare.json'), Comparators.semver);
    pairsTest(handles('semver-osv-scalibr-handwritten.json'), Comparators.semver);

    it('agrees with every node-semver range fixture (the npm parser the SemVer comparator uses)', () => {
      // Prepare
      const { cases } = load(
        handles('npm-semver-node-semver-ranges.json'),
        z.object({
          cases: z.array(
            z.object({
              range: z.string(),
              // node-semver's fixtures include a non-string version (`false`) and non-boolean
              // option values (`loose: 123`, `null`) on purpose: node-semver reads them by truthiness.
              version: z.union([z.string(), z.boolean()]),
              included: z.boolean(),
              options: z.record(z.string(), z.unknown()).optional(),
            }),
          ),
        }),
      );

      // Act
      const wrong = cases.filter((c) => {
        const options = Object.fromEntries(Object.entries(c.options ?? {}).map(([k, v]) => [k, Boolean(v)]));
        return semver.satisfies(String(c.version), c.range, options) !== c.included;
      });

      // Assess
      expect(cases.length).toBe(224);
      expect(wrong).toEqual([]);
    });
  });

  describe('Comparator: PEP 440', () => {
    pairsTest(handles('pypi-osv-scalibr-handwritten.json'), Comparators.pep440);
    pairsTest(handles('pypi-osv-scalibr-generated-sample.json'), Comparators.pep440);

    const Packaging = z.object({
      ordered: z.array(z.string()),
      normalized_equal: z.array(z.object({ a: z.string(), b: z.string(), cmp: z.literal(0), normalized: z.string() })),
      invalid: z.array(z.string()),
    });
    const file = handles('pypi-packaging-test_version.json');

    it('orders every pair of the pypa/packaging VERSIONS list (i < j, i = i, i > j)', () => {
      // Prepare
      const { ordered } = load(file, Packaging);

      // Act
      const wrong: string[] = [];
      ordered.forEach((a, i) => {
        ordered.forEach((b, j) => {
          const expected = Math.sign(i - j);
          if (pep440.compare(a, b) !== expected) wrong.push(`${a} vs ${b}: expected ${expected}`);
        });
      });

      // Assess
      expect(ordered.length).toBe(92);
      expect(wrong).toEqual([]);
    });

    it('normalises every equivalent spelling to the same version', () => {
      // Prepare
      const { normalized_equal } = load(file, Packaging);

      // Act
      const wrong = normalized_equal.filter(
        (p) => pep440.compare(p.a, p.b) !== 0 || pep440.normalize(p.a) !== p.normalized,
      );

      // Assess
      expect(normalized_equal.length).toBe(102);
      expect(wrong).toEqual([]);
    });

    it('rejects every invalid version', () => {
      // Prepare
      const { invalid } = load(file, Packaging);

      // Act
      const accepted = invalid.filter((v) => pep440.isValid(v));

      // Assess
      expect(invalid.length).toBe(20);
      expect(accepted).toEqual([]);
    });
  });

  describe('when reading osv.dev-ecosystem-sortkey-tests.json', () => {
    const SortKeyFile = z.object({
      Debian: z.array(PairSchema),
      'Ubuntu (dpkg)': z.array(PairSchema),
      Alpine: z.array(PairSchema),
      PyPI: z.array(PairSchema),
      'SemVer (Go, crates.io, npm, Hex...)': z.array(PairSchema),
      next_version_facts: z.array(z.object({ ecosystem: z.string(), after: z.string(), next: z.string() })),
    });
    const file = handles('osv.dev-ecosystem-sortkey-tests.json');
    // Entries are sort_key orderings, osv_convention ones included: compareOsvVersions is that order.
    const sections = [
      ['Debian', 'Debian'],
      ['Ubuntu (dpkg)', 'Ubuntu'],
      ['Alpine', 'Alpine'],
      ['PyPI', 'PyPI'],
      ['SemVer (Go, crates.io, npm, Hex...)', 'Go'],
    ] as const;

    for (const [section, ecosystem] of sections) {
      it(`orders every ${section} pair as osv.dev's sort key does`, () => {
        // Prepare
        const pairs = load(file, SortKeyFile)[section];
        const comparator = comparatorFor(ecosystem);

        // Act
        const result = checkPairs(file, pairs, (a, b) => compareOsvVersions(comparator, a, b));

        // Assess
        expect(result.mismatches).toEqual([]);
        expect(result.checked).toBe(pairs.length);
      });
    }

    it('orders every next-version fact after its predecessor', () => {
      // Prepare
      const { next_version_facts } = load(file, SortKeyFile);

      // Act
      const wrong = next_version_facts.filter(
        (f) => compareOsvVersions(comparatorFor(f.ecosystem), f.after, f.next) !== -1,
      );

      // Assess
      expect(next_version_facts.length).toBe(8);
      expect(wrong).toEqual([]);
    });
  });

  describe('when listing the corpus folder', () => {
    it('has a check for every file', () => {
      // Prepare
      const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

      // Act
      const unchecked = files.filter((f) => !HANDLED_FILES.has(f));

      // Assess
      expect(files.length).toBe(16);
      expect(unchecked).toEqual([]);
    });
  });
});

describe('Function: compareVersions', () => {
  describe('when given an OSV ecosystem name or a purl type', () => {
    it.each([
      ['npm', '1.2.10', '1.2.9'],
      ['PyPI', '2.10.0', '2.9.0'],
      ['pypi', '1.0', '1.0rc1'],
      ['Debian', '1.2-1', '1.2~rc1-1'],
      ['Debian:12', '2:1.0-1', '1:9.9-1'],
      ['deb', '1.0+deb12u1', '1.0'],
      ['Ubuntu', '2.42.8+dfsg-1ubuntu0.3', '2.42.8+dfsg-1ubuntu0.2'],
      ['Ubuntu:22.04:LTS', '1.10', '1.9'],
      ['Alpine', '1.0-r1', '1.0-r0'],
      ['Alpine:v3.18', '1.0', '1.0_rc1'],
      ['apk', '1.0_p1', '1.0'],
      ['Maven', '1.0', '1.0-SNAPSHOT'],
      ['maven', '2.0.1', '2.0'],
      ['Go', 'v1.10.0', 'v1.9.0'],
      ['golang', '1.22.0', '1.22.0-rc.1'],
      ['crates.io', '0.10.0', '0.9.0'],
      ['cargo', '1.0.0', '1.0.0-alpha'],
      ['RubyGems', '3.0.21', '3.0.20'],
      ['gem', '1.0.0', '1.0.0.pre'],
    ])('orders %s versions: %s > %s', (ecosystem, higher, lower) => {
      // Act
      const up = compareVersions(ecosystem, higher, lower);
      const down = compareVersions(ecosystem, lower, higher);

      // Assess
      expect([up, down]).toEqual([1, -1]);
    });
  });

  describe('when the ecosystem has no known ordering', () => {
    it.each(['NuGet', 'Packagist', 'generic', ''])('throws for %o', (ecosystem) => {
      // Act
      const act = () => compareVersions(ecosystem, '1.0', '2.0');

      // Assess
      expect(act).toThrow(expect.objectContaining({ name: 'UnsupportedEcosystemError', code: 'INVALID_INPUT' }));
    });
  });
});
