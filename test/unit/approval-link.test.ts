import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LinkClaims, LinkRefusedError, signLink, verifyLink } from '../../lambdas/domain/approval/link.js';
import { ConfigError } from '../../lambdas/domain/errors.js';

const keys = { current: randomBytes(32) };
const AID = '0123456789abcdef0123456789abcdef';
const EXP = 1_800_000_000;
const claims: LinkClaims = { aid: AID, sub: 'bob@example.com', esd: 'sha256:aa', exp: EXP };
const expected = { approvalId: AID, now: new Date((EXP - 60) * 1000), evidenceSetDigest: 'sha256:aa' };

function refusal(act: () => unknown): string | undefined {
  try {
    act();
  } catch (err) {
    if (err instanceof LinkRefusedError) return err.detail;
    throw err;
  }
  return undefined;
}

describe('Function: verifyLink', () => {
  describe('when the link is as signed', () => {
    it('returns its claims', () => {
      expect(verifyLink(keys, signLink(keys, claims), expected)).toEqual(claims);
    });
  });

  describe('when any one character of the token is changed', () => {
    it('refuses it (never accepts a changed token)', () => {
      const token = signLink(keys, claims);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
      fc.assert(
        fc.property(fc.nat(token.length - 1), fc.constantFrom(...alphabet), (i, c) => {
          fc.pre(token[i] !== c);
          const changed = `${token.slice(0, i)}${c}${token.slice(i + 1)}`;
          expect(refusal(() => verifyLink(keys, changed, expected))).toMatch(/^(BAD_SIGNATURE|MALFORMED)$/);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('when the last signature character is swapped for one that decodes to the same bytes', () => {
    it('refuses it: only the exact signature this gate wrote is accepted', () => {
      // Prepare: 32 bytes are 43 base64url characters; the last carries 4 bits and 2 spare ones.
      const token = signLink(keys, claims);
      const sig = token.split('.')[1] ?? '';
      const alias = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
        .split('')
        .find(
          (c) =>
            c !== sig.at(-1) &&
            Buffer.from(`${sig.slice(0, -1)}${c}`, 'base64url').equals(Buffer.from(sig, 'base64url')),
        );
      if (alias === undefined) throw new Error('no alias');

      // Act
      const detail = refusal(() => verifyLink(keys, `${token.slice(0, -1)}${alias}`, expected));

      // Assess
      expect(detail).toBe('BAD_SIGNATURE');
    });
  });

  describe.each([
    ['signed with another key', () => signLink({ current: randomBytes(32) }, claims), expected, 'BAD_SIGNATURE'],
    [
      'for another approval',
      () => signLink(keys, claims),
      { ...expected, approvalId: 'f'.repeat(32) },
      'OTHER_APPROVAL',
    ],
    [
      'for other evidence',
      () => signLink(keys, claims),
      { ...expected, evidenceSetDigest: 'sha256:bb' },
      'OTHER_EVIDENCE',
    ],
    ['at its expiry', () => signLink(keys, claims), { ...expected, now: new Date(EXP * 1000) }, 'EXPIRED'],
    ['without a signature', () => signLink(keys, claims).split('.')[0] ?? '', expected, 'MALFORMED'],
    ['far too long', () => `${'a'.repeat(3000)}.b`, expected, 'MALFORMED'],
  ])('when the link is %s', (_label, token, exp, detail) => {
    it(`refuses it (${detail})`, () => {
      expect(refusal(() => verifyLink(keys, token(), exp))).toBe(detail);
    });
  });
});

describe('Function: signLink', () => {
  describe('when the key is shorter than 32 bytes', () => {
    it('throws ConfigError instead of signing with a weak key', () => {
      expect(() => signLink({ current: randomBytes(16) }, claims)).toThrowWithCode(
        ConfigError,
        'CONFIG_ERROR',
        '32 bytes',
      );
    });
  });
});
