/**
 * `npm run bench [-- --releases N] [-- --quick] [-- --fuzz] [-- --fuzz-inputs N] [-- --only NAME]`: prints throughput and
 * latency figures of the gate on the embedded stack, SBOM parsing, OSV matching, the evidence store and triage, then
 * the fuzz profile (at least 100,000 inputs); `--fuzz` runs only the fuzz profile, `--only NAME` only that section
 * (gate, sbom, osv, store, triage, drill, cost, cli, promote, bundles, floor, fuzz, or rollback: the rollback figure the gate section ends with, alone;
 * advisories: a rollback's advisory reading through the advisory index, with NODE_OPTIONS=--openssl-legacy-provider;
 * limit: the release at the SBOM component limit the floor section ends with, alone, median of 3 processes, and its peak RSS per Lambda). Figures only, no
 * thresholds: this machine's numbers are for orders of magnitude and regressions by eye.
 */
import '../cli/local/quiet-logs.js';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Limits } from '../lambdas/domain/limits.js';
import { benchAdvisories } from './advisories-bench.js';
import { benchBundles } from './bundles-bench.js';
import { benchCli } from './cli-bench.js';
import { benchCost } from './cost-bench.js';
import { benchDrill } from './drill-bench.js';
import { benchFloor, benchLimit } from './floor-bench.js';
import { benchFuzz } from './fuzz-bench.js';
import { benchGate } from './gate-bench.js';
import { exposeGc } from './memory.js';
import { benchOsv } from './osv-bench.js';
import { benchPromote } from './promote-bench.js';
import { formatSection, formatTargets, mib, ms, type Section, type Target } from './report.js';
import { benchRollback } from './rollback-bench.js';
import { benchSbom } from './sbom-bench.js';
import { benchStore } from './store-bench.js';
import { benchTriage } from './triage-bench.js';

interface BenchConfig {
  readonly releases: number;
  /** Inputs of the fuzz profile (all entry points together). */
  readonly fuzzInputs: number;
  /** `--fuzz`: run only the fuzz profile. */
  readonly fuzzOnly?: boolean;
  /** `--only NAME`: run only that section. */
  readonly only?: string;
  readonly sequential: number;
  readonly sbomComponents: number;
  readonly osvComponents: number;
  readonly syntheticAdvisories: number;
  readonly storeReleases: number;
  readonly purls: number;
  readonly queries: number;
  readonly minMs: number;
  /** Triage: releases × components each, and runs of each question. */
  readonly triageReleases: number;
  readonly triageComponents: number;
  readonly triageRepeats: number;
  /** Promote vs skopeo: image size and timed runs of each. */
  readonly promoteImageMiB: number;
  readonly promoteRuns: number;
  /** Cost: components per release, and changed fractions from one release to the next. */
  readonly costSizes: readonly number[];
  readonly costFractions: readonly number[];
  /** Lambda bundles: fresh processes timed per bundle's cold import. */
  readonly bundleRuns: number;
  /** Gate vs floor: timed runs, and the components of the release gated in a child process (0: none). */
  readonly floorRuns: number;
  readonly limitComponents: number;
}

/** Fresh processes of `--only limit` (a median of at least 3). */
const LIMIT_RUNS = 3;

/** The SBOM size issue 12 measures gate/floor at. */
const FLOOR_COMPONENTS = 5_000;

/** The fuzz profile's default size: at least 100,000 inputs over every entry point. */
const FUZZ_INPUTS = 100_000;

const FULL: BenchConfig = {
  releases: 40,
  fuzzInputs: FUZZ_INPUTS,
  sequential: 10,
  sbomComponents: 20_000,
  osvComponents: 20_000,
  syntheticAdvisories: 5_000,
  storeReleases: 400,
  purls: 10_000,
  queries: 500,
  minMs: 400,
  // The size: populating dynalite with its ~1.5 M index items takes ~6 min here (see the method text).
  triageReleases: 2_000,
  triageComponents: 500,
  triageRepeats: 20,
  // The size of the image the issue measured skopeo against.
  promoteImageMiB: 150,
  promoteRuns: 7,
  costSizes: [500, 5_000, 200_000],
  costFractions: [0.01, 0.05, 0.2],
  bundleRuns: 7,
  floorRuns: 7,
  limitComponents: Limits.sbomComponents,
};

const QUICK: BenchConfig = {
  releases: 10,
  fuzzInputs: 5_000,
  sequential: 3,
  sbomComponents: 5_000,
  osvComponents: 5_000,
  syntheticAdvisories: 1_000,
  storeReleases: 100,
  purls: 2_000,
  queries: 100,
  minMs: 150,
  triageReleases: 200,
  triageComponents: 100,
  triageRepeats: 20,
  promoteImageMiB: 15,
  promoteRuns: 5,
  costSizes: [500, 5_000],
  costFractions: [0.01, 0.05, 0.2],
  bundleRuns: 5,
  floorRuns: 5,
  limitComponents: 0,
};

class UsageError extends Error {
  public override readonly name = 'UsageError';
}

