// Promote: the last step of a release that passed (and was approved when the stage requires it).
import { ConflictError, NotFoundError, PromotionBlockedError } from '../errors.js';
import { MAX_REAPPROVALS } from '../evidence/approval-policy.js';
import { digestToTag } from '../oci.js';
import { policyFor, targetRepositoryFor } from '../policy/rules.js';
import { approvalRulesFor, type RepositoryPolicy } from '../policy/schema.js';
import type { ApprovalRecord, ReleaseRecord, StoredEvidence } from '../ports.js';
import { copyImage } from '../promotion/copy.js';
import { firstApprovalRoundOf } from '../records.js';
import { auditSuperseded } from './approval-audit.js';
import type { GateDeps } from './deps.js';
import { evidenceSetDigest } from './evidence-set.js';
import type { ReleaseRef } from './inputs.js';
import { signReleaseVsa } from './promote-vsa.js';
import { updateSupersededMessage } from './slack-approval.js';

/**
 * What Promote did: PROMOTED, or EVIDENCE_CHANGED when the approval was superseded because the
 * evidence changed after it was requested (`approval.onEvidenceChange: reapprove`): the workflow
 * then evaluates the policy again and requests a new approval.
 */
export type PromoteOutcome = 'PROMOTED' | 'EVIDENCE_CHANGED';

export async function promoteRelease(deps: GateDeps, req: ReleaseRef) {
  const release = await deps.store.getRelease(req.repository, req.digest);
  if (release === null) throw new NotFoundError(`no release record for ${req.repository}@${req.digest}`);
  const policy = policyFor(deps.policy.document, req.repository);
  const targetRepository = targetRepositoryFor(policy, req.repository);
  // An image pushed by digest only gets `release-sha256-<hex>`: the bare `sha256-<hex>` is the
  // referrers tag schema's index of that digest (distribution-spec), which a registry without the
  // referrers API keeps under exactly that name (red-team finding 20).
  const tag = release.tag ?? `release-${digestToTag(req.digest)}`;
  if (release.state === 'QUARANTINED') throw new PromotionBlockedError('release was already quarantined');

  // Defence in depth: re-check the stored decision and, when required, the approval evidence.
  const decision = await deps.store.getDecision(req.repository, req.digest);
  const announcement = {
    repository: req.repository,
    digest: req.digest,
    targetRepository,
    tag,
    policyDigest: decision?.policyDigest,
  };
  if (release.state === 'PROMOTED') {
    // A retry of a step that crashed after recording the promotion, before or while announcing it:
    // announce again (the events are at-least-once; consumers deduplicate on type, repository and
    // digest) rather than lose the announcement.
    await announcePromotion(deps, announcement);
    return { outcome: 'PROMOTED' as PromoteOutcome, targetRepository, tag, alreadyPromoted: true };
  }
  if (decision === null || decision.decision !== 'PASS') {
    throw new PromotionBlockedError('no PASS decision is stored for this release');
  }
  // The release's own recorded stage decides, not the one this step was handed (red-team finding
  // 10); a stage the policy does not define cannot be promoted.
  if (req.stage !== release.stage) {
    throw new PromotionBlockedError(
      `promote was asked for stage ${req.stage}; the release was gated for ${release.stage}`,
    );
  }
  const stage = policy.stages[release.stage];
  if (stage === undefined) throw new PromotionBlockedError(`stage ${release.stage} is not defined in the policy`);
  if (stage.require.includes('approval')) {
    const approval = await deps.store.getEvidence(req.repository, req.digest, 'approval');
    if (approval?.status !== 'PASS') throw new PromotionBlockedError('approval evidence is not PASS');
    if ((await checkApprovalBinding(deps, req, release, policy, approval)) === 'superseded') {
      return { outcome: 'EVIDENCE_CHANGED' as PromoteOutcome, targetRepository, tag, alreadyPromoted: false };
    }
  }

  // Signed before production changes: a signing key that fails (SigningError, which the ASL does
  // not retry) leaves production as it was, so PromotionFailed's "production was not changed" holds.
  const vsa = await signReleaseVsa(deps, release, decision, targetRepository);
  await copyImage({
    source: deps.registry,
    target: deps.registry,
    sourceRepository: req.repository,
    targetRepository,
    digest: req.digest,
    tag,
    // Exactly what was evaluated and approved; a decision without the list promotes the image alone.
    attachments: decision.attachments ?? { referrers: [], tags: [] },
  });
  // The same digest pushed under several tags (`latest` and `1.4.0`) is one release: every tag
  // goes to production, none is dropped (red-team finding 18).
  const otherTags = (await deps.store.listPushedTags(req.repository, req.digest)).filter((t) => t !== tag);
  const notMoved: string[] = [];
  if (otherTags.length > 0) {
    const promoted = await deps.registry.getManifest(targetRepository, req.digest);
    for (const other of otherTags) {
      try {
        await deps.registry.putManifest(targetRepository, promoted.bytes, promoted.mediaType, other);
      } catch (err) {
        // Production tags are immutable: a `latest` that already names an earlier release stays
        // where it is, and the outcome says so (the release is promoted under its other tags).
        if (!(err instanceof ConflictError)) throw err;
        notMoved.push(`tag ${other} already names another image in ${targetRepository}; not moved`);
      }
    }
  }
  // Before the promotion is recorded: a retry after a crash here attaches it then (attach is idempotent).
  await vsa?.attach();
  // The live pointer follows the promotion; rollback moves it back (incident/rollback.ts).
  await deps.registry.moveTag(targetRepository, policy.promotion.channelTag, req.digest);
  const promotedAt = deps.clock.now().toISOString();
  await deps.store.appendPromotion({
    repository: req.repository,
    digest: req.digest,
    promotedAt,
    targetRepository,
    tag,
  });
  const approvalEvidence = await deps.store.getEvidence(req.repository, req.digest, 'approval');
  await deps.store.updateReleaseState(req.repository, req.digest, 'PROMOTED', {
    outcome: 'PROMOTED',
    outcomeReasons: [
      ...decision.reasons.filter((r) => r !== 'awaiting human approval'),
      ...(approvalEvidence?.status === 'PASS' ? approvalEvidence.reasons : []),
      ...notMoved,
    ],
    decidedAt: promotedAt,
  });
  await announcePromotion(deps, announcement);
  return { outcome: 'PROMOTED' as PromoteOutcome, targetRepository, tag, alreadyPromoted: false };
}

