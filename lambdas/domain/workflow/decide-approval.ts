// The answer to an approval (approval-api handler, `release-gate approve|reject`).
import {
  AlreadyDecidedError,
  ErrorName,
  ExpiredError,
  InvalidInputError,
  NotFoundError,
  UntrustedError,
} from '../errors.js';
import type { ApprovalPolicy } from '../evidence/approval-policy.js';
import { policyFor } from '../policy/load.js';
import { approvalRulesFor } from '../policy/schema.js';
import type { ApprovalRecord } from '../ports.js';
import { isAllowedApprover, personKey, pushersMatching } from './approvers.js';
import type { GateDeps } from './deps.js';

export interface ApprovalAnswer {
  readonly approvalId: string;
  readonly decision: 'approve' | 'reject';
  readonly by: string;
  readonly comment?: string;
  /** The evidence set the approver was shown (a signed link carries it); another one is refused. */
  readonly evidenceSetDigest?: string;
}

/**
 * Answer an approval under the policy's rules: the approver must be allowed, must not be the
 * pusher (separation of duties), and must have seen this evidence set. One reject is final: the
 * conditional state change is the single-use guard. An approval is added to the quorum (one per
 * person); when the record holds `required` distinct approvals the approval is decided, its
 * evidence stored and the workflow resumed. The same answer by the same approver again finishes
 * those later steps and changes nothing else: it is how an answer whose request failed after the
 * guard (a crash, a lost response) is completed.
 */
export async function decideApproval(deps: GateDeps, answer: ApprovalAnswer): Promise<ApprovalRecord> {
  const by = answer.by.trim();
  if (by.length === 0 || by.length > 200)
    throw new InvalidInputError('the approver identity is required (1–200 characters)');
  const approval = await deps.store.getApproval(answer.approvalId);
  if (approval === null) throw new NotFoundError(`no approval ${answer.approvalId}`);
  const rules = await rulesOf(deps, approval);
  const person = personKey(rules, by);
  const state = answer.decision === 'approve' ? 'APPROVED' : 'REJECTED';
  if (approval.state !== 'PENDING') {
    if (approval.state === state && answeredBy(approval, person, by)) return completeAnswer(deps, approval, true);
    throw new AlreadyDecidedError(
      `approval ${approval.approvalId} was already answered: ${approval.state} by ${approval.decidedBy ?? 'unknown'}`,
    );
  }
  const now = deps.clock.now();
  if (now.toISOString() > approval.expiresAt) {
    await deps.store.decideApproval(approval.approvalId, 'EXPIRED', 'release-gate', now.toISOString());
    throw new ExpiredError(`approval-expired: approval ${approval.approvalId} expired at ${approval.expiresAt}`);
  }
  // Both answers are restricted: a rejection by anyone would let any link holder block releases.
  if (!isAllowedApprover(rules, by)) {
    throw new UntrustedError(`${by} is not an allowed approver for ${approval.repository}`);
  }
  if (answer.evidenceSetDigest !== undefined && answer.evidenceSetDigest !== approval.evidenceSetDigest) {
    throw new UntrustedError(
      `the answer is for evidence set ${answer.evidenceSetDigest}; approval ${approval.approvalId} is for ${approval.evidenceSetDigest ?? 'none'}`,
    );
  }
  if (state === 'REJECTED') {
    const rejected = await deps.store.decideApproval(approval.approvalId, state, by, now.toISOString(), answer.comment);
    return completeAnswer(deps, rejected, false);
  }
  if (rules.separationOfDuties) {
    // Pushers recorded after the request (a late CloudTrail event) count as well.
    const recorded = (await deps.store.listPushers(approval.repository, approval.digest)).map((p) => p.identity);
    const pushedBySelf = pushersMatching(rules, by, [...approval.pushers, ...recorded]);
    if (pushedBySelf.length > 0) {
      throw new UntrustedError(
        `separation of duties: ${by} pushed this release (${pushedBySelf.join(', ')}) and may not approve it`,
      );
    }
  }
  const { record } = await deps.store.addApproval(approval.approvalId, {
    by,
    person,
    at: now.toISOString(),
    ...(answer.comment ? { comment: answer.comment } : {}),
  });
  if (record.approvals.length < record.required) return record;
  // The quorum is met: of concurrent last approvals one decides; the other finds it decided.
  const approvers = record.approvals.map((a) => a.by).join(', ');
  const comments =
    record.approvals.length === 1
      ? (record.approvals[0]?.comment ?? '')
      : record.approvals.flatMap((a) => (a.comment ? [`${a.by}: ${a.comment}`] : [])).join('; ');
  try {
    const decided = await deps.store.decideApproval(
      approval.approvalId,
      'APPROVED',
      approvers,
      now.toISOString(),
      comments === '' ? undefined : comments,
    );
    return await completeAnswer(deps, decided, false);
  } catch (err) {
    if (!(err instanceof AlreadyDecidedError)) throw err;
    const current = await deps.store.getApproval(approval.approvalId);
    if (current?.state !== 'APPROVED') throw err;
    return completeAnswer(deps, current, true);
  }
}

/** The approval rules of the release's rule and recorded stage (the stage may override them). */
async function rulesOf(deps: GateDeps, approval: ApprovalRecord): Promise<ApprovalPolicy> {
  const release = await deps.store.getRelease(approval.repository, approval.digest);
  const policy = policyFor(deps.policy.document, approval.repository);
  return release === null ? policy.approval : approvalRulesFor(policy, release.stage);
}

/** Whether this person's answer is among the stored ones (for completing a repeated answer). */
function answeredBy(approval: ApprovalRecord, person: string, by: string): boolean {
  if (approval.state === 'APPROVED') return approval.approvals.some((a) => a.person === person);
  return approval.decidedBy === by;
}

/**
 * Stores the approval evidence of a decided approval and answers the workflow. Everything is taken
 * from the stored record, so that a repeated answer writes exactly what the first one would have.
 */
async function completeAnswer(deps: GateDeps, decided: ApprovalRecord, repeated: boolean): Promise<ApprovalRecord> {
  const approved = decided.state === 'APPROVED';
  const by = decided.decidedBy ?? 'unknown';
  const at = decided.decidedAt ?? deps.clock.now().toISOString();
  const stored = await deps.store.putEvidence({
    repository: decided.repository,
    digest: decided.digest,
    kind: 'approval',
    status: approved ? 'PASS' : 'FAIL',
    reasons: [`${decided.state.toLowerCase()} by ${by} at ${at}${decided.comment ? `: ${decided.comment}` : ''}`],
    facts: {
      approvalId: decided.approvalId,
      decidedBy: by,
      decidedAt: at,
      comment: decided.comment ?? null,
      evidenceSetDigest: decided.evidenceSetDigest ?? null,
      approvals: decided.approvals.map((a) => ({ by: a.by, at: a.at })),
      required: decided.required,
    },
    documents: [],
    collectedAt: at,
  });
  try {
    if (approved) {
      await deps.tokens.sendSuccess(decided.taskToken, { approved: true, by, approvalId: decided.approvalId });
    } else {
      await deps.tokens.sendFailure(
        decided.taskToken,
        ErrorName.ApprovalRejected,
        `rejected by ${by}${decided.comment ? `: ${decided.comment}` : ''}`,
      );
    }
  } catch (err) {
    // A repeated answer whose first delivery reached the workflow finds the task answered: done.
    // When the stored evidence is not this answer's, the workflow went on without it: say so.
    if (repeated && err instanceof ExpiredError && stored.facts.approvalId === decided.approvalId) return decided;
    throw err;
  }
  return decided;
}
