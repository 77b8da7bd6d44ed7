/**
 * The ReleaseStore contract: one suite that every adapter runs (DynamoReleaseStore on dynalite,
 * MemoryStore), as powertools tests its persistence layers against one `BasePersistenceLayer`
 * suite. A fake that drifts from the real adapter makes the preflight lie, so a behaviour belongs
 * here unless it is about one adapter's storage (key layout, SDK failures, malformed items).
 *
 * `makeStore` returns an empty store for each test, so listings can be asserted exactly.
 */

import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../lambdas/adapters/store/memory-store.js';
import {
  AlreadyDecidedError,
  ConflictError,
  GateError,
  InvalidInputError,
  NotFoundError,
  StoreError,
} from '../../../lambdas/domain/errors.js';
import type { ReleaseStore } from '../../../lambdas/domain/ports.js';
import type { IndexNode } from '../../../lambdas/domain/records.js';
import {
  type ApprovalAuditRecord,
  type ApprovalRecord,
  LISTING_ORDER,
  MAX_GATE_ROUNDS,
  type ReleaseState,
  type ScanCompletion,
} from '../../../lambdas/domain/records.js';
import { presentEntries } from '../../../lambdas/domain/triage/inherit.js';
import type { Digest } from '../../../lambdas/domain/types.js';
import { indexRelease } from '../index-release.js';
import {
  approvalAuditRecord,
  approvalRecord,
  decisionRecord,
  evidenceRecord,
  newDigest,
  newRepository,
  pendingBreakGlass,
  promotionEntry,
  releaseRecord,
  scanResult,
  uniqueSuffix,
} from '../store-records.js';

/** What a contract test may set on a fresh store. */
export interface ReleaseStoreOptions {
  readonly maxPackageIndexEntries?: number;
}

