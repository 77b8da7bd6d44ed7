/**
 * The Slack messages of an approval, as Block Kit (https://docs.slack.dev/reference/block-kit/blocks):
 * the request (facts, evidence, quorum, expiry, Approve / Reject buttons) and the outcome that
 * replaces it through `chat.update` once the approval is final (no buttons).
 *
 * Pure: it takes the approval view the page and the mail render (the same facts in every channel).
 *
 * Every string that comes from a pusher (repository, tags, reasons, identities, component names,
 * licenses, finding ids, metric names) goes through
 * `mrkdwn()`: `&`, `<` and `>` are escaped as Slack's formatting docs ask
 * (https://docs.slack.dev/messaging/formatting-message-text#escaping), so `<!channel>` or
 * `<https://evil|click here>` stays text, and every text object is `verbatim` so that Slack does
 * not turn bare names and URLs into mentions or links either. Lengths are capped to Block Kit's
 * limits, so an oversized reason shortens the message instead of making Slack refuse it.
 */
import { InvalidInputError } from '../errors.js';
import type { ApprovalView } from '../workflow/approval-view.js';
import { slackButtonValue } from './slack.js';
import { buildLines, detailSections } from './view-lines.js';

/** Block Kit's limits (text object, header, button, confirm dialog, blocks per message). */
export const SLACK_LIMITS = {
  text: 3000,
  headerText: 150,
  fieldText: 2000,
  fields: 10,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  confirmTitle: 100,
  confirmText: 300,
  blocks: 50,
} as const;

/** Reasons shown per evidence kind and the length of each; the rest is on the page. */
const REASONS_PER_KIND = 5;
const REASON_CHARS = 400;
/** Entries per list (diff, licenses, findings, exceptions, metrics, tags); the rest is on the page. */
const SLACK_TOP = 5;
/** One diff / finding / metric line; a section of 3 + 5×3 lines stays near Block Kit's 3000. */
const DETAIL_CHARS = 160;

export type SlackBlock = Readonly<Record<string, unknown>>;

/** What `chat.postMessage` / `chat.update` get: the blocks, and the notification's fallback text. */
export interface SlackMessage {
  readonly blocks: readonly SlackBlock[];
  readonly text: string;
}

/**
 * The facts of one approval request, as the approver sees them: the approval view the page and the
 * mail render (workflow/approval-view.ts `buildApprovalView`), and the page's own link (per-approver
 * signed links go by mail).
 */
export interface ApprovalRequestFacts {
  readonly view: ApprovalView;
  readonly pageUrl: string;
}

export const APPROVAL_OUTCOMES = ['approved', 'rejected', 'expired', 'quarantined'] as const;
export type ApprovalOutcome = (typeof APPROVAL_OUTCOMES)[number];

