import { createHash, randomBytes } from 'node:crypto';
import {
  AlreadyDecidedError,
  ConflictError,
  describeError,
  ExpiredError,
  InvalidInputError,
  NotFoundError,
  PromotionBlockedError,
  TooLargeError,
  UnsupportedMediaTypeError,
  UntrustedError,
} from '../errors.js';
import { Limits } from '../limits.js';
import { digestToTag, ImageIndexSchema, ImageManifestSchema, isIndexMediaType, isManifestMediaType } from '../oci.js';
import { evaluatePolicy } from '../policy/evaluate.js';
import { policyFor, repositoryMatches, targetRepositoryFor } from '../policy/load.js';
import type { ApprovalRecord, ReleaseRecord, ScanCompletion } from '../ports.js';
import { copyImage } from '../promotion/copy.js';
import type { Digest } from '../types.js';
import { summary } from './collect.js';
import type { GateDeps } from './deps.js';
import type { ReleaseRef, StatesError } from './inputs.js';

const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

// ---------------------------------------------------------------------------------------------
// RecordRelease

/** Resolve the manifest (index → platform manifests) and write the release record (conditional put). */
export async function recordRelease(
  deps: GateDeps,
  req: ReleaseRef & { tag?: string | null; executionName: string },
): Promise<{ mediaType: string; platforms: number; created: boolean }> {
  const manifest = await deps.registry.getManifest(req.repository, req.digest);
  if (manifest.bytes.byteLength > Limits.manifestBytes) {
    throw new TooLargeError('manifest', manifest.bytes.byteLength, Limits.manifestBytes);
  }
  const json = parseJson(manifest.bytes, 'manifest');
  const platforms: { digest: Digest; platform: string }[] = [];
  if (isIndexMediaType(manifest.mediaType)) {
    const index = ImageIndexSchema.safeParse(json);
    if (!index.success) throw new InvalidInputError(`image index is invalid: ${index.error.issues[0]?.message}`);
    for (const m of index.data.manifests) {
      if (!isManifestMediaType(m.mediaType)) continue; // attestation manifests, nested indexes
      const p = m.platform;
      platforms.push({
        digest: m.digest,
        platform: p ? `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}` : 'unknown',
      });
    }
    if (platforms.length === 0) throw new InvalidInputError('image index lists no platform manifests');
  } else if (isManifestMediaType(manifest.mediaType)) {
    const m = ImageManifestSchema.safeParse(json);
    if (!m.success) throw new InvalidInputError(`image manifest is invalid: ${m.error.issues[0]?.message}`);
  } else {
    throw new UnsupportedMediaTypeError(`unsupported manifest media type ${manifest.mediaType}`);
  }
  const rec: ReleaseRecord = {
    repository: req.repository,
    digest: req.digest,
    mediaType: manifest.mediaType,
    ...(req.tag ? { tag: req.tag } : {}),
    stage: req.stage,
    platforms,
    state: 'RECORDED',
    executionName: req.executionName,
    recordedAt: deps.clock.now().toISOString(),
  };
  const { created } = await deps.store.recordRelease(rec);
  return { mediaType: manifest.mediaType, platforms: platforms.length, created };
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new InvalidInputError(`${what} is not valid UTF-8 JSON`, { cause: err });
  }
}

// ---------------------------------------------------------------------------------------------
// WaitForScan and the scan-complete event (a rendezvous: either may come first)

export async function waitForScan(
  deps: GateDeps,
  req: ReleaseRef & { taskToken: string },
): Promise<'completed' | 'waiting'> {
  const result = await deps.store.offerScanToken(req.repository, req.digest, req.taskToken);
  if (result === null) return 'waiting';
  await deps.tokens.sendSuccess(req.taskToken, result);
  return 'completed';
}

