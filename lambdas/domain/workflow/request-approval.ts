// RequestApproval: park the task token under an approval id and tell the approvers.
import { createHash, randomBytes } from 'node:crypto';
import { approvalEmail } from '../approval/email.js';
import { signLink } from '../approval/link.js';
import { policyFor } from '../policy/load.js';
import type { ApprovalRecord } from '../ports.js';
import { evidenceSetDigestOf } from './decide-approval.js';
import type { GateDeps } from './deps.js';
import type { ReleaseRef } from './inputs.js';

const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Store the task token under a random approval id (hashed lookup, expiry) and publish the request. */
export async function requestApproval(
  deps: GateDeps,
  req: ReleaseRef & { taskToken: string; reasons: readonly string[]; timeoutSeconds: number },
): Promise<{ approvalId: string; url: string }> {
  const tokenHash = sha256Hex(req.taskToken);
  // One execution per release, so a pending approval of this release is an earlier attempt of this
  // task (retried after a crash past putApproval) whose request may already have been sent: it stays
  // the one to answer, now for this attempt's token (Step Functions issues a new one per attempt).
  const existing = (await deps.store.listApprovals('PENDING')).find(
    (a) => a.repository === req.repository && a.digest === req.digest,
  );
  if (existing !== undefined && existing.tokenHash !== tokenHash) {
    await deps.store.rebindApproval(existing.approvalId, req.taskToken, tokenHash);
  }
  const now = deps.clock.now();
  // 128 random bits in hex: a base64url id starts with '-' one time in 64, and a command line then
  // reads `approve -Xyz…` as an option.
  const approvalId = existing?.approvalId ?? randomBytes(16).toString('hex');
  const url = `${deps.config.approvalBaseUrl.replace(/\/+$/, '')}/${approvalId}`;
  const expiresAt = existing?.expiresAt ?? new Date(now.getTime() + req.timeoutSeconds * 1000).toISOString();
  const record: ApprovalRecord = existing ?? {
    approvalId,
    repository: req.repository,
    digest: req.digest,
    tokenHash,
    taskToken: req.taskToken,
    state: 'PENDING',
    requestedAt: now.toISOString(),
    expiresAt,
  };
  if (existing === undefined) await deps.store.putApproval(record);
  await deps.store.updateReleaseState(req.repository, req.digest, 'AWAITING_APPROVAL');
  // A retried request mails again: the links are deterministic, so a second mail repeats the first.
  const linkChannel = await mailLinks(deps, record, req.stage, url);
  const diff = await deps.store.getEvidence(req.repository, req.digest, 'dependency-diff');
  const detail = {
    approvalId,
    url,
    repository: req.repository,
    digest: req.digest,
    stage: req.stage,
    reasons: req.reasons,
    dependencyDiff: diff?.reasons ?? [],
    expiresAt,
    // The links themselves are capabilities and go only to their approvers, never to this topic.
    linkChannel,
  };
  await deps.notifier.publish(`Approval requested: ${req.repository}@${req.digest.slice(0, 19)}`, detail);
  await deps.outcomes.emit('Approval Requested', detail);
  return { approvalId, url };
}

/**
 * Mails each approver of the policy a link signed for their address; says what was done. With no
 * approvers (or no link channel) nobody can answer by link: the request says so, and only the
 * CLI can answer it.
 */
async function mailLinks(deps: GateDeps, approval: ApprovalRecord, stage: string, pageUrl: string): Promise<string> {
  const approvers = policyFor(deps.policy.document, approval.repository).approval.approvers;
  if (deps.approvalLinks === undefined) return 'none: approval links are not configured; answer with the CLI';
  if (approvers.length === 0) {
    return 'none: the policy lists no approvers, so no link can be sent; answer with the CLI';
  }
  const keys = await deps.approvalLinks.secrets.getLinkKeys();
  const [decision, tags] = await Promise.all([
    deps.store.getDecision(approval.repository, approval.digest),
    deps.store.listPushedTags(approval.repository, approval.digest),
  ]);
  const exp = Math.floor(Date.parse(approval.expiresAt) / 1000);
  for (const to of approvers) {
    const token = signLink(keys, { aid: approval.approvalId, sub: to, esd: evidenceSetDigestOf(approval), exp });
    const link = `${pageUrl}?t=${token}`;
    await deps.approvalLinks.mailer.send(approvalEmail({ approval, decision, stage, tags, to, link }));
  }
  return `email: one signed link to each of ${approvers.length} approver(s)`;
}
