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
 * approval evidence is stored, then the workflow is resumed (approve) or failed (reject).
 */
export async function decideApproval(deps: GateDeps, answer: ApprovalAnswer): Promise<ApprovalRecord> {
  const by = answer.by.trim();
  if (by.length === 0 || by.length > 200)
    throw new InvalidInputError('the approver identity is required (1–200 characters)');
  const approval = await deps.store.getApproval(answer.approvalId);
  if (approval === null) throw new NotFoundError(`no approval ${answer.approvalId}`);
  if (approval.state !== 'PENDING') {
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
  const state = answer.decision === 'approve' ? 'APPROVED' : 'REJECTED';
  const decided = await deps.store.decideApproval(approval.approvalId, state, by, now.toISOString(), answer.comment);
  await deps.store.putEvidence({
    repository: approval.repository,
    digest: approval.digest,
    kind: 'approval',
    status: state === 'APPROVED' ? 'PASS' : 'FAIL',
    reasons: [`${state.toLowerCase()} by ${by} at ${now.toISOString()}${answer.comment ? `: ${answer.comment}` : ''}`],
    facts: {
      approvalId: approval.approvalId,
      decidedBy: by,
      decidedAt: now.toISOString(),
      comment: answer.comment ?? null,
    },
    documents: [],
    collectedAt: now.toISOString(),
  });
  if (state === 'APPROVED') {
    await deps.tokens.sendSuccess(approval.taskToken, { approved: true, by, approvalId: approval.approvalId });
  } else {
    await deps.tokens.sendFailure(
      approval.taskToken,
      ErrorName.ApprovalRejected,
      `rejected by ${by}${answer.comment ? `: ${answer.comment}` : ''}`,
    );
  }
  return decided;
}
