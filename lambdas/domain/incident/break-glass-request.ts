/**
 * A break-glass over the ops API, in two signed requests. One signed request proves only its
 * signer, and a break-glass needs a second person: the operator's request is stored PENDING (it
 * does nothing else), and a second principal's signed confirmation performs it through the same
 * domain function the CLI runs locally, with the confirmer as the approver. The confirmation is
 * held to the approval rules of the release (allowlist, never the operator) before the request is
 * used, and the request is used once (PENDING → USED, conditionally) before it acts.
 */
import { ConflictError, ExpiredError, NotFoundError, UntrustedError } from '../errors.js';
import { policyFor } from '../policy/rules.js';
import type { BreakGlassRequestRecord, Clock, ReleaseStore } from '../ports.js';
import type { Digest } from '../types.js';
import type { ApprovalIdentity } from '../workflow/decide-approval.js';
import { checkBreakGlassApprover } from './break-glass.js';
import { type ReleaseDeps, type ReleaseOutcome, releaseFromQuarantine } from './release.js';
import { type RollbackDeps, type RollbackOutcome, rollbackRelease } from './rollback.js';
import { rollbackCandidates } from './track.js';

/** How long a pending break-glass waits for its second person: an incident's time, not a day's. */
export const BREAK_GLASS_REQUEST_TTL_MS = 60 * 60 * 1000;

export interface BreakGlassAsk {
  readonly action: BreakGlassRequestRecord['action'];
  /** The gated repository (resolved by the caller). */
  readonly repository: string;
  /** release: the release; rollback: the target, or the default target when absent. */
  readonly digest?: Digest;
  /** Why the refusal is overridden. */
  readonly reason: string;
  /** The action's own reason, when given. */
  readonly actionReason?: string;
  readonly operator: ApprovalIdentity;
}

/**
 * Stores a PENDING request under `id` and nothing else. A rollback's target is fixed now (the
 * default target when none is named), so that the second person confirms the artifact the
 * operator asked for, not whatever is the default by then.
 */
export async function requestBreakGlass(
  deps: { readonly store: ReleaseStore; readonly clock: Clock },
  ask: BreakGlassAsk,
  id: string,
): Promise<BreakGlassRequestRecord> {
  let digest = ask.digest;
  if (ask.action === 'rollback' && digest === undefined) {
    digest = (await rollbackCandidates(deps.store, ask.repository)).target?.digest;
    if (digest === undefined) {
      throw new ConflictError(`no earlier promoted, non-revoked release of ${ask.repository} to roll back to`);
    }
  }
  const now = deps.clock.now();
  const record: BreakGlassRequestRecord = {
    id,
    action: ask.action,
    repository: ask.repository,
    ...(digest === undefined ? {} : { digest }),
    reason: ask.reason,
    ...(ask.actionReason === undefined ? {} : { actionReason: ask.actionReason }),
    operator: ask.operator.subject.trim(),
    operatorKind: ask.operator.kind,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + BREAK_GLASS_REQUEST_TTL_MS).toISOString(),
    state: 'PENDING',
  };
  await deps.store.createBreakGlassRequest(record);
  return record;
}

export type BreakGlassConfirmation = {
  /** The request as used (state USED, `usedBy` the confirmer). */
  readonly request: BreakGlassRequestRecord;
} & (
  | { readonly action: 'rollback'; readonly outcome: RollbackOutcome }
  | {
      readonly action: 'release';
      readonly outcome: ReleaseOutcome;
    }
);

/**
 * Performs a pending request with `confirmer` as the break-glass approver. Refused, without using
 * the request: NotFoundError (unknown id), ConflictError (used already), ExpiredError (past
 * `expiresAt`), UntrustedError (the confirmer is the operator or not an allowed approver).
 */
export async function confirmBreakGlass(
  deps: RollbackDeps & ReleaseDeps,
  id: string,
  confirmer: ApprovalIdentity,
): Promise<BreakGlassConfirmation> {
  const pending = await deps.store.getBreakGlassRequest(id);
  if (pending === null) throw new NotFoundError(`no break-glass request ${id}`);
  if (pending.state !== 'PENDING') {
    throw new ConflictError(`break-glass request ${id} was used already by ${pending.usedBy ?? 'someone'}`);
  }
  const now = deps.clock.now();
  if (now.getTime() >= Date.parse(pending.expiresAt)) {
    throw new ExpiredError(`break-glass request ${id} expired at ${pending.expiresAt}: ask again`);
  }
  const { repository, digest, action, reason } = pending;
  if (digest === undefined) throw new ConflictError(`break-glass request ${id} names no release`);
  const release = await deps.store.getRelease(repository, digest);
  if (release === null) throw new NotFoundError(`no release record for ${repository}@${digest}`);
  if (confirmer.subject.trim() === pending.operator) {
    // Said first: the operator confirming their own request is the mistake to name (the rules
    // below also refuse the same person under another identity).
    throw new UntrustedError(`break-glass needs a second person: ${pending.operator} asked for this ${action}`);
  }
  const breakGlass = { reason, approver: confirmer };
  // The domain function checks this again; checked here too so that a refused confirmer does not
  // use up the request.
  checkBreakGlassApprover(
    policyFor(deps.policy.document, repository),
    release.stage,
    repository,
    pending.operator,
    breakGlass,
    action,
  );
  const request = await deps.store.useBreakGlassRequest(id, confirmer.subject.trim(), now.toISOString());
  if (request === null) throw new ConflictError(`break-glass request ${id} was used already`);
  const operator: ApprovalIdentity = { kind: pending.operatorKind, subject: pending.operator };
  if (action === 'rollback') {
    const outcome = await rollbackRelease(deps, {
      repository,
      to: digest,
      operator,
      ...(pending.actionReason === undefined ? {} : { reason: pending.actionReason }),
      breakGlass,
    });
    return { request, action, outcome };
  }
  const outcome = await releaseFromQuarantine(deps, {
    repository,
    digest,
    reason: pending.actionReason ?? reason,
    operator,
    breakGlass,
  });
  return { request, action, outcome };
}
