/**
 * The facts of an approval view (workflow/approval-view.ts) as plain lines, one builder shared by
 * the mail and the Slack message so that both show the same facts: counts plus the top entries of
 * each list (the page has them all). Lines are unescaped text: each renderer escapes them for its
 * own format (HTML, mrkdwn) and keeps them on one line.
 */
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

export interface FactSection {
  readonly title: string;
  readonly lines: readonly string[];
}

/** The build facts: source repository and ref, commit, builder. */
export function buildLines(v: ApprovalView): string[] {
  const build = v.build.ok ? v.build.value : null;
  return [
    `Source:     ${build === null ? `not available: ${v.build.ok ? '' : v.build.unavailable}` : sourceLabel(build)}`,
    `Commit:     ${build?.commit ?? '(none recorded)'}`,
    `Builder:    ${build?.builderId ?? '(none recorded)'}`,
  ];
}

/** Dependency changes, findings (counted and excepted) and eval metrics, `top` entries per list. */
export function detailSections(v: ApprovalView, top: number): FactSection[] {
  const first = <T>(b: Bounded<T>): readonly T[] => b.items.slice(0, top);
  const andMore = (b: Bounded<unknown>): string => (b.total > top ? ` (and ${b.total - top} more on the page)` : '');
  const moreLine = (b: Bounded<unknown>, what: string): string[] =>
    b.total > top ? [`${b.total - top} more ${what} on the page`] : [];
  const diff = !v.diff.ok
    ? [`not available: ${v.diff.unavailable}`]
    : v.diff.value.previousDigest === null
      ? ['first release of this repository: nothing to compare with']
      : [
          `since ${v.diff.value.previousDigest}: +${v.diff.value.added.total} −${v.diff.value.removed.total} ~${v.diff.value.changed.total}`,
          `new licenses: ${v.diff.value.newLicenses.total === 0 ? 'none' : first(v.diff.value.newLicenses).join(', ')}${andMore(v.diff.value.newLicenses)}`,
          ...first(v.diff.value.changed).map((c) => `~ ${c.name} ${c.from} → ${c.to}`),
          ...first(v.diff.value.added).map((p) => `+ ${packageLabel(p)}`),
          ...first(v.diff.value.removed).map((p) => `- ${packageLabel(p)}`),
          ...([v.diff.value.changed, v.diff.value.added, v.diff.value.removed].some((b) => b.total > top)
            ? ['the full list is on the page']
            : []),
        ];
  const findings = !v.findings.ok
    ? [`not available: ${v.findings.unavailable}`]
    : [
        `${v.findings.value.scanner}: ${countsLabel(v.findings.value)}; ${v.findings.value.open.total} counted, ${v.findings.value.excepted.total} excepted`,
        ...first(v.findings.value.open).map(
          (f) => `${f.severity} ${f.id} in ${packageLabel({ name: f.packageName, version: f.packageVersion })}`,
        ),
        ...moreLine(v.findings.value.open, 'findings'),
        ...first(v.findings.value.excepted).map(
          (f) =>
            `excepted ${f.id} in ${packageLabel({ name: f.packageName, version: f.packageVersion })}: ${f.via === 'vex' ? 'VEX' : 'policy ignore'} by ${f.owner} (${f.justification}), expires ${f.expires}`,
        ),
        ...moreLine(v.findings.value.excepted, 'exceptions'),
      ];
  const evalLines = !v.eval.ok
    ? [`not available: ${v.eval.unavailable}`]
    : [
        ...first(v.eval.value.metrics).map(
          (m) =>
            `${m.name}: ${formatNumber(m.value)} (previous ${m.previous === null ? 'n/a' : formatNumber(m.previous)}, delta ${formatDelta(m.delta)}, threshold ${thresholdLabel(m)})`,
        ),
        ...moreLine(v.eval.value.metrics, 'metrics'),
      ];
  return [
    { title: 'Dependency changes', lines: diff },
    { title: 'Vulnerability findings', lines: findings },
    { title: 'Evaluation metrics', lines: evalLines },
  ];
}
