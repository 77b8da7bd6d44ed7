/**
 * The records of the release store (`ReleaseStore` in ports.ts): one zod schema per record, and the
 * TypeScript types derived from them. Every adapter validates what it is asked to write with these
 * schemas, so nothing unreadable is ever stored, and parses what it reads back with them. How a
 * record is keyed is the adapter's business (DynamoDB: adapters/store/table-schema.ts).
 *
 * The rules every adapter shares live here too: which release state may follow which, and the
 * order of each listing. test/support/contracts holds every adapter to them.
 */
import { formatIssues } from './document.js';
import { ConflictError, InvalidInputError } from './errors.js';
import { AttachmentsSchema } from './promotion/attachments.js';
import { DECISIONS, DigestSchema, EvidenceKindSchema, EvidenceStatusSchema, OUTCOMES } from './types.js';
import * as z from './zod.js';

/** A record as callers see it: every property and array read-only, all the way down. */
export type Immutable<T> = T extends (infer U)[]
  ? readonly Immutable<U>[]
  : T extends object
    ? { readonly [K in keyof T]: Immutable<T[K]> }
    : T;

// ---------------------------------------------------------------------------------------------
// Releases

/**
 * COVERED: an untagged platform manifest whose index lists it; the index's release gates it, so it
 * has no decision of its own (workflow/start-release.ts).
 */
export const RELEASE_STATES = [
  'RECORDED',
  'EVALUATED',
  'AWAITING_APPROVAL',
  'PROMOTED',
  'QUARANTINED',
  'COVERED',
] as const;
export type ReleaseState = (typeof RELEASE_STATES)[number];
export const ReleaseStateSchema = z.enum(RELEASE_STATES);

/**
 * The most gate rounds a release may have (the first plus the releases from quarantine): a bound,
 * so that nobody can loop a release through quarantine and approval requests.
 */
export const MAX_GATE_ROUNDS = 3;

/**
 * A release in one of these states is finished: only `resubmitRelease` moves it on, and only from
 * QUARANTINED, into the next gate round.
 */
export const TERMINAL_RELEASE_STATES: readonly ReleaseState[] = ['PROMOTED', 'QUARANTINED', 'COVERED'];

/** Forward order of the release states; a state may only move to one of equal or higher rank. */
const STATE_RANK: Readonly<Record<ReleaseState, number>> = {
  RECORDED: 0,
  EVALUATED: 1,
  AWAITING_APPROVAL: 2,
  PROMOTED: 3,
  QUARANTINED: 3,
  COVERED: 3,
};

/**
 * The states from which a release may move to `target`: the non-terminal states of lower or equal
 * rank. Asking a terminal release for its own state again is not a move but a retry, which stores
 * nothing and returns the record unchanged; every other request outside this list is a conflict.
 */
export function releaseStatesMovableTo(target: ReleaseState): readonly ReleaseState[] {
  return RELEASE_STATES.filter((s) => !TERMINAL_RELEASE_STATES.includes(s) && STATE_RANK[s] <= STATE_RANK[target]);
}

export const ReleaseRecordSchema = z.object({
  repository: z.string(),
  digest: DigestSchema,
  mediaType: z.string(),
  tag: z.optional(z.string()),
  stage: z.string(),
  /** Platform manifests of an index (empty for a single manifest). */
  platforms: z.array(z.object({ digest: DigestSchema, platform: z.string() })),
  state: ReleaseStateSchema,
  executionName: z.string(),
  recordedAt: z.string(),
  outcome: z.optional(z.enum(OUTCOMES)),
  outcomeReasons: z.optional(z.array(z.string())),
  decidedAt: z.optional(z.string()),
  /**
   * The approval round: how many times an approval of this release was superseded because its
   * evidence changed (`approval.onEvidenceChange: reapprove`). The decision, the approval and the
   * approval evidence of a round carry it (`round`) and replace those of earlier rounds.
   * @default - 0 (the first request)
   */
  approvalRound: z.optional(z.number().check(z.int(), z.gte(0))),
  /**
   * The gate round: how many times the gate ran for this digest. A QUARANTINED release released
   * from quarantine (`resubmitRelease`) runs again as the next round.
   * @default 1
   */
  gateRound: z.optional(z.number().check(z.int(), z.gte(1), z.lte(MAX_GATE_ROUNDS))),
  /**
   * The earlier gate rounds, oldest first: how each ended and who started the next one. Their
   * evidence and decision records stay readable (`getRoundArchive`).
   * @default - none (the release is in its first round)
   */
  rounds: z.optional(z.array(z.lazy(() => GateRoundSchema))),
});
export type ReleaseRecord = Immutable<z.infer<typeof ReleaseRecordSchema>>;

/**
 * One finished gate round of a release, kept on the release record when the next round starts:
 * its execution, its outcome as the record had it, the decision it ended with, and who asked for
 * the next round, when and why.
 */
