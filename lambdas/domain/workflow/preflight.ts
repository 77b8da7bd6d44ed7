import { kindsOfStage } from '../evidence/registry.js';
import { evaluatePolicy } from '../policy/evaluate.js';
import { policyFor } from '../policy/rules.js';
import type { EvidenceStatus, ImageSubject } from '../types.js';
import { type CollectDeps, collectEvidence } from './collect-evidence.js';

export interface PreflightReport {
  readonly image: { repository: string; digest: string; registry: string; reference: string };
  readonly stage: string;
  readonly policyDigest: string;
  readonly decision: 'PASS' | 'BLOCK';
  readonly reasons: readonly string[];
  readonly evidence: readonly { kind: string; status: EvidenceStatus; required: boolean; reasons: readonly string[] }[];
}

/**
 * `release-gate gate`: the same collectors and the same policy function as the workflow, without
 * the workflow. Approval is not collected here (it is the workflow's human step); a PASS means
 * "ready for approval" when the stage requires one.
 */
export async function preflight(
  deps: CollectDeps,
  subject: ImageSubject & { reference: string },
  stage: string,
): Promise<PreflightReport> {
  const ref = { repository: subject.repository, digest: subject.digest, stage };
  // The workflow's two stages, in the same order: `derive` kinds read the `collect` kinds' evidence.
  await Promise.all(kindsOfStage('collect').map((kind) => collectEvidence(deps, { ...ref, kind })));
  await Promise.all(kindsOfStage('derive').map((kind) => collectEvidence(deps, { ...ref, kind })));
  const evidence = await deps.store.listEvidence(subject.repository, subject.digest);
  const decision = evaluatePolicy(policyFor(deps.policy.document, subject.repository), stage, evidence);
  return {
    image: {
      repository: subject.repository,
      digest: subject.digest,
      registry: deps.registry.location,
      reference: subject.reference,
    },
    stage,
    policyDigest: deps.policy.digest,
    decision: decision.decision,
    reasons: decision.reasons,
    evidence: decision.evidence.map((e) =>
      e.kind === 'approval'
        ? { ...e, reasons: e.required ? ['approval is given in the workflow, not in the preflight'] : [] }
        : e,
    ),
  };
}
