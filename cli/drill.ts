/**
 * The demo's incident drill (issue 9 §7), on the embedded stack right after the outcome table: an
 * OSV advisory arrives for a package of the live demo/good release, the re-validation alert fires,
 * then triage, revoke, rollback (refused first: the previous release is affected too; then to the
 * clean one) and the report, each through the same code path as the CLI command a person types,
 * each timed. Every step checks what it must see; the first surprise ends the drill UNEXPECTED.
 */
import { rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../lambdas/domain/errors.js';
import { systemClock } from '../lambdas/domain/ports.js';
import { triage } from '../lambdas/domain/triage/triage.js';
import { runRevoke, runRollback } from './commands/incident.js';
import { parseReportArgs, runReport } from './commands/report.js';
import { formatTriage, parseTriageArgs } from './commands/triage.js';
import { DRILL_ADVISORY_ID, drillAdvisory } from './fixtures/drill-advisory.js';
import { DEMO_APPROVERS, DRILL_PACKAGE } from './fixtures/scenarios.js';
import type { LocalGate, OutcomeEvent } from './local/gate.js';
import { withLocalPorts, withLocalStore } from './local/local-store.js';
import { DEFAULT_WORK_DIR } from './local/state.js';
import type { Progress } from './progress.js';

/** The releases of one repository the drill works on, by digest. */
export interface DrillReleases {
  readonly repository: string;
  /** Live in production when the advisory arrives; affected. */
  readonly live: string;
  /** Live before it; affected too, so the default rollback is refused. */
  readonly previous: string;
  /** Live before that; not affected: the rollback target that passes. */
  readonly clean: string;
}

export interface DrillOptions {
  /** A gate that watches `advisoriesDir` (re-validation raises `Release Newly Affected`). */
  readonly gate: LocalGate;
  /** The gate's work directory (absolute): its local.json, outcomes.jsonl, reports/. */
  readonly workDir: string;
  /** The folder the gate reads its OSV advisories from; the drill writes its advisory there. */
  readonly advisoriesDir: string;
  readonly releases: DrillReleases;
  /** How long step 2 waits for the alert. @default 10_000 */
  readonly alertTimeoutMs?: number;
  /** The work directory as the person typed it, for the commands printed. @default DEFAULT_WORK_DIR */
  readonly displayWorkDir?: string;
  readonly log: (line: string) => void;
  /** Where the drill says which step runs (a spinner on a terminal). @default - none */
  readonly progress?: Progress;
}

export interface DrillStep {
  /** The issue's numbering: 1 to 6, the rollback as 5a (refused) and 5b (to the clean release). */
  readonly label: string;
  readonly name: string;
  readonly ms: number;
  /** Null when the step went as expected; else what differed. */
  readonly unexpected: string | null;
}

export interface DrillResult {
  readonly ok: boolean;
  readonly totalMs: number;
  readonly steps: readonly DrillStep[];
  /** The alert event of step 2 (null when it did not come). */
  readonly alert: OutcomeEvent | null;
  /** The HTML report of the revoked release (step 6). */
  readonly reportPath: string | null;
  /** The same drill for a person: triage, revoke, rollback. */
  readonly commands: readonly string[];
}

/** The outcome event re-validation emits for a live release an advisory now affects. */
export const NEWLY_AFFECTED = 'Release Newly Affected';

/** A step's check that failed: what was expected and what happened. */
class Unexpected extends Error {
  public override readonly name = 'Unexpected';
}

function expectThat(condition: boolean, what: string): void {
  if (!condition) throw new Unexpected(what);
}

/** Collects what a CLI command prints. */
function captured() {
  let text = '';
  return {
    io: { stdout: { write: (s: string) => (text += s) }, stderr: { write: (s: string) => (text += s) } },
    text: () => text,
  };
}

function indent(text: string): string[] {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => (l === '' ? '' : `       ${l}`));
}

