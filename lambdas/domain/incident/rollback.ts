/**
 * Rollback: production goes back to an earlier promoted artifact, the artifact itself (never a
 * rebuild). Production in the registry is the promoted repository: its version tags stay immutable,
 * and the live pointer is the policy's mutable channel tag (`promotion.channelTag`, `live`), which
 * Promote moves forward and rollback moves back, plus a `rollback` entry on the promotion track
 * (so triage's live windows show it).
 *
 * The target is re-verified first (reverify.ts). A target that is revoked, has no stored evidence,
 * no longer verifies, is newly affected or fails today's policy is refused with the reasons, unless
 * the rollback is a break-glass: a reason and a second person, held to the approval rules of the
 * release (allowlist; never the person running it). A break-glass is recorded on the track entry,
 * announced (`Break Glass Used`) and notified.
 */
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import { policyFor } from '../policy/rules.js';
import type { BreakGlass, Notifier, OutcomeEmitter, PromotionEntry } from '../ports.js';
import type { Digest } from '../types.js';
import { type ApprovalIdentity, IDENTITY_NOTE } from '../workflow/decide-approval.js';
import {
  announceBreakGlass,
  type BreakGlassRequest,
  breakGlassRecord,
  checkBreakGlassApprover,
  checkBreakGlassInput,
} from './break-glass.js';
import { type Reverification, type ReverifyDeps, reverify } from './reverify.js';
import { type LiveTag, readLiveTag, rollbackCandidates } from './track.js';

export type RollbackDeps = ReverifyDeps & { readonly notifier: Notifier; readonly outcomes: OutcomeEmitter };

export interface RollbackRequest {
  /** The gated repository (its promotion track); production is its `promotion.targetRepository`. */
  readonly repository: string;
  /** @default - the most recently live release before the current one that is not revoked */
  readonly to?: Digest;
  /** Who runs the rollback. */
  readonly operator: ApprovalIdentity;
  /** Why (recorded on the track entry). @default - none */
  readonly reason?: string;
  /** Overrides a refusal; needs `reason` and an approver other than the operator. */
  readonly breakGlass?: BreakGlassRequest;
}

export type RollbackOutcome =
  | {
      readonly outcome: 'REFUSED';
      readonly repository: string;
      readonly digest: Digest | null;
      readonly reasons: readonly string[];
      readonly reverification?: Reverification;
      /** Production's channel tag as the registry has it (absent when nothing was ever promoted). */
      readonly liveTag?: LiveTag;
    }
  | {
      readonly outcome: 'ROLLED_BACK';
      readonly repository: string;
      readonly digest: Digest;
      /** The release live before. */
      readonly from: Digest;
      readonly targetRepository: string;
      readonly channelTag: string;
      readonly entry: PromotionEntry;
      readonly reverification: Reverification;
      /** The refusal reasons a break-glass overrode; empty for a clean rollback. */
      readonly reasons: readonly string[];
      /** Production's channel tag as the registry had it before the rollback moved it. */
      readonly liveTag: LiveTag;
      /** Set when refusal reasons were overridden. */
      readonly breakGlass?: BreakGlass;
    };

/**
 * Re-verifies the target and, unless refused, moves the channel tag to it, appends the track entry
 * and announces `Release Rolled Back`. Throws InvalidInputError for a break-glass without a reason
 * or an approver (before anything is read), UntrustedError for an approver the rules refuse
 * (before the target is re-verified). A break-glass with nothing to override is a plain rollback.
 */
