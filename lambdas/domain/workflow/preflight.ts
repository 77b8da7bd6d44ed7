import { evaluatePolicy } from '../policy/evaluate.js';
import { policyFor } from '../policy/load.js';
import type { CollectedKind, EvidenceStatus, ImageSubject } from '../types.js';
import type { CollectDeps } from './collect.js';
import { collectEvidence } from './collect.js';

export interface PreflightReport {
  readonly image: { repository: string; digest: string; registry: string; reference: string };
  readonly stage: string;
  readonly policyDigest: string;
  readonly decision: 'PASS' | 'BLOCK';
  readonly reasons: readonly string[];
  readonly evidence: readonly { kind: string; status: EvidenceStatus; required: boolean; reasons: readonly string[] }[];
}

/** Kinds that read nothing but the registry and scanner; then those that read the first ones' evidence. */
const FIRST: readonly CollectedKind[] = ['sbom', 'provenance', 'signature', 'scan', 'eval'];
const SECOND: readonly CollectedKind[] = ['dependency-diff', 'lockfile'];

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
  await Promise.all(FIRST.map((kind) => collectEvidence(deps, { ...ref, kind })));
  await Promise.all(SECOND.map((kind) => collectEvidence(deps, { ...ref, kind })));
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
