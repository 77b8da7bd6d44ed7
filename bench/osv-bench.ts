import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAdvisories } from '../lambdas/adapters/scan/advisories-folder.js';
import type { OsvRecord } from '../lambdas/domain/osv/schema.js';
import { scanComponents } from '../lambdas/domain/scan/local-scanner.js';
import { formatTable, ms, perSecond, type Section } from './report.js';
import { CORPUS_DIR, timeRepeated } from './sbom-bench.js';
import { advisoryTargets, syntheticComponents } from './synthetic.js';

export interface OsvBenchOptions {
  readonly components: number;
  /** Synthetic advisories for the second row (copies of the corpus ones under new package names). */
  readonly syntheticAdvisories: number;
  readonly minMs: number;
}

/** Share of components that are packages some advisory names (the rest miss the index). */
const HIT_RATIOS = [0.05, 0.25] as const;

/**
 * Section 3: `scanComponents` (index advisories, then ecosystem-aware range checks per candidate)
 * over synthetic npm/PyPI/deb components, against the corpus advisories (JSON and PyPA YAML).
 */
export async function benchOsv(opts: OsvBenchOptions): Promise<Section> {
  const dir = join(CORPUS_DIR, 'osv-advisories');
  const t0 = performance.now();
  const corpus = await loadAdvisories(dir);
  const loadMs = performance.now() - t0;
  const yamlCount = (await readdir(dir, { recursive: true })).filter((f) => /\.ya?ml$/.test(f)).length;
  const synthetic = cloneAdvisories(corpus, opts.syntheticAdvisories);

  const rows: (string | number)[][] = [];
  const run = (label: string, advisories: readonly OsvRecord[], hitRatio: number) => {
    const components = syntheticComponents(opts.components, advisories, hitRatio);
    const report = scanComponents(components, advisories);
    const timed = timeRepeated(() => scanComponents(components, advisories), opts.minMs, 2);
    rows.push([
      label,
      advisories.length,
      components.length,
      `${Math.round(hitRatio * 100)} %`,
      report.findings.length,
      report.unevaluated.length,
      ms(timed.msPer),
      Math.round(perSecond(components.length, timed.msPer)),
    ]);
  };
  for (const ratio of HIT_RATIOS) run('corpus', corpus, ratio);
  if (synthetic.length > 0) {
    for (const ratio of HIT_RATIOS)
      run(`corpus + ${synthetic.length.toLocaleString('en-US')} synthetic`, [...corpus, ...synthetic], ratio);
  }

  const targets = advisoryTargets(corpus);
  return {
    title: '3. OSV matching (scanComponents)',
    method: [
      `Advisories: all ${corpus.length} records under test/corpus/data/osv-advisories (${yamlCount} of them YAML),`,
      `loaded with loadAdvisories in ${ms(Math.round(loadMs))}; ${targets.length} of their npm/PyPI/Debian packages are hit targets.`,
      'Components: distinct synthetic npm/PyPI/deb purls; "hits" is the share naming an advisory package (random versions,',
      `so range checks run). One warm-up scan, then repeated for at least ${opts.minMs} ms; the index is rebuilt every scan.`,
    ],
    tables: [
      formatTable(
        [
          { header: 'advisories' },
          { header: 'records' },
          { header: 'components' },
          { header: 'hits' },
          { header: 'findings' },
          { header: 'unevaluated' },
          { header: 'per scan' },
          { header: 'components/s' },
        ],
        rows,
      ),
    ],
    notes: [
      'The synthetic rows copy each corpus record under new package names (same ranges and versions), to show',
      'how the per-package index scales with the size of a real database (the osv.dev npm export alone holds tens of thousands of records).',
    ],
  };
}

/** `count` copies of the corpus records, each under fresh package names and ids. */
function cloneAdvisories(corpus: readonly OsvRecord[], count: number): OsvRecord[] {
  const usable = corpus.filter((r) => r.withdrawn === undefined);
  const out: OsvRecord[] = [];
  for (let i = 0; usable.length > 0 && out.length < count; i++) {
    const r = usable[i % usable.length];
    if (r === undefined) break;
    const n = Math.floor(i / usable.length);
    out.push({
      ...r,
      id: `${r.id}-SYN-${n}`,
      aliases: r.aliases.map((a) => `${a}-SYN-${n}`),
      affected: r.affected.map((a) =>
        a.package === undefined ? a : { ...a, package: { ...a.package, name: `${a.package.name}-syn${n}` } },
      ),
    });
  }
  return out;
}
