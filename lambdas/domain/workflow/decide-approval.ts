// The answer to an approval (approval-api handler, `release-gate approve|reject`).
import {
  AlreadyDecidedError,
  ErrorName,
  ExpiredError,
  InvalidInputError,
  NotFoundError,
  UntrustedError,
} from '../errors.js';
import { policyFor } from '../policy/load.js';
import type { ApprovalRecord } from '../ports.js';
import type { GateDeps } from './deps.js';

export interface ApprovalAnswer {
  readonly approvalId: string;
  readonly decision: 'approve' | 'reject';
  readonly by: string;
  readonly comment?: string;
}

/**
 * Answer an approval exactly once: the conditional state change is the single-use guard, then the
 * approval evidence is stored, then the workflow is resumed (approve) or failed (reject). The same
 * answer by the same approver again finishes those later steps and changes nothing else: it is how
 * an answer whose request failed after the guard (a crash, a lost response) is completed.
 */
export async function decideApproval(deps: GateDeps, answer: ApprovalAnswer): Promise<ApprovalRecord> {
  const by = answer.by.trim();
  if (by.length === 0 || by.length > 200)
    throw new InvalidInputError('the approver identity is required (1–200 characters)');
  const approval = await deps.store.getApproval(answer.approvalId);
  if (approval === null) throw new NotFoundError(`no approval ${answer.approvalId}`);
  const state = answer.decision === 'approve' ? 'APPROVED' : 'REJECTED';
  if (approval.state !== 'PENDING') {
    if (approval.state === state && approval.decidedBy === by) return completeAnswer(deps, approval, true);
    throw new AlreadyDecidedError(
      `approval ${approval.approvalId} was already answered: ${approval.state} by ${approval.decidedBy ?? 'unknown'}`,
    );
  }
  const now = deps.clock.now();
  if (now.toISOString() > approval.expiresAt) {
    await deps.store.decideApproval(approval.approvalId, 'EXPIRED', 'release-gate', now.toISOString());
    throw new ExpiredError(`approval ${approval.approvalId} expired at ${approval.expiresAt}`);
  }
  const policy = policyFor(deps.policy.document, approval.repository);
  // Both answers are restricted: a rejection by anyone would let any link holder block releases.
  if (policy.approval.approvers.length > 0 && !policy.approval.approvers.includes(by)) {
    throw new UntrustedError(`${by} is not an allowed approver for ${approval.repository}`);
  }
  const decided = await deps.store.decideApproval(approval.approvalId, state, by, now.toISOString(), answer.comment);
  return completeAnswer(deps, decided, false);
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
    facts: { approvalId: decided.approvalId, decidedBy: by, decidedAt: at, comment: decided.comment ?? null },
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
