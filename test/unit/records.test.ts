import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError } from '../../lambdas/domain/errors.js';
import {
  compareCodePoints,
  firstApprovalRoundOf,
  ImageTagSchema,
  IndexEntryWriteSchema,
  LISTING_ORDER,
  RELEASE_STATES,
  ReleaseRecordSchema,
  releaseStatesMovableTo,
  resubmittedRelease,
  validIndexEntryWrites,
  validRecord,
} from '../../lambdas/domain/records.js';
import { newDigest, releaseRecord } from '../support/store-records.js';

describe('Function: releaseStatesMovableTo', () => {
  it.each([
    ['RECORDED', ['RECORDED']],
    ['EVALUATED', ['RECORDED', 'EVALUATED']],
    ['AWAITING_APPROVAL', ['RECORDED', 'EVALUATED', 'AWAITING_APPROVAL']],
    ['PROMOTED', ['RECORDED', 'EVALUATED', 'AWAITING_APPROVAL']],
    ['QUARANTINED', ['RECORDED', 'EVALUATED', 'AWAITING_APPROVAL']],
  ] as const)('lets a release move to %s only from %j', (target, from) => {
    // Act
    const allowed = releaseStatesMovableTo(target);

    // Assess
    expect(allowed).toEqual(from);
  });

  it('never lets a terminal state move', () => {
    // Act
    const fromTerminal = RELEASE_STATES.flatMap((target) =>
      releaseStatesMovableTo(target).filter((s) => s === 'PROMOTED' || s === 'QUARANTINED'),
    );

    // Assess
    expect(fromTerminal).toEqual([]);
  });
});

describe('Function: validRecord', () => {
  describe('when the record is invalid', () => {
    it('throws InvalidInputError naming every invalid field', () => {
      // Prepare
      const rec = { ...releaseRecord('team/app', newDigest()), digest: 'sha256:short', state: 'SHIPPED' };

      // Act
      const act = () => validRecord('release record', ReleaseRecordSchema, rec);

      // Assess
      expect(act).toThrow(InvalidInputError);
      expect(act).toThrow(/digest[\s\S]*state|state[\s\S]*digest/);
    });
  });

  describe('when the record is valid', () => {
    it('returns a copy without unknown properties', () => {
      // Prepare
      const rec = releaseRecord('team/app', newDigest());

      // Act
      const parsed = validRecord('release record', ReleaseRecordSchema, { ...rec, pk: 'REL#x' });

      // Assess
      expect(parsed).toStrictEqual(rec);
      expect(parsed).not.toBe(rec);
    });
  });
});

describe('Function: validIndexEntryWrites', () => {
  /** What `validRecord` with the schema makes of one entry: the copy, or the refusal. */
  const bySchema = (entry: unknown): unknown => {
    try {
      return validRecord('index entry', IndexEntryWriteSchema, entry);
    } catch (err) {
      return err instanceof Error ? `${err.name}: ${err.message}` : err;
    }
  };
  const checked = (entry: unknown): unknown => {
    try {
      return validIndexEntryWrites([entry])[0];
    } catch (err) {
      return err instanceof Error ? `${err.name}: ${err.message}` : err;
    }
  };
  const text = fc.oneof(fc.constant(''), fc.string({ maxLength: 4 }));
  const member = fc.oneof(text, fc.constant(undefined), fc.constant(true), fc.constant(1), fc.constant(null));
  const list = fc.oneof(fc.array(text, { maxLength: 3 }), fc.array(member, { maxLength: 3 }), member);
  const entry = fc.oneof(
    fc.record(
      { base: member, version: member, components: list, removed: member, replaces: list, extra: member },
      { requiredKeys: [] },
    ),
    member,
    fc.array(member),
  );

  it('accepts, copies and refuses exactly as validRecord with IndexEntryWriteSchema does', () => {
    fc.assert(
      fc.property(entry, (e) => {
        // Act & Assess
        expect(checked(e)).toStrictEqual(bySchema(e));
      }),
      { numRuns: 2000 },
    );
  });

  it('returns copies the caller cannot change afterwards', () => {
    // Prepare
    const entry = { base: 'pkg:npm/a', version: '1.0.0', components: ['pkg:npm/a@1.0.0'], replaces: ['0.9.0'] };

    // Act
    const [copy] = validIndexEntryWrites([entry]);
    entry.components.push('pkg:npm/b@1.0.0');
    entry.replaces.push('0.8.0');

    // Assess
    expect(copy).toStrictEqual({
      base: 'pkg:npm/a',
      version: '1.0.0',
      components: ['pkg:npm/a@1.0.0'],
      replaces: ['0.9.0'],
    });
  });
});

