import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseSbom } from '../lambdas/domain/sbom/parse.js';
import { type ForceGc, settle } from './memory.js';
import { formatTable, kib, ms, perSecond, type Section } from './report.js';
import { syntheticCycloneDx, syntheticPackages } from './synthetic.js';

export const CORPUS_DIR = new URL('../test/corpus/data/', import.meta.url).pathname;
const SBOM_DIRS = ['sbom-cyclonedx', 'sbom-spdx'];

export interface SbomBenchOptions {
  /** Components of the synthetic CycloneDX SBOM. */
  readonly syntheticComponents: number;
  /** Corpus SBOMs to time, largest first. */
  readonly corpusFiles: number;
  /** Minimum time each input is parsed over (repeats until reached). */
  readonly minMs: number;
  readonly gc: ForceGc;
}

interface Row {
  readonly name: string;
  readonly bytes: number;
  readonly components: number;
  readonly runs: number;
  readonly msPerParse: number;
  readonly rssDelta: number;
  readonly heapDelta: number;
}

/** Section 2: `parseSbom` on the largest corpus SBOMs and on a large synthetic CycloneDX SBOM. */
export async function benchSbom(opts: SbomBenchOptions): Promise<Section> {
  const files = await largestSboms(opts.corpusFiles);
  const rows: Row[] = [];
  for (const f of files) rows.push(measure(relative(CORPUS_DIR, f.path), f.bytes, opts));

  const synthetic = syntheticCycloneDx(syntheticPackages(opts.syntheticComponents));
  rows.push(
    measure(`synthetic CycloneDX 1.6, ${opts.syntheticComponents.toLocaleString('en-US')} components`, synthetic, opts),
  );
  const jsonOnly = timeRepeated(() => JSON.parse(new TextDecoder().decode(synthetic)), opts.minMs);

  return {
    title: '2. SBOM parsing (parseSbom: limits, format detection, decode, purl canonicalisation, scoping)',
    method: [
      `Each SBOM is parsed repeatedly for at least ${opts.minMs} ms after one warm-up parse; the ${files.length} largest`,
      'corpus SBOMs that parse, and one synthetic CycloneDX SBOM (npm, PyPI and deb purls with licenses).',
      'RSS Δ / heap Δ: process.memoryUsage() right after one parse (no GC in between) minus the value after a forced GC;',
      'parsing is synchronous, so this is the memory the parse left allocated at its end, a lower bound of its peak.',
    ],
    tables: [
      formatTable(
        [
          { header: 'SBOM' },
          { header: 'size' },
          { header: 'components' },
          { header: 'parses' },
          { header: 'per parse' },
          { header: 'components/s' },
          { header: 'MB/s' },
          { header: 'RSS Δ' },
          { header: 'heap Δ' },
        ],
        rows.map((r) => [
          r.name,
          kib(r.bytes),
          r.components,
          r.runs,
          ms(r.msPerParse),
          Math.round(perSecond(r.components, r.msPerParse)),
          perSecond(r.bytes / 1e6, r.msPerParse),
          kib(r.rssDelta),
          kib(r.heapDelta),
        ]),
      ),
    ],
    notes: [
      `For scale: JSON.parse alone of the synthetic SBOM (${kib(synthetic.byteLength)}) takes ${ms(jsonOnly.msPer)} per parse;`,
      'the rest of parseSbom is zod validation, purl parsing and canonicalisation (packageurl-js) and dedupe.',
    ],
  };
}

async function largestSboms(count: number): Promise<{ path: string; bytes: Uint8Array }[]> {
  const candidates: { path: string; size: number }[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) candidates.push({ path, size: (await stat(path)).size });
    }
  };
  for (const d of SBOM_DIRS) await walk(join(CORPUS_DIR, d));
  candidates.sort((a, b) => b.size - a.size);
  const out: { path: string; bytes: Uint8Array }[] = [];
  for (const c of candidates) {
    if (out.length >= count) break;
    const bytes = new Uint8Array(await readFile(c.path));
    try {
      parseSbom(bytes);
      out.push({ path: c.path, bytes });
    } catch {
      // The corpus holds deliberately bad SBOMs too (MANIFEST.md); they are not throughput inputs.
    }
  }
  return out;
}

function measure(name: string, bytes: Uint8Array, opts: SbomBenchOptions): Row {
  // Memory first, on a cold-ish parse after a GC; then time repeated parses.
  opts.gc();
  const before = process.memoryUsage();
  const sbom = parseSbom(bytes);
  const after = process.memoryUsage();
  const components = sbom.components.length;
  settle(opts.gc);
  const timed = timeRepeated(() => parseSbom(bytes), opts.minMs, 2);
  return {
    name,
    bytes: bytes.byteLength,
    components,
    runs: timed.runs,
    msPerParse: timed.msPer,
    rssDelta: Math.max(0, after.rss - before.rss),
    heapDelta: Math.max(0, after.heapUsed - before.heapUsed),
  };
}

/** Runs `fn` until `minMs` passed (at least `minRuns` times), after one untimed warm-up call. */
export function timeRepeated(fn: () => unknown, minMs: number, minRuns = 3): { runs: number; msPer: number } {
  fn();
  let runs = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (runs < minRuns || elapsed < minMs) {
    fn();
    runs++;
    elapsed = performance.now() - t0;
  }
  return { runs, msPer: elapsed / runs };
}
