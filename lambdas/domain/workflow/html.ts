/**
 * The HTML both pages of a release share, the approval page (approval-page.ts) and the evidence
 * report (report-page.ts): the escaper, the page frame and its CSS, tables and the evidence,
 * dependency diff, findings and eval sections. Plain HTML without scripts: the pages work with
 * JavaScript off and under a `default-src 'none'` CSP (style in the document only).
 */
import {
  type ApprovalView,
  type Bounded,
  countsLabel,
  formatDelta,
  formatNumber,
  moreLabel,
  packageLabel,
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

export const page = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${esc(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
code{font-size:13px;background:#f3f4f6;padding:1px 4px;border-radius:3px;word-break:break-all}
table{border-collapse:collapse;width:100%;margin-bottom:1rem}td,th{border-bottom:1px solid #e5e7eb;padding:4px 6px;text-align:left;vertical-align:top}
th{font-weight:600}.PASS{color:#116329}.FAIL,.ERROR,.MISSING,.UNTRUSTED,.INVALID{color:#a40e26}
.worse{color:#a40e26}.better{color:#116329}.muted{color:#57606a}
button{font-size:15px;padding:.5rem 1.2rem;margin-top:.4rem}form{margin:1rem 0;padding:.8rem;border:1px solid #e5e7eb;border-radius:6px}
input[type=text],textarea{width:100%;padding:.4rem;margin:.2rem 0;box-sizing:border-box}</style></head><body>${body}</body></html>`;

export const cell = (s: string, cls = ''): string => `<td${cls ? ` class="${esc(cls)}"` : ''}>${esc(s)}</td>`;
export const table = (head: readonly string[], rows: readonly string[]): string =>
  rows.length === 0
    ? '<p class="muted">none</p>'
    : `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.join('')}</table>`;
export const more = (b: Bounded<unknown>): string => (moreLabel(b) ? `<p class="muted">${esc(moreLabel(b))}</p>` : '');
export const section = <T>(id: string, title: string, s: ViewSection<T>, body: (v: T) => string): string =>
  `<section id="${id}"><h2>${esc(title)}</h2>${s.ok ? body(s.value) : `<p class="muted">Not available: ${esc(s.unavailable)}</p>`}</section>`;

/** Every evidence kind: status and reasons. */
export function evidenceSection(evidence: ApprovalView['evidence']): string {
  return `<section id="evidence"><h2>Evidence</h2>${table(
    ['evidence', 'status', 'reasons'],
    evidence.map(
      (e) =>
        `<tr>${cell(e.kind)}${cell(e.status, e.status)}<td>${e.reasons.items.map((r) => esc(r)).join('<br>')}${
          moreLabel(e.reasons) ? `<br><span class="muted">${esc(moreLabel(e.reasons))}</span>` : ''
        }</td></tr>`,
    ),
  )}</section>`;
}

export function diffBody(d: ViewDiff): string {
  // A first release is not diffed: there is nothing to list.
  if (d.previousDigest === null) {
    return '<p>First release of this repository: no previous promoted release to compare with, every package is new.</p>';
  }
  const against = `<p>Compared with the last promoted release <code>${esc(d.previousDigest)}</code>: ${d.added.total} added, ${d.removed.total} removed, ${d.changed.total} changed, ${d.newLicenses.total} new license(s).</p>`;
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

export function findingsBody(f: ViewFindings): string {
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

export function evalBody(e: ViewEval): string {
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
