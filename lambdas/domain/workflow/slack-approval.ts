/**
 * The approval's Slack message: posted by RequestApproval to the policy's channel, and replaced
 * with the outcome once the approval is final (approved, rejected, expired, quarantined).
 *
 * Crash safety: RequestApproval stores the approval record first, then posts, then records the
 * message's `{channel, ts}` on the record (first write wins). A retried request that finds the
 * message recorded does not post again. A crash between the post and the record costs at most one
 * more message on the retry, never a lost one; both messages carry the same approval id and
 * evidence set, so either one's buttons answer the same approval.
 */
import {
  type ApprovalOutcome,
  type ApprovalOutcomeFacts,
  approvalOutcomeMessage,
  approvalRequestMessage,
  capText,
  mrkdwn,
  type SlackBlock,
} from '../approval/slack-message.js';
import { describeError, GateError } from '../errors.js';
import type { ApprovalPolicy } from '../evidence/approval-policy.js';
import type { ApprovalRecord, SlackMessageRef } from '../ports.js';
import { buildApprovalView } from './approval-view.js';
import type { GateDeps } from './deps.js';
import type { ReleaseRef } from './inputs.js';

const pageOf = (deps: GateDeps, approvalId: string): string =>
  `${deps.config.approvalBaseUrl.replace(/\/+$/, '')}/${approvalId}`;

/**
 * Posts the approval request to the rule's Slack channel unless this approval's message is
 * already recorded; says what was done, for the request's notification detail. A post Slack
 * refuses (or cannot take) is reported there and does not fail the request: the mail links and
 * the CLI still answer it.
 */
export async function postApprovalMessage(
  deps: GateDeps,
  approval: ApprovalRecord,
  rules: ApprovalPolicy,
  stage: string,
): Promise<string> {
  const posted = (m: SlackMessageRef) => `slack: posted to ${m.channel} (ts ${m.ts})`;
  // A retry says what the first attempt said: the notification is the same at-least-once event.
  if (approval.slackMessage !== undefined) return posted(approval.slackMessage);
  if (rules.slackChannel === undefined) return 'none: the policy names no approval.slackChannel; nothing posted';
  if (deps.slack === undefined) return 'none: Slack posting is not configured on this gate (no bot token)';
  const [blocks, text] = await requestBlocks(deps, approval, stage);
  let message: SlackMessageRef;
  try {
    message = await deps.slack.postMessage(rules.slackChannel, blocks, text);
  } catch (err) {
    // Slack said no (token, channel, limits, outage): the request goes on without it. Anything
    // else (a crash) fails the step, whose retry posts again.
    if (!(err instanceof GateError)) throw err;
    return `failed: the Slack message to ${rules.slackChannel} was not posted: ${describeError(err)}`;
  }
  // A store failure here fails the step: its retry posts again (at least once), then records.
  const recorded = await deps.store.recordApprovalMessage(approval.approvalId, message);
  // Answered between the put and this record: the answer found no message to update; do it now.
  const outcome = finalOutcome(recorded);
  if (outcome !== undefined) await updateApprovalMessage(deps, recorded, outcome);
  return posted(message);
}

async function requestBlocks(
  deps: GateDeps,
  approval: ApprovalRecord,
  stage: string,
): Promise<[blocks: readonly SlackBlock[], text: string]> {
  // The view the page and the mail render, so every channel shows the same facts.
  const view = { ...(await buildApprovalView(deps, approval)), stage };
  const message = approvalRequestMessage({ view, pageUrl: pageOf(deps, approval.approvalId) });
  return [message.blocks, message.text];
}

/**
 * Shows a PENDING approval's quorum progress (who has approved so far) in its message, buttons
 * kept. Never throws, like `updateApprovalMessage`.
 */
export async function refreshApprovalMessage(deps: GateDeps, approval: ApprovalRecord): Promise<void> {
  const message = approval.slackMessage;
  if (message === undefined || deps.slack === undefined) return;
  try {
    const release = await deps.store.getRelease(approval.repository, approval.digest);
    const [blocks, text] = await requestBlocks(deps, approval, release?.stage ?? deps.config.stage);
    await deps.slack.update(message.channel, message.ts, blocks, text);
  } catch (err) {
    await reportUpdateFailure(deps, approval, message, 'pending', err);
  }
}

const finalOutcome = (a: ApprovalRecord): ApprovalOutcomeFacts['outcome'] | undefined =>
  a.state === 'APPROVED'
    ? 'approved'
    : a.state === 'REJECTED'
      ? 'rejected'
      : a.state === 'EXPIRED'
        ? 'expired'
        : undefined;

/** What the outcome message says besides the record's own facts. */
export interface OutcomeNote {
  readonly outcome: ApprovalOutcome;
  /** How the identities were proven. @default - none shown */
  readonly via?: readonly string[];
  /** @default - the record's comment, if any */
  readonly reasons?: readonly string[];
  /** Who ended it. @default - the record's `decidedBy` (`release-gate` for an expiry) */
  readonly by?: string;
}

