import type { ApprovalRecord } from '../ports.js';
import { type ApprovalView, moreLabel, sourceLabel } from './approval-view.js';
import { cell, diffBody, esc, evalBody, evidenceSection, findingsBody, page, section } from './html.js';

/**
 * The confirmation page behind an approval link. GET only renders it (mail scanners prefetch
 * links, so a GET never decides); the forms POST the decision. Plain HTML without scripts: it
 * works with JavaScript off and under the handler's `default-src 'none'` CSP.
 */
export function renderApprovalPage(
  view: ApprovalView,
  actionPath: string,
  link: { readonly token: string; readonly approver: string } | null,
): string {
  return page(
    `Approve ${view.repository}`,
    `<h1>Release approval: <code>${esc(view.repository)}</code></h1>
${summaryTable(view)}
${quorumSection(view)}
${decisionForms(view, actionPath, link)}
${evidenceSection(view.evidence)}
${section('diff', 'Dependency changes', view.diff, diffBody)}
${section('findings', 'Vulnerability findings', view.findings, findingsBody)}
${section('eval', 'Evaluation metrics', view.eval, evalBody)}`,
  );
}

function summaryTable(v: ApprovalView): string {
  const rows: [string, string][] = [
    ['Repository', v.repository],
    [
      'Tags',
      v.tags.items.length === 0
        ? '(none)'
        : `${v.tags.items.join(', ')}${moreLabel(v.tags) ? ` (${moreLabel(v.tags)})` : ''}`,
    ],
    ['Digest', `${v.shortDigest}… (${v.digest})`],
    ['Stage', v.stage],
    ['Pushed by', v.pushers.length === 0 ? 'unknown' : v.pushers.join(', ')],
    ['Source', v.build.ok ? sourceLabel(v.build.value) : `not available: ${v.build.unavailable}`],
    ['Commit', v.build.ok ? (v.build.value.commit ?? '(none recorded)') : '-'],
    ['Builder', v.build.ok ? (v.build.value.builderId ?? '(none recorded)') : '-'],
    ['Policy decision', `${v.policyDecision}${v.policyDigest === null ? '' : ` (policy ${v.policyDigest})`}`],
    ['Evidence set', v.evidenceSetDigest ?? 'none'],
    ['Requested', v.requestedAt],
    ['Expires', v.expiresAt],
  ];
  return `<table id="summary">${rows.map(([k, val]) => `<tr><th>${esc(k)}</th>${cell(val)}</tr>`).join('')}</table>`;
}

/** Quorum progress, why that many approvers, and who approved so far (and how they proved it). */
function quorumSection(v: ApprovalView): string {
  const q = v.quorum;
  const who = q.approvals.map(
    (a) =>
      `<li>${esc(a.by)} <span class="muted">(${esc(a.via)}, ${esc(a.at)})</span>${a.comment === undefined ? '' : `: ${esc(a.comment)}`}</li>`,
  );
  const why = q.reasons.map((r) => `<li>${esc(r)}</li>`).join('');
  return `<section id="quorum"><h2>Approvals: ${q.approvals.length} of ${q.required}</h2>
${who.length > 0 ? `<ul>${who.join('')}</ul>` : '<p class="muted">Nobody has approved yet.</p>'}${why ? `<ul class="muted">${why}</ul>` : ''}</section>`;
}

/**
 * Approve is one click. Reject asks for a reason: the textarea is `required` (the browser checks
 * it without JavaScript) and the handler refuses a reject without one anyway.
 */
function decisionForms(
  v: ApprovalView,
  actionPath: string,
  link: { readonly token: string; readonly approver: string } | null,
): string {
  if (v.state === 'SUPERSEDED') {
    return '<p id="state"><strong>This approval was superseded by an evidence change</strong> after it was requested: a new approval was requested for the evidence as it is now.</p>';
  }
  if (v.state !== 'PENDING') {
    return `<p id="state"><strong>This approval is ${esc(v.state)}</strong>${v.decidedBy === null ? '' : ` by ${esc(v.decidedBy)}`}.</p>`;
  }
  if (link === null) return '<p id="state">Open the personal link from your approval email to decide.</p>';
  const hidden = (decision: string) =>
    `<input type="hidden" name="token" value="${esc(link.token)}"><input type="hidden" name="decision" value="${decision}">`;
  return `<section id="decide"><p>You decide as <strong>${esc(link.approver)}</strong> (the address this link was sent to). The link works once.</p>
<form method="post" action="${esc(actionPath)}" id="approve-form">${hidden('approve')}
<label>Comment (optional)<input type="text" name="comment" maxlength="1000"></label>
<button type="submit" id="approve">Approve</button></form>
<form method="post" action="${esc(actionPath)}" id="reject-form">${hidden('reject')}
<label>Reason for rejecting (required)<textarea name="comment" maxlength="1000" rows="2" required></textarea></label>
<button type="submit" id="reject">Reject</button></form></section>`;
}

/** What an approver is told after answering: decided, or counted towards the quorum. */
export function describeAnswer(approval: ApprovalRecord): { title: string; message: string } {
  const subject = `${approval.repository}@${approval.digest}`;
  if (approval.state !== 'PENDING') return { title: `Release ${approval.state.toLowerCase()}`, message: subject };
  const missing = approval.required - approval.approvals.length;
  return {
    title: 'Approval recorded',
    message: `${subject}: ${approval.approvals.length} of ${approval.required} approvals; waiting for ${missing} more`,
  };
}

export function renderResultPage(title: string, message: string): string {
  return page(title, `<h1>${esc(title)}</h1><p>${esc(message)}</p>`);
}
