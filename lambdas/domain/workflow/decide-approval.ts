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
import type { ApprovalPolicy } from '../evidence/approval-policy.js';
import { policyFor } from '../policy/rules.js';
import { approvalRulesFor } from '../policy/schema.js';
import type { ApprovalRecord } from '../ports.js';
import {
  ANONYMOUS,
  type AuditOrigin,
  auditAnswers,
  auditExpired,
  auditRefusal,
  auditView,
  storeFinalRecord,
} from './approval-audit.js';
import { isAllowedApprover, personKey, pushersMatching } from './approvers.js';
import type { GateDeps } from './deps.js';
import { linkRecipients } from './request-approval.js';
import { refreshApprovalMessage, updateApprovalMessage } from './slack-approval.js';

/**
 * Who answered, and how that is known. `email-link`: the address a signed link was issued to (the
 * link is the proof). `cli-local`: a name typed on the command line against the embedded local
 * stack, recorded as local and unauthenticated. `cli-aws`: the ARN of the AWS principal that
 * signed (SigV4) the `release-gate approve --aws` request, as API Gateway's IAM authorization
 * reports it (`requestContext.authorizer.iam.userArn`).
 * `slack`: the Slack user id of a button click whose request carried Slack's signature.
 * Every kind is held to the same rules (allowlist, separation of duties, quorum).
 */
export interface ApprovalIdentity {
  readonly kind: 'email-link' | 'cli-local' | 'cli-aws' | 'slack';
  readonly subject: string;
}

/** How each identity kind is written into the audit trail. */
export const IDENTITY_NOTE: Record<ApprovalIdentity['kind'], string> = {
  'email-link': 'signed email link',
  'cli-local': 'local, unauthenticated',
  'cli-aws': 'AWS CLI, caller principal',
  slack: 'Slack button, signed request',
};

export interface ApprovalAnswer {
  readonly approvalId: string;
  readonly decision: 'approve' | 'reject';
  readonly identity: ApprovalIdentity;
  readonly comment?: string;
  /** The evidence set the approver was shown (a signed link carries it); another one is refused. */
  readonly evidenceSetDigest?: string;
  /** Where the answer came from (links, Slack): kept in its audit record. */
  readonly origin?: AuditOrigin;
}

/** Why a reject without a reason is refused, naming where each channel takes the reason. */
export const REJECT_NEEDS_REASON =
  'a reject needs a reason: say why (the reason field on the page or in Slack, --comment on the command line, "comment" in the request body)';

/**
 * Answers an approval through a signed link: the link is verified (signature with the current or
 * previous key, this approval, the evidence set it was issued for, expiry) before anything else,
 * and its signed address is the identity. `verifiedEmail`, when an authorizer verified the caller,
 * must be that same address. Refusals throw with the reason; nothing is stored.
 */
export async function answerByLink(
  deps: GateDeps,
  answer: {
    readonly approvalId: string;
    readonly token: string;
    readonly decision: 'approve' | 'reject';
    readonly comment?: string;
    readonly verifiedEmail?: string;
    readonly origin?: AuditOrigin;
  },
): Promise<ApprovalRecord> {
  let identity = ANONYMOUS;
  let claims: Awaited<ReturnType<typeof checkLink>>;
  try {
    claims = await checkLink(deps, answer.approvalId, answer.token);
    identity = claims.sub;
    if (answer.verifiedEmail !== undefined && answer.verifiedEmail.toLowerCase() !== claims.sub.toLowerCase()) {
      throw new UntrustedError(`signed in as ${answer.verifiedEmail}, but the link was sent to another approver`);
    }
  } catch (err) {
    await auditRefusal(deps, {
      approvalId: answer.approvalId,
      identity,
      channel: 'email-link',
      origin: answer.origin,
      error: err,
    });
    throw err;
  }
  return decideApproval(deps, {
    approvalId: answer.approvalId,
    decision: answer.decision,
    identity: { kind: 'email-link', subject: claims.sub },
    evidenceSetDigest: claims.esd === '' ? undefined : claims.esd,
    ...(answer.comment === undefined ? {} : { comment: answer.comment }),
    ...(answer.origin === undefined ? {} : { origin: answer.origin }),
  });
}

