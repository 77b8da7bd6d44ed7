// EvaluatePolicy: the pure policy function over the stored evidence, stored with the policy text for replay.
import { isIndexMediaType } from '../oci.js';
import { evaluatePolicy } from '../policy/evaluate.js';
import { policyFor } from '../policy/rules.js';
import { listAttachments } from '../promotion/attachments.js';
import { firstApprovalRoundOf } from '../records.js';
import type { Digest } from '../types.js';
import type { GateDeps } from './deps.js';
import type { ReleaseRef } from './inputs.js';

export async function evaluateRelease(deps: GateDeps, req: ReleaseRef) {
  const policy = policyFor(deps.policy.document, req.repository);
  const parent = await parentIndexOf(deps, req);
  if (parent !== undefined) {
    const reasons = [`platform manifest of index ${parent}, which is gated with it: no decision of its own`];
    await deps.store.updateReleaseState(req.repository, req.digest, 'COVERED', { outcomeReasons: reasons });
    return {
      decision: 'COVERED' as const,
      reasons,
      approvalRequired: false,
      approvalTimeoutSeconds: policy.approval.timeoutSeconds,
      policyDigest: deps.policy.digest,
      blockingKinds: [],
    };
  }
  const release = await deps.store.getRelease(req.repository, req.digest);
  // A later approval round (an approval superseded because the evidence changed) evaluates again
  // and stores its own decision, which replaces the earlier one; that one stays in its document.
  const round = release?.approvalRound ?? 0;
  // The first evaluation of a gate round (the first run, or a release from quarantine) judges the
  // evidence collected in it; a later one is a re-approval within the round.
  const reapproval = round > firstApprovalRoundOf(release);
  const gateRound = release?.gateRound ?? 1;
  // A later round's decision does not carry the superseded approval's evidence (an earlier round's).
  const evidence = (await deps.store.listEvidence(req.repository, req.digest)).filter(
    (e) => e.kind !== 'approval' || (e.round ?? 0) >= round,
  );
  const decision = evaluatePolicy(policy, req.stage, evidence);
  const decidedAt = deps.clock.now().toISOString();
  const document = new TextEncoder().encode(
    JSON.stringify({
      subject: { repository: req.repository, digest: req.digest },
      stage: req.stage,
      decidedAt,
      ...(round > 0 && { approvalRound: round }),
      ...(gateRound > 1 && { gateRound }),
      policy: { digest: deps.policy.digest, text: new TextDecoder().decode(deps.policy.bytes) },
      evidence: evidence.map((e) => ({ ...e })),
      decision,
    }),
  );
  const documentDigest = await deps.documents.put(document, 'application/vnd.release-gate.decision.v1+json');
  // What is attached now is what was judged (and what the approver approves): Promote copies this.
  // A re-approval judges the evidence collected in the round's first evaluation, so it keeps that
  // list: a referrer attached since was never collected or verified, and is not promoted. A new
  // gate round collected again, so it lists again.
  const earlier = reapproval ? (await deps.store.getDecision(req.repository, req.digest))?.attachments : undefined;
  const attachments =
    earlier ??
    (await listAttachments(deps.registry, req.repository, [
      req.digest,
      ...(release?.platforms ?? []).map((p) => p.digest),
    ]));
  const stored = await deps.store.putDecision({
    repository: req.repository,
    digest: req.digest,
    decision: decision.decision,
    reasons: decision.reasons,
    policyDigest: deps.policy.digest,
    evidence: decision.evidence.map((e) => ({ kind: e.kind, status: e.status, reasons: e.reasons })),
    decidedAt,
    documentDigest,
    attachments,
    ...(round > 0 && { round }),
  });
  // A release evaluated again stays AWAITING_APPROVAL (states never move back) until quarantined or
  // promoted.
  if (!reapproval) await deps.store.updateReleaseState(req.repository, req.digest, 'EVALUATED');
  // The state payload stays small (the ASL carries it to RequestApproval): the full reasons are in
  // the stored decision record and document.
  return {
    decision: stored.decision,
    reasons: stored.reasons.slice(0, 10).map((r) => (r.length > 300 ? `${r.slice(0, 299)}…` : r)),
    approvalRequired: decision.approvalRequired,
    approvalTimeoutSeconds: decision.approvalTimeoutSeconds,
    policyDigest: stored.policyDigest,
    // The required kinds that did not pass (for the FailingEvidence metric; the ASL drops it).
    blockingKinds: decision.evidence
      .filter((e) => e.required && e.kind !== 'approval' && e.status !== 'PASS')
      .map((e) => e.kind),
  };
}

/**
 * The index this release is a platform manifest of, when it is one: an image manifest pushed
 * without a tag (its event came before its index's, see start-release.ts) that an index of the
 * repository lists. A manifest pushed under a tag is deployable under it, so it is always gated on
 * its own.
 */
async function parentIndexOf(deps: GateDeps, req: ReleaseRef): Promise<Digest | undefined> {
  const release = await deps.store.getRelease(req.repository, req.digest);
  if (release === null || release.tag !== undefined || isIndexMediaType(release.mediaType)) return undefined;
  if ((await deps.store.listPushedTags(req.repository, req.digest)).length > 0) return undefined;
  const [parent] = await deps.store.listParentIndexes(req.repository, req.digest);
  return parent;
}
