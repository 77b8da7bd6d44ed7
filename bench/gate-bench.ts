import { buildScenarioImage } from '../cli/fixtures/factory.js';
import { DEFAULT_NPM_PACKAGES, type SignatureMode } from '../cli/fixtures/scenarios.js';
import { countTransitions } from '../cli/local/step-functions.js';
import { startBenchGate } from './bench-gate.js';
import { formatTable, mean, ms, percentile, perSecond, type Section } from './report.js';
import { measureRollback } from './rollback-bench.js';

/** Step Functions Standard: $0.025 per 1,000 state transitions (us-east-1, https://aws.amazon.com/step-functions/pricing/). */
export const USD_PER_1000_TRANSITIONS = 0.025;

/** Releases (half of them unsigned) pushed at once before the measured runs. */
const WARM_UP_RELEASES = 8;

export interface GateBenchOptions {
  readonly releases: number;
  /** Good images pushed one after another, for the latency of a release on an idle gate. */
  readonly sequential: number;
  readonly log: (line: string) => void;
}

interface ReleaseSample {
  readonly repository: string;
  readonly expected: 'PROMOTED' | 'QUARANTINED';
  readonly outcome: string;
  readonly pushToOutcomeMs: number | undefined;
  readonly pushToApprovalRequestMs: number | undefined;
  readonly transitions: number;
}

interface RunResult {
  readonly label: string;
  readonly wallMs: number;
  readonly samples: readonly ReleaseSample[];
}

interface BuiltImage {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly expected: ReleaseSample['expected'];
}

interface Timings {
  readonly pushedAt: Map<string, number>;
  readonly approvalAt: Map<string, number>;
  readonly outcomeAt: Map<string, number>;
}

/**
 * Section 1: the embedded stack (same ASL and handlers, dynalite + s3rver, OCI layout), N distinct
 * images pushed at once with auto-approval. Two runs: all good, then half unsigned (quarantined).
 */
export async function benchGate(opts: GateBenchOptions): Promise<Section> {
  const { gate, keys, registry, advisories, startMs, approvalErrors, stop } = await startBenchGate();
  const timings: Timings = { pushedAt: new Map(), approvalAt: new Map(), outcomeAt: new Map() };
  gate.onOutcome((e) => {
    const key = `${String(e.detail.repository)}@${String(e.detail.digest)}`;
    const at = e.at.getTime();
    if (e.type === 'Approval Requested') timings.approvalAt.set(key, at);
    else timings.outcomeAt.set(key, at);
  });

  try {
    const build = async (prefix: string, count: number, unsignedEvery: number) => {
      const t0 = performance.now();
      const images: BuiltImage[] = [];
      for (let i = 0; i < count; i++) {
        const unsigned = unsignedEvery > 0 && i % unsignedEvery === unsignedEvery - 1;
        const signature: SignatureMode = unsigned ? 'none' : 'trusted';
        const repository = `demo/${prefix}-${String(i).padStart(3, '0')}`;
        const tag = `1.${i}.0`;
        const built = await buildScenarioImage(
          registry,
          { repository, tag, npmPackages: DEFAULT_NPM_PACKAGES, signature },
          keys,
        );
        images.push({ repository, tag, digest: built.digest, expected: unsigned ? 'QUARANTINED' : 'PROMOTED' });
      }
      return { images, buildMs: performance.now() - t0 };
    };

    const runOne = async (img: BuiltImage, t0: number): Promise<ReleaseSample> => {
      const key = `${img.repository}@${img.digest}`;
      timings.pushedAt.set(key, Date.now());
      const pushed = await gate.push(img.repository, img.tag);
      if (pushed.executionName === null) throw new Error(`${img.repository}: the push started no execution`);
      const exec = await gate.waitForExecution(pushed.executionName);
      const rel = await gate.deps.gate.store.getRelease(img.repository, img.digest);
      const pushedAt = timings.pushedAt.get(key) ?? t0;
      const outcomeAt = timings.outcomeAt.get(key);
      const approvalAt = timings.approvalAt.get(key);
      return {
        repository: img.repository,
        expected: img.expected,
        outcome: rel?.outcome ?? `NONE (${exec.status}${exec.error === undefined ? '' : `: ${exec.error}`})`,
        pushToOutcomeMs: outcomeAt === undefined ? undefined : outcomeAt - pushedAt,
        pushToApprovalRequestMs: approvalAt === undefined ? undefined : approvalAt - pushedAt,
        transitions: countTransitions(exec.events),
      };
    };

    /** All images pushed at once, or (`sequential`) each after the previous one's outcome. */
    const run = async (label: string, images: readonly BuiltImage[], sequential = false): Promise<RunResult> => {
      const t0 = Date.now();
      const samples: ReleaseSample[] = [];
      if (sequential) for (const img of images) samples.push(await runOne(img, t0));
      else samples.push(...(await Promise.all(images.map((img) => runOne(img, t0)))));
      return { label, wallMs: Date.now() - t0, samples };
    };

    // A few releases first: JIT, lazy imports, SDK client and dynalite/s3rver set-up are not throughput.
    const warm = await build('bench-warmup', WARM_UP_RELEASES, 2);
    await run('warm-up', warm.images);

    const good = await build('bench-good', opts.releases, 0);
    opts.log(`  built ${opts.releases} good images in ${ms(Math.round(good.buildMs))}`);
    const goodRun = await run(`${opts.releases} good`, good.images);
    opts.log(`  run "${goodRun.label}" done in ${ms(goodRun.wallMs)}`);
    const mixed = await build('bench-mixed', opts.releases, 2);
    opts.log(`  built ${opts.releases} mixed images in ${ms(Math.round(mixed.buildMs))}`);
    const mixedRun = await run(`${opts.releases} half unsigned`, mixed.images);
    opts.log(`  run "${mixedRun.label}" done in ${ms(mixedRun.wallMs)}`);

    const alone = await build('bench-alone', opts.sequential, 0);
    const aloneRun = await run(`${opts.sequential} one at a time`, alone.images, true);
    opts.log(`  run "${aloneRun.label}" done in ${ms(aloneRun.wallMs)}`);

    const rollback = await measureRollback(gate, registry, keys, advisories);
    opts.log(`  ${rollback.line}`);

    const runs = [goodRun, mixedRun, aloneRun];
    const unexpected = runs.flatMap((r) => r.samples.filter((s) => s.outcome !== s.expected));
    return {
      title: '1. Gate throughput and latency (embedded stack)',
      method: [
        'LocalGate: the deployed ASL on aws-local-stepfunctions, every Task on its real handler, dynalite (in memory)',
        `and s3rver (temp dir), OCI layout in a temp dir, ${advisories.length} fixture advisor${advisories.length === 1 ? 'y' : 'ies'}. Runs push N distinct`,
        'images (one repository each) at once, or one after another; approval requests are answered over HTTP by an auto-approver.',
        `Latencies from the push event to the outcome / approval-request events; stack start ${ms(Math.round(startMs))}, ${WARM_UP_RELEASES} warm-up releases (both paths) excluded.`,
      ],
      tables: [throughputTable(runs), latencyTable(runs), transitionTable(runs)],
      targets: [rollback.target],
      notes: [
        ...(unexpected.length === 0
          ? ['Every release reached its expected outcome (good → PROMOTED, unsigned → QUARANTINED).']
          : [
              `UNEXPECTED OUTCOMES: ${unexpected.length}`,
              ...unexpected.slice(0, 5).map((s) => `  ${s.repository}: expected ${s.expected}, got ${s.outcome}`),
            ]),
        ...(approvalErrors.length === 0
          ? []
          : [`auto-approval failures: ${approvalErrors.length}: ${approvalErrors[0]}`]),
        'With N pushed at once, latency is mostly queueing: the whole stack is one Node process on this machine;',
        'the one-at-a-time run shows the latency of a release on an idle gate.',
        rollback.line,
        `Step Functions Standard at $${USD_PER_1000_TRANSITIONS} per 1,000 transitions; the free tier (4,000/month) is ignored.`,
      ],
    };
  } finally {
    await stop();
  }
}

