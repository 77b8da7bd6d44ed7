import fc from 'fast-check';
import { PackageURL } from 'packageurl-js';
import { describe, expect, it, vi } from 'vitest';
import { InvalidInputError } from '../../lambdas/domain/errors.js';
import {
  canonicalPurl,
  canonicalPurlWithPackageUrl,
  type PurlParts,
  requirePurl,
  splitPurl,
  splitPurls,
  splitPurlWithPackageUrl,
} from '../../lambdas/domain/purl.js';

describe('Function: splitPurl', () => {
  it.each([
    [
      'pkg:deb/debian/openssl@3.0.7-1?arch=amd64&distro=debian-12',
      { type: 'deb', namespace: 'debian', name: 'openssl', version: '3.0.7-1', base: 'pkg:deb/debian/openssl' },
    ],
    ['pkg:npm/left-pad@1.3.0', { type: 'npm', name: 'left-pad', version: '1.3.0', base: 'pkg:npm/left-pad' }],
    ['pkg:npm/left-pad', { type: 'npm', name: 'left-pad', version: '', base: 'pkg:npm/left-pad' }],
    [
      'PKG:NPM/@acme/Widget@2.0.0#lib',
      { type: 'npm', namespace: '@acme', name: 'widget', version: '2.0.0', base: 'pkg:npm/%40acme/widget' },
    ],
    ['pkg:pypi/foo@1!2.0', { type: 'pypi', name: 'foo', version: '1!2.0', base: 'pkg:pypi/foo' }],
  ])('splits %s into identity and version', (purl, expected) => {
    // Act
    const parts = splitPurl(purl);

    // Assess
    expect(parts).toEqual(expected);
  });

  it.each(['openssl', 'pkg:npm/', 'npm/left-pad@1.0.0', ''])('returns null for %j', (purl) => {
    // Act
    const parts = splitPurl(purl);

    // Assess
    expect(parts).toBeNull();
  });
});

describe('Function: splitPurls', () => {
  describe('when every string is a purl', () => {
    it('splits them in order', () => {
      // Act
      const parts = splitPurls(['pkg:npm/a@1', 'pkg:npm/b@2']);

      // Assess
      expect(parts.map((p) => p.base)).toEqual(['pkg:npm/a', 'pkg:npm/b']);
    });
  });

  describe('when some strings are not purls', () => {
    it('throws InvalidInputError quoting every one, up to five', () => {
      // Prepare
      const invalid = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

      // Act
      const act = () => splitPurls(['pkg:npm/ok@1', ...invalid]);

      // Assess
      expect(act).toThrow(InvalidInputError);
      expect(act).toThrow('not a package URL (purl-spec): "a", "b", "c", "d", "e", and 2 more');
    });
  });
});

describe('Function: requirePurl', () => {
  it('throws InvalidInputError quoting a string that is not a purl', () => {
    // Act
    const act = () => requirePurl('openssl');

    // Assess
    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow('"openssl"');
  });
});

/** How a split ends: its parts, null (not a purl), or a throw (packageurl-js refuses the base). */
function outcome(split: (purl: string) => PurlParts | null, purl: string): PurlParts | null | 'throws' {
  try {
    return split(purl);
  } catch {
    return 'throws';
  }
}

/**
 * Text of a purl part: mostly what SBOMs carry, and characters that exercise escaping, case rules
 * and the type rules (pypi `_`, pub `-`, …).
 */
