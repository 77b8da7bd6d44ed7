// Quarantine: every blocked or failed release ends here; production is never touched.
import { safeParseJsonDocument } from '../document.js';
import { ConflictError, describeError, ErrorName, isRetryable, StatesError } from '../errors.js';
import { Limits } from '../limits.js';
import { digestToTag } from '../oci.js';
import type { ReleaseRecord } from '../ports.js';
import { firstApprovalRoundOf } from '../records.js';
import * as z from '../zod.js';
import { expireApprovals } from './approval-audit.js';
import type { GateDeps } from './deps.js';
import type { StatesError as CaughtError, ReleaseRef } from './inputs.js';
import { EVIDENCE_CHANGED } from './promote.js';
import { updateQuarantinedMessages } from './slack-approval.js';

export async function quarantineRelease(deps: GateDeps, req: ReleaseRef & { failure?: CaughtError }) {
  const reasons = await quarantineReasons(deps, req);
  const release = await deps.store.getRelease(req.repository, req.digest);
  if (release?.state === 'PROMOTED') {
    // Never un-promote from here: revocation is an explicit operator action.
    throw new ConflictError(`${req.repository}@${req.digest} is already promoted; refusing to quarantine`);
  }
  if (
    req.failure !== undefined &&
    (req.failure.Error === ErrorName.ApprovalRejected || req.failure.Error === StatesError.Timeout)
  ) {
    const pendingApproval = (await deps.store.getDecision(req.repository, req.digest))?.decision === 'PASS';
    if (pendingApproval) {
      // On a timeout the approvals expire first: the evidence references their final records.
      const finalRecords =
        req.failure.Error === StatesError.Timeout ? await expireApprovals(deps, req.repository, req.digest) : [];
      await deps.store.putEvidence({
        repository: req.repository,
        digest: req.digest,
        kind: 'approval',
        status: req.failure.Error === ErrorName.ApprovalRejected ? 'FAIL' : 'MISSING',
        reasons: [
          req.failure.Error === ErrorName.ApprovalRejected
            ? (req.failure.Cause ?? 'rejected')
            : `${APPROVAL_EXPIRED}: no decision before the approval timeout`,
        ],
        facts: {},
        documents: finalRecords,
        collectedAt: deps.clock.now().toISOString(),
        // In a later approval round, this round's answer replaces the superseded approval's.
        ...(release?.approvalRound !== undefined && { round: release.approvalRound }),
      });
    }
  }
  if (release !== null) await supersededApprovalNotCarried(deps, release);
  const quarantineTag = `quarantine-${digestToTag(req.digest)}`;
  let tagged = false;
  let untagged: string | undefined;
  if (release === null) {
    // RecordRelease failed (unreadable or unsupported manifest): still leave an auditable record.
    await deps.store.recordRelease({
      repository: req.repository,
      digest: req.digest,
      mediaType: 'unknown',
      stage: req.stage,
      platforms: [],
      state: 'RECORDED',
      executionName: 'unknown',
      recordedAt: deps.clock.now().toISOString(),
    });
  } else {
    try {
      const tags = await deps.registry.listTags(req.repository);
      if (tags.includes(quarantineTag)) {
        // Only a tag on this very image is ours: one a pusher planted on another image is not
        // advertised as the quarantine of this one.
        const existing = await deps.registry.getManifest(req.repository, quarantineTag);
        if (existing.digest === req.digest) tagged = true;
        else untagged = `${quarantineTag} already points at ${existing.digest}, not at this image`;
      } else {
        const manifest = await deps.registry.getManifest(req.repository, req.digest);
        await deps.registry.putManifest(req.repository, manifest.bytes, manifest.mediaType, quarantineTag);
        tagged = true;
      }
    } catch (err) {
      // The registry blipped: the ASL retries. Anything else about the image (gone, a body whose
      // mediaType contradicts the served one) must not keep the release from being quarantined.
      if (isRetryable(err)) throw err;
      untagged = `the quarantine tag could not be written: ${describeError(err)}`;
    }
  }
  await deps.store.updateReleaseState(req.repository, req.digest, 'QUARANTINED', {
    outcome: 'QUARANTINED',
    outcomeReasons: untagged === undefined ? reasons : [...reasons, untagged],
    decidedAt: deps.clock.now().toISOString(),
  });
  const detail = {
    repository: req.repository,
    digest: req.digest,
    reasons,
    quarantineTag: tagged ? quarantineTag : null,
  };
  await updateQuarantinedMessages(deps, req, reasons);
  await deps.outcomes.emit('Release Quarantined', detail);
  await deps.notifier.publish(
    `Quarantined: ${req.repository}@${req.digest.slice(0, 19)}`,
    detail,
    'Release Quarantined',
  );
  return { reasons, quarantineTag: tagged ? quarantineTag : null };
}

