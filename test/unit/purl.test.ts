import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lambdas/domain/errors.js';
import { requirePurl, splitPurl, splitPurls } from '../../lambdas/domain/purl.js';

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