const purlText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...'abz019.-_'.split('')), minLength: 1, maxLength: 6 }) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.constantFrom(..."aZz09._-~!*()'@?#/%:+ =&éÅ\u00a0\t".split(''), '%40', '%2F', '%3a', '%zz'),
      minLength: 0,
      maxLength: 8,
    }),
  },
);
const purlType = fc.constantFrom(
  'npm',
  'pypi',
  'deb',
  'apk',
  'rpm',
  'maven',
  'golang',
  'cargo',
  'pub',
  'oci',
  'conan',
  'swift',
  'cran',
  'mlflow',
  'huggingface',
  'generic',
  'NPM',
  'a+b',
);
const purlParts = fc.record({
  type: purlType,
  namespace: fc.option(
    fc.array(purlText, { minLength: 1, maxLength: 3 }).map((s) => s.join('/')),
    { nil: undefined },
  ),
  name: purlText,
  version: fc.option(fc.oneof(purlText, fc.constantFrom('v1.2.3', 'v1.2', '1:2.3-4+b1', '3.0.11-1~deb12u2')), {
    nil: undefined,
  }),
  qualifiers: fc.option(
    fc.dictionary(fc.oneof(purlText, fc.constantFrom('arch', 'distro', 'epoch', 'upstream', 'channel')), purlText, {
      maxKeys: 3,
    }),
    { nil: undefined },
  ),
  subpath: fc.option(purlText, { nil: undefined }),
});

/** A purl packageurl-js writes for arbitrary parts, or undefined when it refuses them. */
function written(p: typeof purlParts extends fc.Arbitrary<infer T> ? T : never): string | undefined {
  try {
    return new PackageURL(p.type, p.namespace, p.name, p.version, p.qualifiers, p.subpath).toString();
  } catch {
    return undefined;
  }
}

/** A purl as a person or another tool might write it: parts joined with or without escaping. */
const handWritten = fc
  .tuple(
    fc.constantFrom('pkg:', 'PKG:', 'pkg://'),
    purlType,
    purlParts,
    fc.array(fc.constantFrom('encode', 'raw', 'upper', 'lowerhex'), { minLength: 4, maxLength: 4 }),
  )
  .map(([scheme, type, p, how]) => {
    const style = (text: string, i: number) => {
      const mode = how[i] ?? 'raw';
      if (mode === 'encode') return encodeURIComponent(text);
      if (mode === 'upper') return text.toUpperCase();
      if (mode === 'lowerhex') return encodeURIComponent(text).toLowerCase();
      return text;
    };
    const namespace = p.namespace === undefined ? '' : `${style(p.namespace, 0)}/`;
    const version = p.version === undefined ? '' : `@${style(p.version, 2)}`;
    const qualifiers =
      p.qualifiers === undefined
        ? ''
        : `?${Object.entries(p.qualifiers)
            .map(([k, v]) => `${k}=${style(v, 3)}`)
            .join('&')}`;
    return `${scheme}${type}/${namespace}${style(p.name, 1)}${version}${qualifiers}`;
  });

describe('Property: the canonical-text fast path equals packageurl-js', () => {
  it('splits every purl packageurl-js writes, and every other string, exactly as packageurl-js does', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          purlParts.map((p) => written(p) ?? 'pkg:npm/x'),
          handWritten,
          fc.string({ maxLength: 40 }).map((s) => `pkg:${s}`),
        ),
        (purl) => {
          // Act and Assess
          expect(outcome(splitPurl, purl)).toEqual(outcome(splitPurlWithPackageUrl, purl));
          expect(canonicalPurl(purl)).toEqual(canonicalPurlWithPackageUrl(purl));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it.each([
    'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl',
    'pkg:npm/%40scope/name@1.2.3',
    'pkg:maven/org.apache/commons-lang3@3.12.0?type=jar',
    'pkg:golang/github.com/x/y@v1.2.3',
    'pkg:pypi/requests@2.31.0',
  ])('reads the canonical %s without parsing it with packageurl-js', (purl) => {
    // Prepare
    const parse = vi.spyOn(PackageURL, 'fromString');

    // Act
    const parts = splitPurl(purl);
    const canonical = canonicalPurl(purl);

    // Assess
    expect(parse).not.toHaveBeenCalled();
    expect(parts).toEqual(splitPurlWithPackageUrl(purl));
    expect(canonical).toEqual(canonicalPurlWithPackageUrl(purl));
    parse.mockRestore();
  });
});
