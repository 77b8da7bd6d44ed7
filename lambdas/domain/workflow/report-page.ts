import { cell, diffBody, esc, evalBody, evidenceSection, findingsBody, page, section, table } from './html.js';
import type { ReleaseReport } from './report.js';

/**
 * The evidence report of one release as a standalone HTML page (no scripts, no external resources:
 * it opens from S3 or a local file alike). Every value goes through `esc`.
 */
export function renderReportPage(r: ReleaseReport): string {
  const { release, decision } = r;
  const summary: [string, string][] = [
    ['Repository', release.repository],
    ['Digest', release.digest],
    ['Tags', r.tags.length === 0 ? (release.tag ?? '(none)') : r.tags.join(', ')],
    ['Stage', release.stage],
    ['State', `${release.state}${release.outcome && release.outcome !== release.state ? ` (${release.outcome})` : ''}`],
    ['Policy decision', decision === null ? 'none stored' : `${decision.decision} at ${decision.decidedAt}`],
    ['Policy', decision?.policyDigest ?? '-'],
    ['Decision document', decision?.documentDigest ?? '-'],
    ['Report generated', r.generatedAt],
  ];
  const reasons = release.outcomeReasons ?? decision?.reasons ?? [];
  const s = r.sections;
  const releaseSections =
    'unavailable' in s
      ? `<p class="muted">Evidence details not available: ${esc(s.unavailable)}</p>`
      : `${evidenceSection(s.evidence)}
${section('diff', 'Dependency changes', s.diff, diffBody)}
${section('findings', 'Vulnerability findings', s.findings, findingsBody)}
${section('eval', 'Evaluation metrics', s.eval, evalBody)}`;
  return page(
    `Evidence report ${release.repository}`,
    `<h1>Evidence report: <code>${esc(release.repository)}</code></h1>
<table id="summary">${summary.map(([k, v]) => `<tr><th>${esc(k)}</th>${cell(v)}</tr>`).join('')}</table>
<section id="reasons"><h2>Reasons</h2>${
      reasons.length === 0
        ? '<p class="muted">none</p>'
        : `<ul>${reasons.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`
    }</section>
<section id="newly-affected"><h2>Newly affected</h2>${alertsBody(r)}</section>
${releaseSections}
<section id="approvals"><h2>Approvals</h2>${approvalsBody(r)}</section>
<section id="approval-trail"><h2>Approval trail</h2>${table(
      ['when', 'what', 'who', 'via', 'from', 'state', 'outcome'],
      r.approvalTrail.map(
        (a) =>
          `<tr>${cell(a.at)}${cell(a.kind)}${cell(a.identity)}${cell(a.channel)}${cell(
            a.sourceIp === undefined ? '' : `${a.sourceIp}${a.userAgent === undefined ? '' : ` (${a.userAgent})`}`,
          )}${cell(`${a.state ?? ''}${a.code === undefined ? '' : ` [${a.code}]`}`)}${cell(a.outcome)}</tr>`,
      ),
    )}</section>
<section id="timeline"><h2>Timeline</h2>${table(
      ['when', 'what'],
      r.timeline.map((e) => `<tr>${cell(e.at)}${cell(e.what)}</tr>`),
    )}</section>
<section id="live"><h2>Live in production</h2>${table(
      ['repository', 'tag', 'from', 'until', 'replaced by'],
      r.liveWindows.map(
        (w) =>
          `<tr>${cell(w.targetRepository)}${cell(w.tag)}${cell(w.from)}${cell(w.until ?? 'live now')}${cell(w.replacedBy ?? '')}</tr>`,
      ),
    )}</section>`,
  );
}

function approvalsBody(r: ReleaseReport): string {
  if (r.approvals.length === 0) return '<p class="muted">No approval was requested.</p>';
  return r.approvals
    .map(
      (a) => `<h3>${esc(a.approvalId)}: ${esc(a.state)}</h3>
<p>Requested ${esc(a.requestedAt)}, ${a.approvals.length} of ${a.required} approval(s)${
        a.evidenceSetDigest === undefined ? '' : `, evidence set <code>${esc(a.evidenceSetDigest)}</code>`
      }${a.decidedBy === undefined ? '' : `; decided by ${esc(a.decidedBy)} at ${esc(a.decidedAt ?? '?')}`}.</p>
${table(
  ['who', 'how', 'when', 'comment'],
  a.approvals.map((e) => `<tr>${cell(e.person)}${cell(e.via ?? 'unknown')}${cell(e.at)}${cell(e.comment ?? '')}</tr>`),
)}${a.supersession === undefined ? '' : `<p class="muted">Superseded ${esc(a.supersession.at)}: ${esc(a.supersession.reason)}</p>`}`,
    )
    .join('\n');
}

/** Re-validation alerts: the advisory, when it was raised, and why each component matched. */
function alertsBody(r: ReleaseReport): string {
  if (r.alerts.length === 0) return '<p class="muted">No advisory has affected this release since it was gated.</p>';
  return r.alerts
    .map(
      (a) => `<h3>${esc(a.advisoryId)}${a.aliases.length === 0 ? '' : ` (${esc(a.aliases.join(', '))})`}${
        a.severity === undefined ? '' : `: ${esc(a.severity)}`
      }</h3>
<p>Raised ${esc(a.raisedAt)} by ${esc(a.trigger)} (${esc(a.source)})${
        a.announcedAt === undefined ? '; not announced yet' : `; announced ${esc(a.announcedAt)}`
      }.${a.summary === undefined ? '' : ` ${esc(a.summary)}`}</p>
${table(
  ['component', 'version', 'why it matched', 'fixed in'],
  a.matches.map(
    (m) =>
      `<tr>${cell(m.component)}${cell(m.version)}${cell(
        [
          m.package === undefined ? '' : `source package ${m.package}`,
          m.range ?? '',
          m.notEvaluable === undefined ? '' : `NOT EVALUABLE: ${m.notEvaluable}`,
        ]
          .filter((x) => x !== '')
          .join('; ') || `reported by ${a.trigger}`,
      )}${cell(m.fixedIn ?? '')}</tr>`,
  ),
)}`,
    )
    .join('\n');
}