function count(samples: readonly ReleaseSample[], outcome: string): number {
  return samples.filter((s) => s.outcome === outcome).length;
}

function throughputTable(runs: readonly RunResult[]): string {
  return formatTable(
    [
      { header: 'run' },
      { header: 'releases' },
      { header: 'promoted' },
      { header: 'quarantined' },
      { header: 'wall time' },
      { header: 'releases/s' },
    ],
    runs.map((r) => [
      r.label,
      r.samples.length,
      count(r.samples, 'PROMOTED'),
      count(r.samples, 'QUARANTINED'),
      ms(r.wallMs),
      perSecond(r.samples.length, r.wallMs),
    ]),
  );
}

function latencyTable(runs: readonly RunResult[]): string {
  const rows: string[][] = [];
  for (const r of runs) {
    const metrics: [string, (s: ReleaseSample) => number | undefined, string][] = [
      ['push → Promoted', (s) => (s.outcome === 'PROMOTED' ? s.pushToOutcomeMs : undefined), 'PROMOTED'],
      ['push → Quarantined', (s) => (s.outcome === 'QUARANTINED' ? s.pushToOutcomeMs : undefined), 'QUARANTINED'],
      ['push → approval request', (s) => s.pushToApprovalRequestMs, 'PROMOTED'],
    ];
    for (const [name, pick] of metrics) {
      const values = r.samples.map(pick).filter((v): v is number => v !== undefined);
      if (values.length === 0) continue;
      rows.push([
        r.label,
        name,
        String(values.length),
        ms(percentile(values, 50)),
        ms(percentile(values, 95)),
        ms(Math.max(...values)),
      ]);
    }
  }
  return formatTable(
    [
      { header: 'run' },
      { header: 'latency', align: 'left' },
      { header: 'n' },
      { header: 'p50' },
      { header: 'p95' },
      { header: 'max' },
    ],
    rows,
  );
}

function transitionTable(runs: readonly RunResult[]): string {
  const rows: (string | number)[][] = [];
  for (const r of runs) {
    for (const outcome of ['PROMOTED', 'QUARANTINED']) {
      const values = r.samples.filter((s) => s.outcome === outcome).map((s) => s.transitions);
      const avg = mean(values);
      if (avg === undefined) continue;
      rows.push([
        r.label,
        outcome,
        Math.min(...values),
        Math.round(avg * 10) / 10,
        Math.max(...values),
        `$${(avg * USD_PER_1000_TRANSITIONS).toFixed(3)}`,
      ]);
    }
    const all = mean(r.samples.map((s) => s.transitions));
    if (all !== undefined) {
      rows.push([r.label, 'all', '', Math.round(all * 10) / 10, '', `$${(all * USD_PER_1000_TRANSITIONS).toFixed(3)}`]);
    }
  }
  return formatTable(
    [
      { header: 'run' },
      { header: 'path', align: 'left' },
      { header: 'transitions min' },
      { header: 'avg' },
      { header: 'max' },
      { header: 'SFN cost / 1,000 releases' },
    ],
    rows,
  );
}
