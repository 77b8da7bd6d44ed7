/**
 * The evidence report of one release (issue 9 §6): what was judged, against which policy, who
 * approved, and what happened to it since (the timeline and its live windows in production). The
 * release's sections are the approval view's (approval-view.ts), judged against the policy stored
 * with the decision, so a report written a year later shows what the approvers saw.
 */
import { parseJsonDocument } from '../document.js';
import { describeError, NotFoundError } from '../errors.js';
import { Limits } from '../limits.js';
import { parsePolicyDocument } from '../policy/parse.js';
import { policyFor } from '../policy/rules.js';
import type { AlertRecord, ApprovalAuditRecord, ApprovalRecord, DecisionRecord, ReleaseRecord } from '../ports.js';
import * as z from '../zod.js';
import { buildReleaseSections, type ReleaseSections, type ViewPorts } from './approval-view.js';

export interface TimelineEvent {
  readonly at: string;
  readonly what: string;
}

export interface LiveWindow {
  readonly targetRepository: string;
  readonly tag: string;
  readonly from: string;
  /** When the next release of the same production repository was promoted; null while live. */
  readonly until: string | null;
  readonly replacedBy: string | null;
}

export interface ReleaseReport {
  readonly release: ReleaseRecord;
  readonly tags: readonly string[];
  readonly decision: DecisionRecord | null;
  readonly sections: ReleaseSections | { readonly unavailable: string };
  readonly approvals: readonly ApprovalRecord[];
  /** The approval audit trail (requests, views, answers, refusals, expiries), oldest first. */
  readonly approvalTrail: readonly ApprovalAuditRecord[];
  readonly timeline: readonly TimelineEvent[];
  readonly liveWindows: readonly LiveWindow[];
  /**
   * Re-validation alerts (incident/revalidate.ts): advisories that affected the release after it
   * was gated, with the components that matched and why, oldest first.
   */
  readonly alerts: readonly AlertRecord[];
  readonly generatedAt: string;
}

const StoredPolicySchema = z.object({ policy: z.object({ text: z.string() }) });

/** Gathers the report of `repository@digest`. NotFoundError when no such release is recorded. */
export async function buildReleaseReport(
  deps: ViewPorts,
  repository: string,
  digest: string,
  now: Date,
): Promise<ReleaseReport> {
  const release = await deps.store.getRelease(repository, digest);
  if (release === null) throw new NotFoundError(`no release ${repository}@${digest}`);
  const [tags, decision, evidence, allApprovals, promotions, approvalTrail, alerts] = await Promise.all([
    deps.store.listPushedTags(repository, digest),
    deps.store.getDecision(repository, digest),
    deps.store.listEvidence(repository, digest),
    deps.store.listApprovals(),
    deps.store.listPromotions(repository),
    deps.store.listApprovalAudit(repository, digest),
    deps.store.listAlerts(repository, digest),
  ]);
  const approvals = allApprovals.filter((a) => a.repository === repository && a.digest === digest);
  let sections: ReleaseReport['sections'];
  if (decision === null) {
    sections = { unavailable: 'no decision is stored for this release' };
  } else {
    try {
      const doc = parseJsonDocument(await deps.documents.get(decision.documentDigest), StoredPolicySchema, {
        what: `decision document ${decision.documentDigest}`,
        maxBytes: Limits.policyBytes + Limits.scanReportBytes,
      });
      const policy = policyFor(parsePolicyDocument(new TextEncoder().encode(doc.policy.text)), repository);
      sections = await buildReleaseSections(deps, { repository, digest }, policy, decision, evidence);
    } catch (err) {
      sections = { unavailable: `the stored decision could not be read: ${describeError(err)}` };
    }
  }

  const timeline: TimelineEvent[] = [{ at: release.recordedAt, what: `recorded (stage ${release.stage})` }];
  for (const e of evidence) timeline.push({ at: e.collectedAt, what: `${e.kind} evidence: ${e.status}` });
  // Earlier gate rounds (releases from quarantine): how each ended and who asked for the next.
  for (const r of release.rounds ?? []) {
    if (r.decidedAt !== undefined) {
      timeline.push({ at: r.decidedAt, what: `gate round ${r.round} ended ${r.outcome ?? r.state}` });
    }
    timeline.push({
      at: r.resubmittedAt,
      what: `released from quarantine by ${r.resubmittedBy}: ${r.reason} (gate round ${r.round + 1})`,
    });
  }
  if (decision !== null) {
    const round = (release.gateRound ?? 1) > 1 ? ` (gate round ${release.gateRound})` : '';
    timeline.push({ at: decision.decidedAt, what: `policy decision: ${decision.decision}${round}` });
  }
  for (const a of approvals) {
    timeline.push({ at: a.requestedAt, what: `approval requested (${a.required} needed)` });
    for (const entry of a.approvals) timeline.push({ at: entry.at, what: `approved by ${entry.person}` });
    if (a.decidedAt !== undefined) {
      timeline.push({ at: a.decidedAt, what: `approval ${a.state}${a.decidedBy ? ` by ${a.decidedBy}` : ''}` });
    }
    if (a.supersession !== undefined) timeline.push({ at: a.supersession.at, what: `approval superseded` });
  }
  // The track is most recent first: a promotion's window ends when the next one of its target begins.
  const liveWindows: LiveWindow[] = [];
  const track = [...promotions].reverse();
  for (const [i, p] of track.entries()) {
    if (p.digest !== digest) continue;
    const next = track.slice(i + 1).find((q) => q.targetRepository === p.targetRepository && q.digest !== digest);
    liveWindows.push({
      targetRepository: p.targetRepository,
      tag: p.tag,
      from: p.promotedAt,
      until: next?.promotedAt ?? null,
      replacedBy: next?.digest ?? null,
    });
    timeline.push({ at: p.promotedAt, what: `promoted to ${p.targetRepository}:${p.tag}` });
    if (next !== undefined) timeline.push({ at: next.promotedAt, what: `replaced in production by ${next.digest}` });
  }
  if (release.outcome !== undefined && release.decidedAt !== undefined && release.outcome !== 'PROMOTED') {
    timeline.push({ at: release.decidedAt, what: release.outcome });
  }
  for (const a of alerts) {
    timeline.push({ at: a.raisedAt, what: `newly affected by ${a.advisoryId} (${a.trigger}: ${a.source})` });
  }
  timeline.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return {
    release,
    tags,
    decision,
    sections,
    approvals,
    approvalTrail,
    timeline,
    liveWindows,
    alerts,
    generatedAt: now.toISOString(),
  };
}
