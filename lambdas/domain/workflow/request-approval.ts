// RequestApproval: park the task token under an approval id and tell the approvers.
import { createHash, randomBytes } from 'node:crypto';
import { approvalEmail } from '../approval/email.js';
import { signLink } from '../approval/link.js';
import type { ApprovalPolicy } from '../evidence/approval-policy.js';
import { policyFor } from '../policy/rules.js';
import { approvalRulesFor } from '../policy/schema.js';
import type { ApprovalRecord, StoredEvidence } from '../ports.js';
import * as z from '../zod.js';
import { auditRequested } from './approval-audit.js';
import { buildApprovalView } from './approval-view.js';
import type { GateDeps } from './deps.js';
import { evidenceSetDigest } from './evidence-set.js';
import type { ReleaseRef } from './inputs.js';
import { postApprovalMessage } from './slack-approval.js';

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
  const round = (await deps.store.getRelease(req.repository, req.digest))?.approvalRound ?? 0;
  const existing = (await deps.store.listApprovals('PENDING')).find(
    (a) => a.repository === req.repository && a.digest === req.digest && (a.round ?? 0) === round,
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
  const evidence = await deps.store.listEvidence(req.repository, req.digest);
  const rules = approvalRulesFor(policyFor(deps.policy.document, req.repository), req.stage);
  const fresh = {
    evidenceSetDigest: evidenceSetDigest(
      evidence,
      await deps.store.getDecision(req.repository, req.digest),
      deps.policy.digest,
    ),
    ...(await approvalsNeeded(deps, req, rules, evidence)),
  };
  // A retried request keeps what the first one stored and may have sent.
  const terms: ApprovalRecord = existing ?? {
    approvalId,
    repository: req.repository,
    digest: req.digest,
    tokenHash,
    taskToken: req.taskToken,
    state: 'PENDING',
    requestedAt: now.toISOString(),
    expiresAt,
    approvals: [],
    ...fresh,
    // A round after a superseded approval (promote.ts): a new id, new links, this evidence set.
    ...(round > 0 && { round }),
  };
  if (existing === undefined) await deps.store.putApproval(terms);
  // Before anyone is told; a retried request writes the same record again (nothing new).
  await auditRequested(deps, terms);
  await deps.store.updateReleaseState(req.repository, req.digest, 'AWAITING_APPROVAL');
  // A retried request mails again: the links are deterministic, so a second mail repeats the first.
  const linkChannel = await mailLinks(deps, terms, rules, req.stage, url);
  const slackChannel = await postApprovalMessage(deps, terms, rules, req.stage);
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
    evidenceSetDigest: terms.evidenceSetDigest,
    required: terms.required,
    requiredReasons: terms.requiredReasons,
    pushers: terms.pushers,
    // The links themselves are capabilities and go only to their approvers, never to this topic.
    linkChannel,
    slackChannel,
  };
  await deps.notifier.publish(
    `Approval requested: ${req.repository}@${req.digest.slice(0, 19)}`,
    detail,
    'Approval Requested',
  );
  await deps.outcomes.emit('Approval Requested', detail);
  return { approvalId, url };
}

const TriggeredBySchema = z.object({ triggeredBy: z.array(z.string().check(z.minLength(1))).check(z.maxLength(16)) });

/**
 * Who pushed (CloudTrail `PutImage` principals recorded for the digest, and the GitHub accounts
 * the provenance says started the build), and so how many distinct approvers the release needs:
 * the quorum, plus one when separation of duties applies but nobody is known to have pushed (the
 * unknown pusher might be any one approver).
 */
async function approvalsNeeded(
  deps: GateDeps,
  req: ReleaseRef,
  rules: ApprovalPolicy,
  evidence: readonly StoredEvidence[],
): Promise<{ required: number; requiredReasons: string[]; pushers: string[] }> {
  const provenance = evidence.find((e) => e.kind === 'provenance' && e.status === 'PASS');
  const triggered = TriggeredBySchema.safeParse(provenance?.facts).data?.triggeredBy ?? [];
  const pushed = (await deps.store.listPushers(req.repository, req.digest)).map((p) => p.identity);
  const pushers = [...new Set([...pushed, ...triggered])].sort();
  const distinct = `${rules.quorum} distinct approver${rules.quorum === 1 ? '' : 's'}`;
  if (!rules.separationOfDuties) {
    return { required: rules.quorum, requiredReasons: [`quorum: ${distinct}`], pushers };
  }
  if (pushers.length === 0) {
    return {
      required: rules.quorum + 1,
      requiredReasons: [
        `quorum: ${distinct}`,
        'separation of duties: the pusher of this image is unknown (no CloudTrail PutImage record, no build actor in the provenance), so one more approver is required',
      ],
      pushers,
    };
  }
  return {
    required: rules.quorum,
    requiredReasons: [`quorum: ${distinct}`, `separation of duties: ${pushers.join(', ')} may not approve`],
    pushers,
  };
}

/**
 * Mails each email address of the rule's `approvers` a link signed for that address; says what was
 * done. With no such address (or no link channel) nobody can answer by link: the request says
 * so, and only the CLI can answer it.
 */
async function mailLinks(
  deps: GateDeps,
  approval: ApprovalRecord,
  rules: ApprovalPolicy,
  stage: string,
  pageUrl: string,
): Promise<string> {
  if (deps.approvalLinks === undefined) return 'none: approval links are not configured; answer with the CLI';
  const addresses = linkRecipients(rules);
  if (addresses.length === 0) {
    return 'none: the policy lists no approver email address, so no link can be sent; answer with the CLI';
  }
  const keys = await deps.approvalLinks.secrets.getLinkKeys();
  // One view for every mail (and the same one the page renders).
  const view = { ...(await buildApprovalView(deps, approval)), stage };
  const exp = Math.floor(Date.parse(approval.expiresAt) / 1000);
  const esd = approval.evidenceSetDigest ?? '';
  for (const to of addresses) {
    const token = signLink(keys, { aid: approval.approvalId, sub: to, esd, exp });
    const link = `${pageUrl}?t=${token}`;
    await deps.approvalLinks.mailer.send(approvalEmail({ view, to, link }));
  }
  return `email: one signed link to each of ${addresses.length} approver(s)`;
}

/** The approvers a link is mailed to: the allowlist's email addresses (not Slack ids, IAM patterns). */
export function linkRecipients(rules: ApprovalPolicy): string[] {
  return [...new Set(rules.approvers.filter((a) => a.includes('@') && !a.startsWith('arn:')))];
}
