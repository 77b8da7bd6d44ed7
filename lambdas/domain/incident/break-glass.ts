/**
 * The break-glass rules shared by rollback and release from quarantine: a reason and a second
 * person, held to the approval rules of the release (on the allowlist; never the person running
 * it). A break-glass is recorded on the track entry, announced (`Break Glass Used`) and notified.
 */
import { InvalidInputError, UntrustedError } from '../errors.js';
import type { RepositoryPolicy } from '../policy/schema.js';
import { approvalRulesFor } from '../policy/schema.js';
import type { BreakGlass, Notifier, OutcomeEmitter } from '../ports.js';
import { isAllowedApprover, personKey } from '../workflow/approvers.js';
import { type ApprovalIdentity, IDENTITY_NOTE } from '../workflow/decide-approval.js';

/** As the CLI passes it: either part may be missing (then it is refused). */
export interface BreakGlassRequest {
  readonly reason?: string;
  readonly approver?: ApprovalIdentity;
}

export interface CheckedBreakGlass {
  readonly reason: string;
  readonly approver: ApprovalIdentity;
}

/** A break-glass needs a reason and an approver: both are checked before anything else is read. */
export function checkBreakGlassInput(req: BreakGlassRequest | undefined): CheckedBreakGlass | undefined {
  if (req === undefined) return undefined;
  const reason = req.reason?.trim() ?? '';
  const approver = req.approver;
  const missing = [
    ...(reason === '' ? ['a reason'] : []),
    ...(approver === undefined || approver.subject.trim() === '' ? ['an approver'] : []),
  ];
  if (missing.length > 0 || approver === undefined) {
    throw new InvalidInputError(`break-glass refused: it needs ${missing.join(' and ')}`);
  }
  return { reason, approver };
}

/**
 * The approver is held to the release's approval rules: on the allowlist, another person than
 * `operator`. Checked whether or not there turns out to be anything to override.
 */
export function checkBreakGlassApprover(
  policy: RepositoryPolicy,
  stage: string,
  repository: string,
  operator: string,
  breakGlass: CheckedBreakGlass,
  action: string,
): void {
  const rules = approvalRulesFor(policy, stage);
  const approver = breakGlass.approver.subject.trim();
  if (!isAllowedApprover(rules, approver)) {
    throw new UntrustedError(`${approver} is not an allowed approver for ${repository}: break-glass refused`);
  }
  if (personKey(rules, approver) === personKey(rules, operator)) {
    throw new UntrustedError(`break-glass needs a second person: ${approver} is running the ${action}`);
  }
}

/** The record of an override, for the track entry. */
export function breakGlassRecord(breakGlass: CheckedBreakGlass, overridden: readonly string[]): BreakGlass {
  return {
    reason: breakGlass.reason,
    approvedBy: breakGlass.approver.subject.trim(),
    approverIdentity: IDENTITY_NOTE[breakGlass.approver.kind],
    overridden: [...overridden],
  };
}

/** `Break Glass Used` and its notification: raised on every override. */
export async function announceBreakGlass(
  deps: { readonly notifier: Notifier; readonly outcomes: OutcomeEmitter },
  glass: BreakGlass,
  detail: Readonly<Record<string, unknown>>,
  subject: string,
): Promise<void> {
  const alert = { ...detail, reason: glass.reason, approvedBy: glass.approvedBy, overridden: glass.overridden };
  await deps.outcomes.emit('Break Glass Used', alert);
  await deps.notifier.publish(`BREAK GLASS: ${subject}`, alert, 'Break Glass Used');
}
