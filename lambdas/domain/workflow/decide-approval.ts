// The answer to an approval (approval-api handler, `release-gate approve|reject`).
import { verifyLink } from '../approval/link.js';
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

/**
 * Who answered, and how that is known. `email-link`: the address a signed link was issued to (the
 * link is the proof). `cli-local`: a name typed on the command line against the embedded local
 * stack, recorded as local and unauthenticated. `cli-aws`: the ARN of the AWS principal whose
 * credentials `release-gate approve --aws` answers the workflow with (STS GetCallerIdentity).
 */
export interface ApprovalIdentity {
  readonly kind: 'email-link' | 'cli-local' | 'cli-aws';
  readonly subject: string;
}

/** How each identity kind is written into the audit trail. */
export const IDENTITY_NOTE: Record<ApprovalIdentity['kind'], string> = {
  'email-link': 'signed email link',
  'cli-local': 'local, unauthenticated',
  'cli-aws': 'AWS CLI, caller principal',
};

export interface ApprovalAnswer {
  readonly approvalId: string;
  readonly decision: 'approve' | 'reject';
  readonly identity: ApprovalIdentity;
  readonly comment?: string;
}

/** The evidence-set digest an approval request records, once requests record one ('' before). */
export function evidenceSetDigestOf(approval: ApprovalRecord): string {
  const value = (approval as { readonly evidenceSetDigest?: unknown }).evidenceSetDigest;
  return typeof value === 'string' ? value : '';
}

/**
 * Answers an approval through a signed link: the link is verified (signature with the current or
 * previous key, this approval, the evidence it was issued for, expiry) before anything is read
 * from the form, and its signed address is the identity. `verifiedEmail`, when an authorizer
 * verified the caller, must be that same address. Refusals throw with the reason; nothing is stored.
 */
export async function answerByLink(
  deps: GateDeps,
  answer: {
    readonly approvalId: string;
    readonly token: string;
    readonly decision: 'approve' | 'reject';
    readonly comment?: string;
    readonly verifiedEmail?: string;
  },
): Promise<ApprovalRecord> {
  const claims = await checkLink(deps, answer.approvalId, answer.token);
  if (answer.verifiedEmail !== undefined && answer.verifiedEmail.toLowerCase() !== claims.sub.toLowerCase()) {
    throw new UntrustedError(`signed in as ${answer.verifiedEmail}, but the link was sent to another approver`);
  }
  return decideApproval(deps, {
    approvalId: answer.approvalId,
    decision: answer.decision,
    identity: { kind: 'email-link', subject: claims.sub },
    ...(answer.comment === undefined ? {} : { comment: answer.comment }),
  });
}

/** Verifies a link for `approvalId` (no state change: the GET page uses it too); returns its claims. */
export async function checkLink(deps: GateDeps, approvalId: string, token: string) {
  if (deps.approvalLinks === undefined) {
    throw new UntrustedError('approval links are not configured on this gate: nobody can answer by link');
  }
  const approval = await deps.store.getApproval(approvalId);
  if (approval === null) throw new NotFoundError(`no approval ${approvalId}`);
  const keys = await deps.approvalLinks.secrets.getLinkKeys();
  return verifyLink(keys, token, {
    approvalId,
    now: deps.clock.now(),
    evidenceSetDigest: evidenceSetDigestOf(approval),
  });
}

/**
 * Answer an approval exactly once: the conditional state change is the single-use guard, then the
 * approval evidence is stored, then the workflow is resumed (approve) or failed (reject). The same
 * answer by the same approver again finishes those later steps and changes nothing else: it is how
 * an answer whose request failed after the guard (a crash, a lost response) is completed. A signed
 * link is single-use: its second use also finishes those steps, then is refused as already used.
 */
export async function decideApproval(deps: GateDeps, answer: ApprovalAnswer): Promise<ApprovalRecord> {
  const by = answer.identity.subject.trim();
  if (by.length === 0 || by.length > 200)
    throw new InvalidInputError('the approver identity is required (1–200 characters)');
  const approval = await deps.store.getApproval(answer.approvalId);
  if (approval === null) throw new NotFoundError(`no approval ${answer.approvalId}`);
  const state = answer.decision === 'approve' ? 'APPROVED' : 'REJECTED';
  const policy = policyFor(deps.policy.document, approval.repository);
  const approvers = policy.approval.approvers;
  // A link is sent only to the policy's approvers: a link whose address is not (or no longer) on
  // the list is refused, and with an empty list no link is valid (fail closed; the CLI remains).
  if (answer.identity.kind === 'email-link' && !approvers.includes(by)) {
    throw new UntrustedError(
      approvers.length === 0
        ? `${approval.repository} has no approvers in the policy: approval links are not accepted`
        : `${by} is not an allowed approver for ${approval.repository}`,
    );
  }
  if (approval.state !== 'PENDING') {
    if (approval.state === state && approval.decidedBy === by) {
      const done = await completeAnswer(deps, approval, true, answer.identity);
      if (answer.identity.kind !== 'email-link') return done;
      throw new AlreadyDecidedError(
        `this approval link was already used: ${approval.state} by ${by} at ${approval.decidedAt ?? 'unknown'}`,
      );
    }
    throw new AlreadyDecidedError(
      `approval ${approval.approvalId} was already answered: ${approval.state} by ${approval.decidedBy ?? 'unknown'}`,
    );
  }
  const now = deps.clock.now();
  if (now.toISOString() > approval.expiresAt) {
    await deps.store.decideApproval(approval.approvalId, 'EXPIRED', 'release-gate', now.toISOString());
    throw new ExpiredError(`approval ${approval.approvalId} expired at ${approval.expiresAt}`);
  }
  // Both answers are restricted: a rejection by anyone would let any link holder block releases.
  // A name typed against the local stack is not checked: it proves nothing, and it is recorded so.
  if (answer.identity.kind === 'cli-aws' && approvers.length > 0 && !approvers.includes(by)) {
    throw new UntrustedError(`${by} is not an allowed approver for ${approval.repository}`);
  }
  const decided = await deps.store.decideApproval(approval.approvalId, state, by, now.toISOString(), answer.comment);
  return completeAnswer(deps, decided, false, answer.identity);
}

/**
 * Stores the approval evidence of a decided approval and answers the workflow. Everything is taken
 * from the stored record, so that a repeated answer writes exactly what the first one would have.
 */
async function completeAnswer(
  deps: GateDeps,
  decided: ApprovalRecord,
  repeated: boolean,
  identity: ApprovalIdentity,
): Promise<ApprovalRecord> {
  const approved = decided.state === 'APPROVED';
  const by = decided.decidedBy ?? 'unknown';
  const at = decided.decidedAt ?? deps.clock.now().toISOString();
  const stored = await deps.store.putEvidence({
    repository: decided.repository,
    digest: decided.digest,
    kind: 'approval',
    status: approved ? 'PASS' : 'FAIL',
    reasons: [
      `${decided.state.toLowerCase()} by ${by} (${IDENTITY_NOTE[identity.kind]}) at ${at}${decided.comment ? `: ${decided.comment}` : ''}`,
    ],
    facts: {
      approvalId: decided.approvalId,
      decidedBy: by,
      identityKind: identity.kind,
      decidedAt: at,
      comment: decided.comment ?? null,
      evidenceSetDigest: evidenceSetDigestOf(decided) || null,
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
