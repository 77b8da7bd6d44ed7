/**
 * The approval request mail: the same facts in a text part and an HTML part (every
 * attacker-controlled string escaped), with the approver's own signed link.
 */
import type { ApprovalEmail, ApprovalRecord, DecisionRecord } from '../ports.js';
import { esc } from '../workflow/approval-page.js';

export interface ApprovalEmailFacts {
  readonly approval: ApprovalRecord;
  readonly decision: DecisionRecord | null;
  readonly stage: string;
  readonly tags: readonly string[];
  readonly to: string;
  readonly link: string;
}

/** Keeps header-bound text on one printable line (the subject is built from a repository name). */
const oneLine = (s: string): string => s.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ').slice(0, 200);

export function approvalEmail(f: ApprovalEmailFacts): ApprovalEmail {
  const { approval } = f;
  const short = approval.digest.slice(0, 19);
  const tags = f.tags.length === 0 ? '(none)' : f.tags.join(', ');
  const evidence = f.decision?.evidence ?? [];
  const text = [
    `Release approval requested for ${approval.repository} (stage ${f.stage}).`,
    '',
    `Repository: ${approval.repository}`,
    `Tags:       ${tags}`,
    `Digest:     ${short}… (${approval.digest})`,
    `Stage:      ${f.stage}`,
    `Policy:     ${f.decision?.decision ?? 'unknown'}`,
    `Expires:    ${approval.expiresAt}`,
    '',
    'Evidence:',
    ...evidence.map((e) => `  ${e.kind.padEnd(16)} ${e.status.padEnd(8)} ${e.reasons.join('; ')}`),
    '',
    `This link is yours (${f.to}): it works once and records your decision under your address.`,
    'Open it to see the confirmation page; nothing is decided until you press Approve or Reject.',
    f.link,
    '',
  ].join('\n');
  const rows = evidence
    .map((e) => `<tr><td>${esc(e.kind)}</td><td>${esc(e.status)}</td><td>${esc(e.reasons.join('; '))}</td></tr>`)
    .join('');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Release approval</title></head><body>
<h1>Release approval: ${esc(approval.repository)}</h1>
<p>Repository <code>${esc(approval.repository)}</code><br>Tags ${esc(tags)}<br>
Digest <code>${esc(short)}</code><br>Stage ${esc(f.stage)}<br>Policy ${esc(f.decision?.decision ?? 'unknown')}<br>
Expires ${esc(approval.expiresAt)}</p>
<table><tr><th>evidence</th><th>status</th><th>reasons</th></tr>${rows}</table>
<p>This link is yours (${esc(f.to)}): it works once and records your decision under your address.</p>
<p><a href="${esc(f.link)}">Review and decide</a></p></body></html>`;
  return {
    approvalId: approval.approvalId,
    to: f.to,
    link: f.link,
    subject: oneLine(`Approval requested: ${approval.repository}@${short} (${f.stage})`),
    text,
    html,
  };
}
