/**
 * Release from quarantine (issue 9, section 4): a QUARANTINED release is judged again as it is
 * today (reverify.ts: signature, provenance and eval collected again with today's trust material,
 * the stored SBOM against today's advisories, today's policy over the fresh and the stored
 * evidence).
 *
 * - Still failing: refused with the reasons, unless a break-glass (break-glass.ts: a reason and a
 *   second person on the approval allowlist). A break-glass promotes the image as Promote does
 *   (the image and the attachments the gate evaluated, the channel tag moved, a track entry), but
 *   writes a break-glass decision document (never a PASS decision) and attaches no VSA (a VSA
 *   says verification passed; it did not). The release record stays QUARANTINED: that was the
 *   gate's decision, and the track entry says it went live anyway. It is announced
 *   (`Break Glass Used`) and notified. `rollback` undoes it like any promotion.
 * - Passing now: it goes through approval as usual. The store starts the release's next gate
 *   round (`resubmitRelease`: conditional, so concurrent requests start one round; the ended
 *   round's records archived; at most MAX_GATE_ROUNDS), and the same state machine runs again for
 *   the digest under a new execution name: evidence collected again, policy evaluated, approval
 *   requested, then promoted or quarantined. A break-glass is refused here: there is nothing to
 *   override, and it would skip the approval. `Release Resubmitted` is announced and notified.
 */
import { createHash } from 'node:crypto';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import { digestToTag } from '../oci.js';
import { policyFor, targetRepositoryFor } from '../policy/rules.js';
import type {
  BreakGlass,
  ExecutionStarter,
  Notifier,
  OutcomeEmitter,
  PromotionEntry,
  ReleaseRecord,
} from '../ports.js';
import { copyImage } from '../promotion/copy.js';
import { MAX_GATE_ROUNDS } from '../records.js';
import type { Digest } from '../types.js';
import { type ApprovalIdentity, IDENTITY_NOTE } from '../workflow/decide-approval.js';
import { type ExecutionInput, executionNameFor } from '../workflow/inputs.js';
import {
  announceBreakGlass,
  type BreakGlassRequest,
  breakGlassRecord,
  checkBreakGlassApprover,
  checkBreakGlassInput,
} from './break-glass.js';
import { RECOLLECTED, type Reverification, type ReverifyDeps, reverify } from './reverify.js';

/**
 * A quarantined release is judged with the evidence attached since, too: the eval results a
 * release is most often quarantined for are collected again with the signature and provenance.
 */
const RELEASE_RECOLLECTED = [...RECOLLECTED, 'eval'] as const;

export type ReleaseDeps = ReverifyDeps & {
  readonly notifier: Notifier;
  readonly outcomes: OutcomeEmitter;
  /** Starts the next gate round's execution (StartExecution on AWS, the embedded stack locally). */
  readonly starter: ExecutionStarter;
  /** The execution input's scan timeout, as the push starter sets it (GateConfig). */
  readonly config: { readonly scanTimeoutSeconds: number };
};

export interface ReleaseRequest {
  /** The gated repository the release was quarantined in. */
  readonly repository: string;
  readonly digest: Digest;
  /** Why it is asked for (recorded). */
  readonly reason: string;
  /** Who asks. */
  readonly operator: ApprovalIdentity;
  /** Promotes despite failing evidence; needs a reason and an approver other than the operator. */
  readonly breakGlass?: BreakGlassRequest;
}

export type ReleaseOutcome =
  | {
      readonly outcome: 'REFUSED';
      readonly repository: string;
      readonly digest: Digest;
      readonly reasons: readonly string[];
      readonly reverification?: Reverification;
    }
  | {
      readonly outcome: 'PROMOTED';
      readonly repository: string;
      readonly digest: Digest;
      readonly targetRepository: string;
      readonly channelTag: string;
      readonly entry: PromotionEntry;
      readonly reverification: Reverification;
      readonly breakGlass: BreakGlass;
    }
  | {
      /** The next gate round started: it ends promoted (after approval) or quarantined. */
      readonly outcome: 'RESUBMITTED';
      readonly repository: string;
      readonly digest: Digest;
      readonly round: number;
      readonly executionName: string;
      readonly executionArn: string;
      readonly reverification: Reverification;
    };

