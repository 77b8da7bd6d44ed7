import { COLLECTED_KINDS, type CollectedKind, type EvidenceResult } from '../types.js';
import type { CollectContext } from './context.js';
import { collectDependencyDiff } from './dependency-diff.js';
import { collectEval } from './eval.js';
import { collectLockfile } from './lockfile.js';
import { collectProvenance } from './provenance.js';
import { collectSbom } from './sbom.js';
import { collectScan, type ScanWaitOutcome } from './scan.js';
import { collectSignature } from './signature.js';

/**
 * When a kind is gathered: `collect` kinds read only the registry and the scanner (the ASL's
 * CollectEvidence Parallel); `derive` kinds read the first stage's stored evidence (DeriveEvidence).
 * `test/infra/asl.test.ts` checks that the ASL's branches are exactly these.
 */
export type EvidenceStage = 'collect' | 'derive';

export interface EvidenceKindEntry {
  readonly stage: EvidenceStage;
  /** The collector; `scanWait` is WaitForScan's outcome, which only the scan collector reads. */
  readonly collect: (ctx: CollectContext, scanWait: ScanWaitOutcome | undefined) => Promise<EvidenceResult>;
}

/**
 * The one registry of collected evidence kinds: each kind's stage and collector. The kind names and
 * their report order are `EVIDENCE_KINDS` (types.ts); the record type makes this table exhaustive.
 */
export const EVIDENCE_REGISTRY: { readonly [K in CollectedKind]: EvidenceKindEntry } = {
  lockfile: { stage: 'derive', collect: (ctx) => collectLockfile(ctx) },
  'dependency-diff': { stage: 'derive', collect: (ctx) => collectDependencyDiff(ctx) },
  sbom: { stage: 'collect', collect: (ctx) => collectSbom(ctx) },
  provenance: { stage: 'collect', collect: (ctx) => collectProvenance(ctx) },
  signature: { stage: 'collect', collect: (ctx) => collectSignature(ctx) },
  scan: { stage: 'collect', collect: (ctx, scanWait) => collectScan(ctx, scanWait) },
  eval: { stage: 'collect', collect: (ctx) => collectEval(ctx) },
};

/** The collected kinds of one stage, in report order. */
export function kindsOfStage(stage: EvidenceStage): CollectedKind[] {
  return COLLECTED_KINDS.filter((k) => EVIDENCE_REGISTRY[k].stage === stage);
}