export async function scanCompleted(
  deps: GateDeps,
  repository: string,
  digest: Digest,
  completion: ScanCompletion,
): Promise<'resumed' | 'recorded' | 'ungated'> {
  // The Inspector2 Scan rule cannot filter by repository (it may send an ARN): scans of
  // repositories no policy rule gates are not recorded.
  if (!deps.policy.document.rules.some((r) => r.repositories.some((p) => repositoryMatches(p, repository)))) {
    return 'ungated';
  }
  const token = await deps.store.offerScanResult(repository, digest, completion);
  if (token === null) return 'recorded';
  await deps.tokens.sendSuccess(token, completion);
  return 'resumed';
}

// ---------------------------------------------------------------------------------------------
// EvaluatePolicy

export async function evaluateRelease(deps: GateDeps, req: ReleaseRef) {
  const policy = policyFor(deps.policy.document, req.repository);
  const evidence = await deps.store.listEvidence(req.repository, req.digest);
  const decision = evaluatePolicy(policy, req.stage, evidence);
  const decidedAt = deps.clock.now().toISOString();
  const document = new TextEncoder().encode(
    JSON.stringify({
      subject: { repository: req.repository, digest: req.digest },
      stage: req.stage,
      decidedAt,
      policy: { digest: deps.policy.digest, text: new TextDecoder().decode(deps.policy.bytes) },
      evidence: evidence.map((e) => ({ ...e })),
      decision,
    }),
  );
  const documentDigest = await deps.documents.put(document, 'application/vnd.release-gate.decision.v1+json');
  const stored = await deps.store.putDecision({
    repository: req.repository,
    digest: req.digest,
    decision: decision.decision,
    reasons: decision.reasons,
    policyDigest: deps.policy.digest,
    evidence: decision.evidence.map((e) => ({ kind: e.kind, status: e.status, reasons: e.reasons })),
    decidedAt,
    documentDigest,
  });
  await deps.store.updateReleaseState(req.repository, req.digest, 'EVALUATED');
  // The state payload stays small (the ASL carries it to RequestApproval): the full reasons are in
  // the stored decision record and document.
  return {
    decision: stored.decision,
    reasons: stored.reasons.slice(0, 10).map((r) => (r.length > 300 ? `${r.slice(0, 299)}…` : r)),
    approvalRequired: decision.approvalRequired,
    approvalTimeoutSeconds: decision.approvalTimeoutSeconds,
    policyDigest: stored.policyDigest,
  };
}

// ---------------------------------------------------------------------------------------------
// Approval

/** Store the task token under a random approval id (hashed lookup, expiry) and publish the request. */
export async function requestApproval(
  deps: GateDeps,
  req: ReleaseRef & { taskToken: string; reasons: readonly string[]; timeoutSeconds: number },
): Promise<{ approvalId: string; url: string }> {
  const existing = (await deps.store.listApprovals('PENDING')).find(
    (a) => a.repository === req.repository && a.digest === req.digest && a.tokenHash === sha256Hex(req.taskToken),
  );
  const now = deps.clock.now();
  // 128 random bits in hex: a base64url id starts with '-' one time in 64, and a command line then
  // reads `approve -Xyz…` as an option.
  const approvalId = existing?.approvalId ?? randomBytes(16).toString('hex');
  const url = `${deps.config.approvalBaseUrl.replace(/\/+$/, '')}/${approvalId}`;
  if (existing === undefined) {
    await deps.store.putApproval({
      approvalId,
      repository: req.repository,
      digest: req.digest,
      tokenHash: sha256Hex(req.taskToken),
      taskToken: req.taskToken,
      state: 'PENDING',
      requestedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + req.timeoutSeconds * 1000).toISOString(),
    });
  }
  await deps.store.updateReleaseState(req.repository, req.digest, 'AWAITING_APPROVAL');
  const diff = await deps.store.getEvidence(req.repository, req.digest, 'dependency-diff');
  const detail = {
    approvalId,
    url,
    repository: req.repository,
    digest: req.digest,
    stage: req.stage,
    reasons: req.reasons,
    dependencyDiff: diff?.reasons ?? [],
    expiresAt: new Date(now.getTime() + req.timeoutSeconds * 1000).toISOString(),
  };
  await deps.notifier.publish(`Approval requested: ${req.repository}@${req.digest.slice(0, 19)}`, detail);
  await deps.outcomes.emit('Approval Requested', detail);
  return { approvalId, url };
}

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
      'ApprovalRejected',
      `rejected by ${by}${answer.comment ? `: ${answer.comment}` : ''}`,
    );
  }
  return decided;
}