export const GateRoundSchema = z.object({
  round: z.number().check(z.int(), z.gte(1)),
  executionName: z.string(),
  state: ReleaseStateSchema,
  outcome: z.optional(z.enum(OUTCOMES)),
  outcomeReasons: z.optional(z.array(z.string())),
  decidedAt: z.optional(z.string()),
  /** The last approval round of the gate round (ReleaseRecord `approvalRound`). @default 0 */
  approvalRound: z.optional(z.number().check(z.int(), z.gte(0))),
  /** The round's decision document in the DocumentStore. @default - none (no decision was stored) */
  decisionDocument: z.optional(DigestSchema),
  /** Who asked for the next round, when and why (`resubmitRelease`). */
  resubmittedBy: z.string().check(z.minLength(1), z.maxLength(2048)),
  resubmittedAt: z.string(),
  reason: z.string().check(z.minLength(1), z.maxLength(1000)),
});
export type GateRound = Immutable<z.infer<typeof GateRoundSchema>>;

/** What `updateReleaseState` may set besides the state. */
export const ReleaseStateUpdateSchema = z.object({
  outcome: z.optional(z.enum(OUTCOMES)),
  outcomeReasons: z.optional(z.array(z.string())),
  decidedAt: z.optional(z.string()),
  approvalRound: z.optional(z.number().check(z.int(), z.gte(0))),
});
export type ReleaseStateUpdate = Immutable<z.infer<typeof ReleaseStateUpdateSchema>>;

/**
 * A request for the next gate round of a QUARANTINED release (`resubmitRelease`): the round it
 * starts, its execution's name, and who asked, when and why.
 */
export const ResubmissionSchema = z.object({
  repository: z.string().check(z.minLength(1)),
  digest: DigestSchema,
  round: z.number().check(z.int(), z.gte(2), z.lte(MAX_GATE_ROUNDS)),
  /** Step Functions execution names: 1–80 of `0-9A-Za-z-_`. */
  executionName: z.string().check(z.regex(/^[0-9A-Za-z_-]{1,80}$/, 'expected a Step Functions execution name')),
  by: z.string().check(z.minLength(1), z.maxLength(2048)),
  at: z.iso.datetime(),
  reason: z.string().check(z.minLength(1), z.maxLength(1000)),
});
export type Resubmission = Immutable<z.infer<typeof ResubmissionSchema>>;

/**
 * The rule every adapter applies in `resubmitRelease`: the release record of the next gate round.
 * Only a QUARANTINED release whose current round is the one before `r.round` moves on (a second
 * request for the same round, or one for a release in any other state, is a ConflictError). The
 * record goes back to RECORDED under the new execution, in the next approval round (so the new
 * round's evidence, decision and approval are written as later records than the last round's),
 * and the round that ended is kept in `rounds` with its outcome and reasons.
 */
export function resubmittedRelease(
  current: ReleaseRecord,
  r: Resubmission,
  decision: DecisionRecord | null,
): ReleaseRecord {
  const name = `${current.repository}@${current.digest}`;
  if (current.state !== 'QUARANTINED') {
    throw new ConflictError(`release ${name} is ${current.state}; only a QUARANTINED release starts another round`);
  }
  const round = current.gateRound ?? 1;
  if (r.round !== round + 1) {
    throw new ConflictError(`release ${name} is in gate round ${round}; round ${r.round} cannot start from it`);
  }
  const { outcome, outcomeReasons, decidedAt, approvalRound, ...kept } = current;
  const ended: GateRound = {
    round,
    executionName: current.executionName,
    state: current.state,
    ...(outcome !== undefined && { outcome }),
    ...(outcomeReasons !== undefined && { outcomeReasons }),
    ...(decidedAt !== undefined && { decidedAt }),
    approvalRound: approvalRound ?? 0,
    ...(decision !== null && { decisionDocument: decision.documentDigest }),
    resubmittedBy: r.by,
    resubmittedAt: r.at,
    reason: r.reason,
  };
  return {
    ...kept,
    state: 'RECORDED',
    executionName: r.executionName,
    gateRound: r.round,
    approvalRound: (approvalRound ?? 0) + 1,
    rounds: [...(current.rounds ?? []), ended],
  };
}

/**
 * Whether a stored evidence or decision record belongs to the gate round of `release` as read (its
 * approval round is not a later one): what `resubmitRelease` archives. A record a concurrent,
 * already started next round wrote is not the ended round's.
 */
export function ofCurrentRound(record: { readonly round?: number }, release: Pick<ReleaseRecord, 'approvalRound'>) {
  return (record.round ?? 0) <= (release.approvalRound ?? 0);
}

/**
 * The approval round the release's current gate round started in: a later one is a re-approval
 * within the round (`onEvidenceChange: reapprove`), not the round's first evaluation.
 */
export function firstApprovalRoundOf(release: Pick<ReleaseRecord, 'rounds'> | null): number {
  const previous = release?.rounds?.at(-1);
  return previous === undefined ? 0 : (previous.approvalRound ?? 0) + 1;
}

// ---------------------------------------------------------------------------------------------
// Evidence and decisions