/**
 * What the approval page shows (`GET /approvals/{id}`), and the view's audit record: with a valid
 * link the page offers the decision to the link's approver; without a link it is read-only and
 * the viewer anonymous; a refused link throws its reason and leaves a `refused` record. Changes
 * nothing else (mail scanners prefetch links). Null for an unknown approval.
 */
export async function viewApproval(
  deps: GateDeps,
  view: { readonly approvalId: string; readonly token: string | undefined; readonly origin?: AuditOrigin },
): Promise<{ approval: ApprovalRecord; link: { token: string; approver: string } | null } | null> {
  const approval = await deps.store.getApproval(view.approvalId);
  if (approval === null) return null;
  let link: { token: string; approver: string } | null = null;
  if (view.token !== undefined) {
    try {
      link = { token: view.token, approver: (await checkLink(deps, view.approvalId, view.token)).sub };
    } catch (err) {
      await auditRefusal(deps, {
        approvalId: view.approvalId,
        identity: ANONYMOUS,
        channel: 'email-link',
        origin: view.origin,
        error: err,
      });
      throw err;
    }
  }
  await auditView(deps, approval, link?.approver ?? null, view.origin);
  return { approval, link };
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
    evidenceSetDigest: approval.evidenceSetDigest ?? '',
  });
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
  try {
    return await decide(deps, answer);
  } catch (err) {
    // A refusal leaves a `refused` record (best effort); the gate failing leaves none.
    await auditRefusal(deps, {
      approvalId: answer.approvalId,
      identity: answer.identity.subject,
      channel: answer.identity.kind,
      origin: answer.origin,
      error: err,
    });
    throw err;
  }
}

