import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatches } from '../../lambdas/domain/glob.js';
import { repositoryMatches } from '../../lambdas/domain/policy/load.js';
import { matchesSubject } from '../../lambdas/domain/sigstore/verify-bundle.js';

/** The regular expression the globs used to compile to: the reference semantics, on small inputs. */
function referenceRegex(pattern: string, segments: boolean): RegExp {
  const escapeRegex = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  const body = segments
    ? pattern
        .split('**')
        .map((part) => part.split('*').map(escapeRegex).join('[^/]*'))
        .join('.*')
    : pattern.split('*').map(escapeRegex).join('.*');
  return new RegExp(`^${body}$`, 's');
}

describe('Function: globMatches', () => {
  describe.each([
    ['team/*', 'team/app', true],
    ['team/*', 'team/app/web', false],
    ['team/**', 'team/app/web', true],
    ['**', 'anything/at/all', true],
    ['team/*-svc', 'team/api-svc', true],
    ['team/*-svc', 'team/api-svc-x', false],
    ['*/app', 'a/app', true],
    ['*/app', 'a/b/app', false],
    ['demo/**', 'demo', false],
    ['a.b', 'aXb', false],
  ])('when the repository rule %s meets %s', (pattern, name, expected) => {
    it(`answers ${expected}`, () => {
      expect(globMatches(pattern, name, { segments: true })).toBe(expected);
      expect(repositoryMatches(pattern, name)).toBe(expected);
    });
  });

  describe('when an identity glob meets a certificate SAN', () => {
    it('lets * cross slashes, as cosign identity globs do', () => {
      const pattern = 'https://github.com/acme/*/.github/workflows/*@refs/tags/*';
      expect(matchesSubject(pattern, 'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2')).toBe(
        true,
      );
      expect(matchesSubject(pattern, 'https://github.com/evil/app/.github/workflows/release.yml@refs/tags/v1')).toBe(
        false,
      );
    });
  });

  describe('when compared with the regular expressions it replaces', () => {
    it('agrees on every pattern and name over a small alphabet', () => {
      const text = (max: number) => fc.string({ unit: fc.constantFrom('a', 'b', '/', '.', '-'), maxLength: max });
      const pattern = fc.string({ unit: fc.constantFrom('a', 'b', '/', '*', '.', '-'), maxLength: 8 });
      fc.assert(
        fc.property(pattern, text(10), fc.boolean(), (p, name, segments) => {
          expect(globMatches(p, name, { segments })).toBe(referenceRegex(p, segments).test(name));
        }),
        { numRuns: 3000 },
      );
    });
  });

  describe('when a rule with many wildcards meets a long name that almost matches (red-team finding 11)', () => {
    it('answers without backtracking (the regex took minutes)', () => {
      // Prepare: five wildcards, a 255-character name that fails only at its last character.
      const pattern = '*a*a*a*a*a*b';
      const name = 'a'.repeat(255);

      // Act
      const matched = [repositoryMatches(pattern, name), matchesSubject(pattern, name)];

      // Assess
      expect(matched).toEqual([false, false]);
      expect(repositoryMatches('**a**a**a**a**a**a**', `${'a/'.repeat(127)}a`)).toBe(true);
    });
  });
});
