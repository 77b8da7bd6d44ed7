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
import { anyPurl } from '../support/purls.js';

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
    // Types whose rules refuse the identity alone (no version; conan: no qualifiers with a namespace).
    [
      'pkg:swift/github.com/Alamofire/Alamofire@5.4.3',
      {
        type: 'swift',
        namespace: 'github.com/Alamofire',
        name: 'Alamofire',
        version: '5.4.3',
        base: 'pkg:swift/github.com/Alamofire/Alamofire',
      },
    ],
    ['pkg:cran/A3@1.0.0', { type: 'cran', name: 'A3', version: '1.0.0', base: 'pkg:cran/A3' }],
    [
      'pkg:conan/openssl.org/openssl@3.0.3?channel=stable&user=bincrafters',
      {
        type: 'conan',
        namespace: 'openssl.org',
        name: 'openssl',
        version: '3.0.3',
        base: 'pkg:conan/openssl.org/openssl',
      },
    ],
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

describe('Property: the canonical-text fast path equals packageurl-js', () => {
  it('splits every purl packageurl-js writes, and every other string, exactly as packageurl-js does', () => {
    fc.assert(
      fc.property(anyPurl, (purl) => {
        // Act and Assess
        expect(outcome(splitPurl, purl)).toEqual(outcome(splitPurlWithPackageUrl, purl));
        expect(canonicalPurl(purl)).toEqual(canonicalPurlWithPackageUrl(purl));
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    'pkg:npm/a@',
    'pkg:npm/a?',
    'pkg:npm/@1.0.0',
    'pkg:npm/a@1.0.0#sub',
    'pkg:npm/a?arch=x@1',
    'pkg:npm/a@1@2',
    'pkg:/a@1',
    'pkg:npm/ns/',
    'pkg:npm//a@1',
    'pkg:NPM/a@1',
    'pkg:npm/ns/a@1?b=2&a=1',
    'pkg:npm',
    'pkg:npm/',
  ])('splits the edge %j exactly as packageurl-js does', (purl) => {
    // Act & Assess
    expect(outcome(splitPurl, purl)).toEqual(outcome(splitPurlWithPackageUrl, purl));
    expect(canonicalPurl(purl)).toEqual(canonicalPurlWithPackageUrl(purl));
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
