import type { StoredEvidence } from '../ports.js';
import { EVIDENCE_KINDS, type EvidenceKind, type EvidenceStatus } from '../types.js';
import { approvalRulesFor, type RepositoryPolicy } from './schema.js';

export interface PolicyDecision {
  readonly decision: 'PASS' | 'BLOCK';
  /** Why it blocked (one line per failing required kind), or what passed. */
  readonly reasons: readonly string[];
  readonly required: readonly EvidenceKind[];
  /** True when the stage requires a human approval before promotion. */
  readonly approvalRequired: boolean;
  readonly approvalTimeoutSeconds: number;
  /** Every kind's status as seen by this decision (NOT_REQUIRED kinds included for the report). */
  readonly evidence: readonly {
    kind: EvidenceKind;
    status: EvidenceStatus;
    required: boolean;
    reasons: readonly string[];
  }[];
}

/**
 * The gate's decision: a pure function of (policy, stage, evidence). Approval is not evaluated here:
 * it happens after this decision and Promote re-checks it. Every required kind must be PASS;
 * absent, FAIL, MISSING and ERROR all block. An unknown stage blocks.
 */
export function evaluatePolicy(
  policy: RepositoryPolicy,
  stage: string,
  evidence: readonly Pick<StoredEvidence, 'kind' | 'status' | 'reasons'>[],
): PolicyDecision {
  const stageDef = policy.stages[stage];
  const byKind = new Map(evidence.map((e) => [e.kind, e]));
  const approvalTimeoutSeconds = approvalRulesFor(policy, stage).timeoutSeconds;
  if (stageDef === undefined) {
    return {
      decision: 'BLOCK',
      reasons: [`stage "${stage}" is not defined in the policy (defined: ${Object.keys(policy.stages).join(', ')})`],
      required: [],
      approvalRequired: false,
      approvalTimeoutSeconds,
      evidence: EVIDENCE_KINDS.map((kind) => ({
        kind,
        status: byKind.get(kind)?.status ?? 'MISSING',
        required: false,
        reasons: byKind.get(kind)?.reasons ?? [],
      })),
    };
  }
  const required = [...new Set(stageDef.require)];
  const blockers: string[] = [];
  const rows = EVIDENCE_KINDS.map((kind) => {
    const isRequired = required.includes(kind);
    const ev = byKind.get(kind);
    if (kind === 'approval') {
      return { kind, status: ev?.status ?? ('MISSING' as const), required: isRequired, reasons: ev?.reasons ?? [] };
    }
    if (ev === undefined) {
      if (isRequired) blockers.push(`${kind}: MISSING: no evidence was recorded`);
      return { kind, status: 'MISSING' as const, required: isRequired, reasons: ['no evidence was recorded'] };
    }
    if (isRequired && ev.status !== 'PASS') {
      const why = ev.reasons.length > 0 ? ev.reasons.join('; ') : 'no reason given';
      blockers.push(`${kind}: ${ev.status}: ${why}`);
    }
    return { kind, status: ev.status, required: isRequired, reasons: ev.reasons };
  });
  const approvalRequired = required.includes('approval');
  if (blockers.length > 0) {
    return { decision: 'BLOCK', reasons: blockers, required, approvalRequired, approvalTimeoutSeconds, evidence: rows };
  }
  const passed = required.filter((k) => k !== 'approval');
  return {
    decision: 'PASS',
    reasons: [
      `all required evidence passed for stage ${stage}: ${passed.join(', ')}`,
      ...(approvalRequired ? ['awaiting human approval'] : []),
    ],
    required,
    approvalRequired,
    approvalTimeoutSeconds,
    evidence: rows,
  };
}
