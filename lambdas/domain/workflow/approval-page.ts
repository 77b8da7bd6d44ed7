import type { ApprovalRecord } from '../ports.js';
import {
  type ApprovalView,
  type Bounded,
  countsLabel,
  formatDelta,
  formatNumber,
  moreLabel,
  packageLabel,
  sourceLabel,
  thresholdLabel,
  type ViewDiff,
  type ViewEval,
  type ViewFindings,
  type ViewSection,
} from './approval-view.js';

/**
 * HTML-escapes text for element content and quoted attribute values. Hand-written because it is
 * five replacements and the page has no template engine; every interpolation goes through it.
 */
export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const page = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${esc(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
code{font-size:13px;background:#f3f4f6;padding:1px 4px;border-radius:3px;word-break:break-all}
table{border-collapse:collapse;width:100%;margin-bottom:1rem}td,th{border-bottom:1px solid #e5e7eb;padding:4px 6px;text-align:left;vertical-align:top}
th{font-weight:600}.PASS{color:#116329}.FAIL,.ERROR,.MISSING,.UNTRUSTED,.INVALID{color:#a40e26}
.worse{color:#a40e26}.better{color:#116329}.muted{color:#57606a}
button{font-size:15px;padding:.5rem 1.2rem;margin-top:.4rem}form{margin:1rem 0;padding:.8rem;border:1px solid #e5e7eb;border-radius:6px}
input[type=text],textarea{width:100%;padding:.4rem;margin:.2rem 0;box-sizing:border-box}</style></head><body>${body}</body></html>`;

const cell = (s: string, cls = ''): string => `<td${cls ? ` class="${esc(cls)}"` : ''}>${esc(s)}</td>`;
const table = (head: readonly string[], rows: readonly string[]): string =>
  rows.length === 0
    ? '<p class="muted">none</p>'
    : `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.join('')}</table>`;
const more = (b: Bounded<unknown>): string => (moreLabel(b) ? `<p class="muted">${esc(moreLabel(b))}</p>` : '');
const section = <T>(id: string, title: string, s: ViewSection<T>, body: (v: T) => string): string =>
  `<section id="${id}"><h2>${esc(title)}</h2>${s.ok ? body(s.value) : `<p class="muted">Not available: ${esc(s.unavailable)}</p>`}</section>`;

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
<section id="evidence"><h2>Evidence</h2>${table(
      ['evidence', 'status', 'reasons'],
      view.evidence.map(
        (e) =>
          `<tr>${cell(e.kind)}${cell(e.status, e.status)}<td>${e.reasons.items.map((r) => esc(r)).join('<br>')}${
            moreLabel(e.reasons) ? `<br><span class="muted">${esc(moreLabel(e.reasons))}</span>` : ''
          }</td></tr>`,
      ),
    )}</section>
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

function diffBody(d: ViewDiff): string {
  const against =
    d.previousDigest === null
      ? '<p>First release of this repository: every package is new.</p>'
      : `<p>Compared with the last promoted release <code>${esc(d.previousDigest)}</code>: ${d.added.total} added, ${d.removed.total} removed, ${d.changed.total} changed, ${d.newLicenses.total} new license(s).</p>`;
  const pkgRows = (list: typeof d.added) =>
    list.items.map((p) => `<tr>${cell(p.name)}${cell(p.version)}${cell(p.licenses.join(', '))}</tr>`);
  return `${against}
<h3>New licenses (${d.newLicenses.total})</h3>${d.newLicenses.total === 0 ? '<p class="muted">none</p>' : `<ul>${d.newLicenses.items.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>${more(d.newLicenses)}`}
<h3>Changed (${d.changed.total})</h3>${table(
    ['package', 'from', 'to'],
    d.changed.items.map((c) => `<tr>${cell(c.name)}${cell(c.from)}${cell(c.to)}</tr>`),
  )}${more(d.changed)}
<h3>Added (${d.added.total})</h3>${table(['package', 'version', 'licenses'], pkgRows(d.added))}${more(d.added)}
<h3>Removed (${d.removed.total})</h3>${table(['package', 'version', 'licenses'], pkgRows(d.removed))}${more(d.removed)}`;
}

function findingsBody(f: ViewFindings): string {
  return `<p>${esc(f.scanner)}: ${esc(countsLabel(f))} <span class="muted">(counted / policy maximum)</span></p>
<h3>Counted findings (${f.open.total})</h3>${table(
    ['id', 'severity', 'package', 'fixed in', 'summary'],
    f.open.items.map(
      (x) =>
        `<tr>${cell(x.id)}${cell(x.severity)}${cell(packageLabel({ name: x.packageName, version: x.packageVersion }))}${cell(x.fixedIn ?? '')}${cell(x.title ?? '')}</tr>`,
    ),
  )}${more(f.open)}
<h3>Excepted (${f.excepted.total})</h3>${table(
    ['id', 'severity', 'package', 'by', 'owner', 'justification', 'expires'],
    f.excepted.items.map(
      (x) =>
        `<tr>${cell(x.id)}${cell(x.severity)}${cell(packageLabel({ name: x.packageName, version: x.packageVersion }))}${cell(
          x.via === 'vex' ? `VEX (${x.source})` : 'policy ignore',
        )}${cell(x.owner)}${cell(x.justification)}${cell(x.expires)}</tr>`,
    ),
  )}${more(f.excepted)}`;
}

function evalBody(e: ViewEval): string {
  const against =
    e.previousDigest === null
      ? '<p>No previous promoted release to compare with.</p>'
      : `<p>Compared with the last promoted release <code>${esc(e.previousDigest)}</code> (allowed regression ${esc(formatNumber(e.maxRegression))}).</p>`;
  return `${against}${table(
    ['metric', 'this release', 'previous', 'delta', 'threshold'],
    e.metrics.items.map((m) => {
      return `<tr>${cell(m.name)}${cell(formatNumber(m.value))}${cell(m.previous === null ? 'n/a' : formatNumber(m.previous))}${cell(
        formatDelta(m.delta),
        m.trend ?? '',
      )}${cell(thresholdLabel(m))}</tr>`;
    }),
  )}${more(e.metrics)}`;
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
