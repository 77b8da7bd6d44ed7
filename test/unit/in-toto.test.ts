import { describe, expect, it } from 'vitest';
import {
  InTotoStatementError,
  parseInTotoStatement,
  parseInTotoStatementBytes,
  statementCoversDigest,
} from '../../lambdas/domain/attest/in-toto.js';
import { TooLargeError } from '../../lambdas/domain/errors.js';
import { Limits } from '../../lambdas/domain/limits.js';

const HEX = 'a'.repeat(64);

const statement = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: 'app', digest: { sha256: HEX } }],
  predicateType: 'https://slsa.dev/provenance/v1',
  predicate: { any: 'thing' },
  ...overrides,
});

describe('Function: parseInTotoStatement', () => {
  describe('when the statement is valid', () => {
    it('returns type, subject, predicateType and predicate', () => {
      // Prepare
      const json = statement();

      // Act
      const parsed = parseInTotoStatement(json);

      // Assess
      expect(parsed).toEqual({
        type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: 'app', digest: { sha256: HEX } }],
        predicateType: 'https://slsa.dev/provenance/v1',
        predicate: { any: 'thing' },
      });
    });
  });

  describe('when a subject has only a digest (allowed in v1)', () => {
    it('parses it without a name', () => {
      // Prepare
      const json = statement({ subject: [{ digest: { sha256: HEX } }] });

      // Act
      const parsed = parseInTotoStatement(json);

      // Assess
      expect(parsed.subject).toEqual([{ digest: { sha256: HEX } }]);
    });
  });

  describe.each([
    ['the _type is missing', { _type: undefined }, 'INVALID_STATEMENT_TYPE'],
    ['the _type is a prefix look-alike', { _type: 'https://in-toto.io/Statement/v1/' }, 'INVALID_STATEMENT_TYPE'],
    ['subject is missing', { subject: undefined }, 'SUBJECT_REQUIRED'],
    ['subject is empty', { subject: [] }, 'SUBJECT_REQUIRED'],
    ['a subject has no name, uri or digest', { subject: [{}] }, 'RD_REQUIRED_FIELD'],
    ['a subject has an empty digest', { subject: [{ name: 'x', digest: {} }] }, 'DIGEST_REQUIRED'],
    [
      'a sha256 digest is not 64 hex digits',
      { subject: [{ name: 'x', digest: { sha256: 'abc' } }] },
      'INVALID_DIGEST_ENCODING',
    ],
    ['predicateType is empty', { predicateType: '' }, 'PREDICATE_TYPE_REQUIRED'],
    ['predicate is missing', { predicate: undefined }, 'PREDICATE_REQUIRED'],
    ['predicate is null', { predicate: null }, 'PREDICATE_REQUIRED'],
    ['predicate is not an object', { predicate: 'text' }, 'MALFORMED'],
  ])('when %s', (_, overrides, rule) => {
    it(`throws InTotoStatementError with rule ${rule}`, () => {
      // Prepare
      const json = statement(overrides);

      // Act
      const act = (): unknown => parseInTotoStatement(json);

      // Assess
      expect(act).toThrow(InTotoStatementError);
      expect(act).toThrowWithCode(InTotoStatementError, rule);
    });
  });
});

describe('Function: parseInTotoStatementBytes', () => {
  describe('when the bytes are above the attestation limit', () => {
    it('throws TooLargeError', () => {
      // Prepare
      const bytes = new Uint8Array(Limits.attestationBytes + 1);

      // Act
      const act = (): unknown => parseInTotoStatementBytes(bytes);

      // Assess
      expect(act).toThrow(TooLargeError);
    });
  });

  describe('when the bytes are not JSON', () => {
    it('throws with rule MALFORMED', () => {
      // Prepare
      const bytes = new Uint8Array(Buffer.from('{'));

      // Act
      const act = (): unknown => parseInTotoStatementBytes(bytes);

      // Assess
      expect(act).toThrowWithCode(InTotoStatementError, 'MALFORMED');
    });
  });

  describe('when the statement names its predicate type twice', () => {
    it('throws with rule MALFORMED instead of trusting the last one, as JSON.parse would', () => {
      // Prepare: a verifier keeping the first name and one keeping the last would disagree.
      const json = JSON.stringify(statement());
      const bytes = new TextEncoder().encode(`${json.slice(0, -1)},"predicateType":"https://example.com/other"}`);

      // Act
      const act = (): unknown => parseInTotoStatementBytes(bytes);

      // Assess
      expect(act).toThrowWithCode(InTotoStatementError, 'MALFORMED');
      expect(act).toThrow('in-toto statement: (root): duplicate member name "predicateType"');
    });
  });

  describe('when the bytes are not valid UTF-8', () => {
    it('throws with rule MALFORMED rather than reading U+FFFD', () => {
      // Prepare: the subject name carries a lone continuation byte.
      const json = new TextEncoder().encode(
        JSON.stringify(statement({ subject: [{ name: 'a~', digest: { sha256: HEX } }] })),
      );
      json[json.indexOf(0x7e)] = 0x80;

      // Act
      const act = (): unknown => parseInTotoStatementBytes(json);

      // Assess
      expect(act).toThrowWithCode(InTotoStatementError, 'MALFORMED');
      expect(act).toThrow('in-toto statement is not valid UTF-8');
    });
  });
});

describe('Function: statementCoversDigest', () => {
  const parsed = parseInTotoStatement(
    statement({
      subject: [
        { name: 'a', digest: { sha512: 'b'.repeat(128) } },
        { name: 'b', digest: { sha256: HEX } },
      ],
    }),
  );

  describe('when a subject carries the digest', () => {
    it('returns true', () => {
      // Prepare
      const digest = `sha256:${HEX}`;

      // Act
      const covered = statementCoversDigest(parsed, digest);

      // Assess
      expect(covered).toBe(true);
    });
  });

  describe('when no subject carries the digest', () => {
    it('returns false', () => {
      // Prepare
      const digest = `sha256:${'c'.repeat(64)}`;

      // Act
      const covered = statementCoversDigest(parsed, digest);

      // Assess
      expect(covered).toBe(false);
    });
  });

  describe('when the same hex is given under another algorithm', () => {
    it('returns false', () => {
      // Prepare
      const digest = `sha512:${HEX}`;

      // Act
      const covered = statementCoversDigest(parsed, digest);

      // Assess
      expect(covered).toBe(false);
    });
  });
});
