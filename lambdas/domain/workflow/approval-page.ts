import type { ApprovalRecord, DecisionRecord } from '../ports.js';

/** HTML-escapes text for element content and quoted attribute values. */
export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const page = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${esc(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
code{font-size:13px;background:#f3f4f6;padding:1px 4px;border-radius:3px;word-break:break-all}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e5e7eb;padding:4px 6px;text-align:left;vertical-align:top}
.PASS{color:#116329}.FAIL,.ERROR,.MISSING{color:#a40e26}button{font-size:15px;padding:.5rem 1.2rem;margin-right:.5rem}
input[type=text]{width:100%;padding:.4rem;margin:.2rem 0 .8rem}</style></head><body>${body}</body></html>`;

/**
 * The confirmation page behind an approval link. GET only renders it (mail scanners prefetch
 * links, so a GET never decides); the buttons POST the decision.
 */
export function renderApprovalPage(
  approval: ApprovalRecord,
  decision: DecisionRecord | null,
  actionPath: string,
  link: { readonly token: string; readonly approver: string } | null,
): string {
  const rows = (decision?.evidence ?? [])
    .map(
      (e) =>
        `<tr><td>${esc(e.kind)}</td><td class="${esc(e.status)}">${esc(e.status)}</td><td>${esc(e.reasons.join('; '))}</td></tr>`,
    )
    .join('');
  const open = approval.state === 'PENDING';
  const form = !open
    ? approval.state === 'SUPERSEDED'
      ? '<p><strong>This approval was superseded by an evidence change</strong> after it was requested: a new approval was requested for the evidence as it is now.</p>'
      : `<p><strong>This approval is ${esc(approval.state)}</strong>${approval.decidedBy ? ` by ${esc(approval.decidedBy)}` : ''}.</p>`
    : link === null
      ? '<p>Open the personal link from your approval email to decide.</p>'
      : `<form method="post" action="${esc(actionPath)}">
<p>You decide as <strong>${esc(link.approver)}</strong> (the address this link was sent to). The link works once.</p>
<input type="hidden" name="token" value="${esc(link.token)}">
<label>Comment<input type="text" name="comment" maxlength="1000"></label>
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="reject">Reject</button></form>`;
  return page(
    `Approve ${approval.repository}`,
    `<h1>Release approval</h1>
<p>Repository <code>${esc(approval.repository)}</code><br>Digest <code>${esc(approval.digest)}</code><br>
Requested ${esc(approval.requestedAt)}, expires ${esc(approval.expiresAt)}</p>
<p>Policy decision: <strong>${esc(decision?.decision ?? 'unknown')}</strong> (policy <code>${esc(decision?.policyDigest ?? '')}</code>)</p>
${quorumSection(approval)}
<table><tr><th>evidence</th><th>status</th><th>reasons</th></tr>${rows}</table>${form}`,
  );
}

/** Quorum progress, why that many approvers, and the evidence set the approval is bound to. */
function quorumSection(approval: ApprovalRecord): string {
  const who = approval.approvals.map((a) => esc(a.by)).join(', ');
  const why = approval.requiredReasons.map((r) => `<li>${esc(r)}</li>`).join('');
  return `<p>Approvals: <strong>${approval.approvals.length} of ${approval.required}</strong>${who ? ` (${who})` : ''}</p>
${why ? `<ul>${why}</ul>` : ''}<p>Evidence set <code>${esc(approval.evidenceSetDigest ?? 'none')}</code></p>`;
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
