/**
 * Rollback wall time on the embedded stack (issue 9 §3: "rollback is one command and takes seconds,
 * re-verification included"): two releases of one repository promoted by the workflow, then
 * production rolled back and forth between them, each time re-verified (signature and attestations
 * collected again from the registry, the stored SBOM against the advisories, today's policy).
 */
import { buildScenarioImage } from '../cli/fixtures/factory.js';
import type { FixtureKeys } from '../cli/fixtures/keys.js';
import { DEFAULT_NPM_PACKAGES } from '../cli/fixtures/scenarios.js';
import type { LocalGate } from '../cli/local/gate.js';
import { rollbackRelease } from '../lambdas/domain/incident/rollback.js';
import type { OsvRecord } from '../lambdas/domain/osv/schema.js';
import type { RegistryWriter } from '../lambdas/domain/ports.js';
import { startBenchGate } from './bench-gate.js';
import { ms, percentile, type Section, type Target } from './report.js';

const REPOSITORY = 'demo/bench-rollback';
const ROLLBACKS = 6;

/** Promotes two releases through `gate`, then times ROLLBACKS rollbacks between them: a note line and the target. */
export async function measureRollback(
  gate: LocalGate,
  registry: RegistryWriter,
  keys: FixtureKeys,
  advisories: readonly OsvRecord[],
): Promise<{ readonly line: string; readonly target: Target }> {
  const digests: string[] = [];
  for (const tag of ['1.0.0', '1.1.0']) {
    const built = await buildScenarioImage(
      registry,
      { repository: REPOSITORY, tag, npmPackages: DEFAULT_NPM_PACKAGES },
      keys,
    );
    const pushed = await gate.push(REPOSITORY, tag);
    await gate.waitForExecution(pushed.executionName ?? '');
    digests.push(built.digest);
  }
  const samples: number[] = [];
  const refused: string[] = [];
  for (let i = 0; i < ROLLBACKS; i++) {
    const to = digests[i % 2];
    const t0 = performance.now();
    const out = await rollbackRelease(
      { ...gate.deps.gate, advisories },
      {
        repository: REPOSITORY,
        operator: { kind: 'cli-local', subject: 'bench' },
        ...(to === undefined ? {} : { to }),
      },
    );
    samples.push(performance.now() - t0);
    if (out.outcome !== 'ROLLED_BACK') refused.push(out.reasons.join('; '));
  }
  const p50 = percentile(samples, 50);
  const max = percentile(samples, 100);
  const round = (n: number | undefined) => (n === undefined ? undefined : Math.round(n));
  const line = `Rollback, re-verification included (${ROLLBACKS} rollbacks between two promoted releases): p50 ${ms(round(p50))}, max ${ms(round(max))}${refused.length === 0 ? '' : `; REFUSED ${refused.length}: ${refused[0]}`} (target: ≤ 5 s).`;
  const target = {
    what: 'rollback, re-verification included (max)',
    measured: ms(round(max)),
    target: '≤ 5 s',
    met: refused.length === 0 && (max ?? Number.POSITIVE_INFINITY) <= 5000,
  };
  return { line, target };
}

/**
 * Section: rollback alone (`--only rollback`) on its own embedded stack; the gate section prints
 * the same figure after its runs.
 */
export async function benchRollback(): Promise<Section> {
  const { gate, keys, registry, advisories, startMs, approvalErrors, stop } = await startBenchGate();
  try {
    const { line, target } = await measureRollback(gate, registry, keys, advisories);
    return {
      title: '1b. Rollback with re-verification (embedded stack)',
      method: [
        `LocalGate as in section 1 (stack start ${ms(Math.round(startMs))}): two releases of one repository promoted by the workflow,`,
        `then ${ROLLBACKS} rollbacks between them through rollbackRelease, each re-verifying its target (signature and provenance`,
        "collected again from the registry with today's trust material, the stored SBOM against the fixture advisories,",
        "today's policy), moving the channel tag and appending to the track. Wall time per rollback.",
      ],
      tables: [],
      targets: [target],
      notes: [line, ...(approvalErrors.length === 0 ? [] : [`auto-approval failures: ${approvalErrors.join('; ')}`])],
    };
  } finally {
    await stop();
  }
}