export const StoredDocumentRefSchema = z.object({
  name: z.string(),
  mediaType: z.string(),
  digest: DigestSchema,
  size: z.number().check(z.int(), z.nonnegative()),
});
export type StoredDocumentRef = Immutable<z.infer<typeof StoredDocumentRefSchema>>;

/** The index record of one evidence kind for one release; its documents live in the DocumentStore. */
export const StoredEvidenceSchema = z.object({
  repository: z.string(),
  digest: DigestSchema,
  kind: EvidenceKindSchema,
  status: EvidenceStatusSchema,
  reasons: z.array(z.string()),
  facts: z.record(z.string(), z.unknown()),
  documents: z.array(StoredDocumentRefSchema),
  collectedAt: z.string(),
  /**
   * The approval round it belongs to (ReleaseRecord `approvalRound`): a record of a later round
   * replaces the stored one; within a round the first write wins.
   * @default - 0
   */
  round: z.optional(z.number().check(z.int(), z.gte(0))),
});
export type StoredEvidence = Immutable<z.infer<typeof StoredEvidenceSchema>>;

/**
 * An image tag: the distribution-spec's characters, up to ECR's 300 (ImageIdentifier.imageTag; the
 * spec's own limit is 128). Every tag ECR accepts on a push must be recordable, or the push is lost.
 */
export const ImageTagSchema = z.string().check(z.regex(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,299}$/, 'expected an image tag'));

/** One tag a release's digest was pushed under (ECR sends one push event per tag). */
export const PushedTagSchema = z.object({
  repository: z.string().check(z.minLength(1)),
  digest: DigestSchema,
  tag: ImageTagSchema,
});

/** An index that lists the manifest `digest` (start-release.ts: an index push is gated with its children). */
export const ParentIndexSchema = z.object({
  repository: z.string().check(z.minLength(1)),
  digest: DigestSchema,
  index: DigestSchema,
});

export const DecisionRecordSchema = z.object({
  repository: z.string(),
  digest: DigestSchema,
  decision: z.enum(DECISIONS),
  reasons: z.array(z.string()),
  policyDigest: DigestSchema,
  evidence: z.array(z.object({ kind: EvidenceKindSchema, status: EvidenceStatusSchema, reasons: z.array(z.string()) })),
  decidedAt: z.string(),
  /** Digest of the full decision document (policy + evidence snapshot) in the DocumentStore, for replay. */
  documentDigest: DigestSchema,
  /**
   * The referrers and cosign tags attached when the policy was evaluated: all that Promote copies.
   * @default - none (a decision recorded without them promotes the image alone)
   */
  attachments: z.optional(AttachmentsSchema),
  /**
   * The approval round it belongs to (ReleaseRecord `approvalRound`): a record of a later round
   * replaces the stored one; within a round the first write wins.
   * @default - 0
   */
  round: z.optional(z.number().check(z.int(), z.gte(0))),
});
export type DecisionRecord = Immutable<z.infer<typeof DecisionRecordSchema>>;

/** An earlier gate round's records as they were when the next round started (`getRoundArchive`). */
export interface RoundArchive {
  readonly evidence: readonly StoredEvidence[];
  readonly decision: DecisionRecord | null;
}

// ---------------------------------------------------------------------------------------------
// Approvals

/** SUPERSEDED: approved, then voided at Promote because the evidence changed (`supersedeApproval`). */
export const APPROVAL_STATES = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'SUPERSEDED'] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];
export const ApprovalStateSchema = z.enum(APPROVAL_STATES);

export const ApprovalRecordSchema = z.object({
  approvalId: z.string().check(z.minLength(1)),
  repository: z.string(),
  digest: DigestSchema,
  /** sha256 of the task token; the lookup key. */
  tokenHash: z.string(),
  /** Needed to answer Step Functions. The DynamoDB table is KMS-encrypted. */
  taskToken: z.string(),
  state: ApprovalStateSchema,
  requestedAt: z.string(),
  expiresAt: z.string(),
  decidedBy: z.optional(z.string()),
  decidedAt: z.optional(z.string()),
  comment: z.optional(z.string()),
  /**
   * Digest of the evidence set the approval was requested for (workflow/evidence-set.ts): every
   * link and decision carries it, and Promote recomputes it.
   * @default - none (an approval recorded before evidence binding; Promote refuses it)
   */
  evidenceSetDigest: z.optional(DigestSchema),
  /**
   * Distinct people whose approval is needed: the policy's quorum, plus one when separation of
   * duties applies and the pusher is unknown.
   * @default 1
   */
  required: z._default(z.number().check(z.int(), z.gte(1)), 1),
  /** Why `required` is what it is, for the page and the notification. */
  requiredReasons: z._default(z.array(z.string()), []),
  /** The identities that pushed or triggered the build of this digest when the approval was requested. */
  pushers: z._default(z.array(z.string()), []),
  /** The approvals collected so far, one per person, oldest first (`addApproval`). */
  approvals: z._default(z.array(z.lazy(() => ApprovalEntrySchema)), []),
  /**
   * The approval round it was requested in (ReleaseRecord `approvalRound`).
   * @default - 0
   */
  round: z.optional(z.number().check(z.int(), z.gte(0))),
  /** Why and when a SUPERSEDED approval was voided. */
  supersession: z.optional(z.lazy(() => ApprovalSupersessionSchema)),
  /**
   * The Slack message that asked for this approval (`recordApprovalMessage`): a retried request
   * does not post again, and the final state updates it.
   * @default - none (no channel in the policy, Slack not configured, or the post failed)
   */
  slackMessage: z.optional(z.lazy(() => SlackMessageRefSchema)),
});
export type ApprovalRecord = Immutable<z.infer<typeof ApprovalRecordSchema>>;