function config(argv: readonly string[]): BenchConfig {
  let values: {
    releases?: string | undefined;
    quick: boolean;
    fuzz: boolean;
    'fuzz-inputs'?: string | undefined;
    only?: string | undefined;
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        releases: { type: 'string' },
        quick: { type: 'boolean', default: false },
        fuzz: { type: 'boolean', default: false },
        'fuzz-inputs': { type: 'string' },
        only: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const base = {
    ...(values.quick ? QUICK : FULL),
    fuzzOnly: values.fuzz,
    ...(values.only === undefined ? {} : { only: values.only }),
  };
  const fuzzInputs = values['fuzz-inputs'];
  if (fuzzInputs !== undefined) {
    const inputs = Number(fuzzInputs);
    if (!Number.isInteger(inputs) || inputs < 100) {
      throw new UsageError(`--fuzz-inputs must be an integer of at least 100, got ${JSON.stringify(fuzzInputs)}`);
    }
    return { ...base, fuzzInputs: inputs };
  }
  if (values.releases === undefined) return base;
  const releases = Number(values.releases);
  if (!Number.isInteger(releases) || releases < 1 || releases > 2000) {
    throw new UsageError(`--releases must be an integer from 1 to 2000, got ${JSON.stringify(values.releases)}`);
  }
  return { ...base, releases };
}

/** Other processes share the cores; the load average says how much the figures were disturbed. */
function load(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

async function main(): Promise<void> {
  const cfg = config(process.argv.slice(2));
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  const { gc, available } = exposeGc();
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  out(
    `release-gate bench: Node ${process.version}, ${cpus().length} × ${cpu}, ${mib(totalmem())} RAM, ${load()}` +
      `${process.argv.includes('--quick') ? ', --quick' : ''}${available ? '' : ' (no gc(): memory figures are rough)'}`,
  );
  const t0 = performance.now();
  const sections: [string, () => Promise<Section>][] = [
    ['gate', () => benchGate({ releases: cfg.releases, sequential: cfg.sequential, log: progress })],
    ['sbom', () => benchSbom({ syntheticComponents: cfg.sbomComponents, corpusFiles: 5, minMs: cfg.minMs, gc })],
    [
      'osv',
      () => benchOsv({ components: cfg.osvComponents, syntheticAdvisories: cfg.syntheticAdvisories, minMs: cfg.minMs }),
    ],
    [
      'store',
      () =>
        benchStore({
          releases: cfg.storeReleases,
          purls: cfg.purls,
          purlsPerRelease: 200,
          packagePool: Math.max(200, cfg.purls / 10),
          queries: cfg.queries,
          concurrency: 8,
        }),
    ],
    [
      'triage',
      () =>
        benchTriage({
          releases: cfg.triageReleases,
          components: cfg.triageComponents,
          repeats: cfg.triageRepeats,
          changed: 0.05,
          log: progress,
          ...(cfg.triageComponents < 500 && {
            sizeNote: [
              `Smaller than the issue's 2,000 releases × 500 components (the default without --quick): the index bytes a question`,
              `reads do not grow with the other packages of a release, the SBOM bytes do, so with 500 components the ratios would`,
              `be ~${Math.round(500 / cfg.triageComponents)}× higher.`,
            ],
          }),
        }),
    ],
    ['drill', () => benchDrill({ log: progress })],
    ['cli', () => benchCli({ runs: 5, log: progress })],
    [
      'cost',
      () =>
        benchCost({
          sizes: cfg.costSizes,
          fractions: cfg.costFractions,
          releasesPerRepository: 50,
          log: progress,
        }),
    ],
    ['promote', () => benchPromote({ imageMiB: cfg.promoteImageMiB, runs: cfg.promoteRuns, log: progress })],
    ['bundles', () => benchBundles({ runs: cfg.bundleRuns, log: progress })],
    [
      'floor',
      () =>
        benchFloor({
          components: FLOOR_COMPONENTS,
          runs: cfg.floorRuns,
          limitComponents: cfg.limitComponents,
          log: progress,
        }),
    ],
  ];
  const fuzz: [string, () => Promise<Section>] = [
    'fuzz',
    () => benchFuzz({ total: cfg.fuzzInputs, seed: Date.now() % 2 ** 31, log: progress }),
  ];
  const all = [...sections, fuzz];
  // The gate section already ends with the rollback figure, the floor section with the release at
  // the component limit; `--only rollback` and `--only limit` measure each alone.
  const named: [string, () => Promise<Section>][] = [
    ...all,
    ['rollback', () => benchRollback()],
    // Needs NODE_OPTIONS=--openssl-legacy-provider (s3rver's listing paging): not in the full run.
    ['advisories', () => benchAdvisories({ records: 20_000, lagging: 100, log: progress })],
    ['limit', () => benchLimit({ components: Limits.sbomComponents, runs: LIMIT_RUNS, log: progress })],
  ];
  if (cfg.only !== undefined && !named.some(([name]) => name === cfg.only)) {
    throw new UsageError(
      `--only must be one of ${named.map(([name]) => name).join(', ')}, got ${JSON.stringify(cfg.only)}`,
    );
  }
  const chosen = cfg.only !== undefined ? named.filter(([name]) => name === cfg.only) : cfg.fuzzOnly ? [fuzz] : all;
  const targets: Target[] = [];
  for (const [name, run] of chosen) {
    const s0 = performance.now();
    progress(`[bench] ${name}…`);
    const section = await run();
    out(formatSection(section));
    targets.push(...(section.targets ?? []));
    progress(`[bench] ${name} took ${ms(Math.round(performance.now() - s0))}`);
  }
  if (targets.length > 0) out(formatTargets(targets));
  out(`\nTotal ${((performance.now() - t0) / 1000).toFixed(1)} s; ${load()}`);
}

main().catch((err: unknown) => {
  const text =
    err instanceof UsageError
      ? `${err.message}\nUsage: npm run bench [-- --quick] [-- --releases N] [-- --fuzz] [-- --fuzz-inputs N] [-- --only NAME]`
      : err instanceof Error
        ? (err.stack ?? err.message)
        : String(err);
  process.stderr.write(`bench failed: ${text}\n`);
  process.exitCode = 1;
});
