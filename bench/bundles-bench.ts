/**
 * Lambda bundles (issue 12 §4, "Small Lambdas"): every handler bundled as the construct bundles it
 * (infra/constructs/gate-function.ts gateEsbuildOptions), then its size and its cold import: the
 * bundle imported by a fresh `node` process, timed inside that process from before `import()` to
 * after it (the process's own start-up is not counted; Lambda's init phase is that import).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { gateEsbuildOptions } from '../infra/constructs/gate-function.js';
import { HANDLER_NAMES } from '../infra/constructs/gate-functions.js';
import { formatNumber, formatTable, ms, percentile, type Section } from './report.js';

const run = promisify(execFile);

/** Sizes in decimal kB, the unit of the 1 MB target. */
const kB = (bytes: number): string => `${formatNumber(Math.round(bytes / 1000))} kB`;

/** Targets of issue 12: bundle size and cold import. */
const MAX_BUNDLE_BYTES = 1_000_000;
const MAX_COLD_IMPORT_MS = 150;

/** Runs in the fresh process: the time `import()` of the bundle takes, in ms, on stdout. */
const TIMED_IMPORT =
  'const t0 = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t0));';

/** One cold import of `file` in a fresh `node` process (no NODE_OPTIONS: as the functions run by default). */
export async function coldImportMs(file: string): Promise<number> {
  const env = { ...process.env, NODE_OPTIONS: '', POWERTOOLS_LOG_LEVEL: 'WARN' };
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', TIMED_IMPORT, pathToFileURL(file).href],
    { env },
  );
  return Number(stdout);
}

export interface BundlesBenchOptions {
  /** Fresh processes per bundle (at least 5). */
  readonly runs: number;
  readonly log?: (line: string) => void;
}

export async function benchBundles(opts: BundlesBenchOptions): Promise<Section> {
  const runs = Math.max(5, opts.runs);
  const dir = await mkdtemp(join(tmpdir(), 'gate-bundles-'));
  try {
    const rows: (string | number)[][] = [];
    let sizeOk = 0;
    let importOk = 0;
    let largest = 0;
    let slowest = 0;
    for (const name of HANDLER_NAMES) {
      const out = join(dir, name);
      await build(gateEsbuildOptions(name, out));
      const file = join(out, 'index.mjs');
      const bytes = (await stat(file)).size;
      const mapBytes = (await stat(`${file}.map`)).size;
      const samples: number[] = [];
      // One after another: concurrent processes would measure the shared cores, not the bundle.
      for (let i = 0; i < runs; i++) samples.push(await coldImportMs(file));
      const median = percentile(samples, 50) ?? Number.NaN;
      const min = percentile(samples, 0) ?? Number.NaN;
      largest = Math.max(largest, bytes);
      slowest = Math.max(slowest, median);
      if (bytes <= MAX_BUNDLE_BYTES) sizeOk++;
      if (median <= MAX_COLD_IMPORT_MS) importOk++;
      rows.push([
        name,
        kB(bytes),
        bytes <= MAX_BUNDLE_BYTES ? 'yes' : 'NO',
        kB(mapBytes),
        `${ms(Math.round(median))} (${ms(Math.round(min))})`,
        median <= MAX_COLD_IMPORT_MS ? 'yes' : 'NO',
      ]);
      opts.log?.(`[bench] bundles: ${name} ${bytes} B, cold import median ${median.toFixed(0)} ms`);
    }
    return {
      title: 'Lambda bundles: size and cold import',
      method: [
        `Each handler bundled with the construct's esbuild options (minified ESM, source map external and unlinked);`,
        `cold import: the bundle imported by a fresh \`node\` process (${process.version}; Lambda runs Node 24), ${runs} processes`,
        `each, one after another, timed inside the process around import(). Median (min). Targets: ≤ ${kB(MAX_BUNDLE_BYTES)}`,
        `(1 MB) and ≤ ${MAX_COLD_IMPORT_MS} ms; the load average below says how busy the cores were.`,
      ],
      tables: [
        formatTable(
          [
            { header: 'handler' },
            { header: 'bundle' },
            { header: '≤ 1 MB' },
            { header: 'source map' },
            { header: 'cold import' },
            { header: `≤ ${MAX_COLD_IMPORT_MS} ms` },
          ],
          rows,
        ),
      ],
      targets: [
        {
          what: 'Lambda bundles within 1 MB',
          measured: `${sizeOk} of ${HANDLER_NAMES.length} (largest ${kB(largest)})`,
          target: `every one ≤ ${kB(MAX_BUNDLE_BYTES)}`,
          met: sizeOk === HANDLER_NAMES.length,
        },
        {
          what: 'Lambda cold import (median)',
          measured: `${importOk} of ${HANDLER_NAMES.length} (slowest ${ms(Math.round(slowest))})`,
          target: `every one ≤ ${MAX_COLD_IMPORT_MS} ms`,
          met: importOk === HANDLER_NAMES.length,
        },
      ],
      notes: [
        `${sizeOk} of ${HANDLER_NAMES.length} bundles within 1 MB; ${importOk} of ${HANDLER_NAMES.length} cold imports within ${MAX_COLD_IMPORT_MS} ms (median).`,
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