/** A posted Slack message: the channel id Slack answered with and the message timestamp. */
export const SlackMessageRefSchema = z.object({
  channel: z.string().check(z.regex(/^[A-Z0-9]{2,32}$/)),
  ts: z.string().check(z.regex(/^[0-9]{1,12}\.[0-9]{1,8}$/)),
});
export type SlackMessageRef = Immutable<z.infer<typeof SlackMessageRefSchema>>;

/**
 * One approval of a quorum: `by` the identity that answered, `person` the person it resolved to
 * (the key that makes a second approval by the same person count once).
 */
export const ApprovalEntrySchema = z.object({
  by: z.string().check(z.minLength(1), z.maxLength(200)),
  person: z.string().check(z.minLength(1), z.maxLength(2048)),
  at: z.string(),
  comment: z.optional(z.string().check(z.maxLength(1000))),
  /** How the identity was proven (decide-approval.ts `ApprovalIdentity`); absent on older records. */
  via: z.optional(z.enum(['email-link', 'cli-local', 'cli-aws', 'slack'])),
});
export type ApprovalEntry = Immutable<z.infer<typeof ApprovalEntrySchema>>;

/**
 * A principal that pushed the digest (CloudTrail `PutImage`, `recordPusher`): recorded under the
 * release's key whether the release is recorded yet or not, and read when the approval is asked.
 */
export const PusherSchema = z.object({
  repository: z.string().check(z.minLength(1)),
  digest: DigestSchema,
  identity: z.string().check(z.minLength(1), z.maxLength(2048)),
  source: z.enum(['cloudtrail']),
  at: z.string(),
});
export type Pusher = Immutable<z.infer<typeof PusherSchema>>;

// ---------------------------------------------------------------------------------------------
// Approval audit trail

/**
 * What an audit record is about: the request, a view of the approval page, an answer that counted
 * (one approval of a quorum, the final approval, a rejection), an answer or view that was refused,
 * the expiry, and the supersession of an approval whose evidence changed (`onEvidenceChange: reapprove`).
 */
export const APPROVAL_AUDIT_KINDS = ['requested', 'viewed', 'decided', 'refused', 'expired', 'superseded'] as const;
export type ApprovalAuditKind = (typeof APPROVAL_AUDIT_KINDS)[number];

/**
 * How the identity of an audit record is known: the four answer channels (decide-approval.ts
 * `ApprovalIdentity`), `anonymous` for a page view or a request without a valid link or signature,
 * `workflow` for the gate itself (request, expiry), and `unknown` for an approval entry stored
 * before entries recorded their channel.
 */
export const APPROVAL_AUDIT_CHANNELS = [
  'email-link',
  'slack',
  'cli-aws',
  'cli-local',
  'anonymous',
  'workflow',
  'unknown',
] as const;
export type ApprovalAuditChannel = (typeof APPROVAL_AUDIT_CHANNELS)[number];

/** Bounds of the free-text fields; workflow/approval-audit.ts truncates to them before writing. */
export const AUDIT_LIMITS = { identity: 2048, sourceIp: 64, userAgent: 512, outcome: 1000, code: 64 } as const;