describe('Function: compareCodePoints', () => {
  it('orders by code point, which is the UTF-8 byte order DynamoDB sorts keys in', () => {
    // Prepare: U+FFFD is one UTF-16 unit above the surrogates that encode U+1F600.
    const strings = ['\u{1F600}', '\uFFFD', 'b', 'a', 'ab', ''];

    // Act
    const sorted = [...strings].sort(compareCodePoints);

    // Assess
    expect(sorted).toEqual(['', 'a', 'ab', 'b', '\uFFFD', '\u{1F600}']);
    expect([...strings].sort()).not.toEqual(sorted);
  });
});

describe('Object: LISTING_ORDER', () => {
  it('orders package index entries by version as a string, then by repository@digest', () => {
    // Prepare
    const d = `sha256:${'0'.repeat(64)}`;
    const entries = [
      { version: '1!2', repository: 'a', digest: d },
      { version: '1', repository: 'b', digest: d },
      { version: '1', repository: 'a-b', digest: d },
    ];

    // Act
    const sorted = [...entries].sort(LISTING_ORDER.packageIndex);

    // Assess
    expect(sorted.map((e) => `${e.version} ${e.repository}`)).toEqual(['1 a-b', '1 b', '1!2 a']);
  });
});

describe('Schema: ImageTagSchema', () => {
  it.each([
    ['latest', 'latest', true],
    ['dots, dashes and underscores', '1.4.0-rc_1', true],
    ['300 characters (ECR accepts them: such a push must be recordable)', 'x'.repeat(300), true],
    ['301 characters', 'x'.repeat(301), false],
    ['a leading dash', '-leading-dash', false],
    ['a space', 'has space', false],
    ['nothing', '', false],
  ])('a tag of %s is valid: %s', (_label, tag, valid) => {
    expect(ImageTagSchema.safeParse(tag).success).toBe(valid);
  });
});

describe('Function: resubmittedRelease (release from quarantine: the next gate round)', () => {
  const request = (round: number) => ({
    repository: 'team/app',
    digest: newDigest(),
    round,
    executionName: `team-app-r${round}`,
    by: 'carol',
    at: '2026-01-11T09:00:00.000Z',
    reason: 'fixed',
  });

  describe('when the release is QUARANTINED in the round before', () => {
    it('starts the round in RECORDED, in the next approval round, and keeps the ended one', () => {
      // Prepare
      const current = releaseRecord('team/app', newDigest(), {
        state: 'QUARANTINED',
        outcome: 'QUARANTINED',
        outcomeReasons: ['approval: rejected'],
        decidedAt: '2026-01-10T11:00:00.000Z',
        approvalRound: 2,
      });

      // Act
      const next = resubmittedRelease(current, request(2), null);

      // Assess
      expect(next).toMatchObject({ state: 'RECORDED', gateRound: 2, approvalRound: 3, executionName: 'team-app-r2' });
      expect(next).not.toHaveProperty('outcome');
      expect(next.rounds).toEqual([
        {
          round: 1,
          executionName: current.executionName,
          state: 'QUARANTINED',
          outcome: 'QUARANTINED',
          outcomeReasons: ['approval: rejected'],
          decidedAt: '2026-01-10T11:00:00.000Z',
          approvalRound: 2,
          resubmittedBy: 'carol',
          resubmittedAt: '2026-01-11T09:00:00.000Z',
          reason: 'fixed',
        },
      ]);
      expect(firstApprovalRoundOf(next)).toBe(3);
      expect(firstApprovalRoundOf(current)).toBe(0);
    });
  });

  describe.each(['RECORDED', 'EVALUATED', 'AWAITING_APPROVAL', 'PROMOTED', 'COVERED'] as const)(
    'when the release is %s',
    (state) => {
      it('throws ConflictError', () => {
        expect(() => resubmittedRelease(releaseRecord('team/app', newDigest(), { state }), request(2), null)).toThrow(
          ConflictError,
        );
      });
    },
  );

  describe('when the round asked for is not the next one', () => {
    it.each([2, 4])('throws ConflictError for round %i of a release in round 2', (round) => {
      const current = releaseRecord('team/app', newDigest(), { state: 'QUARANTINED', gateRound: 2 });
      expect(() => resubmittedRelease(current, request(round), null)).toThrow(ConflictError);
    });
  });
});
