/**
 * The audit trail of approvals: one record per request, page view, counted answer, refusal and
 * expiry (records.ts `ApprovalAuditRecord`, stored under the release by `appendApprovalAudit`),
 * and the final approval record written to the evidence bucket when an approval is decided or
 * expires.
 *
 * What fails closed and what does not:
 * - A request, a counted answer and an expiry change the approval. Their records are written
 *   before the workflow is told (RequestApproval fails and is retried; an answer is not sent to
 *   the workflow and the caller gets an error; Quarantine fails and is retried). Their keys are
 *   derived from what happened, so the retry, or the same answer given again, writes the record
 *   the first attempt could not, and never a second one. A decision is never acted on unaudited.
 * - A page view and a refusal change nothing. Their records are written best effort: a store
 *   failure is reported (`GateDeps.auditFailures`, the handler's log) and the page is still shown,
 *   the refusal still refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import canonicalize from 'canonicalize';
import { AlreadyDecidedError, ConflictError, describeError, GateError } from '../errors.js';
import type { ApprovalAuditRecord, ApprovalRecord, StoredDocumentRef } from '../ports.js';
import {
  type ApprovalAuditChannel,
  type ApprovalAuditKind,
  type ApprovalState,
  AUDIT_LIMITS,
  LISTING_ORDER,
} from '../records.js';
import type { GateDeps } from './deps.js';

/** Where an HTTP request came from, as API Gateway reports it (`requestContext.http`). */
export interface AuditOrigin {
  readonly sourceIp?: string | undefined;
  readonly userAgent?: string | undefined;
}

/** The identity of the gate itself, on the records of requests and expiries. */
export const GATE_IDENTITY = 'release-gate';
/** The identity of a view or a request that proved none (no link, a refused link or signature). */
export const ANONYMOUS = 'anonymous';

/** The media type of the final approval record in the evidence bucket. */
export const APPROVAL_RECORD_MEDIA_TYPE = 'application/vnd.release-gate.approval-record.v1+json';
/** Its name among the approval evidence's documents. */
export const APPROVAL_RECORD_NAME = 'approval-record.json';

/** The error codes that are refusals (the approval API's 4xx): anything else is the gate failing. */
const REFUSAL_CODES: ReadonlySet<GateError['code']> = new Set([
  'NOT_FOUND',
  'ALREADY_DECIDED',
  'EXPIRED',
  'UNTRUSTED',
  'INVALID_INPUT',
]);

