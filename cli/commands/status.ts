/**
 * `release-gate status [<digest>] --aws`: what the gate on AWS recorded, through the ops API's
 * status route, printed as the local `status` prints the local stack's records.
 */
import { approvalTrailLines } from '../approval-trail.js';
import { printable } from '../printable.js';
import { incidentLines } from './incident.js';
import type { StatusAnswer } from './ops-responses.js';

/** The status lines of `releases`; `detailed` (a digest was asked) adds reasons, evidence and the trail. */
export function formatStatus(releases: StatusAnswer['releases'], detailed: boolean): string {
  const lines: string[] = [];
  for (const r of releases) {
    const outcome = r.outcome && r.outcome !== r.state ? ` (${r.outcome})` : '';
    lines.push(`${printable(r.repository)}@${r.digest}  ${r.state}${outcome}  recorded ${printable(r.recordedAt)}`);
    if (detailed) for (const why of r.outcomeReasons ?? []) lines.push(`    reason: ${printable(why)}`);
    lines.push(...incidentLines(r, r.revocation, r.promotions));
    for (const e of r.evidence) {
      lines.push(`    ${e.kind.padEnd(16)} ${e.status.padEnd(8)} ${printable(e.reasons.join('; ').slice(0, 200))}`);
      for (const d of e.documents) lines.push(`      ${printable(d.uri)}  ${printable(d.name)}`);
    }
    if (r.approvalTrail.length > 0) lines.push('    approval trail:');
    for (const line of approvalTrailLines(r.approvalTrail)) lines.push(`      ${line}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
