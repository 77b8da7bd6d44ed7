import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type InTotoRule,
  InTotoStatementError,
  parseInTotoStatementBytes,
} from '../../lambdas/domain/attest/in-toto.js';

const DIR = join(import.meta.dirname, 'data/in-toto-statements/attestation-go-tests');

/** Expected outcome per file, from MANIFEST.md (in-toto/attestation go/v1/statement_test.go). */
const EXPECTED: Readonly<Record<string, InTotoRule | 'PASS'>> = {
  'statement-v1-valid.json': 'PASS',
  'statement-type-v1.json': 'PASS',
  'statement-type-v0.1.json': 'PASS',
  'statement-type-v2_fail.json': 'INVALID_STATEMENT_TYPE',
  'statement-type-v0.2_fail.json': 'INVALID_STATEMENT_TYPE',
  'statement-bad-type_fail.json': 'INVALID_STATEMENT_TYPE',
  'statement-no-subjects_fail.json': 'SUBJECT_REQUIRED',
  'statement-subject-missing-rd-field_fail.json': 'RD_REQUIRED_FIELD',
  'statement-subject-missing-digest_fail.json': 'DIGEST_REQUIRED',
  'statement-missing-predicate-type_fail.json': 'PREDICATE_TYPE_REQUIRED',
  'statement-missing-predicate_fail.json': 'PREDICATE_REQUIRED',
};

describe('Function: parseInTotoStatementBytes (in-toto/attestation corpus)', () => {
  it('has an expectation for every corpus file', () => {
    // Prepare
    const files = readdirSync(DIR).sort();

    // Act
    const expected = Object.keys(EXPECTED).sort();

    // Assess
    expect(files).toEqual(expected);
  });

  describe.each(Object.entries(EXPECTED).filter(([, outcome]) => outcome === 'PASS'))('when the file is %s', (file) => {
    it('parses with its subject and predicate', () => {
      // Prepare
      const bytes = readFileSync(join(DIR, file));

      // Act
      const statement = parseInTotoStatementBytes(bytes);

      // Assess
      expect(statement.predicateType).toBe('thePredicate');
      expect(statement.subject).toEqual([{ name: 'theSub', digest: { alg1: 'abc123' } }]);
      expect(statement.predicate).toEqual({ keyObj: { subKey: 'subVal' } });
    });
  });

  describe.each(Object.entries(EXPECTED).filter(([, outcome]) => outcome !== 'PASS'))(
    'when the file is %s',
    (file, rule) => {
      it(`throws naming the rule ${rule}`, () => {
        // Prepare
        const bytes = readFileSync(join(DIR, file));

        // Act
        const act = (): unknown => parseInTotoStatementBytes(bytes);

        // Assess
        expect(act).toThrow(InTotoStatementError);
        expect(act).toThrowWithCode(InTotoStatementError, rule);
        expect(act).toThrowWithCode(InTotoStatementError, 'INVALID_INPUT');
      });
    },
  );
});