export function describeReleaseStoreContract(
  name: string,
  makeStore: (options?: ReleaseStoreOptions) => Promise<ReleaseStore>,
): void {
  describe(`Contract: ReleaseStore (${name})`, () => {
    let store: ReleaseStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    /** A revocation record of the release. */
    const revocation = (repository: string, digest: Digest, reason = 'CVE-2026-0001 in openssl') => ({
      repository,
      digest,
      revokedAt: '2026-05-01T00:00:00.000Z',
      revokedBy: 'ops@example.com (local, unauthenticated)',
      reason,
    });

    /** A pending approval under a fresh id, already stored. */
    async function storedApproval(overrides: Partial<ApprovalRecord> = {}): Promise<ApprovalRecord> {
      const pending = approvalRecord(`appr-${uniqueSuffix()}`, overrides);
      await store.putApproval(pending);
      return pending;
    }

    describe('Method: recordRelease', () => {
      describe('when the digest was not recorded before', () => {
        it('writes the record and reports it as created', async () => {
          // Prepare
          const rec = releaseRecord(newRepository(), newDigest());

          // Act
          const result = await store.recordRelease(rec);

          // Assess
          expect(result).toEqual({ record: rec, created: true });
          expect(await store.getRelease(rec.repository, rec.digest)).toEqual(rec);
        });
      });

      describe('when the digest was already recorded', () => {
        it('keeps and returns the existing record', async () => {
          // Prepare
          const first = releaseRecord(newRepository(), newDigest());
          await store.recordRelease(first);
          const second = { ...first, stage: 'staging', executionName: 'another-execution' };

          // Act
          const result = await store.recordRelease(second);

          // Assess
          expect(result).toEqual({ record: first, created: false });
          expect(await store.getRelease(first.repository, first.digest)).toEqual(first);
        });
      });

      describe('when the record is invalid', () => {
        it('throws InvalidInputError and writes nothing', async () => {
          // Prepare
          const repository = newRepository();
          const rec = { ...releaseRecord(repository, newDigest()), digest: 'sha256:short' };

          // Act
          const act = store.recordRelease(rec);

          // Assess
          await expect(act).rejects.toBeInstanceOf(InvalidInputError);
          expect(await store.getRelease(repository, 'sha256:short')).toBeNull();
        });
      });

      describe('when the record carries properties the schema does not know', () => {
        it('stores only the schema fields', async () => {
          // Prepare
          const rec = releaseRecord(newRepository(), newDigest());

          // Act
          const withUnknown = { ...rec, pk: 'REL#other', note: 'not a field' };
          const result = await store.recordRelease(withUnknown);

          // Assess
          expect(result.record).toEqual(rec);
          expect(await store.getRelease(rec.repository, rec.digest)).toStrictEqual(rec);
        });
      });

      describe('when the caller changes its objects afterwards', () => {
        it('keeps what was stored', async () => {
          // Prepare
          const platforms = [{ digest: newDigest(), platform: 'linux/amd64' }];
          const rec = releaseRecord(newRepository(), newDigest(), { platforms });
          const { record } = await store.recordRelease(rec);
          const read = await store.getRelease(rec.repository, rec.digest);

          // Act
          platforms.push({ digest: newDigest(), platform: 'linux/arm64' });
          Object.assign(record, { state: 'PROMOTED' });
          if (read !== null) Object.assign(read, { stage: 'tampered' });

          // Assess
          expect(await store.getRelease(rec.repository, rec.digest)).toEqual({
            ...rec,
            platforms: platforms.slice(0, 1),
          });
        });
      });
    });

    describe('Method: getRelease', () => {
      describe('when the release is unknown', () => {
        it('returns null', async () => {
          // Act
          const result = await store.getRelease(newRepository(), newDigest());

          // Assess
          expect(result).toBeNull();
        });
      });
    });

    describe('Method: updateReleaseState', () => {
      async function recordedIn(state: ReleaseState) {
        const rec = releaseRecord(newRepository(), newDigest());
        await store.recordRelease(rec);
        if (state !== 'RECORDED') await store.updateReleaseState(rec.repository, rec.digest, state);
        return rec;
      }

      describe('when the state moves forward', () => {
        it('stores the new state and the outcome fields', async () => {
          // Prepare
          const rec = releaseRecord(newRepository(), newDigest());
          await store.recordRelease(rec);
          await store.updateReleaseState(rec.repository, rec.digest, 'EVALUATED');

          // Act
          const updated = await store.updateReleaseState(rec.repository, rec.digest, 'QUARANTINED', {
            outcome: 'QUARANTINED',
            outcomeReasons: ['signature: MISSING'],
            decidedAt: '2026-01-10T11:00:00.000Z',
          });

          // Assess
          expect(updated).toEqual({
            ...rec,
            state: 'QUARANTINED',
            outcome: 'QUARANTINED',
            outcomeReasons: ['signature: MISSING'],
            decidedAt: '2026-01-10T11:00:00.000Z',
          });
          expect(await store.getRelease(rec.repository, rec.digest)).toEqual(updated);
        });

        it.each([
          ['RECORDED', 'EVALUATED'],
          ['RECORDED', 'AWAITING_APPROVAL'],
          ['RECORDED', 'PROMOTED'],
          ['EVALUATED', 'AWAITING_APPROVAL'],
          ['EVALUATED', 'QUARANTINED'],
          ['AWAITING_APPROVAL', 'PROMOTED'],
          ['AWAITING_APPROVAL', 'QUARANTINED'],
        ] as const)('allows %s → %s', async (from, to) => {
          // Prepare
          const rec = await recordedIn(from);

          // Act
          const updated = await store.updateReleaseState(rec.repository, rec.digest, to);

          // Assess
          expect(updated.state).toBe(to);
          expect((await store.getRelease(rec.repository, rec.digest))?.state).toBe(to);
        });

        it('keeps the fields an update does not name', async () => {
          // Prepare
          const rec = await recordedIn('EVALUATED');
          await store.updateReleaseState(rec.repository, rec.digest, 'AWAITING_APPROVAL', {
            outcomeReasons: ['approval requested'],
          });

          // Act
          const updated = await store.updateReleaseState(rec.repository, rec.digest, 'PROMOTED', {
            outcome: 'PROMOTED',
          });

          // Assess
          expect(updated).toEqual({
            ...rec,
            state: 'PROMOTED',
            outcome: 'PROMOTED',
            outcomeReasons: ['approval requested'],
          });
        });
      });

      describe('when the release is already in the same terminal state', () => {
        it('is a no-op that returns the stored record', async () => {
          // Prepare
          const rec = releaseRecord(newRepository(), newDigest());
          await store.recordRelease(rec);
          const promoted = await store.updateReleaseState(rec.repository, rec.digest, 'PROMOTED', {
            outcome: 'PROMOTED',
            decidedAt: '2026-01-10T11:00:00.000Z',
          });

          // Act
          const again = await store.updateReleaseState(rec.repository, rec.digest, 'PROMOTED', {
            outcome: 'PROMOTED',
            decidedAt: '2026-01-10T12:00:00.000Z',
          });

          // Assess
          expect(again).toEqual(promoted);
          expect(again.decidedAt).toBe('2026-01-10T11:00:00.000Z');
          expect(await store.getRelease(rec.repository, rec.digest)).toEqual(promoted);
        });
      });

      describe('when the release is in the other terminal state', () => {
        it('throws ConflictError and keeps the terminal state', async () => {
          // Prepare
          const rec = releaseRecord(newRepository(), newDigest());
          await store.recordRelease(rec);
          await store.updateReleaseState(rec.repository, rec.digest, 'PROMOTED', { outcome: 'PROMOTED' });

          // Act
          const act = store.updateReleaseState(rec.repository, rec.digest, 'QUARANTINED', {
            outcome: 'QUARANTINED',
          });

          // Assess
          await expect(act).rejects.toBeInstanceOf(ConflictError);
          const stored = await store.getRelease(rec.repository, rec.digest);
          expect(stored?.state).toBe('PROMOTED');
          expect(stored?.outcome).toBe('PROMOTED');
        });
      });

      const REFUSED_MOVES: readonly (readonly [string, readonly (readonly [ReleaseState, ReleaseState])[]])[] = [
        ['the release is terminal and a non-terminal state is asked', [['QUARANTINED', 'AWAITING_APPROVAL']]],
        [
          'the state would move backwards',
          [
            ['AWAITING_APPROVAL', 'EVALUATED'],
            ['EVALUATED', 'RECORDED'],
            ['AWAITING_APPROVAL', 'RECORDED'],
            ['PROMOTED', 'EVALUATED'],
            ['QUARANTINED', 'RECORDED'],
          ],
        ],
      ];

      describe.each(REFUSED_MOVES)('when %s', (_when, moves) => {
        it.each(moves)('refuses %s → %s with ConflictError and keeps the state', async (from, to) => {
          // Prepare
          const rec = await recordedIn(from);

          // Act
          const act = store.updateReleaseState(rec.repository, rec.digest, to);

          // Assess
          await expect(act).rejects.toBeInstanceOf(ConflictError);
          await expect(act).rejects.toMatchObject({ name: 'ConflictError', code: 'CONFLICT' });
          expect((await store.getRelease(rec.repository, rec.digest))?.state).toBe(from);
        });
      });

      describe('when the same non-terminal state is asked again (a retry)', () => {
        it('succeeds', async () => {
          // Prepare
          const rec = releaseRecord(newRepository(), newDigest());
          await store.recordRelease(rec);
          await store.updateReleaseState(rec.repository, rec.digest, 'EVALUATED');

          // Act
          const again = await store.updateReleaseState(rec.repository, rec.digest, 'EVALUATED');

          // Assess
          expect(again.state).toBe('EVALUATED');
        });
      });

      describe('when an approval round starts (AWAITING_APPROVAL again, with approvalRound)', () => {
        it('stores the round and keeps it on later moves that do not name it', async () => {
          // Prepare
          const rec = releaseRecord(newRepository(), newDigest());
          await store.recordRelease(rec);
          await store.updateReleaseState(rec.repository, rec.digest, 'AWAITING_APPROVAL');

          // Act
          const next = await store.updateReleaseState(rec.repository, rec.digest, 'AWAITING_APPROVAL', {
            approvalRound: 1,
          });
          const done = await store.updateReleaseState(rec.repository, rec.digest, 'PROMOTED', { outcome: 'PROMOTED' });

          // Assess
          expect(next).toMatchObject({ state: 'AWAITING_APPROVAL', approvalRound: 1 });
          expect(done).toMatchObject({ state: 'PROMOTED', approvalRound: 1 });
        });
      });

      describe('when the release is unknown', () => {
        it('throws NotFoundError and creates nothing', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();

          // Act
          const act = store.updateReleaseState(repository, digest, 'PROMOTED');

          // Assess
          await expect(act).rejects.toBeInstanceOf(NotFoundError);
          expect(await store.getRelease(repository, digest)).toBeNull();
        });
      });

      describe('when the update is invalid', () => {
        it('throws InvalidInputError and changes nothing', async () => {
          // Prepare
          const rec = await recordedIn('EVALUATED');
          const outcome = 'SHIPPED' as unknown as 'PROMOTED';

          // Act
          const act = store.updateReleaseState(rec.repository, rec.digest, 'PROMOTED', { outcome });

          // Assess
          await expect(act).rejects.toBeInstanceOf(InvalidInputError);
          expect(await store.getRelease(rec.repository, rec.digest)).toEqual({ ...rec, state: 'EVALUATED' });
        });
      });
    });

    describe('Method: resubmitRelease / getRoundArchive', () => {
      /** A release quarantined in round 1 with its evidence and decision stored. */
      async function quarantined() {
        const rec = releaseRecord(newRepository(), newDigest());
        await store.recordRelease(rec);
        const evidence = evidenceRecord(rec.repository, rec.digest, { kind: 'eval', status: 'FAIL' });
        await store.putEvidence(evidence);
        const decision = decisionRecord(rec.repository, rec.digest);
        await store.putDecision(decision);
        await store.updateReleaseState(rec.repository, rec.digest, 'QUARANTINED', {
          outcome: 'QUARANTINED',
          outcomeReasons: ['eval: FAIL'],
          decidedAt: '2026-01-10T11:00:00.000Z',
        });
        return { rec, evidence, decision };
      }
      const resubmission = (rec: { repository: string; digest: Digest }, round = 2) => ({
        repository: rec.repository,
        digest: rec.digest,
        round,
        executionName: `resubmitted-r${round}`,
        by: 'carol@example.com (local, unauthenticated)',
        at: '2026-01-11T09:00:00.000Z',
        reason: 'the eval was re-run',
      });

      describe('when the release is QUARANTINED', () => {
        it('moves it to RECORDED in the next round, keeping the ended round and its records', async () => {
          // Prepare
          const { rec, evidence, decision } = await quarantined();

          // Act
          const next = await store.resubmitRelease(resubmission(rec));

          // Assess
          expect(next).toEqual({
            ...rec,
            state: 'RECORDED',
            executionName: 'resubmitted-r2',
            gateRound: 2,
            approvalRound: 1,
            rounds: [
              {
                round: 1,
                executionName: rec.executionName,
                state: 'QUARANTINED',
                outcome: 'QUARANTINED',
                outcomeReasons: ['eval: FAIL'],
                decidedAt: '2026-01-10T11:00:00.000Z',
                approvalRound: 0,
                decisionDocument: decision.documentDigest,
                resubmittedBy: 'carol@example.com (local, unauthenticated)',
                resubmittedAt: '2026-01-11T09:00:00.000Z',
                reason: 'the eval was re-run',
              },
            ],
          });
          expect(await store.getRelease(rec.repository, rec.digest)).toEqual(next);
          expect(await store.getRoundArchive(rec.repository, rec.digest, 1)).toEqual({
            evidence: [evidence],
            decision,
          });
          expect(await store.getRoundArchive(rec.repository, rec.digest, 2)).toEqual({ evidence: [], decision: null });
        });

        it('keeps the archived round when the next round replaces the current records', async () => {
          // Prepare
          const { rec, evidence, decision } = await quarantined();
          await store.resubmitRelease(resubmission(rec));

          // Act
          await store.putEvidence({ ...evidence, status: 'PASS', round: 1 });
          await store.putDecision({ ...decision, decision: 'PASS', reasons: [], round: 1 });

          // Assess
          expect((await store.getEvidence(rec.repository, rec.digest, 'eval'))?.status).toBe('PASS');
          expect((await store.getDecision(rec.repository, rec.digest))?.decision).toBe('PASS');
          expect(await store.getRoundArchive(rec.repository, rec.digest, 1)).toEqual({
            evidence: [evidence],
            decision,
          });
        });
      });

      describe('when a record of a later approval round is stored already (a next round that won a race)', () => {
        it('archives only the records of the ended round', async () => {
          // Prepare
          const { rec, evidence } = await quarantined();
          const later = evidenceRecord(rec.repository, rec.digest, { kind: 'approval', status: 'PASS', round: 1 });
          await store.putEvidence(later);

          // Act
          await store.resubmitRelease(resubmission(rec));

          // Assess
          expect((await store.getRoundArchive(rec.repository, rec.digest, 1)).evidence).toEqual([evidence]);
        });
      });

      describe('when two requests for the same round arrive at the same time', () => {
        it('starts the round once and refuses the other with ConflictError', async () => {
          // Prepare
          const { rec } = await quarantined();

          // Act
          const results = await Promise.allSettled([
            store.resubmitRelease(resubmission(rec)),
            store.resubmitRelease({ ...resubmission(rec), executionName: 'other-r2', by: 'dave' }),
          ]);

          // Assess
          expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
          const rejected = results.find((r) => r.status === 'rejected');
          expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(ConflictError);
          expect((await store.getRelease(rec.repository, rec.digest))?.rounds).toHaveLength(1);
        });
      });

      describe('when the round was already started', () => {
        it('throws ConflictError and changes nothing', async () => {
          // Prepare
          const { rec } = await quarantined();
          const next = await store.resubmitRelease(resubmission(rec));

          // Act & Assess
          await expect(store.resubmitRelease(resubmission(rec))).rejects.toThrow(ConflictError);
          expect(await store.getRelease(rec.repository, rec.digest)).toEqual(next);
        });
      });

      describe.each(['RECORDED', 'EVALUATED', 'AWAITING_APPROVAL', 'PROMOTED'] as const)(
        'when the release is %s',
        (state) => {
          it('throws ConflictError and changes nothing', async () => {
            // Prepare
            const rec = releaseRecord(newRepository(), newDigest());
            await store.recordRelease(rec);
            if (state !== 'RECORDED') await store.updateReleaseState(rec.repository, rec.digest, state);
            const before = await store.getRelease(rec.repository, rec.digest);

            // Act & Assess
            await expect(store.resubmitRelease(resubmission(rec))).rejects.toThrow(ConflictError);
            expect(await store.getRelease(rec.repository, rec.digest)).toEqual(before);
          });
        },
      );

      describe('when the round is past MAX_GATE_ROUNDS', () => {
        it('throws InvalidInputError', async () => {
          // Prepare
          const { rec } = await quarantined();

          // Act & Assess
          await expect(store.resubmitRelease(resubmission(rec, MAX_GATE_ROUNDS + 1))).rejects.toThrow(
            InvalidInputError,
          );
        });
      });

      describe('when the release is unknown', () => {
        it('throws NotFoundError', async () => {
          await expect(
            store.resubmitRelease(resubmission({ repository: newRepository(), digest: newDigest() })),
          ).rejects.toThrow(NotFoundError);
        });
      });
    });

    describe('Method: listReleases', () => {
      it('lists the most recently recorded releases first, up to the limit', async () => {
        // Prepare
        const repository = newRepository();
        const recs = ['2030-01-01T00:00:01.000Z', '2030-01-01T00:00:03.000Z', '2030-01-01T00:00:02.000Z'].map((at) =>
          releaseRecord(repository, newDigest(), { recordedAt: at }),
        );
        for (const rec of recs) await store.recordRelease(rec);

        // Act
        const listed = await store.listReleases(2);

        // Assess
        expect(listed.map((r) => r.recordedAt)).toEqual(['2030-01-01T00:00:03.000Z', '2030-01-01T00:00:02.000Z']);
      });

      it('orders releases recorded at the same time by repository@digest, descending', async () => {
        // Prepare
        const at = '2030-02-01T00:00:00.000Z';
        const recs = [newRepository(), newRepository(), newRepository()].map((repository) =>
          releaseRecord(repository, newDigest(), { recordedAt: at }),
        );
        for (const rec of recs) await store.recordRelease(rec);

        // Act
        const listed = await store.listReleases();

        // Assess
        const references = recs.map((r) => `${r.repository}@${r.digest}`);
        expect(listed.map((r) => `${r.repository}@${r.digest}`)).toEqual([...references].sort().reverse());
      });

      it('lists at most 100 releases by default, and every state', async () => {
        // Prepare
        const repository = newRepository();
        for (let i = 0; i < 101; i++) {
          const at = `2031-01-01T00:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(3, '0')}Z`;
          await store.recordRelease(releaseRecord(repository, newDigest(), { recordedAt: at }));
        }
        const [newest] = await store.listReleases(1);
        if (newest === undefined) throw new Error('nothing listed');
        await store.updateReleaseState(newest.repository, newest.digest, 'QUARANTINED');

        // Act
        const listed = await store.listReleases();

        // Assess
        expect(listed).toHaveLength(100);
        expect(listed[0]).toMatchObject({ digest: newest.digest, state: 'QUARANTINED' });
      });

      it.each([0, -1, 1.5])('throws InvalidInputError for the limit %s', async (limit) => {
        // Act
        const act = store.listReleases(limit);

        // Assess
        await expect(act).rejects.toBeInstanceOf(InvalidInputError);
      });
    });

    describe('Method: putEvidence / getEvidence / listEvidence', () => {
      describe('when evidence of that kind was already stored', () => {
        it('keeps the first record and returns it', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();
          const first = evidenceRecord(repository, digest, { status: 'FAIL', reasons: ['subject mismatch'] });
          await store.putEvidence(first);

          // Act
          const result = await store.putEvidence(evidenceRecord(repository, digest, { status: 'PASS' }));

          // Assess
          expect(result).toEqual(first);
          expect(await store.getEvidence(repository, digest, 'sbom')).toEqual(first);
        });
      });

      describe('when the evidence is of a later approval round than the stored record', () => {
        it('replaces it; within that round the first write wins again', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();
          await store.putEvidence(evidenceRecord(repository, digest, { kind: 'approval', status: 'PASS' }));
          const later = evidenceRecord(repository, digest, { kind: 'approval', status: 'FAIL', round: 1 });

          // Act
          const replaced = await store.putEvidence(later);
          const retried = await store.putEvidence({ ...later, status: 'PASS' });
          const earlier = await store.putEvidence(evidenceRecord(repository, digest, { kind: 'approval' }));

          // Assess
          expect([replaced, retried, earlier]).toEqual([later, later, later]);
          expect(await store.getEvidence(repository, digest, 'approval')).toEqual(later);
        });
      });

      describe('when the evidence is new', () => {
        it('returns it as stored', async () => {
          // Prepare
          const ev = evidenceRecord(newRepository(), newDigest());

          // Act
          const result = await store.putEvidence(ev);

          // Assess
          expect(result).toEqual(ev);
          expect(await store.getEvidence(ev.repository, ev.digest, ev.kind)).toEqual(ev);
        });
      });

      describe('when several kinds are stored', () => {
        it('lists all of them for the release and nothing of other releases', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();
          await store.recordRelease(releaseRecord(repository, digest));
          await store.putEvidence(evidenceRecord(repository, digest, { kind: 'sbom' }));
          await store.putEvidence(
            evidenceRecord(repository, digest, { kind: 'signature', status: 'MISSING', documents: [] }),
          );
          await store.putEvidence(evidenceRecord(repository, newDigest(), { kind: 'provenance' }));

          // Act
          const listed = await store.listEvidence(repository, digest);

          // Assess
          expect(listed.map((e) => e.kind).sort()).toEqual(['sbom', 'signature']);
          expect(await store.getEvidence(repository, digest, 'provenance')).toBeNull();
        });

        it('lists them by kind, whatever the order they were stored in', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();
          for (const kind of ['signature', 'approval', 'sbom', 'eval', 'dependency-diff'] as const) {
            await store.putEvidence(evidenceRecord(repository, digest, { kind }));
          }

          // Act
          const listed = await store.listEvidence(repository, digest);

          // Assess
          expect(listed.map((e) => e.kind)).toEqual(['approval', 'dependency-diff', 'eval', 'sbom', 'signature']);
        });
      });

      describe('when the release has no evidence', () => {
        it('lists nothing', async () => {
          // Act
          const listed = await store.listEvidence(newRepository(), newDigest());

          // Assess
          expect(listed).toEqual([]);
        });
      });

      describe('when the record is invalid', () => {
        it('throws InvalidInputError and writes nothing', async () => {
          // Prepare
          const ev = evidenceRecord(newRepository(), newDigest());
          const invalid = { ...ev, documents: [{ name: 'x', mediaType: 'text/plain', digest: 'md5:1', size: -1 }] };

          // Act
          const act = store.putEvidence(invalid);

          // Assess
          await expect(act).rejects.toBeInstanceOf(InvalidInputError);
          await expect(act).rejects.toThrow(/documents/);
          expect(await store.getEvidence(ev.repository, ev.digest, ev.kind)).toBeNull();
        });
      });
    });

    describe('Method: putDecision / getDecision', () => {
      it('keeps the first decision (a replayed evaluation gets it back)', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        const first = decisionRecord(repository, digest);
        await store.putDecision(first);

        // Act
        const result = await store.putDecision({ ...first, decision: 'PASS', reasons: [] });

        // Assess
        expect(result).toEqual(first);
        expect(await store.getDecision(repository, digest)).toEqual(first);
      });

      it('replaces the decision with one of a later approval round, and keeps that one on a replay', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        await store.putDecision(decisionRecord(repository, digest));
        const later = {
          ...decisionRecord(repository, digest),
          decision: 'PASS' as const,
          reasons: ['again'],
          round: 1,
        };

        // Act
        const replaced = await store.putDecision(later);
        const replayed = await store.putDecision({ ...later, reasons: ['replayed'] });

        // Assess
        expect([replaced, replayed]).toEqual([later, later]);
        expect(await store.getDecision(repository, digest)).toEqual(later);
      });

      it('returns null for a release without a decision', async () => {
        // Act
        const result = await store.getDecision(newRepository(), newDigest());

        // Assess
        expect(result).toBeNull();
      });

      it('throws InvalidInputError for an invalid decision and writes nothing', async () => {
        // Prepare
        const rec = decisionRecord(newRepository(), newDigest());
        const decision = 'MAYBE' as unknown as 'PASS';

        // Act
        const act = store.putDecision({ ...rec, decision });

        // Assess
        await expect(act).rejects.toBeInstanceOf(InvalidInputError);
        expect(await store.getDecision(rec.repository, rec.digest)).toBeNull();
      });
    });

    describe('Method: putApproval', () => {
      describe('when the approval id is taken', () => {
        it('throws ConflictError and keeps the first record', async () => {
          // Prepare
          const first = await storedApproval();
          const id = first.approvalId;

          // Act
          const act = store.putApproval(approvalRecord(id, { taskToken: 'other' }));

          // Assess
          await expect(act).rejects.toBeInstanceOf(ConflictError);
          expect(await store.getApproval(id)).toEqual(first);
        });
      });

      describe('when the record is invalid', () => {
        it('throws InvalidInputError and writes nothing', async () => {
          // Prepare
          const id = `appr-${uniqueSuffix()}`;
          const state = 'WAITING' as unknown as 'PENDING';

          // Act
          const act = store.putApproval(approvalRecord(id, { state }));

          // Assess
          await expect(act).rejects.toBeInstanceOf(InvalidInputError);
          expect(await store.getApproval(id)).toBeNull();
        });
      });
    });

    describe('Method: decideApproval', () => {
      describe('when the approval is pending', () => {
        it('stores the answer, who gave it, when, and the comment', async () => {
          // Prepare
          const pending = await storedApproval();
          const id = pending.approvalId;

          // Act
          const decided = await store.decideApproval(
            id,
            'APPROVED',
            'alice@example.com',
            '2026-01-10T10:06:00.000Z',
            '',
          );

          // Assess
          expect(decided).toEqual({
            ...pending,
            state: 'APPROVED',
            decidedBy: 'alice@example.com',
            decidedAt: '2026-01-10T10:06:00.000Z',
            comment: '',
          });
          expect(await store.getApproval(id)).toEqual(decided);
        });

        it('stores no comment when none is given', async () => {
          // Prepare
          const { approvalId: id } = await storedApproval();

          // Act
          const decided = await store.decideApproval(id, 'REJECTED', 'bob', '2026-01-10T10:06:00.000Z');

          // Assess
          expect(decided).not.toHaveProperty('comment');
          expect(await store.getApproval(id)).not.toHaveProperty('comment');
        });
      });

      describe('when two answers arrive at the same time', () => {
        it('accepts exactly one and rejects the other with ALREADY_DECIDED', async () => {
          // Prepare
          const { approvalId: id } = await storedApproval();

          // Act
          const results = await Promise.allSettled([
            store.decideApproval(id, 'APPROVED', 'alice@example.com', '2026-01-10T10:06:00.000Z', 'ship it'),
            store.decideApproval(id, 'REJECTED', 'bob@example.com', '2026-01-10T10:06:00.000Z'),
          ]);

          // Assess
          const won = results.filter((r) => r.status === 'fulfilled');
          const lost = results.filter((r) => r.status === 'rejected');
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(1);
          expect(lost[0]?.reason).toBeInstanceOf(GateError);
          expect(lost[0]?.reason).toMatchObject({ code: 'ALREADY_DECIDED' });
          const stored = await store.getApproval(id);
          const winner = won[0]?.status === 'fulfilled' ? won[0].value : undefined;
          expect(stored).toEqual(winner);
          expect(winner?.decidedBy).toBe(winner?.state === 'APPROVED' ? 'alice@example.com' : 'bob@example.com');
        });
      });

      describe('when the approval was answered before', () => {
        it('throws ALREADY_DECIDED and keeps the first answer', async () => {
          // Prepare
          const { approvalId: id } = await storedApproval();
          const first = await store.decideApproval(id, 'EXPIRED', 'system', '2026-01-11T10:05:00.000Z');

          // Act
          const act = store.decideApproval(id, 'APPROVED', 'alice@example.com', '2026-01-11T10:06:00.000Z');

          // Assess
          await expect(act).rejects.toThrowWithCode(AlreadyDecidedError, 'ALREADY_DECIDED');
          await expect(act).rejects.toMatchObject({ name: 'AlreadyDecidedError' });
          expect(first).toMatchObject({ state: 'EXPIRED', decidedBy: 'system' });
          expect(await store.getApproval(id)).toEqual(first);
        });
      });

      describe('when the approval id is unknown', () => {
        it('throws NotFoundError', async () => {
          // Act
          const act = store.decideApproval('no-such-approval', 'APPROVED', 'alice', '2026-01-10T10:06:00.000Z');

          // Assess
          await expect(act).rejects.toBeInstanceOf(NotFoundError);
          expect(await store.getApproval('no-such-approval')).toBeNull();
        });
      });

      describe('when the answer is not a decided state', () => {
        it('throws InvalidInputError and leaves the approval pending', async () => {
          // Prepare
          const { approvalId: id } = await storedApproval();
          const state = 'PENDING' as unknown as 'APPROVED';

          // Act
          const act = store.decideApproval(id, state, 'alice', '2026-01-10T10:06:00.000Z');

          // Assess
          await expect(act).rejects.toBeInstanceOf(InvalidInputError);
          expect((await store.getApproval(id))?.state).toBe('PENDING');
        });
      });
    });

    describe('Method: supersedeApproval', () => {
      const supersession = {
        at: '2026-01-10T11:00:00.000Z',
        reason: 'evidence-changed-after-approval: the scan changed',
        approvedEvidenceSetDigest: newDigest(),
        currentEvidenceSetDigest: newDigest(),
      };

      describe('when the approval was approved', () => {
        it('marks it SUPERSEDED with the supersession, keeps the rest, and lists it under its state', async () => {
          // Prepare
          const { approvalId: id } = await storedApproval();
          const approved = await store.decideApproval(id, 'APPROVED', 'alice@example.com', '2026-01-10T10:06:00.000Z');

          // Act
          const superseded = await store.supersedeApproval(id, supersession);
          const again = await store.supersedeApproval(id, { ...supersession, reason: 'a retry' });

          // Assess
          expect(superseded).toEqual({ ...approved, state: 'SUPERSEDED', supersession });
          expect(again).toEqual(superseded);
          expect(await store.getApproval(id)).toEqual(superseded);
          expect((await store.listApprovals('SUPERSEDED')).map((a) => a.approvalId)).toContain(id);
          expect((await store.listApprovals('APPROVED')).map((a) => a.approvalId)).not.toContain(id);
        });
      });

      describe('when the approval is pending or was rejected', () => {
        it('throws ALREADY_DECIDED and changes nothing', async () => {
          // Prepare
          const pending = await storedApproval();
          const { approvalId: rejectedId } = await storedApproval();
          const rejected = await store.decideApproval(rejectedId, 'REJECTED', 'bob', '2026-01-10T10:06:00.000Z');

          // Act
          const onPending = store.supersedeApproval(pending.approvalId, supersession);
          const onRejected = store.supersedeApproval(rejectedId, supersession);

          // Assess
          await expect(onPending).rejects.toThrowWithCode(AlreadyDecidedError, 'ALREADY_DECIDED');
          await expect(onRejected).rejects.toThrowWithCode(AlreadyDecidedError, 'ALREADY_DECIDED');
          expect((await store.getApproval(pending.approvalId))?.state).toBe('PENDING');
          expect(await store.getApproval(rejectedId)).toEqual(rejected);
        });
      });

      describe('when the approval id is unknown', () => {
        it('throws NotFoundError', async () => {
          // Act
          const act = store.supersedeApproval('no-such-approval', supersession);

          // Assess
          await expect(act).rejects.toBeInstanceOf(NotFoundError);
        });
      });
    });

    describe('Method: addApproval', () => {
      const entry = (by: string, person = by) => ({ by, person, at: '2026-01-10T10:06:00.000Z', comment: `${by} ok` });

      describe('when two different people approve at the same time and two are required', () => {
        it('keeps both approvals, oldest write first, and the approval stays PENDING', async () => {
          // Prepare
          const { approvalId: id } = await storedApproval({ required: 2 });

          // Act
          const results = await Promise.all([
            store.addApproval(id, entry('alice@example.com')),
            store.addApproval(id, entry('bob@example.com')),
          ]);

          // Assess
          expect(results.map((r) => r.added)).toEqual([true, true]);
          const stored = await store.getApproval(id);
          expect(stored?.state).toBe('PENDING');
          expect(stored?.approvals.map((a) => a.person).sort()).toEqual(['alice@example.com', 'bob@example.com']);
          expect(results.map((r) => r.record.approvals.length).sort()).toEqual([1, 2]);
        });
      });

      describe('when more people approve at the same time than the quorum needs', () => {
        it('keeps exactly `required` approvals and tells the others added false with the full record', async () => {
          // Prepare
          const one = await storedApproval({ required: 1 });
          const two = await storedApproval({ required: 2 });
          const people = ['alice@example.com', 'bob@example.com', 'carol@example.com'];

          // Act
          const ofOne = await Promise.all(people.map((p) => store.addApproval(one.approvalId, entry(p))));
          const ofTwo = await Promise.all(people.map((p) => store.addApproval(two.approvalId, entry(p))));
          const late = await store.addApproval(one.approvalId, entry('dave@example.com'));

          // Assess
          expect(ofOne.filter((r) => r.added)).toHaveLength(1);
          expect(ofTwo.filter((r) => r.added)).toHaveLength(2);
          expect(late).toMatchObject({ added: false });
          expect(late.record.approvals).toHaveLength(1);
          const storedOne = await store.getApproval(one.approvalId);
          const storedTwo = await store.getApproval(two.approvalId);
          expect(storedOne?.approvals.map((a) => a.person)).toEqual(
            ofOne.filter((r) => r.added).flatMap((r) => r.record.approvals.map((a) => a.person)),
          );
          expect(storedTwo?.approvals).toHaveLength(2);
          expect(storedOne?.state).toBe('PENDING');
        });
      });

      describe('when the same person approves twice (even at the same time, through two identities)', () => {
        it('counts the person once and returns the stored record with added false', async () => {
          // Prepare
          const { approvalId: id } = await storedApproval();

          // Act
          const results = await Promise.all([
            store.addApproval(id, entry('alice@example.com', 'alice')),
            store.addApproval(id, entry('U024BE7LH', 'alice')),
          ]);
          const again = await store.addApproval(id, entry('alice@example.com', 'alice'));

          // Assess
          expect(results.map((r) => r.added).sort()).toEqual([false, true]);
          expect(again.added).toBe(false);
          expect(again.record.approvals).toHaveLength(1);
          expect((await store.getApproval(id))?.approvals).toHaveLength(1);
        });
      });

      describe('when the approval was already decided', () => {
        it('throws ALREADY_DECIDED and stores nothing', async () => {
          // Prepare
          const { approvalId: id } = await storedApproval();
          await store.decideApproval(id, 'REJECTED', 'bob@example.com', '2026-01-10T10:06:00.000Z');

          // Act
          const act = store.addApproval(id, entry('alice@example.com'));

          // Assess
          await expect(act).rejects.toMatchObject({ code: 'ALREADY_DECIDED' });
          expect((await store.getApproval(id))?.approvals).toEqual([]);
        });
      });

      describe('when the approval does not exist', () => {
        it('throws NotFoundError', async () => {
          // Act
          const act = store.addApproval(`appr-${uniqueSuffix()}`, entry('alice@example.com'));

          // Assess
          await expect(act).rejects.toThrowWithCode(NotFoundError, 'NOT_FOUND');
        });
      });

      describe('when the entry is invalid', () => {
        it('throws InvalidInputError and stores nothing', async () => {
          // Prepare
          const { approvalId: id } = await storedApproval();

          // Act
          const act = store.addApproval(id, { by: '', person: '', at: 'now' });

          // Assess
          await expect(act).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
          expect((await store.getApproval(id))?.approvals).toEqual([]);
        });
      });
    });

    describe('Method: recordPusher / listPushers', () => {
      const pusher = (repository: string, digest: string, identity: string) => ({
        repository,
        digest,
        identity,
        source: 'cloudtrail' as const,
        at: '2026-01-10T10:00:00.000Z',
      });

      describe('when pushers are recorded before the release is', () => {
        it('lists each distinct identity once, sorted, and the release record is still created', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();

          // Act
          await store.recordPusher(pusher(repository, digest, 'arn:aws:iam::1:user/zed'));
          await store.recordPusher(pusher(repository, digest, 'arn:aws:iam::1:user/amy'));
          await store.recordPusher({
            ...pusher(repository, digest, 'arn:aws:iam::1:user/zed'),
            at: '2027-01-01T00:00:00.000Z',
          });
          const created = await store.recordRelease(releaseRecord(repository, digest));

          // Assess
          expect(created.created).toBe(true);
          expect(await store.listPushers(repository, digest)).toEqual([
            pusher(repository, digest, 'arn:aws:iam::1:user/amy'),
            pusher(repository, digest, 'arn:aws:iam::1:user/zed'),
          ]);
          expect(await store.listPushers(repository, newDigest())).toEqual([]);
          expect(await store.listPushedTags(repository, digest)).toEqual([]);
          expect(await store.listEvidence(repository, digest)).toEqual([]);
        });
      });

      describe('when the pusher record is invalid', () => {
        it('throws InvalidInputError', async () => {
          // Act
          const act = store.recordPusher(pusher(newRepository(), 'sha256:nope', 'arn:aws:iam::1:user/amy'));

          // Assess
          await expect(act).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
        });
      });
    });

    describe('Method: appendApprovalAudit / listApprovalAudit', () => {
      describe('when records are appended out of order, to two releases', () => {
        it('lists the records of each release oldest first, then by id', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();
          const late = approvalAuditRecord(repository, digest, { at: '2026-01-10T11:00:00.000Z', kind: 'decided' });
          const early = approvalAuditRecord(repository, digest, { at: '2026-01-10T09:00:00.000Z', kind: 'requested' });
          const sameTimeA = approvalAuditRecord(repository, digest, { id: 'a'.repeat(32) });
          const sameTimeB = approvalAuditRecord(repository, digest, { id: 'b'.repeat(32), kind: 'refused' });
          const other = approvalAuditRecord(repository, newDigest());

          // Act
          for (const rec of [late, sameTimeB, other, early, sameTimeA]) {
            expect(await store.appendApprovalAudit(rec)).toEqual({ record: rec, created: true });
          }

          // Assess
          expect(await store.listApprovalAudit(repository, digest)).toEqual([early, sameTimeA, sameTimeB, late]);
          expect(await store.listApprovalAudit(other.repository, other.digest)).toEqual([other]);
          expect(await store.listApprovalAudit(repository, newDigest())).toEqual([]);
        });
      });

      describe('when a record with the same time and id is appended again', () => {
        it('keeps the first one and returns it, not created', async () => {
          // Prepare
          const first = approvalAuditRecord(newRepository(), newDigest(), { kind: 'decided', outcome: 'approved' });
          await store.appendApprovalAudit(first);

          // Act
          const again = await store.appendApprovalAudit({ ...first, outcome: 'rejected', sourceIp: '198.51.100.1' });

          // Assess
          expect(again).toEqual({ record: first, created: false });
          expect(await store.listApprovalAudit(first.repository, first.digest)).toEqual([first]);
        });
      });

      describe('when the record lives beside the other items of the release', () => {
        it('is not listed as evidence, tags or pushers, and they are not listed as audit', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();
          await store.recordRelease(releaseRecord(repository, digest));
          await store.putEvidence(evidenceRecord(repository, digest));
          await store.recordPushedTag(repository, digest, 'v1');
          const rec = approvalAuditRecord(repository, digest);

          // Act
          await store.appendApprovalAudit(rec);

          // Assess
          expect(await store.listApprovalAudit(repository, digest)).toEqual([rec]);
          expect((await store.listEvidence(repository, digest)).map((e) => e.kind)).toEqual(['sbom']);
          expect(await store.listPushedTags(repository, digest)).toEqual(['v1']);
        });
      });

      describe('when the record is invalid', () => {
        it.each([
          ['a control character in the user agent', { userAgent: 'curl\u001b[2J' }],
          ['a user agent above its bound', { userAgent: 'x'.repeat(513) }],
          ['an id that is not 32 hex characters', { id: 'not-hex' }],
          ['a time that is not ISO 8601', { at: 'yesterday' }],
          ['an unknown kind', { kind: 'deleted' }],
          ['an empty outcome', { outcome: '' }],
        ])('throws InvalidInputError for %s, and stores nothing', async (_what, override) => {
          // Prepare
          const rec = { ...approvalAuditRecord(newRepository(), newDigest()), ...override };

          // Act
          const act = store.appendApprovalAudit(rec as ApprovalAuditRecord);

          // Assess
          await expect(act).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
          expect(await store.listApprovalAudit(rec.repository, rec.digest)).toEqual([]);
        });
      });
    });

    describe('Method: rebindApproval', () => {
      describe('when the approval is pending', () => {
        it('points it at the new task token and changes nothing else', async () => {
          // Prepare
          const pending = await storedApproval();

          // Act
          const rebound = await store.rebindApproval(pending.approvalId, 'token-of-the-retry', 'hash-of-the-retry');

          // Assess
          const expected = { ...pending, taskToken: 'token-of-the-retry', tokenHash: 'hash-of-the-retry' };
          expect(rebound).toEqual(expected);
          expect(await store.getApproval(pending.approvalId)).toEqual(expected);
          expect((await store.listApprovals('PENDING')).filter((a) => a.approvalId === pending.approvalId)).toEqual([
            expected,
          ]);
        });
      });

      describe('when the approval was answered', () => {
        it('throws ALREADY_DECIDED and keeps the answered token', async () => {
          // Prepare
          const { approvalId: id } = await storedApproval();
          const decided = await store.decideApproval(id, 'APPROVED', 'alice', '2026-01-10T10:06:00.000Z');

          // Act
          const act = store.rebindApproval(id, 'late-token', 'late-hash');

          // Assess
          await expect(act).rejects.toThrowWithCode(AlreadyDecidedError, 'ALREADY_DECIDED');
          expect(await store.getApproval(id)).toEqual(decided);
        });
      });

      describe('when the approval id is unknown', () => {
        it('throws NotFoundError and stores nothing', async () => {
          // Act
          const act = store.rebindApproval('no-such-approval', 'token', 'hash');

          // Assess
          await expect(act).rejects.toBeInstanceOf(NotFoundError);
          expect(await store.getApproval('no-such-approval')).toBeNull();
        });
      });
    });

    describe('Method: recordApprovalMessage', () => {
      describe('when no message is recorded yet', () => {
        it('stores the channel and ts and changes nothing else', async () => {
          // Prepare
          const pending = await storedApproval();
          const message = { channel: 'C0RELEASES', ts: '1765000000.000100' };

          // Act
          const recorded = await store.recordApprovalMessage(pending.approvalId, message);

          // Assess
          expect(recorded).toEqual({ ...pending, slackMessage: message });
          expect(await store.getApproval(pending.approvalId)).toEqual({ ...pending, slackMessage: message });
        });
      });

      describe('when a message is already recorded (a retried request)', () => {
        it('keeps the first one and returns it', async () => {
          // Prepare
          const { approvalId: id } = await storedApproval();
          const first = await store.recordApprovalMessage(id, { channel: 'C0RELEASES', ts: '1765000000.000100' });

          // Act
          const second = await store.recordApprovalMessage(id, { channel: 'C0OTHER', ts: '1765000009.000900' });

          // Assess
          expect(second).toEqual(first);
          expect((await store.getApproval(id))?.slackMessage).toEqual({
            channel: 'C0RELEASES',
            ts: '1765000000.000100',
          });
        });
      });

      describe('when the approval was answered already', () => {
        it('still records the message, so the outcome can update it', async () => {
          // Prepare
          const { approvalId: id } = await storedApproval();
          await store.decideApproval(id, 'REJECTED', 'alice', '2026-01-10T10:06:00.000Z');

          // Act
          const recorded = await store.recordApprovalMessage(id, { channel: 'C0RELEASES', ts: '1765000000.000100' });

          // Assess
          expect(recorded).toMatchObject({ state: 'REJECTED', slackMessage: { channel: 'C0RELEASES' } });
        });
      });

      describe('when the message reference is malformed or the id unknown', () => {
        it('throws and stores nothing', async () => {
          // Prepare
          const { approvalId: id } = await storedApproval();

          // Act
          const bad = store.recordApprovalMessage(id, { channel: '<!channel>', ts: 'now' });
          const unknown = store.recordApprovalMessage('no-such-approval', { channel: 'C0A', ts: '1.2' });

          // Assess
          await expect(bad).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
          await expect(unknown).rejects.toBeInstanceOf(NotFoundError);
          expect((await store.getApproval(id))?.slackMessage).toBeUndefined();
        });
      });
    });

    describe('Method: listApprovals', () => {
      it('lists approvals by state, following decisions', async () => {
        // Prepare
        const pendingId = `appr-${uniqueSuffix()}`;
        const decidedId = `appr-${uniqueSuffix()}`;
        await store.putApproval(approvalRecord(pendingId));
        await store.putApproval(approvalRecord(decidedId));
        await store.decideApproval(decidedId, 'REJECTED', 'bob', '2026-01-10T10:07:00.000Z');

        // Act
        const pending = (await store.listApprovals('PENDING')).map((a) => a.approvalId);
        const rejected = (await store.listApprovals('REJECTED')).map((a) => a.approvalId);
        const approved = (await store.listApprovals('APPROVED')).map((a) => a.approvalId);
        const all = (await store.listApprovals()).map((a) => a.approvalId);

        // Assess
        expect(pending).toContain(pendingId);
        expect(pending).not.toContain(decidedId);
        expect(rejected).toContain(decidedId);
        expect(all).toEqual(expect.arrayContaining([pendingId, decidedId]));
        expect(pending).toEqual([pendingId]);
        expect(rejected).toEqual([decidedId]);
        expect(approved).toEqual([]);
        expect(all).toHaveLength(2);
      });

      it('lists the oldest request first, then by approval id', async () => {
        // Prepare
        const [a, b, c] = ['appr-a', 'appr-b', 'appr-c'].map((p) => `${p}-${uniqueSuffix()}`);
        if (a === undefined || b === undefined || c === undefined) throw new Error('ids');
        await store.putApproval(approvalRecord(c, { requestedAt: '2026-01-10T10:05:00.000Z' }));
        await store.putApproval(approvalRecord(b, { requestedAt: '2026-01-10T09:00:00.000Z' }));
        await store.putApproval(approvalRecord(a, { requestedAt: '2026-01-10T10:05:00.000Z' }));

        // Act
        const all = (await store.listApprovals()).map((x) => x.approvalId);
        const pending = (await store.listApprovals('PENDING')).map((x) => x.approvalId);

        // Assess
        expect(all).toEqual([b, a, c]);
        expect(pending).toEqual([b, a, c]);
      });
    });

    describe('Method: getScanResult', () => {
      describe('when nothing, a token only, then a result was offered', () => {
        it('reads null, null, then the first result, and hands no token out', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();

          // Act
          const before = await store.getScanResult(repository, digest);
          await store.offerScanToken(repository, digest, 'token-1');
          const tokenOnly = await store.getScanResult(repository, digest);
          await store.offerScanResult(repository, digest, scanResult);
          await store.offerScanResult(repository, digest, { ...scanResult, status: 'FAILED' });
          const after = await store.getScanResult(repository, digest);

          // Assess
          expect([before, tokenOnly]).toEqual([null, null]);
          expect(after).toEqual(scanResult);
          expect(await store.getScanResult(newRepository(), digest)).toBeNull();
        });
      });
    });

    describe('Method: offerScanToken / offerScanResult', () => {
      describe('when the token arrives first', () => {
        it('gives the token to the result side', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();

          // Act
          const seenByToken = await store.offerScanToken(repository, digest, 'token-1');
          const seenByResult = await store.offerScanResult(repository, digest, scanResult);

          // Assess
          expect(seenByToken).toBeNull();
          expect(seenByResult).toBe('token-1');
        });
      });

      describe('when the result arrives first', () => {
        it('gives the result to the token side', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();

          // Act
          const seenByResult = await store.offerScanResult(repository, digest, scanResult);
          const seenByToken = await store.offerScanToken(repository, digest, 'token-1');

          // Assess
          expect(seenByResult).toBeNull();
          expect(seenByToken).toEqual(scanResult);
        });
      });

      describe('when either side is offered twice', () => {
        it('keeps the first result, hands out the latest token and never loses the pairing', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();
          const later: ScanCompletion = { ...scanResult, status: 'FAILED', completedAt: '2026-01-10T10:30:00.000Z' };

          // Act
          const r1 = await store.offerScanResult(repository, digest, scanResult);
          const r2 = await store.offerScanResult(repository, digest, later);
          const t1 = await store.offerScanToken(repository, digest, 'token-1');
          const t2 = await store.offerScanToken(repository, digest, 'token-2');
          const r3 = await store.offerScanResult(repository, digest, later);

          // Assess
          expect([r1, r2]).toEqual([null, null]);
          expect(t1).toEqual(scanResult);
          expect(t2).toEqual(scanResult);
          expect(r3).toBe('token-2');
        });
      });

      describe('when the same result is delivered again after the token was handed out', () => {
        it('hands out the token again (a retried delivery still answers the task)', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();
          await store.offerScanToken(repository, digest, 'token-1');
          const first = await store.offerScanResult(repository, digest, scanResult);

          // Act
          const duplicate = await store.offerScanResult(repository, digest, scanResult);

          // Assess
          expect(first).toBe('token-1');
          expect(duplicate).toBe('token-1');
          expect(await store.offerScanToken(repository, digest, 'token-1')).toEqual(scanResult);
        });
      });

      describe('when both sides arrive concurrently', () => {
        it('lets at least one side see the other in every race', async () => {
          // Prepare
          const pairs = Array.from({ length: 20 }, () => ({ repository: newRepository(), digest: newDigest() }));

          // Act
          const outcomes = await Promise.all(
            pairs.map(async ({ repository, digest }) => {
              const [result, token] = await Promise.all([
                store.offerScanToken(repository, digest, `token-${digest}`),
                store.offerScanResult(repository, digest, scanResult),
              ]);
              return { result, token, digest };
            }),
          );

          // Assess
          for (const { result, token, digest } of outcomes) {
            expect(result !== null || token !== null).toBe(true);
            if (token !== null) expect(token).toBe(`token-${digest}`);
            if (result !== null) expect(result).toEqual(scanResult);
          }
        });
      });

      describe('when another release is scanned', () => {
        it('does not pair with it', async () => {
          // Prepare
          const repository = newRepository();
          await store.offerScanToken(repository, newDigest(), 'token-other');

          // Act
          const seenByResult = await store.offerScanResult(repository, newDigest(), scanResult);

          // Assess
          expect(seenByResult).toBeNull();
        });
      });

      describe('when an offer is invalid', () => {
        it('throws InvalidInputError for an empty token or a malformed result, and stores neither', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();
          const source = 'trivy' as unknown as 'local';

          // Act (one at a time: a second rejection nobody awaits yet would be an unhandled one)
          const emptyToken = await store.offerScanToken(repository, digest, '').catch((err: unknown) => err);
          const badResult = await store
            .offerScanResult(repository, digest, { ...scanResult, source })
            .catch((err: unknown) => err);

          // Assess
          expect(emptyToken).toBeInstanceOf(InvalidInputError);
          expect(badResult).toBeInstanceOf(InvalidInputError);
          expect(await store.offerScanResult(repository, digest, scanResult)).toBeNull();
          expect(await store.offerScanToken(repository, digest, 'token-1')).toEqual(scanResult);
        });
      });
    });

    describe('Method: recordPushedTag / listPushedTags', () => {
      describe('when one digest is pushed under several tags, some twice', () => {
        it('lists each tag once, sorted, for that digest only', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();

          // Act
          for (const tag of ['latest', '1.4.0', 'latest']) await store.recordPushedTag(repository, digest, tag);
          await store.recordPushedTag(repository, newDigest(), 'other');

          // Assess
          expect(await store.listPushedTags(repository, digest)).toEqual(['1.4.0', 'latest']);
          expect(await store.listPushedTags(newRepository(), digest)).toEqual([]);
        });
      });

      describe('when the tag is not one a registry allows', () => {
        it('throws InvalidInputError and records nothing', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();

          // Act
          const act = await store.recordPushedTag(repository, digest, '-bad tag').catch((err: unknown) => err);

          // Assess
          expect(act).toBeInstanceOf(InvalidInputError);
          expect(await store.listPushedTags(repository, digest)).toEqual([]);
        });
      });
    });

    describe('Method: recordParentIndex / listParentIndexes', () => {
      describe('when a manifest is listed by two indexes, one recorded twice', () => {
        it('lists each index once, sorted, for that manifest only', async () => {
          // Prepare
          const repository = newRepository();
          const child = newDigest();
          const [first, second] = [newDigest(), newDigest()].sort();
          if (first === undefined || second === undefined) throw new Error('two digests');

          // Act
          for (const index of [second, first, second]) await store.recordParentIndex(repository, child, index);
          await store.recordParentIndex(repository, newDigest(), first);

          // Assess
          expect(await store.listParentIndexes(repository, child)).toEqual([first, second]);
          expect(await store.listParentIndexes(newRepository(), child)).toEqual([]);
          expect(await store.listPushedTags(repository, child)).toEqual([]);
          expect(await store.listEvidence(repository, child)).toEqual([]);
        });
      });

      describe('when the index is not a digest', () => {
        it('throws InvalidInputError and records nothing', async () => {
          // Prepare
          const repository = newRepository();
          const child = newDigest();

          // Act
          const act = await store.recordParentIndex(repository, child, 'latest' as Digest).catch((err: unknown) => err);

          // Assess
          expect(act).toBeInstanceOf(InvalidInputError);
          expect(await store.listParentIndexes(repository, child)).toEqual([]);
        });
      });
    });

    describe('Method: createBreakGlassRequest / getBreakGlassRequest / useBreakGlassRequest', () => {
      describe('when the request is new', () => {
        it('stores it PENDING, readable by its id', async () => {
          // Prepare
          const rec = pendingBreakGlass();

          // Act
          await store.createBreakGlassRequest(rec);

          // Assess
          expect(await store.getBreakGlassRequest(rec.id)).toEqual(rec);
          expect(await store.getBreakGlassRequest(randomUUID())).toBeNull();
        });
      });

      describe('when the id is taken', () => {
        it('throws ConflictError and keeps the first record', async () => {
          // Prepare
          const first = pendingBreakGlass();
          await store.createBreakGlassRequest(first);

          // Act
          const act = store.createBreakGlassRequest({ ...first, reason: 'other' });

          // Assess
          await expect(act).rejects.toBeInstanceOf(ConflictError);
          expect(await store.getBreakGlassRequest(first.id)).toEqual(first);
        });
      });

      describe('when it is used twice', () => {
        it('moves it PENDING to USED once: the second use answers null and changes nothing', async () => {
          // Prepare
          const rec = pendingBreakGlass();
          await store.createBreakGlassRequest(rec);
          const bob = 'arn:aws:iam::123456789012:user/bob';

          // Act
          const [a, b] = await Promise.all([
            store.useBreakGlassRequest(rec.id, bob, '2026-05-01T00:10:00.000Z'),
            store.useBreakGlassRequest(rec.id, 'arn:aws:iam::123456789012:user/carol', '2026-05-01T00:10:01.000Z'),
          ]);

          // Assess
          const winners = [a, b].filter((x) => x !== null);
          expect(winners).toHaveLength(1);
          expect(winners[0]).toMatchObject({ ...rec, state: 'USED' });
          expect(await store.getBreakGlassRequest(rec.id)).toEqual(winners[0]);
          expect(await store.useBreakGlassRequest(rec.id, bob, '2026-05-01T00:11:00.000Z')).toBeNull();
        });
      });

      describe('when the request is unknown', () => {
        it('answers null', async () => {
          // Act
          const out = await store.useBreakGlassRequest(randomUUID(), 'bob', '2026-05-01T00:10:00.000Z');

          // Assess
          expect(out).toBeNull();
        });
      });
    });

    describe('Method: revokeRelease / getRevocation', () => {
      describe('when the release was not revoked', () => {
        it('stores the record and reports it as created', async () => {
          // Prepare
          const rec = revocation(newRepository(), newDigest());

          // Act
          const out = await store.revokeRelease(rec);

          // Assess
          expect(out).toEqual({ record: rec, created: true });
          expect(await store.getRevocation(rec.repository, rec.digest)).toEqual(rec);
          expect(await store.getRevocation(rec.repository, newDigest())).toBeNull();
        });
      });

      describe('when the release was revoked before', () => {
        it('keeps the first record and returns it, storing nothing', async () => {
          // Prepare
          const first = revocation(newRepository(), newDigest());
          await store.revokeRelease(first);

          // Act
          const again = await store.revokeRelease({ ...first, revokedAt: '2026-06-01T00:00:00.000Z', reason: 'other' });

          // Assess
          expect(again).toEqual({ record: first, created: false });
          expect(await store.getRevocation(first.repository, first.digest)).toEqual(first);
        });
      });

      describe('when two revocations race', () => {
        it('stores exactly one of them', async () => {
          // Prepare
          const [repository, digest] = [newRepository(), newDigest()];

          // Act
          const outs = await Promise.all([
            store.revokeRelease(revocation(repository, digest, 'one')),
            store.revokeRelease(revocation(repository, digest, 'two')),
          ]);

          // Assess
          expect(outs.filter((o) => o.created)).toHaveLength(1);
          const stored = await store.getRevocation(repository, digest);
          expect(outs.map((o) => o.record)).toEqual([stored, stored]);
        });
      });

      describe('when the record is invalid', () => {
        it('throws InvalidInputError and stores nothing', async () => {
          // Prepare
          const rec = { ...revocation(newRepository(), newDigest()), reason: '' };

          // Act & Assess
          await expect(store.revokeRelease(rec)).rejects.toThrow(InvalidInputError);
          expect(await store.getRevocation(rec.repository, rec.digest)).toBeNull();
        });
      });
    });

    describe('Method: recordAlert / markAlertAnnounced / listAlerts', () => {
      const alert = (repository: string, digest: Digest, advisoryId = 'GHSA-35jh-r3h4-6jhm') => ({
        repository,
        digest,
        advisoryId,
        aliases: ['CVE-2021-23337'],
        raisedAt: '2026-05-01T00:00:00.000Z',
        trigger: 'advisories' as const,
        source: 'advisories/new.json',
        matches: [{ component: 'pkg:npm/lodash@4.17.20', version: '4.17.20', fixedIn: '4.17.21' }],
      });

      describe('when two runs record the same alert at the same time', () => {
        it('stores exactly one, and lists it with the release', async () => {
          // Prepare
          const [repository, digest] = [newRepository(), newDigest()];

          // Act
          const outs = await Promise.all([
            store.recordAlert(alert(repository, digest)),
            store.recordAlert({ ...alert(repository, digest), source: 'scheduled' }),
          ]);

          // Assess
          expect(outs.filter((o) => o.created)).toHaveLength(1);
          const listed = await store.listAlerts(repository, digest);
          expect(listed).toHaveLength(1);
          expect(outs.map((o) => o.record)).toEqual([listed[0], listed[0]]);
          expect(await store.listAlerts(repository, newDigest())).toEqual([]);
        });
      });

      describe('when an alert is marked announced twice', () => {
        it('keeps the first time', async () => {
          // Prepare
          const rec = alert(newRepository(), newDigest());
          await store.recordAlert(rec);

          // Act
          const first = await store.markAlertAnnounced(
            rec.repository,
            rec.digest,
            rec.advisoryId,
            '2026-05-01T00:01:00Z',
          );
          const second = await store.markAlertAnnounced(
            rec.repository,
            rec.digest,
            rec.advisoryId,
            '2026-05-02T00:00:00Z',
          );

          // Assess
          expect(first).toEqual({ ...rec, announcedAt: '2026-05-01T00:01:00Z' });
          expect(second).toEqual(first);
          expect(await store.listAlerts(rec.repository, rec.digest)).toEqual([first]);
        });
      });

      describe('when the alert is not recorded', () => {
        it('markAlertAnnounced throws NotFoundError and stores nothing', async () => {
          // Prepare
          const [repository, digest] = [newRepository(), newDigest()];

          // Act & Assess
          await expect(store.markAlertAnnounced(repository, digest, 'CVE-1', 'x')).rejects.toThrow(NotFoundError);
          expect(await store.listAlerts(repository, digest)).toEqual([]);
        });
      });

      describe('when the record is invalid', () => {
        it('throws InvalidInputError and stores nothing', async () => {
          // Prepare
          const rec = { ...alert(newRepository(), newDigest()), advisoryId: '' };

          // Act & Assess
          await expect(store.recordAlert(rec)).rejects.toThrow(InvalidInputError);
          expect(await store.listAlerts(rec.repository, rec.digest)).toEqual([]);
        });
      });
    });

    describe('Method: listTrackedRepositories', () => {
      describe('when repositories were promoted to (once or several times)', () => {
        it('lists each of them once', async () => {
          // Prepare
          const [a, b] = [newRepository(), newRepository()];
          const entry = (repository: string, digest: Digest) => ({
            repository,
            digest,
            promotedAt: '2026-05-01T00:00:00.000Z',
            targetRepository: `prod/${repository}`,
            tag: '1.0.0',
          });
          await store.appendPromotion(entry(a, newDigest()));
          await store.appendPromotion(entry(a, newDigest()));
          await store.appendPromotion(entry(b, newDigest()));

          // Act
          const listed = await store.listTrackedRepositories();

          // Assess
          expect(listed.filter((r) => r === a || r === b)).toEqual([a, b].sort());
        });
      });
    });

    describe('Method: getReleaseStatuses', () => {
      describe('when releases are recorded, moved on, revoked or unknown', () => {
        it('answers each key in the order asked with what getRelease and getRevocation read', async () => {
          // Prepare: more releases than one DynamoDB batch holds (100 keys, two a release).
          const repository = newRepository();
          const recorded = Array.from({ length: 60 }, () => releaseRecord(repository, newDigest()));
          for (const rec of recorded) await store.recordRelease(rec);
          const [moved, revoked] = recorded;
          if (moved === undefined || revoked === undefined) throw new Error('no releases');
          await store.updateReleaseState(moved.repository, moved.digest, 'EVALUATED');
          await store.revokeRelease(revocation(revoked.repository, revoked.digest));
          const unknownButRevoked = revocation(newRepository(), newDigest());
          await store.revokeRelease(unknownButRevoked);
          const unknown = { repository, digest: newDigest() };
          const keys = [
            ...recorded.map(({ repository: r, digest }) => ({ repository: r, digest })).reverse(),
            unknown,
            { repository: unknownButRevoked.repository, digest: unknownButRevoked.digest },
            { repository: moved.repository, digest: moved.digest },
          ];

          // Act
          const statuses = await store.getReleaseStatuses(keys);

          // Assess
          const expected = await Promise.all(
            keys.map(async (k) => ({
              ...k,
              state: (await store.getRelease(k.repository, k.digest))?.state ?? null,
              revocation: await store.getRevocation(k.repository, k.digest),
            })),
          );
          expect(statuses).toEqual(expected);
          expect(statuses.at(-1)).toEqual({ ...keys.at(-1), state: 'EVALUATED', revocation: null });
          expect(statuses.at(-2)).toEqual({ ...keys.at(-2), state: null, revocation: unknownButRevoked });
          expect(statuses.at(-3)).toEqual({ ...unknown, state: null, revocation: null });
          expect(statuses.find((s) => s.digest === revoked.digest)?.revocation).toEqual(
            revocation(revoked.repository, revoked.digest),
          );
        });
      });

      describe('when no release is asked for', () => {
        it('answers nothing', async () => {
          // Act & Assess
          expect(await store.getReleaseStatuses([])).toEqual([]);
        });
      });
    });

    describe('Method: listPromotionsWithStates', () => {
      describe('when releases of the track were promoted in either order, one never moved, one quarantined', () => {
        it('lists the track, the releases the track knows are PROMOTED, and every node here or in listIndexNodes', async () => {
          // Prepare
          const repository = newRepository();
          const [a, b, crashed, quarantined] = Array.from({ length: 4 }, () => newDigest());
          if (a === undefined || b === undefined || crashed === undefined || quarantined === undefined) {
            throw new Error('four releases');
          }
          const promotion = (digest: Digest, day: number) => ({
            ...promotionEntry(repository, digest),
            promotedAt: `2026-04-0${day}T10:00:00.000Z`,
            targetRepository: `prod/${repository}/of/${repository}`,
          });
          for (const digest of [a, b, crashed, quarantined]) {
            await store.recordRelease(releaseRecord(repository, digest));
            await indexRelease(store, repository, digest, [`pkg:npm/everywhere-${uniqueSuffix()}@1.0.0`]);
          }
          await store.appendPromotion(promotion(a, 1));
          await store.updateReleaseState(repository, a, 'PROMOTED');
          await store.updateReleaseState(repository, b, 'PROMOTED');
          await store.appendPromotion(promotion(b, 2));
          await store.appendPromotion(promotion(crashed, 3));
          await store.updateReleaseState(repository, quarantined, 'QUARANTINED');
          await store.appendPromotion({
            ...promotion(a, 4),
            kind: 'rollback',
            by: 'ops@example.com',
            reason: 'back to a',
          });
          await store.revokeRelease(revocation(repository, a));
          const keys = [a, b, crashed, quarantined].map((digest) => ({ repository, digest }));

          // Act
          const track = await store.listPromotionsWithStates(repository);
          const listed = await store.listIndexNodes(repository);
          const statuses = await store.getReleaseStatuses(keys, {
            promoted: new Map([[repository, new Set(track.promoted)]]),
          });

          // Assess
          expect(track.promotions).toEqual(await store.listPromotions(repository));
          expect(track.promotions.map((p) => p.targetRepository)).toContain(`prod/${repository}/of/${repository}`);
          expect(new Set(track.promoted)).toEqual(new Set([a, b]));
          expect(new Set([...listed, ...track.links].map((l) => l.digest))).toEqual(
            new Set([a, b, crashed, quarantined]),
          );
          expect(statuses).toEqual(await store.getReleaseStatuses(keys));
          expect(statuses.map((s) => [s.state, s.revocation?.reason ?? null])).toEqual([
            ['PROMOTED', 'CVE-2026-0001 in openssl'],
            ['PROMOTED', null],
            ['RECORDED', null],
            ['QUARANTINED', null],
          ]);
        });
      });
    });

    describe('Method: appendPromotion / lastPromotion / listPromotions', () => {
      describe('when a repository has several promotions', () => {
        it('returns the most recent one, skipping the excluded digest', async () => {
          // Prepare
          const repository = newRepository();
          const [d1, d2, d3] = [newDigest(), newDigest(), newDigest()];
          const entry = (digest: Digest, promotedAt: string) => ({
            repository,
            digest,
            promotedAt,
            targetRepository: `prod/${repository}`,
            tag: `release-${promotedAt.slice(0, 10)}`,
          });
          await store.appendPromotion(entry(d2, '2026-02-02T00:00:00.000Z'));
          await store.appendPromotion(entry(d1, '2026-02-01T00:00:00.000Z'));
          await store.appendPromotion(entry(d3, '2026-02-03T00:00:00.000Z'));

          // Act
          const last = await store.lastPromotion(repository);
          const previous = await store.lastPromotion(repository, d3);
          const all = await store.listPromotions(repository);

          // Assess
          expect(last).toEqual(entry(d3, '2026-02-03T00:00:00.000Z'));
          expect(previous).toEqual(entry(d2, '2026-02-02T00:00:00.000Z'));
          expect(all.map((e) => e.digest)).toEqual([d3, d2, d1]);
        });
      });

      describe('when many promotions of one month are appended at once, over several months', () => {
        it('keeps every one, and finds the last across months', async () => {
          // Prepare
          const repository = newRepository();
          const digests = Array.from({ length: 16 }, () => newDigest());
          const entry = (digest: Digest, i: number) => ({
            repository,
            digest,
            promotedAt: `2026-0${1 + (i % 3)}-${String(10 + i).padStart(2, '0')}T00:00:00.000Z`,
            targetRepository: `prod/${repository}`,
            tag: `1.${i}.0`,
          });

          // Act
          await Promise.all(digests.map((d, i) => store.appendPromotion(entry(d, i))));

          // Assess
          const expected = digests.map((d, i) => entry(d, i)).sort(LISTING_ORDER.promotions);
          expect(await store.listPromotions(repository)).toEqual(expected);
          expect(await store.lastPromotion(repository)).toEqual(expected[0]);
          expect(await store.lastPromotion(repository, expected[0]?.digest)).toEqual(expected[1]);
        });
      });

      describe('when an entry carries more than its target and tag, or a tag with a space', () => {
        it('returns it as it was appended', async () => {
          // Prepare
          const repository = newRepository();
          const rollback = {
            repository,
            digest: newDigest(),
            promotedAt: '2026-05-01T00:00:00.000Z',
            targetRepository: `prod/${repository}`,
            tag: 'live',
            kind: 'rollback' as const,
            by: 'alice@example.com',
            reason: 'CVE-2026-1 in 1.4.0 {"not": "json"} #1',
          };
          const odd = { ...promotionEntry(repository, newDigest()), tag: 'a b', promotedAt: '2026-05-02' };

          // Act
          await store.appendPromotion(rollback);
          await store.appendPromotion(odd);

          // Assess
          expect(await store.listPromotions(repository)).toEqual([odd, rollback]);
        });
      });

      describe('when the repository has never been promoted, or only the excluded digest', () => {
        it('returns null', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();
          await store.appendPromotion({
            repository,
            digest,
            promotedAt: '2026-02-01T00:00:00.000Z',
            targetRepository: 'prod/app',
            tag: 'v1',
          });

          // Act
          const none = await store.lastPromotion(newRepository());
          const onlyExcluded = await store.lastPromotion(repository, digest);

          // Assess
          expect(none).toBeNull();
          expect(onlyExcluded).toBeNull();
          expect(await store.listPromotions(newRepository())).toEqual([]);
        });
      });

      describe('when the same digest is appended again later', () => {
        it('keeps one entry with the first promotion time', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();
          const first = {
            repository,
            digest,
            promotedAt: '2026-03-01T00:00:00.000Z',
            targetRepository: 'prod',
            tag: 't',
          };
          await store.appendPromotion(first);

          // Act
          await store.appendPromotion({ ...first, promotedAt: '2026-03-05T00:00:00.000Z' });

          // Assess
          expect(await store.listPromotions(repository)).toEqual([first]);
          expect(await store.lastPromotion(repository)).toEqual(first);
        });
      });

      describe('when a digest goes live again by rollbacks', () => {
        it('keeps every rollback entry (once per time), after the promotion of the same digest', async () => {
          // Prepare
          const repository = newRepository();
          const [d1, d2] = [newDigest(), newDigest()];
          const promotion = (digest: Digest, promotedAt: string) => ({
            repository,
            digest,
            promotedAt,
            targetRepository: `prod/${repository}`,
            tag: 'v',
          });
          const rollback = {
            ...promotion(d1, '2026-04-03T00:00:00.000Z'),
            tag: 'live',
            kind: 'rollback' as const,
            by: 'ops@example.com (local, unauthenticated)',
            reason: 'CVE in d2',
            breakGlass: { reason: 'outage', approvedBy: 'lead@example.com', approverIdentity: 'x', overridden: ['r'] },
          };
          await store.appendPromotion(promotion(d1, '2026-04-01T00:00:00.000Z'));
          await store.appendPromotion(promotion(d2, '2026-04-02T00:00:00.000Z'));

          // Act
          await store.appendPromotion(rollback);
          await store.appendPromotion(rollback); // a retry stores nothing new
          await store.appendPromotion({ ...rollback, promotedAt: '2026-04-04T00:00:00.000Z', breakGlass: undefined });

          // Assess
          const all = await store.listPromotions(repository);
          expect(all.map((e) => [e.digest, e.kind ?? 'promotion', e.promotedAt])).toEqual([
            [d1, 'rollback', '2026-04-04T00:00:00.000Z'],
            [d1, 'rollback', '2026-04-03T00:00:00.000Z'],
            [d2, 'promotion', '2026-04-02T00:00:00.000Z'],
            [d1, 'promotion', '2026-04-01T00:00:00.000Z'],
          ]);
          expect(all[1]).toEqual(rollback);
          expect(await store.lastPromotion(repository, d1)).toEqual(promotion(d2, '2026-04-02T00:00:00.000Z'));
        });
      });

      describe('when two digests were promoted at the same time', () => {
        it('orders them by digest, descending', async () => {
          // Prepare
          const repository = newRepository();
          const digests = [newDigest(), newDigest(), newDigest()];
          for (const digest of digests) await store.appendPromotion(promotionEntry(repository, digest));

          // Act
          const all = await store.listPromotions(repository);
          const last = await store.lastPromotion(repository);

          // Assess
          const expected = [...digests].sort().reverse();
          expect(all.map((e) => e.digest)).toEqual(expected);
          expect(last?.digest).toBe(expected[0]);
        });
      });

      describe('when other repositories are promoted', () => {
        it('keeps each track apart', async () => {
          // Prepare
          const [repoA, repoB] = [newRepository(), newRepository()];
          const a = promotionEntry(repoA, newDigest());
          const b = promotionEntry(repoB, newDigest(), { promotedAt: '2026-09-01T00:00:00.000Z' });
          await store.appendPromotion(a);
          await store.appendPromotion(b);

          // Act
          const trackA = await store.listPromotions(repoA);
          const lastA = await store.lastPromotion(repoA);

          // Assess
          expect(trackA).toEqual([a]);
          expect(lastA).toEqual(a);
        });
      });

      describe('when the entry is invalid', () => {
        it('throws InvalidInputError and appends nothing', async () => {
          // Prepare
          const repository = newRepository();

          // Act
          const act = store.appendPromotion(promotionEntry(repository, 'sha256:short'));

          // Assess
          await expect(act).rejects.toBeInstanceOf(InvalidInputError);
          expect(await store.listPromotions(repository)).toEqual([]);
        });
      });
    });

    describe('Method: indexPackages / findByPackage', () => {
      /** The entries as releases see them (each index node is a snapshot here: no document store). */
      const entriesOf = async (s: ReleaseStore, purl: string) =>
        (await s.findByPackage(purl)).map(({ set: _set, seq: _seq, ...entry }) => entry);

      it('finds every release containing a package, across versions and qualifiers', async () => {
        // Prepare
        const [repoA, repoB] = [newRepository(), newRepository()];
        const [digestA, digestB] = [newDigest(), newDigest()];
        const name = `openssl-${uniqueSuffix()}`;
        await indexRelease(store, repoA, digestA, [
          `pkg:deb/debian/${name}@3.0.7-1?arch=amd64&distro=debian-12`,
          `pkg:deb/debian/${name}@3.0.7-1?arch=arm64&distro=debian-12`,
          'pkg:npm/left-pad@1.3.0',
        ]);
        await indexRelease(store, repoB, digestB, [`pkg:deb/debian/${name}@3.0.11-1`]);

        // Act
        const byBase = await entriesOf(store, `pkg:deb/debian/${name}`);
        const byVersioned = await entriesOf(store, `pkg:deb/debian/${name}@9.9.9`);
        const other = await entriesOf(store, 'pkg:npm/left-pad');

        // Assess
        const expected = [
          {
            version: '3.0.11-1',
            repository: repoB,
            digest: digestB,
            components: [`pkg:deb/debian/${name}@3.0.11-1`],
          },
          {
            version: '3.0.7-1',
            repository: repoA,
            digest: digestA,
            components: [
              `pkg:deb/debian/${name}@3.0.7-1?arch=amd64&distro=debian-12`,
              `pkg:deb/debian/${name}@3.0.7-1?arch=arm64&distro=debian-12`,
            ],
          },
        ];
        expect(byBase).toEqual(expected);
        expect(byVersioned).toEqual(expected);
        expect(other).toEqual(
          expect.arrayContaining([
            { version: '1.3.0', repository: repoA, digest: digestA, components: ['pkg:npm/left-pad@1.3.0'] },
          ]),
        );
      });

      it('indexes more purls than one batch holds', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        const suffix = uniqueSuffix();
        const purls = Array.from({ length: 60 }, (_, i) => `pkg:npm/bulk-${suffix}-${i}@1.0.${i}`);

        // Act
        await indexRelease(store, repository, digest, purls);

        // Assess
        const found = await Promise.all(purls.map((p) => entriesOf(store, p)));
        expect(found.map((f) => f.length)).toEqual(purls.map(() => 1));
        expect(found[59]).toEqual([{ version: '1.0.59', repository, digest, components: [purls[59]] }]);
      });

      it('keeps one entry per package version and release, however often the same SBOM is indexed', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        const purl = `pkg:npm/dup-${uniqueSuffix()}@2.0.0`;
        await indexRelease(store, repository, digest, [purl, purl, `${purl}?arch=x`]);

        // Act
        await indexRelease(store, repository, digest, [`${purl}?arch=x`, purl]);

        // Assess
        expect(await entriesOf(store, purl)).toEqual([
          { version: '2.0.0', repository, digest, components: [purl, `${purl}?arch=x`] },
        ]);
        expect(await store.listIndexNodes(repository)).toHaveLength(1);
      });

      it('keeps the entries of an earlier SBOM of the release when another is indexed (a later round)', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        const purl = `pkg:npm/rounds-${uniqueSuffix()}@2.0.0`;
        await indexRelease(store, repository, digest, [purl, `${purl}?arch=x`]);

        // Act
        await indexRelease(store, repository, digest, [purl]);

        // Assess
        const found = await store.findByPackage(purl);
        expect(found.map((e) => e.components)).toEqual(expect.arrayContaining([[purl, `${purl}?arch=x`], [purl]]));
        expect(new Set(found.map((e) => e.set)).size).toBe(2);
      });

      it('canonicalises purls the way packageurl-js does, on indexing and on finding', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        const name = `scoped-${uniqueSuffix()}`;
        await indexRelease(store, repository, digest, [`PKG:NPM/@acme/${name}@1.0.0`]);

        // Act
        const found = await entriesOf(store, `pkg:npm/%40acme/${name}`);

        // Assess
        expect(found).toEqual([
          { version: '1.0.0', repository, digest, components: [`pkg:npm/%40acme/${name}@1.0.0`] },
        ]);
      });

      it('orders entries by version as a string, then by repository@digest', async () => {
        // Prepare
        const name = `order-${uniqueSuffix()}`;
        const [repoA, repoB] = [newRepository(), newRepository()].sort();
        if (repoA === undefined || repoB === undefined) throw new Error('repositories');
        const [digestA, digestB] = [newDigest(), newDigest()];
        // `1!2` (a PEP 440 epoch) sorts after `1`, though `!` sorts before a `#` key separator.
        await indexRelease(store, repoB, digestB, [`pkg:pypi/${name}@1!2`, `pkg:pypi/${name}@1`]);
        await indexRelease(store, repoA, digestA, [`pkg:pypi/${name}@1`]);

        // Act
        const found = await entriesOf(store, `pkg:pypi/${name}`);

        // Assess
        expect(found.map(({ components: _, ...entry }) => entry)).toEqual([
          { version: '1', repository: repoA, digest: digestA },
          { version: '1', repository: repoB, digest: digestB },
          { version: '1!2', repository: repoB, digest: digestB },
        ]);
      });

      it('indexes a source package under its own identity, pointing to the binaries built from it', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        const source = `openssl-${uniqueSuffix()}`;
        const libssl = `pkg:deb/debian/lib${source}@3.0.11-1+b1?arch=amd64&distro=debian-12`;
        const tool = `pkg:deb/debian/${source}-tool@3.0.11-1+b1?arch=amd64&distro=debian-12`;

        // Act
        await indexRelease(
          store,
          repository,
          digest,
          [libssl, tool],
          [
            { purl: `pkg:deb/debian/${source}@3.0.11-1`, binary: tool },
            { purl: `pkg:deb/debian/${source}@3.0.11-1`, binary: libssl },
          ],
        );
        await indexRelease(
          store,
          repository,
          digest,
          [libssl, tool],
          [
            { purl: `pkg:deb/debian/${source}@3.0.11-1`, binary: libssl },
            { purl: `pkg:deb/debian/${source}@3.0.11-1`, binary: tool },
          ],
        );

        // Assess
        expect(await entriesOf(store, `pkg:deb/debian/${source}`)).toEqual([
          { version: '3.0.11-1', repository, digest, components: [libssl, tool] },
        ]);
        expect(await entriesOf(store, `pkg:deb/debian/lib${source}`)).toEqual([
          { version: '3.0.11-1+b1', repository, digest, components: [libssl] },
        ]);
      });

      it('refuses a source package whose purl or binary is not a purl, and indexes nothing', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        const binary = `pkg:apk/alpine/libcrypto-${uniqueSuffix()}@3.1.4-r5`;

        // Act
        const act = indexRelease(store, repository, digest, [binary], [{ purl: 'openssl', binary }]);

        // Assess
        await expect(act).rejects.toBeInstanceOf(InvalidInputError);
        expect(await entriesOf(store, binary)).toEqual([]);
      });

      it('refuses a package with more entries than its bound rather than answer in part', async () => {
        // Prepare
        const bounded = await makeStore({ maxPackageIndexEntries: 3 });
        const [full, over] = [`bounded-${uniqueSuffix()}`, `over-${uniqueSuffix()}`];
        for (let i = 0; i < 3; i++) {
          const digest = newDigest();
          await indexRelease(bounded, newRepository(), digest, [
            `pkg:npm/${full}@1.0.${i}`,
            `pkg:npm/${over}@1.0.${i}`,
          ]);
        }
        await indexRelease(bounded, newRepository(), newDigest(), [`pkg:npm/${over}@2.0.0`]);

        // Act
        const atBound = await bounded.findByPackage(`pkg:npm/${full}`);
        const act = bounded.findByPackage(`pkg:npm/${over}`);

        // Assess
        expect(atBound).toHaveLength(3);
        await expect(act).rejects.toThrowWithCode(StoreError, 'STORE_ERROR');
      });

      it('finds nothing for a package no release contains', async () => {
        // Act
        const found = await entriesOf(store, `pkg:npm/never-indexed-${uniqueSuffix()}`);

        // Assess
        expect(found).toEqual([]);
      });

      describe('when a string is not a purl', () => {
        it('throws InvalidInputError naming it and indexes nothing of the call', async () => {
          // Prepare
          const repository = newRepository();
          const digest = newDigest();
          const valid = `pkg:npm/valid-${uniqueSuffix()}@1.0.0`;

          // Act
          const act = indexRelease(store, repository, digest, [valid, 'not a purl', 'pkg:npm/']);

          // Assess
          await expect(act).rejects.toBeInstanceOf(InvalidInputError);
          await expect(act).rejects.toThrow(/"not a purl", "pkg:npm\/"/);
          expect(await entriesOf(store, valid)).toEqual([]);
        });

        it('refuses to answer a query with it (an empty answer would read as "not affected")', async () => {
          // Act
          const act = store.findByPackage('openssl');

          // Assess
          await expect(act).rejects.toBeInstanceOf(InvalidInputError);
        });
      });

      describe('when the digest is invalid', () => {
        it('throws InvalidInputError', async () => {
          // Act
          const act = indexRelease(store, newRepository(), 'sha256:short', ['pkg:npm/left-pad@1.3.0']);

          // Assess
          await expect(act).rejects.toBeInstanceOf(InvalidInputError);
        });
      });
    });

    describe('Methods: startIndexNode / completeIndexNode / getIndexHead / listIndexNodes', () => {
      const setOf = (n: number) => n.toString(16).padStart(16, '0');
      const nodeOf = (repository: string, digest: Digest, n: number, base: IndexNode['base'] = null): IndexNode => ({
        repository,
        digest,
        set: setOf(n),
        setDigest: `sha256:${setOf(n).padEnd(64, '0')}`,
        base,
        seq: n,
        depth: base === null ? 0 : 1,
        startedAt: '2026-12-01T00:00:00.000Z',
      });

      it('starts a node once: a second start returns the first, with its base', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        const base = { digest: newDigest(), set: setOf(9), setDigest: `sha256:${'9'.repeat(64)}` as Digest };
        const first = await store.startIndexNode(nodeOf(repository, digest, 1, base));

        // Act
        const second = await store.startIndexNode(nodeOf(repository, digest, 1, null));

        // Assess
        expect(first).toEqual({ node: nodeOf(repository, digest, 1, base), created: true });
        expect(second).toEqual({ node: nodeOf(repository, digest, 1, base), created: false });
        expect(await store.getIndexNode(repository, digest, setOf(1))).toEqual(nodeOf(repository, digest, 1, base));
        expect(await store.getIndexNode(repository, digest, setOf(2))).toBeNull();
      });

      it('makes a completed node the head unless a later one completed, and keeps the first completion', async () => {
        // Prepare
        const repository = newRepository();
        const [a, b] = [newDigest(), newDigest()];
        await store.startIndexNode(nodeOf(repository, a, 1));
        await store.startIndexNode(
          nodeOf(repository, b, 2, { digest: a, set: setOf(1), setDigest: nodeOf(repository, a, 1).setDigest }),
        );
        const before = await store.getIndexHead(repository);

        // Act
        await store.completeIndexNode(nodeOf(repository, b, 2), '2026-12-02T00:00:00.000Z');
        await store.completeIndexNode(nodeOf(repository, a, 1), '2026-12-01T00:00:00.000Z');
        await store.completeIndexNode(nodeOf(repository, b, 2), '2026-12-03T00:00:00.000Z');

        // Assess
        expect(before).toBeNull();
        const head = await store.getIndexHead(repository);
        expect([head?.digest, head?.completedAt]).toEqual([b, '2026-12-02T00:00:00.000Z']);
        expect((await store.listIndexNodes(repository)).sort((x, y) => (x.set < y.set ? -1 : 1))).toEqual([
          { digest: a, set: setOf(1), seq: 1 },
          { digest: b, set: setOf(2), parent: `${a.slice(7, 23)}#${setOf(1)}`, seq: 2 },
        ]);
      });

      it('lists the nodes within a range of seq, in order of seq, from their start', async () => {
        // Prepare
        const repository = newRepository();
        for (const n of [12, 3, 10, 11, 9]) await store.startIndexNode(nodeOf(repository, newDigest(), n));

        // Act
        const listed = await store.listIndexNodes(repository, { from: 9, to: 11 });

        // Assess
        expect(listed.map((n) => n.seq)).toEqual([9, 10, 11]);
        expect((await store.listIndexNodes(repository)).map((n) => n.seq)).toEqual([3, 9, 10, 11, 12]);
      });

      it('lists the nodes of a range that spans several packed items, and only those', async () => {
        // Prepare
        const repository = newRepository();
        for (const n of [45, 49, 50, 99, 100, 101, 102, 150]) {
          await store.startIndexNode(nodeOf(repository, newDigest(), n));
        }

        // Act
        const listed = await store.listIndexNodes(repository, { from: 49, to: 101 });

        // Assess
        expect(listed.map((n) => n.seq)).toEqual([49, 50, 99, 100, 101]);
      });

      it('lists every node started at once at one seq, and a node started again once', async () => {
        // Prepare
        const repository = newRepository();
        const base = { digest: newDigest(), set: setOf(1), setDigest: nodeOf(repository, newDigest(), 1).setDigest };
        const digests = Array.from({ length: 12 }, () => newDigest());

        // Act: concurrent nodes share a seq (each took the same head), and a retry starts one again
        await Promise.all(digests.map((d) => store.startIndexNode(nodeOf(repository, d, 2, base))));
        await store.startIndexNode(nodeOf(repository, digests[0] ?? newDigest(), 2, base));

        // Assess
        const listed = await store.listIndexNodes(repository, { from: 2, to: 2 });
        expect(listed.map((n) => n.digest).sort()).toEqual([...digests].sort());
        expect(new Set(listed.map((n) => n.parent))).toEqual(new Set([`${base.digest.slice(7, 23)}#${setOf(1)}`]));
      });

      it('refuses to complete a node never started', async () => {
        // Act
        const act = store.completeIndexNode(nodeOf(newRepository(), newDigest(), 3), '2026-12-01T00:00:00.000Z');

        // Assess
        await expect(act).rejects.toBeInstanceOf(NotFoundError);
      });

      it('refuses a node that is not valid, and stores nothing', async () => {
        // Prepare
        const repository = newRepository();

        // Act
        const act = store.startIndexNode({ ...nodeOf(repository, newDigest(), 4), set: 'NOT-HEX' });

        // Assess
        await expect(act).rejects.toBeInstanceOf(InvalidInputError);
        expect(await store.listIndexNodes(repository)).toEqual([]);
      });

      it('answers tombstones and present entries with their node, and later releases through deltas', async () => {
        // Prepare: three releases, each a delta of the one before.
        const repository = newRepository();
        const documents = new MemoryStore();
        const name = `delta-${uniqueSuffix()}`;
        const shared = Array.from({ length: 10 }, (_, i) => `pkg:npm/${name}-shared-${i}@1.0.0`);
        const [d1, d2, d3] = [newDigest(), newDigest(), newDigest()];
        await indexRelease(store, repository, d1, [...shared, `pkg:npm/${name}@1.0.0`], [], documents);
        const second = await indexRelease(store, repository, d2, shared, [], documents);
        await indexRelease(store, repository, d3, [...shared, `pkg:npm/${name}@1.0.0`], [], documents);

        // Act
        const raw = await store.findByPackage(`pkg:npm/${name}`);
        const present = await presentEntries(store, raw, new Map());
        const inherited = await presentEntries(store, await store.findByPackage(`pkg:npm/${name}-shared-3`), new Map());

        // Assess
        expect(second.written).toBe(1);
        expect(raw.map((e) => [e.digest, e.removed === true]).sort()).toEqual(
          [
            [d1, false],
            [d2, true],
            [d3, false],
          ].sort(),
        );
        expect(present.map((e) => e.digest).sort()).toEqual([d1, d3].sort());
        expect(inherited.map((e) => e.digest).sort()).toEqual([d1, d2, d3].sort());
      });
    });

    describe('Method: indexVulnerabilities / findByVulnerability', () => {
      it('finds every release affected by a vulnerability id', async () => {
        // Prepare
        const [repoA, repoB] = [newRepository(), newRepository()];
        const [digestA, digestB] = [newDigest(), newDigest()];
        const cve = `CVE-2099-${uniqueSuffix()}`;
        await store.indexVulnerabilities(repoA, digestA, [cve, 'GHSA-aaaa-bbbb-cccc', cve]);
        await store.indexVulnerabilities(repoB, digestB, [cve]);

        // Act
        const found = await store.findByVulnerability(cve);
        const unknown = await store.findByVulnerability('CVE-1999-0001');

        // Assess
        expect(found).toHaveLength(2);
        expect(found).toEqual(
          expect.arrayContaining([
            { repository: repoA, digest: digestA },
            { repository: repoB, digest: digestB },
          ]),
        );
        expect(unknown).toEqual([]);
      });

      it('trims ids, skips empty ones and orders releases by repository@digest', async () => {
        // Prepare
        const cve = `CVE-2098-${uniqueSuffix()}`;
        const releases = [newRepository(), newRepository(), newRepository()].map((repository) => ({
          repository,
          digest: newDigest(),
        }));
        for (const r of releases) await store.indexVulnerabilities(r.repository, r.digest, [` ${cve} `, '', '  ']);

        // Act
        const found = await store.findByVulnerability(`${cve}\n`);

        // Assess
        const byReference = (r: { repository: string; digest: string }) => `${r.repository}@${r.digest}`;
        expect(found.map(byReference)).toEqual(releases.map(byReference).sort());
        expect(await store.findByVulnerability('')).toEqual([]);
      });

      it('throws InvalidInputError for an invalid digest', async () => {
        // Act
        const act = store.indexVulnerabilities(newRepository(), 'sha256:short', ['CVE-2099-0001']);

        // Assess
        await expect(act).rejects.toBeInstanceOf(InvalidInputError);
      });
    });
  });
}
