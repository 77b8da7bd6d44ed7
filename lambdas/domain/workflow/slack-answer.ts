/**
 * Slack interactions, acknowledged first and decided after (issue 8 §1: "acknowledge within 3 s
 * and do the work after; update the original message with the outcome").
 *
 * 1. `verifySlackInteraction`: Slack's signature and timestamp, then the payload (a button click,
 *    or the reject modal's submission). Refusals are audited under the approval they name.
 * 2. `acknowledgeSlackInteraction`: what the HTTP answer says. A Reject click opens the reason
 *    modal (`views.open`, whose trigger lasts 3 s, so it is done here); an empty reason is answered
 *    with `response_action: errors` and decides nothing; an Approve click or a reason goes to the
 *    SlackWorkQueue, and a queue that cannot take it is an ephemeral error, never a dropped click.
 * 3. `doSlackWork`: decides (the same rules as every channel: allowlist, separation of duties,
 *    the evidence-set digest), writes the audit records, updates the message (decideApproval) and
 *    tells the clicker through the interaction's `response_url` (refusals included).
 *
 * Crash safety: on AWS the work is an asynchronous Lambda invocation, which Lambda retries up to
 * twice after an error. The decision is idempotent (decideApproval completes a repeated identical
 * answer instead of refusing it), so a retry after a crash between the decision and the message
 * update finishes the job; a refusal is not an error and is not retried.
 */
import {
  parseSlackInteraction,
  rejectModal,
  type SlackAnswer,
  type SlackInteraction,
  SlackRefusedError,
  verifySlackRequest,
} from '../approval/slack.js';
import { ConfigError, describeError, GateError } from '../errors.js';
import type { ApprovalRecord, SlackWork } from '../ports.js';
import { ANONYMOUS, type AuditOrigin, auditRefusal } from './approval-audit.js';
import { describeAnswer } from './approval-page.js';
import { decideApproval } from './decide-approval.js';
import type { GateDeps } from './deps.js';

/** The refusals told to the clicker; anything else (configuration, the store) is an error to retry. */
export const SLACK_REFUSALS: ReadonlySet<GateError['code']> = new Set([
  'NOT_FOUND',
  'ALREADY_DECIDED',
  'EXPIRED',
  'UNTRUSTED',
  'INVALID_INPUT',
]);

/**
 * Verifies a request to the interactivity URL and parses it: Slack's signature with this gate's
 * signing secret and a fresh timestamp (SlackRefusedError otherwise; the refusal is filed under
 * the approval the unsigned body names, whose user id is not believed).
 */
export async function verifySlackInteraction(
  deps: GateDeps,
  request: {
    readonly timestamp: string | undefined;
    readonly signature: string | undefined;
    readonly rawBody: string;
    readonly origin?: AuditOrigin;
  },
): Promise<SlackInteraction> {
  try {
    if (deps.slackSigningSecret === undefined) {
      throw new SlackRefusedError('BAD_SIGNATURE', 'Slack interactions are not configured on this gate');
    }
    verifySlackRequest(await deps.slackSigningSecret.getSlackSigningSecret(), request, deps.clock.now());
  } catch (err) {
    const claimed = unverifiedApprovalId(request.rawBody);
    if (claimed !== undefined) {
      await auditRefusal(deps, {
        approvalId: claimed,
        identity: ANONYMOUS,
        channel: 'slack',
        origin: request.origin,
        error: err,
      });
    }
    throw err;
  }
  return parseSlackInteraction(request.rawBody);
}

/** The approval id a Slack request names, read without trusting it (for filing its refusal). */
function unverifiedApprovalId(rawBody: string): string | undefined {
  try {
    return parseSlackInteraction(rawBody).approvalId;
  } catch {
    return undefined;
  }
}

/** What the interaction's HTTP answer carries (Slack shows `ephemeral` to the clicker only). */
export type SlackAck =
  | { readonly kind: 'ephemeral'; readonly text: string }
  | { readonly kind: 'errors'; readonly errors: Readonly<Record<string, string>> }
  | { readonly kind: 'empty' };