/** A refusal's code for the record: the error's detail (a Slack refusal's reason) or its code. */
export function refusalCode(err: unknown): string | undefined {
  if (!(err instanceof GateError) || !REFUSAL_CODES.has(err.code)) return undefined;
  return err.detail ?? err.code;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters removed
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text as an audit record keeps it: control characters and bidi overrides removed (a user agent is
 * whatever the client sent, and the trail is printed on terminals), at most `max` UTF-16 units,
 * a cut marked with `…` and never through a surrogate pair.
 */
export function auditText(text: string, max: number): string {
  const clean = text.replace(CONTROL, '').trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max - 1);
  return `${/[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}

/** A key derived from what happened, so that a retried write lands on the same record. */
function derivedId(...parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

const randomId = (): string => randomBytes(16).toString('hex');

interface Entry {
  readonly id: string;
  readonly kind: ApprovalAuditKind;
  readonly identity: string;
  readonly channel: ApprovalAuditChannel;
  readonly at: string;
  readonly outcome: string;
  readonly state?: ApprovalState;
  readonly code?: string;
  readonly origin?: AuditOrigin | undefined;
}

function recordOf(approval: ApprovalRecord, e: Entry): ApprovalAuditRecord {
  const sourceIp = e.origin?.sourceIp === undefined ? '' : auditText(e.origin.sourceIp, AUDIT_LIMITS.sourceIp);
  const userAgent = e.origin?.userAgent === undefined ? '' : auditText(e.origin.userAgent, AUDIT_LIMITS.userAgent);
  return {
    id: e.id,
    kind: e.kind,
    approvalId: approval.approvalId,
    repository: approval.repository,
    digest: approval.digest,
    identity: auditText(e.identity, AUDIT_LIMITS.identity) || ANONYMOUS,
    channel: e.channel,
    at: e.at,
    ...(sourceIp === '' ? {} : { sourceIp }),
    ...(userAgent === '' ? {} : { userAgent }),
    ...(approval.evidenceSetDigest === undefined ? {} : { evidenceSetDigest: approval.evidenceSetDigest }),
    ...(e.state === undefined ? {} : { state: e.state }),
    ...(e.code === undefined ? {} : { code: auditText(e.code, AUDIT_LIMITS.code) }),
    outcome: auditText(e.outcome, AUDIT_LIMITS.outcome) || e.kind,
  };
}

/** Writes a record that must not be lost: a failure throws (the caller fails closed). */
async function append(deps: GateDeps, approval: ApprovalRecord, e: Entry): Promise<void> {
  await deps.store.appendApprovalAudit(recordOf(approval, e));
}

/** Writes a record about something that changed nothing: a failure is reported, not thrown. */
async function appendBestEffort(deps: GateDeps, approval: ApprovalRecord, e: Entry): Promise<void> {
  const record = recordOf(approval, e);
  try {
    await deps.store.appendApprovalAudit(record);
  } catch (err) {
    deps.auditFailures?.(err, record);
  }
}

/** The request, once per approval (a retried RequestApproval writes nothing new). Fails closed. */
export async function auditRequested(deps: GateDeps, approval: ApprovalRecord): Promise<void> {
  await append(deps, approval, {
    id: derivedId(approval.approvalId, 'requested'),
    kind: 'requested',
    identity: GATE_IDENTITY,
    channel: 'workflow',
    at: approval.requestedAt,
    state: 'PENDING',
    outcome: `requested: ${approval.required} distinct approver(s) needed before ${approval.expiresAt}`,
  });
}

/**
 * A view of the approval page: by the approver a valid link was signed for (`approver`), or by
 * anyone (read-only, no link). Best effort: the page is shown either way.
 */
export async function auditView(
  deps: GateDeps,
  approval: ApprovalRecord,
  approver: string | null,
  origin: AuditOrigin | undefined,
): Promise<void> {
  const shown =
    approval.state !== 'PENDING'
      ? `approval page shown; the approval is ${approval.state}`
      : approver === null
        ? 'approval page shown read-only (no link)'
        : 'approval page shown with the decision form';
  await appendBestEffort(deps, approval, {
    id: randomId(),
    kind: 'viewed',
    identity: approver ?? ANONYMOUS,
    channel: approver === null ? 'anonymous' : 'email-link',
    at: deps.clock.now().toISOString(),
    state: approval.state,
    outcome: shown,
    origin,
  });
}

/**
 * A refused answer or link, with its reason, when `error` is a refusal and the approval exists (a
 * refusal for an unknown id has no release to be filed under; the handler's log keeps it). Best
 * effort: the refusal stands whether or not it could be written down.
 */
export async function auditRefusal(
  deps: GateDeps,
  refusal: {
    readonly approvalId: string;
    readonly identity: string;
    readonly channel: ApprovalAuditChannel;
    readonly origin?: AuditOrigin | undefined;
    readonly error: unknown;
  },
): Promise<void> {
  const code = refusalCode(refusal.error);
  if (code === undefined) return;
  let approval: ApprovalRecord | null;
  try {
    approval = await deps.store.getApproval(refusal.approvalId);
  } catch {
    // The store is failing; the refusal is still refused, and its log line still written.
    return;
  }
  if (approval === null) return;
  await appendBestEffort(deps, approval, {
    id: randomId(),
    kind: 'refused',
    identity: refusal.identity,
    channel: refusal.channel,
    at: deps.clock.now().toISOString(),
    state: approval.state,
    code,
    outcome: describeError(refusal.error),
    origin: refusal.origin,
  });
}

/**
 * The answers that counted: each approval of the quorum (the state after it: PENDING until the
 * last one, APPROVED for that one), or the rejection. Keyed by approval and person, so that the
 * same answer completed again writes nothing new and an answer whose record was lost to a crash
 * is written by the next call. `answerer` is whoever is answering now: their record carries where
 * the request came from. Fails closed.
 */
export async function auditAnswers(
  deps: GateDeps,
  approval: ApprovalRecord,
  answerer: { readonly person: string; readonly origin?: AuditOrigin | undefined } | undefined,
  rejectedVia?: ApprovalAuditChannel,
): Promise<void> {
  if (approval.state === 'REJECTED') {
    const by = approval.decidedBy ?? 'unknown';
    await append(deps, approval, {
      id: derivedId(approval.approvalId, 'decided', 'REJECTED', by),
      kind: 'decided',
      identity: by,
      channel: rejectedVia ?? 'unknown',
      at: approval.decidedAt ?? deps.clock.now().toISOString(),
      state: 'REJECTED',
      outcome: `rejected${approval.comment ? `: ${approval.comment}` : ''}`,
      origin: answerer?.origin,
    });
    return;
  }
  for (const [i, a] of approval.approvals.entries()) {
    const last = approval.state === 'APPROVED' && i + 1 >= approval.required;
    await append(deps, approval, {
      id: derivedId(approval.approvalId, 'decided', 'APPROVED', a.person),
      kind: 'decided',
      identity: a.by,
      channel: a.via ?? 'unknown',
      at: a.at,
      state: last ? 'APPROVED' : 'PENDING',
      outcome: `approved: ${i + 1} of ${approval.required} approvals${a.comment ? `: ${a.comment}` : ''}`,
      origin: a.person === answerer?.person ? answerer.origin : undefined,
    });
  }
}

/** The expiry of an approval (decided EXPIRED), once. Fails closed. */
export async function auditExpired(deps: GateDeps, approval: ApprovalRecord): Promise<void> {
  await append(deps, approval, {
    id: derivedId(approval.approvalId, 'expired'),
    kind: 'expired',
    identity: GATE_IDENTITY,
    channel: 'workflow',
    at: approval.decidedAt ?? approval.expiresAt,
    state: 'EXPIRED',
    outcome: `expired at ${approval.expiresAt} with ${approval.approvals.length} of ${approval.required} approvals`,
  });
}

/** Views and refusals the final record keeps at most (the decisive records are always kept). */
const FINAL_RECORD_MAX_OTHERS = 200;

/**
 * The final approval record, written to the evidence bucket when the approval is APPROVED,
 * REJECTED or EXPIRED: the approval (without its task token), the evidence set it was bound to,
 * and its audit trail up to the decision. Content-addressed (DocumentStore `put`: never
 * overwritten, Object Lock on AWS), so writing it again stores nothing new; the approval evidence
 * references it (first write wins).
 */
export async function storeFinalRecord(deps: GateDeps, approval: ApprovalRecord): Promise<StoredDocumentRef> {
  const until = approval.decidedAt ?? deps.clock.now().toISOString();
  const trail = (await deps.store.listApprovalAudit(approval.repository, approval.digest)).filter(
    (r) => r.approvalId === approval.approvalId && r.at <= until,
  );
  // An attacker may refuse themselves any number of times: those records are bounded here.
  const decisive = trail.filter((r) => r.kind !== 'viewed' && r.kind !== 'refused');
  const others = trail.filter((r) => r.kind === 'viewed' || r.kind === 'refused');
  const { taskToken: _token, tokenHash: _hash, ...terms } = approval;
  const document = {
    type: 'release-gate approval record',
    version: 1,
    approval: terms,
    evidenceSetDigest: approval.evidenceSetDigest ?? null,
    audit: [...decisive, ...others.slice(0, FINAL_RECORD_MAX_OTHERS)].sort(LISTING_ORDER.approvalAudit),
    omittedViewsAndRefusals: Math.max(0, others.length - FINAL_RECORD_MAX_OTHERS),
  };
  // RFC 8785 canonical JSON: the same record always has the same bytes, so the same digest.
  const bytes = new TextEncoder().encode(canonicalize(document) ?? '');
  const digest = await deps.documents.put(bytes, APPROVAL_RECORD_MEDIA_TYPE);
  return { name: APPROVAL_RECORD_NAME, mediaType: APPROVAL_RECORD_MEDIA_TYPE, digest, size: bytes.length };
}

/**
 * The approval timeout (the ASL's States.Timeout on RequestApproval, caught into Quarantine): every
 * PENDING approval of the release becomes EXPIRED, and every EXPIRED one (also one a late answer
 * found expired) gets its `expired` record, its final record and an `Approval Expired` event. An
 * approval answered meanwhile keeps its answer. Safe to run again: the record and the document
 * are written once; the event is at-least-once. Returns the final records, for the evidence.
 */
export async function expireApprovals(
  deps: GateDeps,
  repository: string,
  digest: string,
): Promise<StoredDocumentRef[]> {
  const refs: StoredDocumentRef[] = [];
  for (const approval of await deps.store.listApprovals()) {
    if (approval.repository !== repository || approval.digest !== digest) continue;
    const expired = approval.state === 'PENDING' ? await expire(deps, approval) : approval;
    if (expired?.state !== 'EXPIRED') continue;
    await auditExpired(deps, expired);
    const finalRecord = await storeFinalRecord(deps, expired);
    refs.push(finalRecord);
    await deps.outcomes.emit('Approval Expired', {
      approvalId: expired.approvalId,
      repository: expired.repository,
      digest: expired.digest,
      expiresAt: expired.expiresAt,
      approvals: expired.approvals.map((a) => ({ by: a.by, at: a.at, via: a.via ?? null })),
      required: expired.required,
      evidenceSetDigest: expired.evidenceSetDigest ?? null,
      approvalRecord: finalRecord.digest,
    });
  }
  return refs;
}

/** PENDING → EXPIRED; when an answer won the race, the approval as that answer left it. */
async function expire(deps: GateDeps, approval: ApprovalRecord): Promise<ApprovalRecord | null> {
  try {
    return await deps.store.decideApproval(
      approval.approvalId,
      'EXPIRED',
      GATE_IDENTITY,
      deps.clock.now().toISOString(),
    );
  } catch (err) {
    // Answered concurrently: that answer stands. Any other failure (a store outage) fails the
    // step so the ASL retries it.
    if (!(err instanceof AlreadyDecidedError || err instanceof ConflictError)) throw err;
    return deps.store.getApproval(approval.approvalId);
  }
}