/** Media type of the break-glass decision document. */
export const BREAK_GLASS_DECISION_MEDIA_TYPE = 'application/vnd.release-gate.break-glass-decision.v1+json';

/**
 * Throws InvalidInputError for a blank reason or operator, or a break-glass without a reason or
 * an approver (before anything is read); NotFoundError for an unknown release; UntrustedError for
 * an approver the rules refuse (before the release is re-verified).
 */
export async function releaseFromQuarantine(deps: ReleaseDeps, req: ReleaseRequest): Promise<ReleaseOutcome> {
  const operator = req.operator.subject.trim();
  if (operator === '' || operator.length > 200) {
    throw new InvalidInputError('operator: the identity is required (1–200 characters)');
  }
  const reason = req.reason.trim();
  if (reason === '') throw new InvalidInputError('reason: say why the release is asked for');
  const breakGlass = checkBreakGlassInput(req.breakGlass);
  const { repository, digest } = req;
  const refuse = (reasons: string[], reverification?: Reverification): ReleaseOutcome => ({
    outcome: 'REFUSED',
    repository,
    digest,
    reasons,
    ...(reverification === undefined ? {} : { reverification }),
  });

  const release = await deps.store.getRelease(repository, digest);
  if (release === null) throw new NotFoundError(`no release record for ${repository}@${digest}`);
  const by = `${operator} (${IDENTITY_NOTE[req.operator.kind]})`;
  const resumed = retriedResubmission(release, by, reason);
  if (resumed !== undefined)
    return startRound(deps, release, resumed, await reverify(deps, release, RELEASE_RECOLLECTED));
  if (release.state !== 'QUARANTINED') {
    return refuse([
      `${repository}@${digest} is ${release.state}, not QUARANTINED: only a quarantined release is released`,
    ]);
  }
  const policy = policyFor(deps.policy.document, repository);
  if (breakGlass !== undefined) {
    checkBreakGlassApprover(policy, release.stage, repository, operator, breakGlass, 'release');
  }

  const reasons: string[] = [];
  const revocation = await deps.store.getRevocation(repository, digest);
  if (revocation !== null) {
    reasons.push(`revoked at ${revocation.revokedAt} by ${revocation.revokedBy}: ${revocation.reason}`);
  }
  const reverification = await reverify(deps, release, RELEASE_RECOLLECTED);
  reasons.push(...reverification.reasons);
  if (reasons.length === 0) {
    if (breakGlass !== undefined) {
      return refuse(
        [
          'the evidence satisfies the policy today: there is nothing to break glass over, and a break-glass ' +
            'would skip the approval; ask without --break-glass to run the gate again and go through approval',
        ],
        reverification,
      );
    }
    return resubmit(deps, release, { by, reason }, reverification);
  }
  if (breakGlass === undefined) return refuse(reasons, reverification);

  // Break-glass: the gate's decision stays as it was; this document records the override.
  const decision = await deps.store.getDecision(repository, digest);
  const at = deps.clock.now().toISOString();
  const document = JSON.stringify({
    kind: 'break-glass-release',
    decision: 'BREAK_GLASS',
    repository,
    digest,
    stage: release.stage,
    at,
    by,
    reason,
    breakGlass: breakGlassRecord(breakGlass, reasons),
    policyDigest: deps.policy.digest,
    gateDecision: decision === null ? null : { decision: decision.decision, document: decision.documentDigest },
    reverification: reverification.evidence,
  });
  const decisionDocument = await deps.documents.put(
    new TextEncoder().encode(document),
    BREAK_GLASS_DECISION_MEDIA_TYPE,
  );
  const glass: BreakGlass = { ...breakGlassRecord(breakGlass, reasons), decisionDocument };

  const targetRepository = targetRepositoryFor(policy, repository);
  const tag = release.tag ?? `release-${digestToTag(digest)}`;
  const channelTag = policy.promotion.channelTag;
  await copyImage({
    source: deps.registry,
    target: deps.registry,
    sourceRepository: repository,
    targetRepository,
    digest,
    tag,
    // What the gate evaluated (as Promote copies it); without a decision, the image alone.
    attachments: decision?.attachments ?? { referrers: [], tags: [] },
  });
  await deps.registry.moveTag(targetRepository, channelTag, digest);
  const entry: PromotionEntry = {
    repository,
    digest,
    promotedAt: at,
    targetRepository,
    tag,
    kind: 'promotion',
    by,
    reason,
    breakGlass: glass,
  };
  await deps.store.appendPromotion(entry);
  const detail = {
    repository,
    digest,
    targetRepository,
    tag,
    channelTag,
    image: `${targetRepository}@${digest}`,
    by,
    breakGlass: true,
    decisionDocument,
  };
  await deps.outcomes.emit('Release Promoted', detail);
  await deps.notifier.publish(
    `Promoted (break-glass): ${repository}@${digest.slice(0, 19)}`,
    detail,
    'Release Promoted',
  );
  await announceBreakGlass(deps, glass, detail, `${repository}@${digest.slice(0, 19)} released from quarantine`);
  return {
    outcome: 'PROMOTED',
    repository,
    digest,
    targetRepository,
    channelTag,
    entry,
    reverification,
    breakGlass: glass,
  };
}

