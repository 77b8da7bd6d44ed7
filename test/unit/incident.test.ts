import { describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError, UntrustedError } from '../../lambdas/domain/errors.js';
import { releaseFromQuarantine } from '../../lambdas/domain/incident/release.js';
import { revokeRelease } from '../../lambdas/domain/incident/revoke.js';
import { rollbackRelease } from '../../lambdas/domain/incident/rollback.js';
import { rollbackCandidates } from '../../lambdas/domain/incident/track.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { handlerWorld, promotedWorld, recordEvaluatedRelease } from '../support/handler-world.js';
import { newDigest } from '../support/store-records.js';

const REPO = 'team/app';
const OPS = { kind: 'cli-local', subject: 'carol@example.com' } as const;
const BOB = { kind: 'cli-local', subject: 'bob@example.com' } as const;

/** A world whose track holds `digests` promoted in this order (the last one live), none with evidence. */
const promoted = (...digests: Digest[]) => promotedWorld(REPO, digests);

describe('Function: rollbackCandidates', () => {
  describe('when earlier releases were revoked', () => {
    it('skips them and the live one, and names the most recently live other one', async () => {
      // Prepare
      const [a, b, c, d] = [newDigest(), newDigest(), newDigest(), newDigest()];
      const w = await promoted(a, b, c, d);
      await w.store.revokeRelease({ repository: REPO, digest: c, revokedAt: 'x', revokedBy: 'o', reason: 'r' });

      // Act
      const candidates = await rollbackCandidates(w.store, REPO, b);

      // Assess
      expect(candidates.live?.digest).toBe(d);
      expect(candidates.target?.digest).toBe(a);
    });
  });
});

describe('Function: revokeRelease', () => {
  describe('when the reason is blank or the release unknown', () => {
    it('refuses and stores nothing', async () => {
      // Prepare
      const digest = newDigest();
      const w = await promoted(digest);

      // Act & Assess
      await expect(revokeRelease(w.deps.gate, { repository: REPO, digest, reason: ' ', by: OPS })).rejects.toThrow(
        InvalidInputError,
      );
      await expect(
        revokeRelease(w.deps.gate, { repository: REPO, digest: newDigest(), reason: 'r', by: OPS }),
      ).rejects.toThrow(NotFoundError);
      expect(await w.store.getRevocation(REPO, digest)).toBeNull();
      expect(w.outcomes.events).toEqual([]);
    });
  });

  describe('when the release is not the live one', () => {
    it('says so, and names the live one as what stays', async () => {
      // Prepare
      const [a, b] = [newDigest(), newDigest()];
      const w = await promoted(a, b);

      // Act
      const out = await revokeRelease(w.deps.gate, { repository: REPO, digest: a, reason: 'CVE', by: OPS });

      // Assess
      expect(out).toMatchObject({ created: true, liveNow: false, rollback: { live: { digest: b }, target: null } });
      expect(w.outcomes.events.map((e) => e.type)).toEqual(['Release Revoked']);
    });
  });
});

describe('Function: rollbackRelease', () => {
  describe('when the target has no stored evidence', () => {
    it('refuses and names it, and moves nothing', async () => {
      // Prepare
      const [a, b] = [newDigest(), newDigest()];
      const w = await promoted(a, b);

      // Act
      const out = await rollbackRelease(w.deps.gate, { repository: REPO, operator: OPS });

      // Assess
      expect(out).toMatchObject({ outcome: 'REFUSED', digest: a });
      expect(out.reasons).toEqual([
        expect.stringMatching(/^no stored evidence for team\/app@sha256:.*: no evidence records/),
      ]);
      expect(await w.store.listPromotions(REPO)).toHaveLength(2);
      expect(w.outcomes.events).toEqual([]);
    });
  });

  describe('when there is nothing to go back to', () => {
    it('refuses: no production, the live one itself, a digest never promoted, every other one revoked', async () => {
      // Prepare
      const [a, b] = [newDigest(), newDigest()];
      const w = await promoted(a, b);
      await w.store.revokeRelease({ repository: REPO, digest: a, revokedAt: 'x', revokedBy: 'o', reason: 'r' });

      // Act
      const none = await rollbackRelease(w.deps.gate, { repository: 'team/other', operator: OPS });
      const live = await rollbackRelease(w.deps.gate, { repository: REPO, to: b, operator: OPS });
      const never = await rollbackRelease(w.deps.gate, { repository: REPO, to: newDigest(), operator: OPS });
      const allRevoked = await rollbackRelease(w.deps.gate, { repository: REPO, operator: OPS });

      // Assess
      expect(none.reasons).toEqual(['nothing of team/other was ever promoted: there is no production']);
      expect(live.reasons).toEqual([`${b} is live already`]);
      expect(never.reasons).toEqual([expect.stringMatching(/was never promoted from team\/app/)]);
      expect(allRevoked.reasons).toEqual(['no earlier promoted, non-revoked release of team/app to roll back to']);
    });
  });

  describe('when a break-glass lacks a reason or an approver', () => {
    it.each([
      ['no reason', { approver: BOB }, /needs a reason$/],
      ['a blank reason', { reason: ' ', approver: BOB }, /needs a reason$/],
      ['no approver', { reason: 'outage' }, /needs an approver$/],
      ['neither', {}, /needs a reason and an approver$/],
    ])('refuses with %s before reading anything', async (_, breakGlass, message) => {
      // Prepare
      const w = await promoted(newDigest(), newDigest());

      // Act
      const act = rollbackRelease(w.deps.gate, { repository: REPO, operator: OPS, breakGlass });

      // Assess
      await expect(act).rejects.toThrow(InvalidInputError);
      await expect(act).rejects.toThrow(message);
    });
  });
});