async function quarantineReasons(deps: GateDeps, req: ReleaseRef & { failure?: CaughtError }): Promise<string[]> {
  if (req.failure !== undefined && req.failure.Error !== ErrorName.PolicyBlocked) {
    const f = req.failure;
    if (f.Error === ErrorName.ApprovalRejected) return [`approval: rejected: ${f.Cause ?? ''}`.trim()];
    if (f.Error === StatesError.Timeout) return [APPROVAL_EXPIRED, ...(await expiryDetail(deps, req))];
    const message = f.Cause ? causeMessage(f.Cause) : '';
    // A void approval names its reason first: the reason is that code, the message its detail.
    if (f.Error === ErrorName.PromotionBlocked && message.startsWith(`${EVIDENCE_CHANGED}: `)) {
      return [EVIDENCE_CHANGED, message.slice(EVIDENCE_CHANGED.length + 2)];
    }
    return [`workflow step failed: ${f.Error}${message ? `: ${message}` : ''}`];
  }
  const decision = await deps.store.getDecision(req.repository, req.digest);
  if (decision === null) return ['no decision was recorded (fail closed)'];
  return [...decision.reasons];
}

/**
 * A release quarantined in a later approval round (or a later gate round) before its new approval
 * was answered (the evidence as it is now blocks, a step failed) records that round's approval evidence as MISSING,
 * so that it does not keep showing the superseded approval's PASS.
 */
async function supersededApprovalNotCarried(deps: GateDeps, release: ReleaseRecord): Promise<void> {
  const round = release.approvalRound ?? 0;
  const carried = await deps.store.getEvidence(release.repository, release.digest, 'approval');
  if (round === 0 || carried === null || (carried.round ?? 0) >= round) return;
  const approvalId = typeof carried.facts.approvalId === 'string' ? carried.facts.approvalId : 'unknown';
  await deps.store.putEvidence({
    repository: release.repository,
    digest: release.digest,
    kind: 'approval',
    status: 'MISSING',
    reasons: [
      round === firstApprovalRoundOf(release)
        ? `approval ${approvalId} belongs to gate round ${(release.gateRound ?? 1) - 1}; this round's evidence was not approved`
        : `approval ${approvalId} was superseded by an evidence change; the evidence as it is now was not approved`,
    ],
    facts: { supersededApprovalId: approvalId },
    documents: [],
    collectedAt: deps.clock.now().toISOString(),
    round,
  });
}

/** The quarantine reason of a release whose approval was not given before the approval timeout. */
export const APPROVAL_EXPIRED = 'approval-expired';

/** What the approval had when it expired: the quorum progress, so the reason says who was missing. */
async function expiryDetail(deps: GateDeps, req: ReleaseRef): Promise<string[]> {
  const approvals = (await deps.store.listApprovals()).filter(
    (a) => a.repository === req.repository && a.digest === req.digest,
  );
  const last = approvals.at(-1);
  const progress =
    last === undefined
      ? ''
      : `: ${last.approvals.length} of ${last.required} approvals${last.approvals.length > 0 ? ` (${last.approvals.map((a) => a.by).join(', ')})` : ''}`;
  return [`no decision before the approval timeout${progress}`];
}

/** Lambda errors arrive as a JSON Cause `{errorType, errorMessage, …}`; show the message. */
function causeMessage(cause: string): string {
  const parsed = safeParseJsonDocument(cause, LambdaCauseSchema, { what: 'error cause', maxBytes: Limits.eventBytes });
  return parsed.success ? parsed.data.errorMessage : cause.slice(0, 500);
}

const LambdaCauseSchema = z.object({ errorMessage: z.string() });
