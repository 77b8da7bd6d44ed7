/**
 * Revoke: a release is taken out of service for good. The record (who, when, why) is written once
 * and never changed; a revoked release is never a rollback target again. Revoking does not move
 * production by itself: it names the rollback target, and `rollback` moves the channel tag.
 */
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { LoadedPolicy } from '../policy/loaded.js';
import { policyFor } from '../policy/rules.js';
import type { Clock, Notifier, OutcomeEmitter, RegistryReader, ReleaseStore, RevocationRecord } from '../ports.js';
import type { Digest } from '../types.js';
import { type ApprovalIdentity, IDENTITY_NOTE } from '../workflow/decide-approval.js';
import { type LiveTag, type RollbackCandidates, readLiveTag, rollbackCandidates } from './track.js';

export interface RevokeDeps {
  readonly store: Pick<ReleaseStore, 'getRelease' | 'revokeRelease' | 'getRevocation' | 'listPromotions'>;
  readonly notifier: Notifier;
  readonly outcomes: OutcomeEmitter;
  readonly clock: Clock;
  /** Production's channel tag is read from it, to check the track's live release. */
  readonly registry: Pick<RegistryReader, 'getManifest'>;
  readonly policy: Pick<LoadedPolicy, 'document'>;
}

export interface RevokeRequest {
  readonly repository: string;
  readonly digest: Digest;
  readonly reason: string;
  /** Who revokes, and how that is known (`cli-local`: typed, unauthenticated). */
  readonly by: ApprovalIdentity;
}

export interface RevokeOutcome {
  readonly record: RevocationRecord;
  /** False when the release was already revoked: the first record stays, and is announced again. */
  readonly created: boolean;
  /** Whether the revoked release is the one live in production now. */
  readonly liveNow: boolean;
  /** What `rollback` would pick now (live, and target), with this release counted as revoked. */
  readonly rollback: RollbackCandidates;
  /**
   * Production's channel tag as the registry has it (absent when nothing was promoted). With a
   * `mismatch`, the track's live release is not what the tag serves, and rollback will refuse
   * (unless a break-glass) until it is looked at.
   */
  readonly liveTag?: LiveTag;
}

/**
 * Revokes the release. Throws InvalidInputError without a reason or identity, NotFoundError for a
 * release that was never gated. Emits `Release Revoked` and notifies; a second revoke reads the
 * first record back and announces that again.
 */
export async function revokeRelease(deps: RevokeDeps, req: RevokeRequest): Promise<RevokeOutcome> {
  const reason = req.reason.trim();
  const by = req.by.subject.trim();
  if (reason === '') throw new InvalidInputError('reason: a revocation needs a reason');
  if (by === '' || by.length > 200) throw new InvalidInputError('by: the identity is required (1–200 characters)');
  const release = await deps.store.getRelease(req.repository, req.digest);
  if (release === null) throw new NotFoundError(`no release ${req.repository}@${req.digest} was gated`);
  const { record, created } = await deps.store.revokeRelease({
    repository: req.repository,
    digest: req.digest,
    revokedAt: deps.clock.now().toISOString(),
    revokedBy: `${by} (${IDENTITY_NOTE[req.by.kind]})`,
    reason,
  });
  const rollback = await rollbackCandidates(deps.store, req.repository, req.digest);
  const liveTag =
    rollback.live === null
      ? undefined
      : await readLiveTag(
          deps.registry,
          rollback.live,
          policyFor(deps.policy.document, req.repository).promotion.channelTag,
        );
  // Live by the track, or served by the channel tag (moved there by hand).
  const liveNow = rollback.live?.digest === req.digest || liveTag?.digest === req.digest;
  // Announced again by a repeat, with the first record's detail: the events are at-least-once
  // (consumers deduplicate on type, repository and digest), so a revoke that stopped between
  // the write and the announcement is finished by running it again.
  {
    const detail = {
      repository: record.repository,
      digest: record.digest,
      revokedAt: record.revokedAt,
      revokedBy: record.revokedBy,
      reason: record.reason,
      liveNow,
      ...(rollback.target === null ? {} : { rollbackTarget: rollback.target.digest }),
      ...(liveTag?.mismatch === undefined ? {} : { liveTagMismatch: liveTag.mismatch }),
    };
    await deps.outcomes.emit('Release Revoked', detail);
    await deps.notifier.publish(
      `Revoked: ${record.repository}@${record.digest.slice(0, 19)}`,
      detail,
      'Release Revoked',
    );
  }
  return { record, created, liveNow, rollback, ...(liveTag === undefined ? {} : { liveTag }) };
}