async function decide(deps: GateDeps, answer: ApprovalAnswer): Promise<ApprovalRecord> {
  const by = answer.identity.subject.trim();
  if (by.length === 0 || by.length > 200)
    throw new InvalidInputError('the approver identity is required (1–200 characters)');
  const approval = await deps.store.getApproval(answer.approvalId);
  if (approval === null) throw new NotFoundError(`no approval ${answer.approvalId}`);
  const rules = await rulesOf(deps, approval);
  const person = personKey(rules, by);
  const state = answer.decision === 'approve' ? 'APPROVED' : 'REJECTED';
  const viaLink = answer.identity.kind === 'email-link';
  const answerer = { person, origin: answer.origin };
  // Links are mailed to the allowlist's addresses only: a link whose address is not (or no longer)
  // on it is refused, and with no address on it no link is valid (fail closed; the CLI remains).
  if (viaLink && !linkRecipients(rules).some((a) => a.toLowerCase() === by.toLowerCase())) {
    throw new UntrustedError(
      linkRecipients(rules).length === 0
        ? `${approval.repository} has no approver email addresses in the policy: approval links are not accepted`
        : `${by} is not an allowed approver for ${approval.repository}`,
    );
  }
  if (approval.state === 'SUPERSEDED') {
    throw new AlreadyDecidedError(
      `approval ${approval.approvalId} was superseded by an evidence change after it was requested; a new approval was requested for the evidence as it is now`,
    );
  }
  if (approval.state !== 'PENDING') {
    if (approval.state === state && answeredBy(approval, person, by)) {
      const done = await completeAnswer(
        deps,
        approval,
        true,
        answerer,
        state === 'REJECTED' ? answer.identity.kind : undefined,
      );
      if (!viaLink) return done;
      // A link works once: its second use finished what the first left undone, and is refused.
      throw new AlreadyDecidedError(`this approval link was already used: ${approval.state} by ${by}`);
    }
    throw new AlreadyDecidedError(
      `approval ${approval.approvalId} was already answered: ${approval.state} by ${approval.decidedBy ?? 'unknown'}`,
    );
  }
  const now = deps.clock.now();
  if (now.toISOString() > approval.expiresAt) {
    const expired = await deps.store.decideApproval(approval.approvalId, 'EXPIRED', 'release-gate', now.toISOString());
    await auditExpired(deps, expired);
    await updateApprovalMessage(deps, expired, 'expired');
    throw new ExpiredError(`approval-expired: approval ${approval.approvalId} expired at ${approval.expiresAt}`);
  }
  // Both answers are restricted: a rejection by anyone would let any link holder block releases.
  if (!isAllowedApprover(rules, by)) {
    throw new UntrustedError(`${by} is not an allowed approver for ${approval.repository}`);
  }
  if (answer.evidenceSetDigest !== undefined && answer.evidenceSetDigest !== (approval.evidenceSetDigest ?? '')) {
    throw new UntrustedError(
      `the answer is for evidence set ${answer.evidenceSetDigest}; approval ${approval.approvalId} is for ${approval.evidenceSetDigest ?? 'none'}`,
    );
  }
  if (state === 'REJECTED') {
    // Approve is one step; a reject must say why, whatever the channel (one place for all of them).
    if ((answer.comment ?? '').trim() === '') throw new InvalidInputError(REJECT_NEEDS_REASON);
    const rejected = await deps.store.decideApproval(approval.approvalId, state, by, now.toISOString(), answer.comment);
    return completeAnswer(deps, rejected, false, answerer, answer.identity.kind);
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
  const { record, added } = await deps.store.addApproval(approval.approvalId, {
    by,
    person,
    at: now.toISOString(),
    via: answer.identity.kind,
    ...(answer.comment ? { comment: answer.comment } : {}),
  });
  // The quorum was filled by others while this answer was on its way: it is not counted. The
  // approval is decided from the approvals that were (whoever wrote the last of them may have
  // stopped before deciding), and this answerer is told it was already answered.
  if (!added && !record.approvals.some((a) => a.person === person)) {
    const decided = await decideQuorum(deps, record, now, undefined);
    throw new AlreadyDecidedError(
      `approval ${approval.approvalId} was already answered: ${decided.state} by ${decided.decidedBy ?? 'unknown'}`,
    );
  }
  // Written before anyone is told (and again, unchanged, when the same approval is repeated).
  if (record.approvals.length < record.required) await auditAnswers(deps, record, answerer);
  // The conditional add is the single-use guard of a link while the quorum is not met yet.
  if (viaLink && !added) {
    throw new AlreadyDecidedError(`this approval link was already used: ${by} approved; the quorum is not met yet`);
  }
  if (record.approvals.length < record.required) {
    await refreshApprovalMessage(deps, record);
    return record;
  }
  return decideQuorum(deps, record, now, answerer);
}

/** Who answered, for the audit record of their own approval (where it came from). */
type Answerer = { readonly person: string; readonly origin?: AuditOrigin | undefined };

/**
 * Decides an approval whose quorum is met, from the approvals it holds. Of concurrent last
 * approvals one decides; the others find it decided and complete it as a repeated answer. Without
 * an `answerer` (an answer that found the quorum already full) the approval is only completed when
 * this call decided it: whoever decided it first completes it, or does on a repeated answer.
 */
async function decideQuorum(
  deps: GateDeps,
  record: ApprovalRecord,
  now: Date,
  answerer: Answerer | undefined,
): Promise<ApprovalRecord> {
  const approvers = record.approvals.map((a) => a.by).join(', ');
  const comments =
    record.approvals.length === 1
      ? (record.approvals[0]?.comment ?? '')
      : record.approvals.flatMap((a) => (a.comment ? [`${a.by}: ${a.comment}`] : [])).join('; ');
  try {
    const decided = await deps.store.decideApproval(
      record.approvalId,
      'APPROVED',
      approvers,
      now.toISOString(),
      comments === '' ? undefined : comments,
    );
    return await completeAnswer(deps, decided, false, answerer);
  } catch (err) {
    if (!(err instanceof AlreadyDecidedError)) throw err;
    const current = await deps.store.getApproval(record.approvalId);
    if (current === null || current.state === 'PENDING') throw err;
    if (answerer === undefined) return current;
    if (current.state !== 'APPROVED') throw err;
    return completeAnswer(deps, current, true, answerer);
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
 * Writes the audit records of a decided approval and its final record (evidence bucket), stores
 * the approval evidence referencing it, answers the workflow and announces the decision. Everything
 * is taken from the stored record, so that a repeated answer writes exactly what the first one
 * would have. The workflow is answered only once the audit is stored: a decision is never acted on
 * unaudited (a failure here is an error for the caller, and the same answer again completes it).
 */
async function completeAnswer(
  deps: GateDeps,
  decided: ApprovalRecord,
  repeated: boolean,
  answerer: Answerer | undefined,
  rejectedVia?: ApprovalIdentity['kind'],
): Promise<ApprovalRecord> {
  const approved = decided.state === 'APPROVED';
  const by = decided.decidedBy ?? 'unknown';
  const at = decided.decidedAt ?? deps.clock.now().toISOString();
  await auditAnswers(deps, decided, answerer, rejectedVia);
  const finalRecord = await storeFinalRecord(deps, decided);
  const stored = await deps.store.putEvidence({
    repository: decided.repository,
    digest: decided.digest,
    kind: 'approval',
    status: approved ? 'PASS' : 'FAIL',
    reasons: [
      `${decided.state.toLowerCase()} by ${by} at ${at}${decided.comment ? `: ${decided.comment}` : ''}`,
      `identities: ${identities(decided, rejectedVia)}`,
    ],
    facts: {
      approvalId: decided.approvalId,
      decidedBy: by,
      decidedAt: at,
      comment: decided.comment ?? null,
      evidenceSetDigest: decided.evidenceSetDigest ?? null,
      approvals: decided.approvals.map((a) => ({ by: a.by, at: a.at, via: a.via ?? null })),
      ...(rejectedVia === undefined ? {} : { rejectedVia }),
      required: decided.required,
    },
    documents: [finalRecord],
    collectedAt: at,
    // The answer of a later approval round replaces the superseded approval's evidence.
    ...(decided.round !== undefined && { round: decided.round }),
  });
  // Before the workflow is answered, so that a crash between the two cannot lose it: the same
  // answer again announces again (at-least-once, like every outcome event).
  await deps.outcomes.emit('Approval Decided', {
    approvalId: decided.approvalId,
    repository: decided.repository,
    digest: decided.digest,
    state: decided.state,
    by,
    via: approved ? [...new Set(decided.approvals.map((a) => a.via ?? 'unknown'))] : [rejectedVia ?? 'unknown'],
    approvals: decided.approvals.map((a) => ({ by: a.by, at: a.at, via: a.via ?? null })),
    decidedAt: at,
    comment: decided.comment ?? null,
    evidenceSetDigest: decided.evidenceSetDigest ?? null,
    approvalRecord: stored.documents.find((d) => d.name === finalRecord.name)?.digest ?? finalRecord.digest,
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
    if (!(repeated && err instanceof ExpiredError && stored.facts.approvalId === decided.approvalId)) throw err;
  }
  await updateApprovalMessage(deps, decided, {
    outcome: approved ? 'approved' : 'rejected',
    via: viaNotes(decided, rejectedVia),
  });
  return decided;
}

/** How the deciding identities were proven, for the outcome message. */
function viaNotes(decided: ApprovalRecord, rejectedVia: ApprovalIdentity['kind'] | undefined): string[] {
  const vias = decided.state === 'REJECTED' ? [rejectedVia] : decided.approvals.map((a) => a.via);
  return [...new Set(vias.map((via) => (via === undefined ? 'unknown' : IDENTITY_NOTE[via])))];
}

/** Each answer's identity and how it was proven, for the audit trail. */
function identities(decided: ApprovalRecord, rejectedVia: ApprovalIdentity['kind'] | undefined): string {
  const note = (via: ApprovalIdentity['kind'] | undefined) => (via === undefined ? 'unknown' : IDENTITY_NOTE[via]);
  if (decided.state === 'REJECTED') return `${decided.decidedBy ?? 'unknown'} (${note(rejectedVia)})`;
  return decided.approvals.map((a) => `${a.by} (${note(a.via)})`).join(', ');
}