/** No C0/C1 control character, DEL or bidi override: audit text is shown on terminals and pages. */
const AuditTextSchema = (max: number) =>
  z.string().check(
    z.maxLength(max),
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    z.regex(/^[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*$/, 'control characters are not allowed'),
  );

/**
 * One entry of an approval's audit trail, append-only: `appendApprovalAudit` never overwrites a
 * record. `at` and `id` are its key: a write retried with the same pair lands on the stored record,
 * which stays (first write wins). The writer picks `id`: random for views and refusals, derived
 * from what was decided for decisions, requests and expiries, so that a retried step writes one
 * record, not two.
 */
export const ApprovalAuditRecordSchema = z.object({
  id: z.string().check(z.regex(/^[a-f0-9]{32}$/, 'expected 32 lowercase hex characters')),
  kind: z.enum(APPROVAL_AUDIT_KINDS),
  approvalId: z.string().check(z.minLength(1), z.maxLength(64)),
  repository: z.string().check(z.minLength(1), z.maxLength(256)),
  digest: DigestSchema,
  /** The proven identity (a link's signed address, a Slack user id, a principal ARN), the name typed locally, `anonymous`, or `release-gate`. */
  identity: AuditTextSchema(AUDIT_LIMITS.identity).check(z.minLength(1)),
  channel: z.enum(APPROVAL_AUDIT_CHANNELS),
  /** ISO 8601 UTC (`Date.toISOString`): the key sorts by it. */
  at: z.iso.datetime(),
  /** For requests over HTTP (links, Slack): where it came from, as API Gateway reports it. */
  sourceIp: z.optional(AuditTextSchema(AUDIT_LIMITS.sourceIp)),
  userAgent: z.optional(AuditTextSchema(AUDIT_LIMITS.userAgent)),
  /** The evidence set the approval is bound to. @default - none (an approval recorded before evidence binding) */
  evidenceSetDigest: z.optional(DigestSchema),
  /** For a `superseded` record: the evidence set Promote found instead of `evidenceSetDigest`. @default - none */
  currentEvidenceSetDigest: z.optional(DigestSchema),
  /** The approval's state after this record's event. @default - unknown (a refusal that read no approval) */
  state: z.optional(ApprovalStateSchema),
  /** A refusal's error code (`UNTRUSTED`, `ALREADY_DECIDED`, …, or a Slack refusal's detail). */
  code: z.optional(AuditTextSchema(AUDIT_LIMITS.code)),
  /** What happened, in words: the quorum progress, the rejection's comment, the refusal's reason. */
  outcome: AuditTextSchema(AUDIT_LIMITS.outcome).check(z.minLength(1)),
});
export type ApprovalAuditRecord = Immutable<z.infer<typeof ApprovalAuditRecordSchema>>;
/**
 * Why an APPROVED approval was voided (`supersedeApproval`): the evidence set it was requested for,
 * the one Promote found, and the decision document it was given under (kept in the DocumentStore),
 * so that the superseded approval stays readable next to the one that replaced it.
 */
export const ApprovalSupersessionSchema = z.object({
  at: z.string(),
  reason: z.string().check(z.minLength(1), z.maxLength(1000)),
  /** @default - none (an approval recorded before evidence binding) */
  approvedEvidenceSetDigest: z.optional(DigestSchema),
  currentEvidenceSetDigest: DigestSchema,
  /** @default - none (no decision was stored) */
  decisionDocument: z.optional(DigestSchema),
});
export type ApprovalSupersession = Immutable<z.infer<typeof ApprovalSupersessionSchema>>;

/** The task token an approval answers (`rebindApproval`). */
export const ApprovalTokenSchema = z.pick(ApprovalRecordSchema, { taskToken: true, tokenHash: true });

/** The answer `decideApproval` stores on a PENDING approval. */
export const ApprovalDecisionSchema = z.object({
  state: z.enum(['APPROVED', 'REJECTED', 'EXPIRED']),
  decidedBy: z.string(),
  decidedAt: z.string(),
  comment: z.optional(z.string()),
});
export type ApprovalDecision = Immutable<z.infer<typeof ApprovalDecisionSchema>>;

// ---------------------------------------------------------------------------------------------
// Promotion track, scan rendezvous, incident index

/** Who overrode a refused rollback, and why (incident/rollback.ts). */
export const BreakGlassSchema = z.object({
  reason: z.string().check(z.minLength(1)),
  /** The second person, as the approval rules name them (allowlist, separation of duties). */
  approvedBy: z.string().check(z.minLength(1)),
  /** How `approvedBy` was established: `cli-local` is typed, not authenticated. */
  approverIdentity: z.string().check(z.minLength(1)),
  /** The refusal reasons that were overridden. */
  overridden: z.array(z.string()),
  /**
   * The break-glass decision document in the DocumentStore (a release from quarantine: what was
   * overridden, by whom, over which gate decision). Never a PASS decision.
   * @default - none (a rollback writes none)
   */
  decisionDocument: z.optional(DigestSchema),
});
export type BreakGlass = Immutable<z.infer<typeof BreakGlassSchema>>;

export const PROMOTION_KINDS = ['promotion', 'rollback'] as const;

/**
 * One entry of a repository's promotion track: the digest went live in `targetRepository` at
 * `promotedAt`, by a promotion or by a rollback to it (then `by` ran it, `reason` says why, and
 * `breakGlass` is set when a refusal was overridden). An entry without `kind` is a promotion.
 */
export const PromotionEntrySchema = z.object({
  repository: z.string(),
  digest: DigestSchema,
  promotedAt: z.string(),
  targetRepository: z.string(),
  tag: z.string(),
  kind: z.optional(z.enum(PROMOTION_KINDS)),
  by: z.optional(z.string()),
  reason: z.optional(z.string()),
  breakGlass: z.optional(BreakGlassSchema),
});
export type PromotionEntry = Immutable<z.infer<typeof PromotionEntrySchema>>;

/** A release taken out of service: it is never a rollback target again. Written once, never changed. */
export const RevocationRecordSchema = z.object({
  repository: z.string(),
  digest: DigestSchema,
  revokedAt: z.string(),
  revokedBy: z.string().check(z.minLength(1)),
  reason: z.string().check(z.minLength(1)),
});
export type RevocationRecord = Immutable<z.infer<typeof RevocationRecordSchema>>;

export const BREAK_GLASS_ACTIONS = ['rollback', 'release'] as const;
export const BREAK_GLASS_REQUEST_STATES = ['PENDING', 'USED'] as const;
export const IDENTITY_KINDS = ['email-link', 'cli-local', 'cli-aws', 'slack'] as const;

/**
 * A break-glass asked for over the ops API (incident/break-glass-request.ts): one signed request
 * proves one principal, so the operator's request is stored PENDING and a second principal's
 * signed confirmation acts on it, once (PENDING → USED, conditionally), before `expiresAt`.
 */
export const BreakGlassRequestRecordSchema = z.object({
  id: z.string().check(z.regex(/^[a-f0-9-]{8,64}$/)),
  action: z.enum(BREAK_GLASS_ACTIONS),
  repository: z.string().check(z.minLength(1)),
  /** release: the release; rollback: the target (`to`) when one was named. */
  digest: z.optional(DigestSchema),
  /** Why the refusal is overridden. */
  reason: z.string().check(z.minLength(1), z.maxLength(1000)),
  /** The action's own reason (rollback's `reason`, release's `reason`), when given. */
  actionReason: z.optional(z.string().check(z.minLength(1), z.maxLength(1000))),
  operator: z.string().check(z.minLength(1), z.maxLength(200)),
  operatorKind: z.enum(IDENTITY_KINDS),
  createdAt: z.string(),
  expiresAt: z.string(),
  state: z.enum(BREAK_GLASS_REQUEST_STATES),
  usedBy: z.optional(z.string()),
  usedAt: z.optional(z.string()),
});
export type BreakGlassRequestRecord = Immutable<z.infer<typeof BreakGlassRequestRecordSchema>>;

export const ALERT_TRIGGERS = ['advisories', 'inspector', 'scheduled'] as const;

/** One matched component of a newly affected release (incident/revalidate.ts). */
export const AlertMatchSchema = z.object({
  /** The component's purl (or `name@version` where it has none). */
  component: z.string().check(z.minLength(1)),
  version: z.string(),
  /** The package the advisory names, when it is the component's source package. */
  package: z.optional(z.string()),
  fixedIn: z.optional(z.string()),
  /** The version could not be ordered: possibly affected. */
  notEvaluable: z.optional(z.string()),
  /** Why it matched: the advisory's affected ranges of the package (`SEMVER >=6.0.0 <6.21.2`). */
  range: z.optional(z.string().check(z.maxLength(500))),
});
export type AlertMatch = Immutable<z.infer<typeof AlertMatchSchema>>;

/**
 * A live release found newly affected by an advisory after it was gated: written once per
 * (release, advisory id), conditionally, so a retried or second trigger does not alert again.
 * `announcedAt` is set once the event and the notification went out: an alert stored without it
 * (a run that stopped between the write and the announcement) is announced by the next run.
 */
export const AlertRecordSchema = z.object({
  repository: z.string(),
  digest: DigestSchema,
  advisoryId: z.string().check(z.minLength(1), z.maxLength(200)),
  aliases: z.array(z.string().check(z.maxLength(200))).check(z.maxLength(100)),
  raisedAt: z.string(),
  trigger: z.enum(ALERT_TRIGGERS),
  /** Where the advisory came from: a file, an S3 key, `inspector`, `scheduled`. */
  source: z.string().check(z.maxLength(1000)),
  severity: z.optional(z.string().check(z.maxLength(40))),
  summary: z.optional(z.string().check(z.maxLength(1000))),
  /** The matched components (at most 100: the item stays far below DynamoDB's 400 KB). */
  matches: z.array(AlertMatchSchema).check(z.maxLength(100)),
  announcedAt: z.optional(z.string()),
});
export type AlertRecord = Immutable<z.infer<typeof AlertRecordSchema>>;

export const SCAN_SOURCES = ['ecr-basic', 'inspector', 'local'] as const;

export const ScanCompletionSchema = z.object({
  status: z.string(),
  source: z.enum(SCAN_SOURCES),
  severityCounts: z.record(z.string(), z.number()),
  completedAt: z.string(),
});
export type ScanCompletion = Immutable<z.infer<typeof ScanCompletionSchema>>;

/** A Step Functions task token as the scan rendezvous stores it. */
export const TaskTokenSchema = z.string().check(z.minLength(1));

/** One release that contains one version of a package (`findByPackage`). */
export const PackageIndexEntrySchema = z.object({
  version: z.string(),
  repository: z.string(),
  digest: DigestSchema,
  /**
   * The release's components this entry stands for, as full purls (qualifiers included, e.g.
   * `distro`): the component itself, or, for a source package (a deb's `Source`, an apk's
   * origin), the binaries built from it. At most `Limits.indexedComponentsPerEntry`. Absent on
   * entries written before source mapping: the component is then `<partition>@<version>`.
   */
  components: z.optional(z.array(z.string())),
  /**
   * The index node the entry belongs to (`IndexNode.set`): the entry then holds relative to the
   * node's base, and the node's descendants inherit it until one of them has an entry for the same
   * version (triage/inherit.ts). Absent on entries written before index nodes: the entry then
   * stands for its release alone.
   */
  set: z.optional(z.string()),
  /** The node's `seq`: its descendants are the nodes after it, within `Limits.indexChainLength`. */
  seq: z.optional(z.number().check(z.int(), z.nonnegative())),
  /** A tombstone: the node no longer has this package version (its base had it). */
  removed: z.optional(z.boolean()),
  /**
   * Versions of the same package the node no longer has, told by this entry instead of a
   * tombstone each (an upgrade is one write): a tombstone for each of them at this node.
   */
  replaces: z.optional(z.array(z.string())),
});
export type PackageIndexEntry = Immutable<z.infer<typeof PackageIndexEntrySchema>>;

/** The id of one index node within its release: the first 16 hex digits of its set's sha256. */
export const IndexSetIdSchema = z.string().check(z.regex(/^[0-9a-f]{16}$/, 'a 16-digit lower-case hex set id'));

/**
 * One index node: the package index of one collected SBOM of one release (a release gated in
 * several rounds may have several). Its entries are written relative to `base`, a complete node of
 * an earlier release of the same repository, so a release writes only what changed
 * (package-index.ts). `setDigest` names the node's whole entry set in the document store, which a
 * later node reads as its base.
 */
export const IndexNodeSchema = z.object({
  repository: z.string().check(z.minLength(1)),
  digest: DigestSchema,
  set: IndexSetIdSchema,
  setDigest: DigestSchema,
  base: z.nullable(z.object({ digest: DigestSchema, set: IndexSetIdSchema, setDigest: DigestSchema })),
  /**
   * The node's place in its repository's index: one more than its base's (a snapshot: one more
   * than the head's when it started), so a node's descendants follow it within
   * `Limits.indexChainLength` (triage reads that range of nodes, not the repository's all).
   */
  seq: z.number().check(z.int(), z.nonnegative()),
  /** Deltas since the last snapshot on the node's chain: 0 for a snapshot, below `Limits.indexChainLength`. */
  depth: z.number().check(z.int(), z.nonnegative()),
  startedAt: z.string(),
  /** Set once every entry is written; only a complete node becomes a base. */
  completedAt: z.optional(z.string()),
});
export type IndexNode = Immutable<z.infer<typeof IndexNodeSchema>>;

/**
 * How a node's link names its base: the first 16 hex digits of the base's digest and its set id
 * (`indexNodeRef`), 33 characters instead of 87, because triage reads one link per node of every
 * repository a wide question touches. Two nodes of one repository with the same reference would
 * need a 128-bit collision (a second preimage of 64 bits of a sha256 digest, or two entry sets and
 * two digests colliding at once); even then triage would take a node for a child of both, so it
 * could only list a release too many, never leave one out (triage/inherit.ts).
 */
export const IndexNodeRefSchema = z.string().check(z.regex(/^[0-9a-f]{16}#[0-9a-f]{16}$/, 'an index node reference'));

/** The reference of node (`digest`, `set`) in its descendants' links (`IndexNodeRefSchema`). */
export const indexNodeRef = (digest: string, set: string): string =>
  `${digest.slice('sha256:'.length, 'sha256:'.length + 16)}#${set}`;

/** What triage needs of a node (`listIndexNodes`): where it sits in its repository's tree. */
export const IndexNodeLinkSchema = z.object({
  digest: DigestSchema,
  set: IndexSetIdSchema,
  /** The base node's reference (`indexNodeRef`), or absent for a snapshot. */
  parent: z.optional(IndexNodeRefSchema),
  /**
   * Instead of `parent`, shorter: the base node's set. A node's base is the head it started from,
   * so it sits at `seq - 1`, and it is the node there with that set; two nodes there with one set
   * have the same entry set, so a child of either has the same versions by either.
   */
  parentSet: z.optional(IndexSetIdSchema),
  seq: z.number().check(z.int(), z.nonnegative()),
});
export type IndexNodeLink = Immutable<z.infer<typeof IndexNodeLinkSchema>>;

/** One entry an index node writes: present at `version`, or (`removed`) no longer present. */
export const IndexEntryWriteSchema = z.object({
  /** `pkg:type/namespace/name`. */
  base: z.string().check(z.minLength(1)),
  version: z.string().check(z.minLength(1)),
  components: z.array(z.string()),
  removed: z.optional(z.literal(true)),
  /** Versions of `base` this node no longer has (see PackageIndexEntrySchema). */
  replaces: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
});
export type IndexEntryWrite = Immutable<z.infer<typeof IndexEntryWriteSchema>>;

/**
 * `validRecord` of each index entry write (`IndexEntryWriteSchema`), each a fresh copy. Checked by
 * hand first: a release writes one per package (200,000 at the component limit), and a zod object
 * parse of each cost more time and garbage than the rest of the write. The hand check accepts only
 * what the schema accepts; an entry it does not pass goes to the schema, which words the refusal.
 */
export function validIndexEntryWrites(entries: readonly unknown[]): IndexEntryWrite[] {
  return entries.map((e) => copiedIndexEntryWrite(e) ?? validRecord('index entry', IndexEntryWriteSchema, e));
}

function copiedIndexEntryWrite(value: unknown): IndexEntryWrite | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { base, version, components, removed, replaces } = value as Record<string, unknown>;
  if (typeof base !== 'string' || base === '' || typeof version !== 'string' || version === '') return undefined;
  if (!isStringArray(components) || (removed !== undefined && removed !== true)) return undefined;
  if (replaces !== undefined && !(isStringArray(replaces) && replaces.length > 0 && !replaces.includes(''))) {
    return undefined;
  }
  const entry: { -readonly [K in keyof IndexEntryWrite]: IndexEntryWrite[K] } = {
    base,
    version,
    components: [...components],
  };
  if (removed === true) entry.removed = true;
  if (replaces !== undefined) entry.replaces = [...replaces];
  return entry;
}

function isStringArray(value: unknown): value is readonly string[] {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}

/** One release that a vulnerability id was reported for (`findByVulnerability`). */
export const VulnerabilityIndexEntrySchema = z.object({ repository: z.string(), digest: DigestSchema });
export type VulnerabilityIndexEntry = Immutable<z.infer<typeof VulnerabilityIndexEntrySchema>>;

/** `listReleases(limit)`. */
export const ListLimitSchema = z.number().check(z.int(), z.positive());

// ---------------------------------------------------------------------------------------------
// Validation and order

/**
 * Parses what a caller asks to store. Throws `InvalidInputError` naming every invalid field; the
 * result is a fresh copy without unknown properties.
 */
export function validRecord<T>(what: string, schema: z.ZodMiniType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidInputError(`${what} is invalid: ${formatIssues(parsed.error.issues)}`, { cause: parsed.error });
  }
  return parsed.data;
}

/**
 * Whether `next` belongs to a later approval round than `stored`, and so replaces it (evidence,
 * decisions); within one round the first write wins, so that retries are idempotent.
 */
export function laterRound(next: { readonly round?: number }, stored: { readonly round?: number }): boolean {
  return (next.round ?? 0) > (stored.round ?? 0);
}

/**
 * Code-point order, which for strings is the order of their UTF-8 bytes: the order DynamoDB sorts
 * string keys in. (`<` and `localeCompare` differ from it for astral characters and by locale.)
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return (a.codePointAt(i) ?? 0) - (b.codePointAt(i) ?? 0);
  }
  return a.length - b.length;
}

const reference = (r: { readonly repository: string; readonly digest: string }) => `${r.repository}@${r.digest}`;

/**
 * The order of every listing of the port, compared field by field in code-point order. Timestamps
 * are compared as strings: they are ISO 8601 UTC with the same precision (`Date.toISOString`).
 */
export const LISTING_ORDER = {
  /** `listReleases`: most recently recorded first, then by `repository@digest`, descending. */
  releases: (a: ReleaseRecord, b: ReleaseRecord): number =>
    compareCodePoints(b.recordedAt, a.recordedAt) || compareCodePoints(reference(b), reference(a)),
  /** `listEvidence`: by kind. */
  evidence: (a: StoredEvidence, b: StoredEvidence): number => compareCodePoints(a.kind, b.kind),
  /** `listApprovals`: oldest request first, then by approval id. */
  approvals: (a: ApprovalRecord, b: ApprovalRecord): number =>
    compareCodePoints(a.requestedAt, b.requestedAt) || compareCodePoints(a.approvalId, b.approvalId),
  /** `listApprovalAudit`: oldest first, then by id. */
  approvalAudit: (a: ApprovalAuditRecord, b: ApprovalAuditRecord): number =>
    compareCodePoints(a.at, b.at) || compareCodePoints(a.id, b.id),
  /** `listPromotions`, `lastPromotion`: most recent promotion first, then by digest, descending. */
  promotions: (a: PromotionEntry, b: PromotionEntry): number =>
    compareCodePoints(b.promotedAt, a.promotedAt) || compareCodePoints(b.digest, a.digest),
  /** `findByPackage`: by version as a string (not by version order), then by `repository@digest`. */
  packageIndex: (a: PackageIndexEntry, b: PackageIndexEntry): number =>
    compareCodePoints(a.version, b.version) || compareCodePoints(reference(a), reference(b)),
  /** `listAlerts`: oldest first, then by advisory id. */
  alerts: (a: AlertRecord, b: AlertRecord): number =>
    compareCodePoints(a.raisedAt, b.raisedAt) || compareCodePoints(a.advisoryId, b.advisoryId),
  /** `findByVulnerability`: by `repository@digest`. */
  vulnerabilityIndex: (a: VulnerabilityIndexEntry, b: VulnerabilityIndexEntry): number =>
    compareCodePoints(reference(a), reference(b)),
} as const;
