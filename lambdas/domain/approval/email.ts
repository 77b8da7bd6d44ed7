/**
 * The approval request mail: the approval view (workflow/approval-view.ts) in a text part and an
 * HTML part, with the approver's own signed link. The mail shows counts plus the top entries of
 * each list; the page behind the link shows them in full. Every attacker-controlled string is
 * escaped in the HTML part and kept on one printable line in the text part.
 */
import type { ApprovalEmail } from '../ports.js';
import type { ApprovalView } from '../workflow/approval-view.js';
import { esc } from '../workflow/html.js';
import { buildLines, detailSections, type FactSection } from './view-lines.js';

export interface ApprovalEmailFacts {
  readonly view: ApprovalView;
  readonly to: string;
  readonly link: string;
}

/** Entries per list in the mail; the page has the rest. */
export const MAIL_TOP = 5;

/**
 * One printable line: control characters (CR/LF included: header and line injection), line and
 * paragraph separators, and bidirectional overrides (text that reads differently than it is) become
 * a space.
 */
export const oneLine = (s: string): string => s.replace(/[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]+/gu, ' ');

/** The facts of the view as [label, lines] groups, shared by both parts so they never drift apart. */
function mailSections(v: ApprovalView): FactSection[] {
  const tags = v.tags.items.length === 0 ? '(none)' : v.tags.items.join(', ');
  const summary = [
    `Repository: ${v.repository}`,
    `Tags:       ${tags}`,
    `Digest:     ${v.shortDigest}… (${v.digest})`,
    `Stage:      ${v.stage}`,
    `Pushed by:  ${v.pushers.length === 0 ? 'unknown' : v.pushers.join(', ')}`,
    ...buildLines(v),
    `Policy:     ${v.policyDecision}`,
    `Expires:    ${v.expiresAt}`,
    `Approvals:  ${v.quorum.approvals.length} of ${v.quorum.required}${
      v.quorum.approvals.length === 0
        ? ''
        : ` (${v.quorum.approvals.map((a) => (a.comment === undefined ? a.by : `${a.by}: ${a.comment}`)).join(', ')})`
    }`,
  ];
  const evidence = v.evidence.map((e) => `${e.kind.padEnd(16)} ${e.status.padEnd(8)} ${e.reasons.items.join('; ')}`);
  return [{ title: 'Release', lines: summary }, { title: 'Evidence', lines: evidence }, ...detailSections(v, MAIL_TOP)];
}

export function approvalEmail(f: ApprovalEmailFacts): ApprovalEmail {
  const { view } = f;
  const sections = mailSections(view);
  const yours = `This link is yours (${f.to}): it works once and records your decision under your address.`;
  const text = [
    oneLine(`Release approval requested for ${view.repository} (stage ${view.stage}).`),
    '',
    ...sections.flatMap((s) => [`${s.title}:`, ...s.lines.map((l) => `  ${oneLine(l)}`), '']),
    oneLine(yours),
    'Open it to see the confirmation page with the full diff; nothing is decided until you press Approve or Reject.',
    f.link,
    '',
  ].join('\n');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Release approval</title></head><body>
<h1>Release approval: ${esc(view.repository)}</h1>
<p>Digest <code>${esc(view.shortDigest)}</code></p>
${sections.map((s) => `<h2>${esc(s.title)}</h2><ul>${s.lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`).join('\n')}
<p>${esc(yours)}</p>
<p><a href="${esc(f.link)}">Review and decide</a></p></body></html>`;
  return {
    approvalId: view.approvalId,
    to: f.to,
    link: f.link,
    subject: oneLine(`Approval requested: ${view.repository}@${view.shortDigest} (${view.stage})`).slice(0, 200),
    text,
    html,
  };
}