export async function rollbackRelease(deps: RollbackDeps, req: RollbackRequest): Promise<RollbackOutcome> {
  const operator = req.operator.subject.trim();
  if (operator === '' || operator.length > 200) {
    throw new InvalidInputError('operator: the identity is required (1–200 characters)');
  }
  const breakGlass = checkBreakGlassInput(req.breakGlass);
  let liveTag: LiveTag | undefined;
  const refuse = (digest: Digest | null, reasons: string[], reverification?: Reverification): RollbackOutcome => ({
    outcome: 'REFUSED',
    repository: req.repository,
    digest,
    reasons,
    ...(reverification === undefined ? {} : { reverification }),
    ...(liveTag === undefined ? {} : { liveTag }),
  });

  const { live, target: picked } = await rollbackCandidates(deps.store, req.repository);
  if (live === null) return refuse(null, [`nothing of ${req.repository} was ever promoted: there is no production`]);
  const policy = policyFor(deps.policy.document, req.repository);
  // "What is live" is the track and the registry's channel tag together: a tag moved by hand means
  // neither `from` nor the default target can be trusted, so the rollback is refused (a break-glass
  // overrides it, and the mismatch is recorded with it).
  liveTag = await readLiveTag(deps.registry, live, policy.promotion.channelTag);
  const digest = req.to ?? picked?.digest;
  if (digest === undefined) {
    return refuse(null, [`no earlier promoted, non-revoked release of ${req.repository} to roll back to`]);
  }
  if (digest === live.digest) return refuse(digest, [`${digest} is live already`]);
  const track = await deps.store.listPromotions(req.repository);
  if (!track.some((e) => e.digest === digest)) {
    // Only what was promoted is in production's repository (with its attachments) to go back to.
    return refuse(digest, [
      `${digest} was never promoted from ${req.repository}; only a promoted release can be rolled back to`,
    ]);
  }
  const release = await deps.store.getRelease(req.repository, digest);
  if (release === null) throw new NotFoundError(`no release record for ${req.repository}@${digest}`);
  if (breakGlass !== undefined) {
    checkBreakGlassApprover(policy, release.stage, req.repository, operator, breakGlass, 'rollback');
  }

  const reasons: string[] = liveTag.mismatch === undefined ? [] : [liveTag.mismatch];
  const revocation = await deps.store.getRevocation(req.repository, digest);
  if (revocation !== null) {
    reasons.push(`revoked at ${revocation.revokedAt} by ${revocation.revokedBy}: ${revocation.reason}`);
  }
  const reverification = await reverify(deps, release);
  reasons.push(...reverification.reasons);

  let glass: BreakGlass | undefined;
  if (reasons.length > 0) {
    if (breakGlass === undefined) return refuse(digest, reasons, reverification);
    glass = breakGlassRecord(breakGlass, reasons);
  }

  const targetRepository = live.targetRepository;
  const channelTag = liveTag.channelTag;
  try {
    await deps.registry.moveTag(targetRepository, channelTag, digest);
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new ConflictError(`${digest} is not in ${targetRepository} any more; the ${channelTag} tag was not moved`, {
        cause: err,
      });
    }
    throw err;
  }
  const entry: PromotionEntry = {
    repository: req.repository,
    digest,
    promotedAt: deps.clock.now().toISOString(),
    targetRepository,
    tag: channelTag,
    kind: 'rollback',
    by: `${operator} (${IDENTITY_NOTE[req.operator.kind]})`,
    ...(req.reason === undefined || req.reason.trim() === '' ? {} : { reason: req.reason.trim() }),
    ...(glass === undefined ? {} : { breakGlass: glass }),
  };
  await deps.store.appendPromotion(entry);
  const detail = {
    repository: req.repository,
    digest,
    from: live.digest,
    targetRepository,
    channelTag,
    image: `${targetRepository}@${digest}`,
    by: entry.by,
    breakGlass: glass !== undefined,
    ...(liveTag.mismatch === undefined ? {} : { channelTagWas: liveTag.digest }),
  };
  await deps.outcomes.emit('Release Rolled Back', detail);
  await deps.notifier.publish(
    `Rolled back: ${targetRepository} to ${digest.slice(0, 19)}`,
    detail,
    'Release Rolled Back',
  );
  if (glass !== undefined) {
    await announceBreakGlass(deps, glass, detail, `${targetRepository} rolled back to ${digest.slice(0, 19)}`);
  }
  return {
    outcome: 'ROLLED_BACK',
    repository: req.repository,
    digest,
    from: live.digest,
    targetRepository,
    channelTag,
    entry,
    reverification,
    reasons,
    liveTag,
    ...(glass === undefined ? {} : { breakGlass: glass }),
  };
}
