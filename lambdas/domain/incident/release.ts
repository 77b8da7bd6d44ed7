/**
 * Release from quarantine (issue 9, section 4): a QUARANTINED release is judged again as it is
 * today (reverify.ts: signature and provenance collected again with today's trust material, the
 * stored SBOM against today's advisories, today's policy over the fresh and the stored evidence).
 *
 * - Still failing: refused with the reasons, unless a break-glass (break-glass.ts: a reason and a
 *   second person on the approval allowlist). A break-glass promotes the image as Promote does
 *   (the image and the attachments the gate evaluated, the channel tag moved, a track entry), but
 *   writes a break-glass decision document (never a PASS decision) and attaches no VSA (a VSA
 *   says verification passed; it did not). The release record stays QUARANTINED: that was the
 *   gate's decision, and the track entry says it went live anyway. It is announced
 *   (`Break Glass Used`) and notified. `rollback` undoes it like any promotion.
 * - Passing now: it must go through approval as usual, which means running the gate again for the
 *   digest. Not built yet: it is refused with that reason (a break-glass does not skip approval
 *   when there is nothing to override).
 */
import { InvalidInputError, NotFoundError } from '../errors.js';
import { digestToTag } from '../oci.js';
import { policyFor, targetRepositoryFor } from '../policy/load.js';
import type { BreakGlass, Notifier, OutcomeEmitter, PromotionEntry } from '../ports.js';
import { copyImage } from '../promotion/copy.js';
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

export type ReleaseDeps = ReverifyDeps & { readonly notifier: Notifier; readonly outcomes: OutcomeEmitter };

export interface ReleaseRequest {
  /** The gated repository the release was quarantined in. */
  readonly repository: string;
  readonly digest: Digest;
  /** Why it is asked for (recorded). */
  readonly reason: string;
  /** Who asks. */
  readonly operator: ApprovalIdentity;
  /** Promotes despite failing evidence; needs a reason and an approver other than the operator. */
  readonly breakGlass?: BreakGlassRequest;
}

export type ReleaseOutcome =
  | {
      readonly outcome: 'REFUSED';
      readonly repository: string;
      readonly digest: Digest;
      readonly reasons: readonly string[];
      readonly reverification?: Reverification;
    }
  | {
      readonly outcome: 'PROMOTED';
      readonly repository: string;
      readonly digest: Digest;
      readonly targetRepository: string;
      readonly channelTag: string;
      readonly entry: PromotionEntry;
      readonly reverification: Reverification;
      readonly breakGlass: BreakGlass;
    };

/** Media type of the break-glass decision document. */
export const BREAK_GLASS_DECISION_MEDIA_TYPE = 'application/vnd.release-gate.break-glass-decision.v1+json';

/**
 * Throws InvalidInputError for a blank reason or operator, or a break-glass without a reason or
 * an approver (before anything is read); NotFoundError for an unknown release; UntrustedError for
 * an approver the rules refuse (before the release is re-verified).
 */
export async function releaseFromQuarantine(deps: ReleaseDeps, req: ReleaseRequest): Promise<ReleaseOutcome> {
  const operator = req.operator.subject.trim();
  if (operator === '' || operator.length > 200) {
    throw new InvalidInputError('operator: the identity is required (1–200 characters)');
  }
  const reason = req.reason.trim();
  if (reason === '') throw new InvalidInputError('reason: say why the release is asked for');
  const breakGlass = checkBreakGlassInput(req.breakGlass);
  const { repository, digest } = req;
  const refuse = (reasons: string[], reverification?: Reverification): ReleaseOutcome => ({
    outcome: 'REFUSED',
    repository,
    digest,
    reasons,
    ...(reverification === undefined ? {} : { reverification }),
  });

  const release = await deps.store.getRelease(repository, digest);
  if (release === null) throw new NotFoundError(`no release record for ${repository}@${digest}`);
  if (release.state !== 'QUARANTINED') {
    return refuse([
      `${repository}@${digest} is ${release.state}, not QUARANTINED: only a quarantined release is released`,
    ]);
  }
  const policy = policyFor(deps.policy.document, repository);
  if (breakGlass !== undefined) {
    checkBreakGlassApprover(policy, release.stage, repository, operator, breakGlass, 'release');
  }

  const reasons: string[] = [];
  const revocation = await deps.store.getRevocation(repository, digest);
  if (revocation !== null) {
    reasons.push(`revoked at ${revocation.revokedAt} by ${revocation.revokedBy}: ${revocation.reason}`);
  }
  const reverification = await reverify(deps, release);
  reasons.push(...reverification.reasons);
  if (reasons.length === 0) {
    return refuse(
      [
        'the evidence satisfies the policy today, so the release must go through approval as usual; ' +
          're-running the gate for a quarantined release is not supported yet (no break-glass is needed or taken)',
      ],
      reverification,
    );
  }
  if (breakGlass === undefined) return refuse(reasons, reverification);

  // Break-glass: the gate's decision stays as it was; this document records the override.
  const decision = await deps.store.getDecision(repository, digest);
  const at = deps.clock.now().toISOString();
  const by = `${operator} (${IDENTITY_NOTE[req.operator.kind]})`;
  const document = JSON.stringify({
    kind: 'break-glass-release',
    decision: 'BREAK_GLASS',
    repository,
    digest,
    stage: release.stage,
    at,
    by,
    reason,
    breakGlass: breakGlassRecord(breakGlass, reasons),
    policyDigest: deps.policy.digest,
    gateDecision: decision === null ? null : { decision: decision.decision, document: decision.documentDigest },
    reverification: reverification.evidence,
  });
  const decisionDocument = await deps.documents.put(
    new TextEncoder().encode(document),
    BREAK_GLASS_DECISION_MEDIA_TYPE,
  );
  const glass: BreakGlass = { ...breakGlassRecord(breakGlass, reasons), decisionDocument };

  const targetRepository = targetRepositoryFor(policy, repository);
  const tag = release.tag ?? `release-${digestToTag(digest)}`;
  const channelTag = policy.promotion.channelTag;
  await copyImage({
    source: deps.registry,
    target: deps.registry,
    sourceRepository: repository,
    targetRepository,
    digest,
    tag,
    // What the gate evaluated (as Promote copies it); without a decision, the image alone.
    attachments: decision?.attachments ?? { referrers: [], tags: [] },
  });
  await deps.registry.moveTag(targetRepository, channelTag, digest);
  const entry: PromotionEntry = {
    repository,
    digest,
    promotedAt: at,
    targetRepository,
    tag,
    kind: 'promotion',
    by,
    reason,
    breakGlass: glass,
  };
  await deps.store.appendPromotion(entry);
  const detail = {
    repository,
    digest,
    targetRepository,
    tag,
    channelTag,
    image: `${targetRepository}@${digest}`,
    by,
    breakGlass: true,
    decisionDocument,
  };
  await deps.outcomes.emit('Release Promoted', detail);
  await deps.notifier.publish(`Promoted (break-glass): ${repository}@${digest.slice(0, 19)}`, detail);
  await announceBreakGlass(deps, glass, detail, `${repository}@${digest.slice(0, 19)} released from quarantine`);
  return {
    outcome: 'PROMOTED',
    repository,
    digest,
    targetRepository,
    channelTag,
    entry,
    reverification,
    breakGlass: glass,
  };
}
