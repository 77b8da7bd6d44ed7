/**
 * Section: how fast the built CLI answers `--help` (the installed package runs dist/cli/entry.js):
 * `release-gate --help` and every command's `--help`, each in a fresh `node` process.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../cli/command-table.js';
import { formatTable, ms, percentile, type Section } from './report.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TARGET_MS = 1000;

export async function benchCli(opts: {
  readonly runs: number;
  readonly log: (line: string) => void;
}): Promise<Section> {
  opts.log('[cli] npm run build');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr}`);
  const lines: [string, string[]][] = [
    ['release-gate --help', ['--help']],
    ...Object.keys(COMMANDS).map((name): [string, string[]] => [`release-gate ${name} --help`, [name, '--help']]),
  ];
  const rows: (string | number)[][] = [];
  let worst = 0;
  for (const [label, args] of lines) {
    const times: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const t0 = performance.now();
      const run = spawnSync(process.execPath, ['dist/cli/entry.js', ...args], { cwd: ROOT, encoding: 'utf8' });
      times.push(performance.now() - t0);
      if (run.status !== 0) throw new Error(`${label} exited ${run.status}: ${run.stderr}`);
    }
    const median = percentile(times, 50) ?? Number.POSITIVE_INFINITY;
    worst = Math.max(worst, median);
    rows.push([label, ms(median), ms(Math.min(...times)), median <= TARGET_MS ? 'met' : 'NOT met']);
  }
  const bare: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    bare.push(performance.now() - t0);
  }
  return {
    title: '10. CLI: --help from the built JavaScript',
    method: [
      `Each line runs \`node dist/cli/entry.js … --help\` (what an installed package's bin runs) ${opts.runs} times in a fresh`,
      'process, after `npm run build`; median (min). It loads the command table and the help text alone.',
    ],
    tables: [
      formatTable(
        [{ header: 'command' }, { header: 'median' }, { header: 'min' }, { header: `target ≤ ${TARGET_MS} ms` }],
        rows,
      ),
    ],
    targets: [
      {
        what: 'CLI --help, slowest command (median)',
        measured: ms(Math.round(worst)),
        target: `≤ ${ms(TARGET_MS)}`,
        met: worst <= TARGET_MS,
      },
    ],
    notes: [
      `Slowest median ${ms(worst)}; a bare \`node -e 0\` takes ${ms(percentile(bare, 50) ?? 0)} here (Node's own start).`,
    ],
  };
}