describe('Function: releaseFromQuarantine', () => {
  /** A world holding one release of REPO in `state`, with no stored evidence. */
  async function holding(state: 'QUARANTINED' | 'EVALUATED') {
    const digest = newDigest();
    const w = handlerWorld();
    await recordEvaluatedRelease(w, REPO, digest);
    if (state === 'QUARANTINED') await w.store.updateReleaseState(REPO, digest, 'QUARANTINED');
    return { w, digest };
  }

  describe('when the release is not quarantined', () => {
    it('refuses and says what it is', async () => {
      // Prepare
      const { w, digest } = await holding('EVALUATED');

      // Act
      const out = await releaseFromQuarantine(w.deps.gate, { repository: REPO, digest, reason: 'r', operator: OPS });

      // Assess
      expect(out).toMatchObject({
        outcome: 'REFUSED',
        reasons: [expect.stringMatching(/is EVALUATED, not QUARANTINED/)],
      });
      await expect(
        releaseFromQuarantine(w.deps.gate, { repository: REPO, digest: newDigest(), reason: 'r', operator: OPS }),
      ).rejects.toThrow(NotFoundError);
    });
  });

  describe('when it still fails and no break-glass is asked for', () => {
    it('refuses with the reasons, and promotes and announces nothing', async () => {
      // Prepare
      const { w, digest } = await holding('QUARANTINED');

      // Act
      const out = await releaseFromQuarantine(w.deps.gate, { repository: REPO, digest, reason: 'r', operator: OPS });

      // Assess
      expect(out).toMatchObject({ outcome: 'REFUSED', reasons: [expect.stringMatching(/^no stored evidence for /)] });
      expect(await w.store.listPromotions(REPO)).toEqual([]);
      expect(w.outcomes.events).toEqual([]);
    });
  });

  describe('when the request or its break-glass is incomplete or not allowed', () => {
    it.each([
      ['a blank reason', { reason: ' ' }, InvalidInputError, /reason/],
      ['a break-glass without a reason', { breakGlass: { approver: BOB } }, InvalidInputError, /needs a reason$/],
      [
        'a break-glass without an approver',
        { breakGlass: { reason: 'outage' } },
        InvalidInputError,
        /needs an approver$/,
      ],
      ['the operator as approver', { breakGlass: { reason: 'o', approver: OPS } }, UntrustedError, /second person/],
      [
        'an approver not on the allowlist',
        { breakGlass: { reason: 'o', approver: { kind: 'cli-local', subject: 'mallory@example.com' } as const } },
        UntrustedError,
        /not an allowed approver/,
      ],
    ])('refuses %s', async (_, extra, type, message) => {
      // Prepare
      const { w, digest } = await holding('QUARANTINED');

      // Act
      const act = releaseFromQuarantine(w.deps.gate, {
        repository: REPO,
        digest,
        reason: 'r',
        operator: OPS,
        ...extra,
      });

      // Assess
      await expect(act).rejects.toThrow(type);
      await expect(act).rejects.toThrow(message);
      expect(await w.store.listPromotions(REPO)).toEqual([]);
    });
  });
});