// ---------------------------------------------------------------------------------------------
// Promote / Quarantine

export async function promoteRelease(deps: GateDeps, req: ReleaseRef) {
  const release = await deps.store.getRelease(req.repository, req.digest);
  if (release === null) throw new NotFoundError(`no release record for ${req.repository}@${req.digest}`);
  const policy = policyFor(deps.policy.document, req.repository);
  const targetRepository = targetRepositoryFor(policy, req.repository);
  const tag = release.tag ?? digestToTag(req.digest);
  if (release.state === 'PROMOTED') return { targetRepository, tag, alreadyPromoted: true };
  if (release.state === 'QUARANTINED') throw new PromotionBlockedError('release was already quarantined');

  // Defence in depth: re-check the stored decision and, when required, the approval evidence.
  const decision = await deps.store.getDecision(req.repository, req.digest);
  if (decision === null || decision.decision !== 'PASS') {
    throw new PromotionBlockedError('no PASS decision is stored for this release');
  }
  const stage = policy.stages[req.stage];
  if (stage?.require.includes('approval')) {
    const approval = await deps.store.getEvidence(req.repository, req.digest, 'approval');
    if (approval?.status !== 'PASS') throw new PromotionBlockedError('approval evidence is not PASS');
  }

  await copyImage({
    source: deps.registry,
    target: deps.registry,
    sourceRepository: req.repository,
    targetRepository,
    digest: req.digest,
    tag,
  });
  const promotedAt = deps.clock.now().toISOString();
  await deps.store.appendPromotion({
    repository: req.repository,
    digest: req.digest,
    promotedAt,
    targetRepository,
    tag,
  });
  const approvalEvidence = await deps.store.getEvidence(req.repository, req.digest, 'approval');
  await deps.store.updateReleaseState(req.repository, req.digest, 'PROMOTED', {
    outcome: 'PROMOTED',
    outcomeReasons: [
      ...decision.reasons.filter((r) => r !== 'awaiting human approval'),
      ...(approvalEvidence?.status === 'PASS' ? approvalEvidence.reasons : []),
    ],
    decidedAt: promotedAt,
  });
  const detail = {
    repository: req.repository,
    digest: req.digest,
    targetRepository,
    tag,
    policyDigest: decision.policyDigest,
  };
  await deps.outcomes.emit('Release Promoted', detail);
  await deps.notifier.publish(`Promoted: ${req.repository}@${req.digest.slice(0, 19)}`, detail);
  return { targetRepository, tag, alreadyPromoted: false };
}

