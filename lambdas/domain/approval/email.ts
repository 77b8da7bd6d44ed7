/**
 * The approval request mail: the approval view (workflow/approval-view.ts) in a text part and an
 * HTML part, with the approver's own signed link. The mail shows counts plus the top entries of
 * each list; the page behind the link shows them in full. Every attacker-controlled string is
 * escaped in the HTML part and kept on one printable line in the text part.
 */
import type { ApprovalEmail } from '../ports.js';
import {
  type ApprovalView,
  type Bounded,
  countsLabel,
  formatDelta,
  formatNumber,
  packageLabel,
  sourceLabel,
  thresholdLabel,
} from '../workflow/approval-view.js';
import { esc } from '../workflow/html.js';

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

const top = <T>(b: Bounded<T>): readonly T[] => b.items.slice(0, MAIL_TOP);
const andMore = (b: Bounded<unknown>): string =>
  b.total > MAIL_TOP ? ` (and ${b.total - MAIL_TOP} more on the page)` : '';
const moreLine = (b: Bounded<unknown>, what: string): string[] =>
  b.total > MAIL_TOP ? [`${b.total - MAIL_TOP} more ${what} on the page`] : [];

/** The facts of the view as [label, lines] groups, shared by both parts so they never drift apart. */
function mailSections(v: ApprovalView): { title: string; lines: string[] }[] {
  const tags = v.tags.items.length === 0 ? '(none)' : v.tags.items.join(', ');
  const build = v.build.ok ? v.build.value : null;
  const summary = [
    `Repository: ${v.repository}`,
    `Tags:       ${tags}`,
    `Digest:     ${v.shortDigest}… (${v.digest})`,
    `Stage:      ${v.stage}`,
    `Pushed by:  ${v.pushers.length === 0 ? 'unknown' : v.pushers.join(', ')}`,
    `Source:     ${build === null ? `not available: ${v.build.ok ? '' : v.build.unavailable}` : sourceLabel(build)}`,
    `Commit:     ${build?.commit ?? '(none recorded)'}`,
    `Builder:    ${build?.builderId ?? '(none recorded)'}`,
    `Policy:     ${v.policyDecision}`,
    `Expires:    ${v.expiresAt}`,
    `Approvals:  ${v.quorum.approvals.length} of ${v.quorum.required}${
      v.quorum.approvals.length === 0
        ? ''
        : ` (${v.quorum.approvals.map((a) => (a.comment === undefined ? a.by : `${a.by}: ${a.comment}`)).join(', ')})`
    }`,
  ];
  const evidence = v.evidence.map((e) => `${e.kind.padEnd(16)} ${e.status.padEnd(8)} ${e.reasons.items.join('; ')}`);
  const diff = !v.diff.ok
    ? [`not available: ${v.diff.unavailable}`]
    : [
        v.diff.value.previousDigest === null
          ? 'first release of this repository'
          : `since ${v.diff.value.previousDigest}: +${v.diff.value.added.total} −${v.diff.value.removed.total} ~${v.diff.value.changed.total}`,
        `new licenses: ${v.diff.value.newLicenses.total === 0 ? 'none' : top(v.diff.value.newLicenses).join(', ')}${andMore(v.diff.value.newLicenses)}`,
        ...top(v.diff.value.changed).map((c) => `~ ${c.name} ${c.from} → ${c.to}`),
        ...top(v.diff.value.added).map((p) => `+ ${packageLabel(p)}`),
        ...top(v.diff.value.removed).map((p) => `- ${packageLabel(p)}`),
        ...([v.diff.value.changed, v.diff.value.added, v.diff.value.removed].some((b) => b.total > MAIL_TOP)
          ? ['the full list is on the page']
          : []),
      ];
  const findings = !v.findings.ok
    ? [`not available: ${v.findings.unavailable}`]
    : [
        `${v.findings.value.scanner}: ${countsLabel(v.findings.value)}; ${v.findings.value.open.total} counted, ${v.findings.value.excepted.total} excepted`,
        ...top(v.findings.value.open).map(
          (f) => `${f.severity} ${f.id} in ${packageLabel({ name: f.packageName, version: f.packageVersion })}`,
        ),
        ...moreLine(v.findings.value.open, 'findings'),
        ...top(v.findings.value.excepted).map(
          (f) =>
            `excepted ${f.id} in ${packageLabel({ name: f.packageName, version: f.packageVersion })}: ${f.via === 'vex' ? 'VEX' : 'policy ignore'} by ${f.owner} (${f.justification}), expires ${f.expires}`,
        ),
        ...moreLine(v.findings.value.excepted, 'exceptions'),
      ];
  const evalLines = !v.eval.ok
    ? [`not available: ${v.eval.unavailable}`]
    : v.eval.value.metrics.items.map(
        (m) =>
          `${m.name}: ${formatNumber(m.value)} (previous ${m.previous === null ? 'n/a' : formatNumber(m.previous)}, delta ${formatDelta(m.delta)}, threshold ${thresholdLabel(m)})`,
      );
  return [
    { title: 'Release', lines: summary },
    { title: 'Evidence', lines: evidence },
    { title: 'Dependency changes', lines: diff },
    { title: 'Vulnerability findings', lines: findings },
    { title: 'Evaluation metrics', lines: evalLines },
  ];
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