/**
 * The next gate round of a release that passes today: the store starts it (ConflictError when
 * another request did first: refused), then its execution is started and it is announced.
 */
async function resubmit(
  deps: ReleaseDeps,
  release: ReleaseRecord,
  who: { readonly by: string; readonly reason: string },
  reverification: Reverification,
): Promise<ReleaseOutcome> {
  const { repository, digest } = release;
  const round = (release.gateRound ?? 1) + 1;
  if (round > MAX_GATE_ROUNDS) {
    return {
      outcome: 'REFUSED',
      repository,
      digest,
      reasons: [
        `${repository}@${digest} already ran ${release.gateRound ?? 1} gate rounds, the most a release may (MAX_GATE_ROUNDS = ${MAX_GATE_ROUNDS}); push a new build`,
      ],
      reverification,
    };
  }
  let next: ReleaseRecord;
  try {
    next = await deps.store.resubmitRelease({
      repository,
      digest,
      round,
      executionName: executionNameFor(repository, digest, sha256Hex, round),
      by: who.by,
      at: deps.clock.now().toISOString(),
      reason: who.reason,
    });
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    return {
      outcome: 'REFUSED',
      repository,
      digest,
      reasons: [`another request started gate round ${round} first: ${err.message}`],
      reverification,
    };
  }
  const ended = next.rounds?.at(-1);
  if (ended === undefined) throw new ConflictError(`${repository}@${digest}: the ended round was not recorded`);
  return startRound(deps, next, ended, reverification);
}

/**
 * The round a retried request (same operator, same reason) already started and whose execution
 * may not have been started (a crash in between): its start is repeated, which is idempotent.
 */
function retriedResubmission(release: ReleaseRecord, by: string, reason: string) {
  const ended = release.rounds?.at(-1);
  if (release.state !== 'RECORDED' || ended === undefined) return undefined;
  return ended.resubmittedBy === by && ended.reason === reason ? ended : undefined;
}

async function startRound(
  deps: ReleaseDeps,
  release: ReleaseRecord,
  ended: NonNullable<ReleaseRecord['rounds']>[number],
  reverification: Reverification,
): Promise<ReleaseOutcome> {
  const { repository, digest } = release;
  const round = release.gateRound ?? 1;
  const input: ExecutionInput = {
    repository,
    digest,
    tag: release.tag ?? null,
    stage: release.stage,
    timeouts: { scanSeconds: deps.config.scanTimeoutSeconds },
  };
  const { executionArn } = await deps.starter.start(release.executionName, input);
  const detail = {
    repository,
    digest,
    round,
    executionName: release.executionName,
    by: ended.resubmittedBy,
    reason: ended.reason,
    previous: {
      round: ended.round,
      executionName: ended.executionName,
      outcome: ended.outcome ?? null,
      reasons: ended.outcomeReasons ?? [],
      decisionDocument: ended.decisionDocument ?? null,
    },
  };
  await deps.outcomes.emit('Release Resubmitted', detail);
  await deps.notifier.publish(
    `Released from quarantine for approval (gate round ${round}): ${repository}@${digest.slice(0, 19)}`,
    detail,
    'Release Resubmitted',
  );
  return {
    outcome: 'RESUBMITTED',
    repository,
    digest,
    round,
    executionName: release.executionName,
    executionArn,
    reverification,
  };
}

const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');