export const EMPTY_REASON = 'Write why the release is rejected: the reason is kept with the rejection.';

/** Decides what to answer Slack now, and queues the decision for after the answer. */
export async function acknowledgeSlackInteraction(
  deps: GateDeps,
  interaction: SlackInteraction,
  origin?: AuditOrigin,
): Promise<SlackAck> {
  if (interaction.kind === 'click' && interaction.decision === 'reject') return openRejectModal(deps, interaction);
  if (interaction.kind === 'reject-reason' && interaction.comment === '') {
    return { kind: 'errors', errors: { reason: EMPTY_REASON } };
  }
  try {
    if (deps.slackWork === undefined) throw new ConfigError('Slack answers are not configured on this gate');
    await deps.slackWork.enqueue({ answer: answerOf(interaction), ...(origin === undefined ? {} : { origin }) });
  } catch (err) {
    const text = `Not recorded: the gate could not take this answer (${describeError(err)}); try again or use the approval link.`;
    // A modal shows errors next to its input; a message click gets the ephemeral text.
    if (interaction.kind === 'reject-reason') return { kind: 'errors', errors: { reason: text.slice(0, 2000) } };
    return { kind: 'ephemeral', text };
  }
  // A submitted modal closes on an empty answer; the outcome comes through the message.
  if (interaction.kind === 'reject-reason') return { kind: 'empty' };
  return { kind: 'ephemeral', text: 'Recording your approval…' };
}

/** The answer of an interaction, as queued (JSON: no trigger, which is spent by then). */
function answerOf(i: SlackInteraction): SlackAnswer {
  const { userId, decision, approvalId, evidenceSetDigest, comment, responseUrl, messageTs, channelId } = i;
  return {
    userId,
    decision,
    approvalId,
    evidenceSetDigest,
    ...(comment === undefined ? {} : { comment }),
    ...(responseUrl === undefined ? {} : { responseUrl }),
    ...(messageTs === undefined ? {} : { messageTs }),
    ...(channelId === undefined ? {} : { channelId }),
  };
}

async function openRejectModal(deps: GateDeps, click: SlackInteraction): Promise<SlackAck> {
  const noModal = 'Not done: the reason dialog could not be opened';
  if (deps.slack === undefined || click.kind !== 'click' || click.triggerId === undefined) {
    return { kind: 'ephemeral', text: `${noModal}; reject from the approval page, with a reason.` };
  }
  try {
    await deps.slack.openView(click.triggerId, rejectModal(click));
    return { kind: 'empty' };
  } catch (err) {
    return { kind: 'ephemeral', text: `${noModal} (${describeError(err)}); reject from the approval page.` };
  }
}

/**
 * Decides a queued Slack answer and tells the clicker (response_url). A refusal is told and
 * returned; any other failure is thrown, for the queue's retry. Returns the decided approval.
 */
export async function doSlackWork(deps: GateDeps, work: SlackWork): Promise<ApprovalRecord | undefined> {
  const { answer } = work;
  let decided: ApprovalRecord;
  try {
    decided = await decideApproval(deps, {
      approvalId: answer.approvalId,
      decision: answer.decision,
      identity: { kind: 'slack', subject: answer.userId },
      evidenceSetDigest: answer.evidenceSetDigest,
      ...(answer.comment === undefined ? {} : { comment: answer.comment }),
      ...(work.origin === undefined ? {} : { origin: work.origin }),
    });
  } catch (err) {
    if (!(err instanceof GateError) || !SLACK_REFUSALS.has(err.code)) throw err;
    await tell(deps, answer.responseUrl, `Not done: ${describeError(err)}`);
    return undefined;
  }
  const { title, message } = describeAnswer(decided);
  await tell(deps, answer.responseUrl, `${title}: ${message}`);
  return decided;
}

/** An ephemeral message to the clicker; best effort (the decision and the message update stand). */
async function tell(deps: GateDeps, responseUrl: string | undefined, text: string): Promise<void> {
  if (responseUrl === undefined || deps.slack === undefined) return;
  await deps.slack.respond(responseUrl, text).catch(() => undefined);
}
