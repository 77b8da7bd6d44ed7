import type { ApprovalAuditRecord } from '../lambdas/domain/records.js';
import { printable } from './printable.js';

/**
 * The approval trail of a release as `release-gate status <digest>` prints it: one line per audit
 * record, oldest first: when, what, who and how that is known, from where, the state after, and
 * the outcome. Every field but the time and the kind is text someone else chose (an identity, a
 * user agent, a comment, a refusal quoting a link): it goes through `printable`.
 */
export function approvalTrailLines(trail: readonly ApprovalAuditRecord[]): string[] {
  return trail.map((r) => {
    const from =
      r.sourceIp === undefined ? '' : ` from ${r.sourceIp}${r.userAgent === undefined ? '' : ` (${r.userAgent})`}`;
    const state = r.state === undefined ? '' : ` ${r.state}`;
    const code = r.code === undefined ? '' : ` [${r.code}]`;
    return printable(`${r.at}  ${r.kind.padEnd(9)} ${r.identity} via ${r.channel}${from}:${state}${code} ${r.outcome}`);
  });
}