/**
 * Replaces the approval's Slack message with its outcome (`chat.update`, no buttons). Never
 * throws: the gate's decision stands whatever Slack answers. A failure goes to the operators'
 * notification topic instead (and is dropped if that fails too).
 */
export async function updateApprovalMessage(
  deps: GateDeps,
  approval: ApprovalRecord,
  note: OutcomeNote | ApprovalOutcome,
): Promise<void> {
  const message = approval.slackMessage;
  if (message === undefined || deps.slack === undefined) return;
  const {
    outcome,
    via = [],
    reasons = approval.comment === undefined ? [] : [approval.comment],
    by = approval.decidedBy ?? 'release-gate',
  } = typeof note === 'string' ? { outcome: note } : note;
  try {
    const update = approvalOutcomeMessage({
      outcome,
      repository: approval.repository,
      digest: approval.digest,
      by,
      via,
      at:
        outcome === 'quarantined'
          ? deps.clock.now().toISOString()
          : (approval.decidedAt ?? deps.clock.now().toISOString()),
      reasons,
      pageUrl: pageOf(deps, approval.approvalId),
    });
    await deps.slack.update(message.channel, message.ts, update.blocks, update.text);
  } catch (err) {
    await reportUpdateFailure(deps, approval, message, outcome, err);
  }
}

/** A message that could not be updated goes to the operators' topic (dropped if that fails too). */
async function reportUpdateFailure(
  deps: GateDeps,
  approval: ApprovalRecord,
  message: SlackMessageRef,
  outcome: string,
  err: unknown,
): Promise<void> {
  await deps.notifier
    .publish(
      `Slack message not updated: ${approval.repository}@${approval.digest.slice(0, 19)}`,
      {
        approvalId: approval.approvalId,
        repository: approval.repository,
        digest: approval.digest,
        channel: message.channel,
        ts: message.ts,
        outcome,
        error: describeError(err),
      },
      'Slack Update Failed',
    )
    .catch(() => undefined);
}

/**
 * Replaces the Slack message of an approval Promote superseded (the evidence changed after it was
 * requested) with a note saying so and pointing at the next request; no buttons. Built here, not
 * as an `ApprovalOutcome`, because a supersession is no decision: the release goes on to a new
 * approval. Never throws (a failure goes to the operators' topic, like every update).
 */
export async function updateSupersededMessage(deps: GateDeps, approval: ApprovalRecord): Promise<void> {
  const message = approval.slackMessage;
  if (message === undefined || deps.slack === undefined) return;
  // Repository names and approver ids are others' text: one line, Slack's control characters escaped.
  const safe = (t: string, max: number) => capText(mrkdwn(t.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')), max);
  const subject = `${safe(approval.repository, 256)}@${approval.digest.slice(0, 19)}`;
  const s = approval.supersession;
  const lines = [
    `*:recycle: Superseded:* ${subject}`,
    `*Approved by:* ${safe(approval.approvals.map((a) => a.by).join(', ') || 'nobody', 1000)}`,
    `*At:* ${safe(s?.at ?? deps.clock.now().toISOString(), 40)}`,
    '• The evidence changed after this approval was requested: it no longer counts, and a new approval was requested for the evidence as it is now.',
    `• Approved evidence set ${s?.approvedEvidenceSetDigest ?? '(none recorded)'}; now ${s?.currentEvidenceSetDigest ?? 'unknown'}`,
  ];
  const page = `${pageOf(deps, approval.approvalId)}`;
  const blocks: SlackBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: capText(lines.join('\n'), 3000), verbatim: true } },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `<${mrkdwn(page).replace(/\|/g, '%7C')}|The approval>`, verbatim: true }],
    },
  ];
  try {
    await deps.slack.update(message.channel, message.ts, blocks, `Superseded: ${subject}`);
  } catch (err) {
    await reportUpdateFailure(deps, approval, message, 'superseded', err);
  }
}

/**
 * After a quarantine: every Slack message of the release's approvals that does not already show a
 * rejection says the release was quarantined, and why (an expiry says `expired`). Never throws.
 */
export async function updateQuarantinedMessages(
  deps: GateDeps,
  req: ReleaseRef,
  reasons: readonly string[],
): Promise<void> {
  if (deps.slack === undefined) return;
  let approvals: ApprovalRecord[];
  try {
    approvals = (await deps.store.listApprovals()).filter(
      (a) => a.repository === req.repository && a.digest === req.digest && a.slackMessage !== undefined,
    );
  } catch {
    return;
  }
  for (const a of approvals) {
    if (a.state === 'REJECTED') continue;
    const expired = a.state === 'EXPIRED';
    await updateApprovalMessage(deps, a, { outcome: expired ? 'expired' : 'quarantined', reasons, by: 'release-gate' });
  }
}