export async function quarantineRelease(deps: GateDeps, req: ReleaseRef & { failure?: StatesError }) {
  const reasons = await quarantineReasons(deps, req);
  const release = await deps.store.getRelease(req.repository, req.digest);
  if (release?.state === 'PROMOTED') {
    // Never un-promote from here: revocation is an explicit operator action.
    throw new ConflictError(`${req.repository}@${req.digest} is already promoted; refusing to quarantine`);
  }
  if (req.failure !== undefined && /^(ApprovalRejected|States\.Timeout)$/.test(req.failure.Error)) {
    const pendingApproval = (await deps.store.getDecision(req.repository, req.digest))?.decision === 'PASS';
    if (pendingApproval) {
      await deps.store.putEvidence({
        repository: req.repository,
        digest: req.digest,
        kind: 'approval',
        status: req.failure.Error === 'ApprovalRejected' ? 'FAIL' : 'MISSING',
        reasons: [
          req.failure.Error === 'ApprovalRejected'
            ? (req.failure.Cause ?? 'rejected')
            : 'no approval before the timeout',
        ],
        facts: {},
        documents: [],
        collectedAt: deps.clock.now().toISOString(),
      });
      if (req.failure.Error === 'States.Timeout') {
        for (const a of await deps.store.listApprovals('PENDING')) {
          if (a.repository === req.repository && a.digest === req.digest) {
            await deps.store
              .decideApproval(a.approvalId, 'EXPIRED', 'release-gate', deps.clock.now().toISOString())
              .catch((err: unknown) => {
                // Answered concurrently: that answer stands, and the release is still blocked. Any
                // other failure (a store outage) must fail the step so the ASL retries it.
                if (!(err instanceof AlreadyDecidedError || err instanceof ConflictError)) throw err;
              });
          }
        }
      }
    }
  }
  const quarantineTag = `quarantine-${digestToTag(req.digest)}`;
  let tagged = false;
  if (release === null) {
    // RecordRelease failed (unreadable or unsupported manifest): still leave an auditable record.
    await deps.store.recordRelease({
      repository: req.repository,
      digest: req.digest,
      mediaType: 'unknown',
      stage: req.stage,
      platforms: [],
      state: 'RECORDED',
      executionName: 'unknown',
      recordedAt: deps.clock.now().toISOString(),
    });
  } else {
    try {
      const manifest = await deps.registry.getManifest(req.repository, req.digest);
      const tags = await deps.registry.listTags(req.repository);
      if (!tags.includes(quarantineTag)) {
        await deps.registry.putManifest(req.repository, manifest.bytes, manifest.mediaType, quarantineTag);
      }
      tagged = true;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  await deps.store.updateReleaseState(req.repository, req.digest, 'QUARANTINED', {
    outcome: 'QUARANTINED',
    outcomeReasons: reasons,
    decidedAt: deps.clock.now().toISOString(),
  });
  const detail = {
    repository: req.repository,
    digest: req.digest,
    reasons,
    quarantineTag: tagged ? quarantineTag : null,
  };
  await deps.outcomes.emit('Release Quarantined', detail);
  await deps.notifier.publish(`Quarantined: ${req.repository}@${req.digest.slice(0, 19)}`, detail);
  return { reasons, quarantineTag: tagged ? quarantineTag : null };
}

async function quarantineReasons(deps: GateDeps, req: ReleaseRef & { failure?: StatesError }): Promise<string[]> {
  if (req.failure !== undefined && req.failure.Error !== 'PolicyBlocked') {
    const f = req.failure;
    if (f.Error === 'ApprovalRejected') return [`approval: rejected: ${f.Cause ?? ''}`.trim()];
    if (f.Error === 'States.Timeout') return ['approval: no answer before the approval timeout'];
    return [`workflow step failed: ${f.Error}${f.Cause ? `: ${causeMessage(f.Cause)}` : ''}`];
  }
  const decision = await deps.store.getDecision(req.repository, req.digest);
  if (decision === null) return ['no decision was recorded (fail closed)'];
  return [...decision.reasons];
}

/** Lambda errors arrive as a JSON Cause `{errorType, errorMessage, …}`; show the message. */
function causeMessage(cause: string): string {
  try {
    const parsed: unknown = JSON.parse(cause);
    if (
      parsed !== null &&
      typeof parsed === 'object' &&
      'errorMessage' in parsed &&
      typeof parsed.errorMessage === 'string'
    ) {
      return parsed.errorMessage;
    }
  } catch {
    // not JSON: use as is
  }
  return cause.slice(0, 500);
}

export { describeError, PromotionBlockedError, summary };