/** The quarantine reason of an approval whose evidence changed after it was requested. */
export const EVIDENCE_CHANGED = 'evidence-changed-after-approval';

/**
 * The approval binds the evidence set it was requested for: recomputed from the store now (with
 * the policy in force now), it must be the same, or the approval is void. Then, per the rule's
 * `approval.onEvidenceChange`: `quarantine` throws (reason `evidence-changed-after-approval`);
 * `reapprove` marks the approval SUPERSEDED (its record stays, with both digests) and starts the
 * next approval round, unless MAX_REAPPROVALS rounds were already asked for: then it throws too.
 */
async function checkApprovalBinding(
  deps: GateDeps,
  req: ReleaseRef,
  release: ReleaseRecord,
  policy: RepositoryPolicy,
  evidence: StoredEvidence,
): Promise<'bound' | 'superseded'> {
  const approvalId = typeof evidence.facts.approvalId === 'string' ? evidence.facts.approvalId : undefined;
  const approval = approvalId === undefined ? null : await deps.store.getApproval(approvalId);
  const reapprove = approvalRulesFor(policy, release.stage).onEvidenceChange === 'reapprove';
  const ours = approval !== null && approval.repository === req.repository && approval.digest === req.digest;
  if (ours && approval.state === 'SUPERSEDED' && reapprove) {
    // A retry of this step after it superseded the approval: finish starting the next round.
    await announceSupersession(deps, approval);
    await startNextRound(deps, req, approval);
    return 'superseded';
  }
  if (!ours || approval.state !== 'APPROVED') {
    throw new PromotionBlockedError('the approval evidence names no approved approval of this release');
  }
  const decision = await deps.store.getDecision(req.repository, req.digest);
  const now = evidenceSetDigest(
    await deps.store.listEvidence(req.repository, req.digest),
    decision,
    deps.policy.digest,
  );
  if (approval.evidenceSetDigest === now) return 'bound';
  const changed = `${EVIDENCE_CHANGED}: approval ${approval.approvalId} was requested for evidence set ${approval.evidenceSetDigest ?? '(none recorded)'}; the evidence now is ${now}`;
  if (!reapprove) throw new PromotionBlockedError(changed);
  // The bound: whoever can attach a referrer or a finding to the image must not keep the
  // workflow asking forever.
  if ((approval.round ?? 0) - firstApprovalRoundOf(release) >= MAX_REAPPROVALS) {
    throw new PromotionBlockedError(`${changed}; ${MAX_REAPPROVALS} new approvals were already requested for it`);
  }
  const superseded = await deps.store.supersedeApproval(approval.approvalId, {
    at: deps.clock.now().toISOString(),
    reason: changed,
    ...(approval.evidenceSetDigest === undefined ? {} : { approvedEvidenceSetDigest: approval.evidenceSetDigest }),
    currentEvidenceSetDigest: now,
    ...(decision === null ? {} : { decisionDocument: decision.documentDigest }),
  });
  await announceSupersession(deps, superseded);
  await startNextRound(deps, req, superseded);
  return 'superseded';
}

/**
 * The supersession's audit record (once, fails closed) and its Slack message update (best
 * effort). No outcome event of its own: the next round's `Approval Requested` (same repository and
 * digest, a new approval id and evidence set) is how consumers see it, and the old approval's record says why.
 */
async function announceSupersession(deps: GateDeps, superseded: ApprovalRecord): Promise<void> {
  await auditSuperseded(deps, superseded);
  await updateSupersededMessage(deps, superseded);
}

/**
 * The round after the superseded approval's: EvaluatePolicy, RequestApproval and the answer write
 * their records under it, replacing those of the round before (setting it again is a no-op).
 */
async function startNextRound(deps: GateDeps, req: ReleaseRef, superseded: ApprovalRecord): Promise<void> {
  await deps.store.updateReleaseState(req.repository, req.digest, 'AWAITING_APPROVAL', {
    approvalRound: (superseded.round ?? 0) + 1,
  });
}

async function announcePromotion(
  deps: GateDeps,
  detail: { readonly repository: string; readonly digest: string } & Readonly<Record<string, unknown>>,
): Promise<void> {
  await deps.outcomes.emit('Release Promoted', detail);
  await deps.notifier.publish(
    `Promoted: ${detail.repository}@${detail.digest.slice(0, 19)}`,
    detail,
    'Release Promoted',
  );
}
