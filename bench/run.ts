/**
 * `npm run bench [-- --releases N] [-- --quick]`: prints throughput and latency figures of the gate
 * on the embedded stack, SBOM parsing, OSV matching and the evidence store. Figures only, no
 * thresholds: this machine's numbers are for orders of magnitude and regressions by eye.
 */
import '../cli/local/quiet-logs.js';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { benchGate } from './gate-bench.js';
import { exposeGc } from './memory.js';
import { benchOsv } from './osv-bench.js';
import { formatSection, mib, ms, type Section } from './report.js';
import { benchSbom } from './sbom-bench.js';
import { benchStore } from './store-bench.js';

interface BenchConfig {
  readonly releases: number;
  readonly sequential: number;
  readonly sbomComponents: number;
  readonly osvComponents: number;
  readonly syntheticAdvisories: number;
  readonly storeReleases: number;
  readonly purls: number;
  readonly queries: number;
  readonly minMs: number;
}

const FULL: BenchConfig = {
  releases: 40,
  sequential: 10,
  sbomComponents: 20_000,
  osvComponents: 20_000,
  syntheticAdvisories: 5_000,
  storeReleases: 400,
  purls: 10_000,
  queries: 500,
  minMs: 400,
};

const QUICK: BenchConfig = {
  releases: 10,
  sequential: 3,
  sbomComponents: 5_000,
  osvComponents: 5_000,
  syntheticAdvisories: 1_000,
  storeReleases: 100,
  purls: 2_000,
  queries: 100,
  minMs: 150,
};

class UsageError extends Error {
  public override readonly name = 'UsageError';
}

function config(argv: readonly string[]): BenchConfig {
  let values: { releases?: string | undefined; quick: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { releases: { type: 'string' }, quick: { type: 'boolean', default: false } },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const base = values.quick ? QUICK : FULL;
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
  ];
  for (const [name, run] of sections) {
    const s0 = performance.now();
    progress(`[bench] ${name}…`);
    out(formatSection(await run()));
    progress(`[bench] ${name} took ${ms(Math.round(performance.now() - s0))}`);
  }
  out(`\nTotal ${((performance.now() - t0) / 1000).toFixed(1)} s; ${load()}`);
}

main().catch((err: unknown) => {
  const text =
    err instanceof UsageError
      ? `${err.message}\nUsage: npm run bench [-- --quick] [-- --releases N]`
      : err instanceof Error
        ? (err.stack ?? err.message)
        : String(err);
  process.stderr.write(`bench failed: ${text}\n`);
  process.exitCode = 1;
});
