/**
 * The incident drill's wall time on the embedded stack (issue 9 §7, "the drill's total time"): the
 * demo with only its `good` scenario (demo/good 1.2.0, 1.3.0 and 1.4.0 gated and promoted), then
 * the drill it ends with: advisory, re-validation alert, triage, revoke, the refused and the clean
 * rollback (each re-verified), the report. A figure, not a pass/fail signal.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../cli/demo.js';
import { DEMO_SCENARIOS } from '../cli/fixtures/scenarios.js';
import { formatTable, ms, type Section } from './report.js';

export async function benchDrill(opts: { readonly log: (line: string) => void }): Promise<Section> {
  const good = DEMO_SCENARIOS.filter((s) => s.name === 'good');
  const workDir = await mkdtemp(join(tmpdir(), 'rg-bench-drill-'));
  try {
    opts.log('[bench] drill: gating demo/good 1.2.0, 1.3.0, 1.4.0…');
    const printed: string[] = [];
    const demo = await runDemo({
      autoApprove: true,
      keep: false,
      workDir,
      scenarios: good,
      log: (l) => printed.push(l),
    });
    const drill = demo.drill;
    if (drill === null) throw new Error(`the drill did not run:\n${printed.join('\n')}`);
    const rows = drill.steps.map((s) => [`${s.label}. ${s.name}`, s.ms, s.unexpected ?? 'as expected'] as const);
    return {
      title: 'Incident drill (embedded stack)',
      method: [
        'The demo with its good scenario only (three releases of demo/good promoted through the workflow),',
        'then the drill it ends with, every step through the CLI command a person types.',
      ],
      tables: [
        formatTable(
          [{ header: 'step' }, { header: 'wall time' }, { header: 'result', align: 'left' }],
          [
            ...rows.map(([name, t, result]) => [name, ms(t), result]),
            ['total', ms(drill.totalMs), drill.ok ? 'ok' : 'UNEXPECTED'],
          ],
        ),
      ],
      notes: [
        `Drill total: ${ms(drill.totalMs)} (the three releases before it took ${ms(demo.wallMs - drill.totalMs)}).`,
      ],
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