/** The final state of an approval, for the message that replaces the request. */
export interface ApprovalOutcomeFacts {
  readonly outcome: ApprovalOutcome;
  readonly repository: string;
  readonly digest: string;
  readonly stage?: string;
  /** Who decided (approvers, the rejecter, or `release-gate` for an expiry). */
  readonly by: string;
  /** How each identity was proven (`Slack button, signed request`, `signed email link`…). */
  readonly via: readonly string[];
  readonly at: string;
  /** The rejection comment, the quarantine reasons… */
  readonly reasons: readonly string[];
  readonly pageUrl: string;
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function mrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Cuts `s` to `max` characters with a trailing `…`, without leaving half an escape (`&am`) or half
 * a surrogate pair at the cut.
 */
export function capText(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s
    .slice(0, max - 1)
    .replace(/&[a-z]{0,4}$/, '')
    .replace(/[\uD800-\uDBFF]$/, '')}…`;
}

/** Attacker-controlled text, escaped and capped; control characters become spaces (one line). */
const safe = (s: string, max: number): string => capText(mrkdwn(s.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')), max);

const text = (s: string, max: number = SLACK_LIMITS.text) => ({
  type: 'mrkdwn',
  text: capText(s, max),
  verbatim: true,
});
const plain = (s: string, max: number) => ({ type: 'plain_text', text: capText(s, max), emoji: true });
const section = (s: string): SlackBlock => ({ type: 'section', text: text(s) });

const STATUS_MARK: Readonly<Record<string, string>> = {
  PASS: ':white_check_mark:',
  FAIL: ':x:',
  MISSING: ':warning:',
  ERROR: ':warning:',
};

/** A shown link: our own URL, escaped like the rest, in Slack's `<url|label>` form. */
const link = (url: string, label: string): string => `<${mrkdwn(url).replace(/\|/g, '%7C')}|${label}>`;

/**
 * The approval request: release facts (who pushed, source, commit, builder), every evidence kind
 * with its reasons, the dependency diff, findings (VEX exceptions with owner and expiry) and eval
 * metrics as the mail shows them (view-lines.ts), quorum, expiry, buttons.
 */
export function approvalRequestMessage(f: ApprovalRequestFacts): SlackMessage {
  const v = f.view;
  const value = slackButtonValue(v.approvalId, v.evidenceSetDigest ?? '');
  // The value is read back by parseSlackInteraction; a value Slack would refuse is our bug.
  if (value.length > SLACK_LIMITS.buttonValue) {
    throw new InvalidInputError(`the Slack button value is ${value.length} characters (at most 2000)`);
  }
  const tags =
    v.tags.items.length === 0
      ? '(none)'
      : `${v.tags.items
          .slice(0, SLACK_TOP)
          .map((t) => safe(t, 128))
          .join(', ')}${v.tags.total > SLACK_TOP ? ` (and ${v.tags.total - SLACK_TOP} more)` : ''}`;
  const short = v.digest.slice(0, 19);
  const head: SlackBlock[] = [
    { type: 'header', text: plain('Release approval requested', SLACK_LIMITS.headerText) },
    section(
      [
        `*Repository:* ${safe(v.repository, 256)}`,
        `*Tags:* ${tags}`,
        `*Digest:* ${safe(short, 19)}… (${safe(v.digest, 80)})`,
        `*Stage:* ${safe(v.stage, 64)}   *Policy:* ${safe(v.policyDecision, 16)}`,
        `*Pushed by:* ${v.pushers.length === 0 ? 'unknown' : v.pushers.map((p) => safe(p, 256)).join(', ')}`,
        ...buildLines(v).map((l) => safe(l, 400)),
      ].join('\n'),
    ),
    { type: 'divider' },
  ];
  const details = detailSections(v, SLACK_TOP).map((d) =>
    section([`*${d.title}*`, ...d.lines.map((l) => `• ${safe(l, DETAIL_CHARS)}`)].join('\n')),
  );
  const tail: SlackBlock[] = [
    { type: 'divider' },
    ...details,
    { type: 'divider' },
    section(quorumText(v.quorum)),
    {
      type: 'context',
      elements: [text(`Expires ${safe(v.expiresAt, 40)} · ${link(f.pageUrl, 'Open the approval page')}`)],
    },
    {
      type: 'actions',
      block_id: 'decide',
      elements: [button('approve', 'Approve', 'primary', value), button('reject', 'Reject', 'danger', value)],
    },
  ];
  const room = SLACK_LIMITS.blocks - head.length - tail.length;
  const evidence = v.evidence.map(evidenceSection);
  const shown =
    evidence.length <= room
      ? evidence
      : [...evidence.slice(0, room - 1), section(`…and ${evidence.length - room + 1} more evidence kinds on the page`)];
  return {
    blocks: [...head, ...shown, ...tail],
    text: capText(
      `Release approval requested: ${safe(v.repository, 256)}@${safe(short, 19)} (${safe(v.stage, 64)})`,
      3000,
    ),
  };
}

function evidenceSection(e: ApprovalView['evidence'][number]): SlackBlock {
  const reasons = e.reasons.items.slice(0, REASONS_PER_KIND).map((r) => `• ${safe(r, REASON_CHARS)}`);
  const more = e.reasons.total - Math.min(REASONS_PER_KIND, e.reasons.items.length);
  if (more > 0) reasons.push(`• …and ${more} more`);
  const mark = STATUS_MARK[e.status] ?? ':grey_question:';
  return section([`${mark} *${safe(e.kind, 64)}* ${safe(e.status, 16)}`, ...reasons].join('\n'));
}

function quorumText(q: ApprovalView['quorum']): string {
  const so = q.approvals.length === 0 ? 'nobody yet' : q.approvals.map((a) => safe(a.by, 200)).join(', ');
  return [
    `*Approvals:* ${q.approvals.length} of ${q.required} (${so})`,
    ...q.reasons.map((r) => `• ${safe(r, REASON_CHARS)}`),
  ].join('\n');
}

function button(actionId: 'approve' | 'reject', label: string, style: 'primary' | 'danger', value: string) {
  const b = { type: 'button', action_id: actionId, text: plain(label, SLACK_LIMITS.buttonText), style, value };
  // Reject opens a modal that asks for the reason (slack.ts `rejectModal`): that is its confirmation.
  if (actionId === 'reject') return b;
  return {
    ...b,
    // Approve decides at once: Slack asks first (https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object).
    confirm: {
      title: plain(`${label} this release?`, SLACK_LIMITS.confirmTitle),
      text: plain(
        'Your Slack user id is recorded as the approver of exactly the evidence shown.',
        SLACK_LIMITS.confirmText,
      ),
      confirm: plain(label, SLACK_LIMITS.buttonText),
      deny: plain('Cancel', SLACK_LIMITS.buttonText),
    },
  };
}

const OUTCOME_TITLE: Readonly<Record<ApprovalOutcome, string>> = {
  approved: ':white_check_mark: Approved',
  rejected: ':no_entry: Rejected',
  expired: ':hourglass: Expired',
  quarantined: ':no_entry_sign: Quarantined',
};

/** The outcome that replaces the request (`chat.update`): what happened, by whom, how; no buttons. */
export function approvalOutcomeMessage(f: ApprovalOutcomeFacts): SlackMessage {
  const title = OUTCOME_TITLE[f.outcome];
  const short = f.digest.slice(0, 19);
  const via = f.via.length === 0 ? '' : ` (${f.via.map((v) => safe(v, 200)).join('; ')})`;
  const lines = [
    `*${title}:* ${safe(f.repository, 256)}@${safe(short, 19)}${f.stage === undefined ? '' : ` (${safe(f.stage, 64)})`}`,
    `*By:* ${safe(f.by, 1000)}${via}`,
    `*At:* ${safe(f.at, 40)}`,
    ...f.reasons.slice(0, 10).map((r) => `• ${safe(r, REASON_CHARS)}`),
  ];
  return {
    blocks: [section(lines.join('\n')), { type: 'context', elements: [text(link(f.pageUrl, 'The approval'))] }],
    text: capText(`${title.replace(/^:[a-z_]+: /, '')}: ${safe(f.repository, 256)}@${safe(short, 19)}`, 3000),
  };
}