/** Runs the drill and prints each step with its wall time; never throws for a step that fails. */
export async function runDrill(opts: DrillOptions): Promise<DrillResult> {
  const t0 = performance.now();
  const { gate, workDir, log } = opts;
  const { repository, live, previous, clean } = opts.releases;
  const store = gate.deps.gate.store;
  const by = DEMO_APPROVERS[0];
  const reason = `${DRILL_ADVISORY_ID}: ${DRILL_PACKAGE.name} ${DRILL_PACKAGE.affected} is affected`;
  const file = join(opts.advisoriesDir, `${DRILL_ADVISORY_ID}.json`);
  const wd = ['--work-dir', workDir];
  const steps: DrillStep[] = [];
  let alert: OutcomeEvent | null = null;
  let reportPath: string | null = null;

  // Listening before the file arrives, so that an alert as fast as the write is not missed.
  const alerts: OutcomeEvent[] = [];
  const alerted: (() => void)[] = [];
  gate.onOutcome((e) => {
    if (e.type !== NEWLY_AFFECTED) return;
    alerts.push(e);
    for (const wake of alerted.splice(0)) wake();
  });
  const alertFor = async (digest: string, timeoutMs: number): Promise<OutcomeEvent | null> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = alerts.find((e) => e.detail.repository === repository && e.detail.digest === digest);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        alerted.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  /** The release the production channel tag serves now (the newest track entry names both). */
  const served = async (): Promise<string> => {
    const [latest] = await store.listPromotions(repository);
    if (latest === undefined) return 'nothing';
    return (await gate.deps.gate.registry.getManifest(latest.targetRepository, latest.tag)).digest;
  };

  /** Step `label` (the issue's numbering: 5a and 5b are the two rollbacks). */
  const step = async (label: string, name: string, body: () => Promise<string[]>): Promise<boolean> => {
    const s0 = performance.now();
    opts.progress?.update(`incident drill: ${label}. ${name}`);
    let lines: string[] = [];
    let unexpected: string | null = null;
    try {
      lines = await body();
    } catch (err) {
      unexpected = err instanceof Unexpected ? err.message : `failed: ${describeError(err)}`;
    }
    const ms = Math.round(performance.now() - s0);
    steps.push({ label, name, ms, unexpected });
    log(`  ${`${label}. ${name}`.padEnd(72)} ${String(ms).padStart(6)} ms${unexpected === null ? '' : '  UNEXPECTED'}`);
    for (const l of lines) log(l);
    if (unexpected !== null) log(`       UNEXPECTED: ${unexpected}`);
    return unexpected === null;
  };

  log(
    `\nIncident drill: ${DRILL_ADVISORY_ID} for ${DRILL_PACKAGE.name} ${DRILL_PACKAGE.affected}, in the live ${repository}`,
  );
  const ran =
    (await step('1', `advisory ${DRILL_ADVISORY_ID} arrives in the advisories folder`, async () => {
      // Written aside and renamed into place, so that the watcher never reads half a file.
      await writeFile(`${file}.part`, `${JSON.stringify(drillAdvisory(new Date()), null, 2)}\n`);
      await rename(`${file}.part`, file);
      return [`       ${file}`];
    })) &&
    (await step('2', `re-validation alert: ${NEWLY_AFFECTED}`, async () => {
      const timeoutMs = opts.alertTimeoutMs ?? 10_000;
      const found = await alertFor(live, timeoutMs);
      expectThat(
        found !== null,
        `no ${NEWLY_AFFECTED} event for ${repository}@${live} within ${timeoutMs / 1000} s of the advisory`,
      );
      alert = found;
      const others = alerts
        .filter((e) => e !== found)
        .map((e) => `${String(e.detail.repository)}@${String(e.detail.digest)}`);
      expectThat(others.length === 0, `re-validation also alerted for ${others.join(', ')}`);
      const severity = found?.detail.severity === undefined ? '' : ` (${String(found.detail.severity)})`;
      return [
        `       ${repository}@${live}, live${severity}: announced as an event, a notification and in outcomes.jsonl`,
      ];
    })) &&
    (await step('3', 'triage: the affected releases and their live windows', async () => {
      const options = await parseTriageArgs(['--advisory', file, ...wd], workDir);
      const answer = await withLocalStore(workDir, (s) => triage(s, options.question));
      const mine = answer.releases.filter((r) => r.repository === repository);
      const statusOf = (digest: string) => mine.find((r) => r.digest === digest)?.status ?? 'not listed';
      expectThat(statusOf(live) === 'LIVE', `triage lists the live release as ${statusOf(live)}, not LIVE`);
      expectThat(statusOf(previous) === 'PROMOTED', `triage lists the previous release as ${statusOf(previous)}`);
      expectThat(statusOf(clean) === 'not listed', `triage lists the clean release ${clean} as affected`);
      return indent(formatTriage(answer));
    })) &&
    (await step('4', `revoke ${repository}@${live.slice(0, 19)}…`, async () => {
      const out = captured();
      const code = await runRevoke(
        [live, '--repository', repository, '--reason', reason, '--by', by, ...wd],
        workDir,
        out.io,
      );
      expectThat(code === 0, `revoke exited ${code}: ${out.text()}`);
      expectThat((await store.getRevocation(repository, live)) !== null, 'no revocation record was written');
      expectThat(
        out.text().includes(`rollback target: ${previous}`),
        `revoke did not name ${previous} as the rollback target`,
      );
      return indent(out.text());
    })) &&
    (await step('5a', 'rollback to the previous release: re-verified, REFUSED (affected too)', async () => {
      const out = captured();
      const code = await runRollback([repository, '--reason', reason, '--by', by, ...wd], workDir, out.io);
      expectThat(code === 1, `rollback exited ${code}, not 1 (refused): ${out.text()}`);
      expectThat(
        out.text().includes(`REFUSED (target ${previous})`),
        `rollback did not refuse ${previous}: ${out.text()}`,
      );
      expectThat(out.text().includes(DRILL_ADVISORY_ID), `the refusal does not name ${DRILL_ADVISORY_ID}`);
      const now = await served();
      expectThat(now === live, `production serves ${now} after a refused rollback, not ${live}`);
      return indent(out.text());
    })) &&
    (await step('5b', `rollback --to ${clean.slice(0, 19)}…: re-verified, live tag moved`, async () => {
      const out = captured();
      const code = await runRollback(
        [repository, '--to', clean, '--reason', reason, '--by', by, ...wd],
        workDir,
        out.io,
      );
      expectThat(code === 0, `rollback --to ${clean} exited ${code}: ${out.text()}`);
      const now = await served();
      expectThat(now === clean, `production serves ${now} after the rollback, not ${clean}`);
      return indent(out.text());
    })) &&
    (await step('6', 'report of the revoked release', async () => {
      const out = captured();
      const options = parseReportArgs([live, '--repository', repository, ...wd]);
      const code = await withLocalPorts(workDir, (ports, state) =>
        runReport(options, { ...ports, clock: systemClock }, state.bucket, out.io),
      );
      const path = out.text().split('\n')[0] ?? '';
      expectThat(code === 0 && (await stat(path)).isFile(), `report exited ${code}: ${out.text()}`);
      reportPath = path;
      return [`       ${path}`];
    }));

  const totalMs = Math.round(performance.now() - t0);
  const display = opts.displayWorkDir ?? DEFAULT_WORK_DIR;
  const wdArg = display === DEFAULT_WORK_DIR ? '' : ` --work-dir ${display}`;
  const commands = [
    `npm run release-gate -- triage --advisory ${join(display, 'advisories', `${DRILL_ADVISORY_ID}.json`)}${wdArg}`,
    `npm run release-gate -- revoke ${live} --reason "${reason}"${wdArg}`,
    `npm run release-gate -- rollback ${repository} --to ${clean}${wdArg}`,
  ];
  const failed = steps.find((s) => s.unexpected !== null);
  log(
    ran && failed === undefined
      ? `\nIncident drill: all steps as expected in ${(totalMs / 1000).toFixed(1)} s`
      : `\nIncident drill: UNEXPECTED at "${failed?.name}": ${failed?.unexpected}`,
  );
  log('For a person the drill is three commands (the rollback without --to is the one refused above):');
  for (const c of commands) log(`  ${c}`);
  return { ok: ran && failed === undefined, totalMs, steps, alert, reportPath, commands };
}
