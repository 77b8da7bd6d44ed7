// RequestApproval: park the task token under an approval id and tell the approvers.
import { createHash, randomBytes } from 'node:crypto';
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
  if (existing === undefined) {
    await deps.store.putApproval({
      approvalId,
      repository: req.repository,
      digest: req.digest,
      tokenHash,
      taskToken: req.taskToken,
      state: 'PENDING',
      requestedAt: now.toISOString(),
      expiresAt,
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
    expiresAt,
  };
  await deps.notifier.publish(`Approval requested: ${req.repository}@${req.digest.slice(0, 19)}`, detail);
  await deps.outcomes.emit('Approval Requested', detail);
  return { approvalId, url };
}
