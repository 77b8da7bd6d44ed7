/**
 * The fuzz profile: every entry point of test/support/fuzz-targets.ts (the same targets as
 * test/unit/entry-points-fuzz.test.ts) on at least `total` inputs in all, split by the targets' weights (rounded up).
 * Reports the inputs per entry point, how many were accepted or refused, and every failure.
 */
import { fuzzTargets, runFuzz } from '../test/support/fuzz-targets.js';
import { formatTable, mib, ms, type Section } from './report.js';

export interface FuzzBenchOptions {
  readonly total: number;
  readonly seed: number;
  readonly log: (line: string) => void;
}

export async function benchFuzz(opts: FuzzBenchOptions): Promise<Section> {
  const kit = await fuzzTargets();
  try {
    const started = performance.now();
    const results = await runFuzz(kit, {
      ...opts,
      onTarget: (name, runs) => opts.log(`[fuzz] ${name}: ${runs} inputs`),
    });
    const took = performance.now() - started;
    const total = results.reduce((s, r) => s + r.runs, 0);
    const failures = results.filter((r) => r.failure !== undefined);
    const rows = results.map((r) => {
      const tally = kit.tallies.get(r.name);
      return [
        r.name,
        r.runs,
        tally?.accepted ?? 0,
        tally?.refused ?? 0,
        ms(Math.round(r.ms)),
        r.failure === undefined ? 0 : 1,
      ];
    });
    rows.push(['total', total, '', '', ms(Math.round(took)), failures.length]);
    return {
      title: 'Fuzzing of the parser and verifier entry points',
      method: [
        `fast-check, seed ${opts.seed}: structured mutations of valid documents (re-signed where signed), byte edits, cut-offs, random bytes.`,
        'Property: a value or a documented GateError, each call settled within the budget. accepted/refused count calls (the layout target makes four per input).',
      ],
      tables: [
        formatTable(
          [
            { header: 'entry point' },
            { header: 'inputs' },
            { header: 'accepted' },
            { header: 'refused' },
            { header: 'time' },
            { header: 'failures' },
          ],
          rows,
        ),
      ],
      notes: [
        // Inputs stay within the limits of lambdas/domain/limits.ts; the peak says nothing grew with them.
        `peak resident set of the process: ${mib(process.resourceUsage().maxRSS * 1024)}`,
        ...failures.map((f) => `FAILED ${f.name}: ${f.failure}`),
      ],
    };
  } finally {
    await kit.cleanup();
  }
}
