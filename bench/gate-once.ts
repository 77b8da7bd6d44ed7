/**
 * One gate run as the preflight does it, timed per collector: shared by the floor bench and its
 * child process (bench/floor-child.ts). Its own module, with only the gate's imports, so the child
 * bundles (and holds in memory) the gate and nothing of the bench's fixtures.
 */
import { MemoryStore } from '../lambdas/adapters/store/memory-store.js';
import { kindsOfStage } from '../lambdas/domain/evidence/registry.js';
import { INDEX_SET_MEDIA_TYPE } from '../lambdas/domain/package-index.js';
import { evaluatePolicy } from '../lambdas/domain/policy/evaluate.js';
import { type LoadedPolicy, policyFor } from '../lambdas/domain/policy/load.js';
import type { RegistryWriter, ScanFindingsSource } from '../lambdas/domain/ports.js';
import type { CollectedKind, Digest } from '../lambdas/domain/types.js';
import { type CollectDeps, collectEvidence } from '../lambdas/domain/workflow/collect-evidence.js';

/** The repository and stage the floor bench's releases are gated as. */
export const REPOSITORY = 'demo/bench-floor';
export const STAGE = 'production';

/** A completed scan without findings: the scan collector's own work, not a scanner's. */
export const cleanScan: ScanFindingsSource = {
  getFindings: async () => ({ status: 'COMPLETE', scanner: 'bench', findings: [] }),
};

export interface GateTimes {
  readonly totalMs: number;
  readonly byStep: ReadonlyMap<string, number>;
  readonly decision: string;
  /** `kind STATUS: first reason` of each collected evidence that did not pass. */
  readonly notPassed: readonly string[];
  /** Stored documents by name (the largest of a name), bytes. */
  readonly documentSizes: ReadonlyMap<string, number>;
}

/**
 * Gates `digest` once as the preflight does (collect stage, derive stage, policy), one collector at
 * a time so each gets its own time, on a fresh store (a first release). The package index write is
 * timed apart from the sbom collector that triggers it.
 */
export async function gateOnce(registry: RegistryWriter, policy: LoadedPolicy, digest: Digest): Promise<GateTimes> {
  const store = new MemoryStore();
  const byStep = new Map<string, number>();
  // The package index, from storing its entry set to completing its node (package-index.ts); the
  // entries it is built from are made in the sbom collector's time.
  let indexStart: number | undefined;
  const put = store.put.bind(store);
  store.put = async (bytes: Uint8Array, mediaType: string) => {
    if (mediaType === INDEX_SET_MEDIA_TYPE) indexStart = performance.now();
    return put(bytes, mediaType);
  };
  const complete = store.completeIndexNode.bind(store);
  store.completeIndexNode = async (...args: Parameters<MemoryStore['completeIndexNode']>) => {
    try {
      return await complete(...args);
    } finally {
      if (indexStart !== undefined) {
        byStep.set('package index', (byStep.get('package index') ?? 0) + performance.now() - indexStart);
        indexStart = undefined;
      }
    }
  };
  const deps: CollectDeps = {
    registry,
    policy,
    store,
    documents: store,
    scans: cleanScan,
    clock: { now: () => new Date() },
  };
  const t0 = performance.now();
  const ref = { repository: REPOSITORY, digest, stage: STAGE };
  const run = async (kind: CollectedKind) => {
    const s0 = performance.now();
    await collectEvidence(deps, { ...ref, kind });
    byStep.set(kind, performance.now() - s0 - (kind === 'sbom' ? (byStep.get('package index') ?? 0) : 0));
  };
  for (const kind of kindsOfStage('collect')) await run(kind);
  for (const kind of kindsOfStage('derive')) await run(kind);
  const p0 = performance.now();
  const evidence = await store.listEvidence(REPOSITORY, digest);
  const decision = evaluatePolicy(policyFor(policy.document, REPOSITORY), STAGE, evidence);
  byStep.set('policy', performance.now() - p0);
  const totalMs = performance.now() - t0;
  const documentSizes = new Map<string, number>();
  for (const e of evidence) {
    for (const d of e.documents) documentSizes.set(d.name, Math.max(d.size, documentSizes.get(d.name) ?? 0));
  }
  const notPassed = evidence
    .filter((e) => e.status !== 'PASS')
    .map((e) => `${e.kind} ${e.status}: ${(e.reasons[0] ?? '').slice(0, 200)}`);
  return { totalMs, byStep, decision: decision.decision, notPassed, documentSizes };
}
