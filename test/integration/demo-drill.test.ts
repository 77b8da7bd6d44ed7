/**
 * The incident drill the demo ends with (cli/drill.ts), in-process on the demo's `good` scenario
 * alone: what it returns when it goes as planned, and that a drill that does not see what it must
 * makes the demo fail (`npm start` exits 1). The full demo's drill output is checked through the
 * real CLI in cli-outputs.test.ts.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoResult, runDemo } from '../../cli/demo.js';
import { DRILL_ADVISORY_ID } from '../../cli/fixtures/drill-advisory.js';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import {
  DEFAULT_NPM_PACKAGES,
  DEMO_SCENARIOS,
  DRILL_PACKAGE,
  GOOD_PREVIOUS,
  type Scenario,
  withPackage,
} from '../../cli/fixtures/scenarios.js';

const GOOD = DEMO_SCENARIOS.filter((s) => s.name === 'good');

async function demoOf(
  scenarios: readonly Scenario[],
  keep = false,
): Promise<{ result: DemoResult; out: string; lines: string[]; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-drill-'));
  const lines: string[] = [];
  const result = await runDemo({ autoApprove: true, keep, workDir: dir, scenarios, log: (l) => lines.push(l) });
  return { result, out: lines.join('\n'), lines, dir };
}

describe('Function: runDemo > the incident drill', () => {
  describe('when demo/good 1.3.0 and 1.4.0 ship the affected version and 1.2.0 does not', () => {
    let run: Awaited<ReturnType<typeof demoOf>> | undefined;
    beforeAll(async () => {
      run = await demoOf(GOOD, true);
    }, 120_000);
    afterAll(async () => {
      await run?.result.kept?.gate.stop();
      if (run !== undefined) await rm(run.dir, { recursive: true, force: true });
    });

    it('runs every step as expected, timed, and leaves its advisory only in the work directory', async () => {
      // Prepare
      if (run === undefined) throw new Error('the demo did not run');

      // Act
      const { result, out, dir } = run;

      // Assess
      expect(result.ok, out).toBe(true);
      expect(result.drill?.steps.map((s) => [s.label, s.unexpected])).toEqual(
        ['1', '2', '3', '4', '5a', '5b', '6'].map((label) => [label, null]),
      );
      for (const s of result.drill?.steps ?? []) expect(s.ms).toBeGreaterThanOrEqual(0);
      expect(result.drill?.alert?.type).toBe('Release Newly Affected');
      expect(result.drill?.alert?.detail).toMatchObject({
        repository: 'demo/good',
        digest: result.rows[0]?.digest,
        advisoryIds: [DRILL_ADVISORY_ID],
        severity: 'HIGH',
      });
      expect(result.drill?.reportPath).toMatch(/^.*\/reports\/demo_good-[0-9a-f]{16}\.html$/);
      expect(await readdir(join(dir, 'advisories'))).toContain(`${DRILL_ADVISORY_ID}.json`);
      expect(await readdir(new URL('../../cli/fixtures/advisories/', import.meta.url))).not.toContain(
        `${DRILL_ADVISORY_ID}.json`,
      );
      const [triage, revoke, rollback] = result.drill?.commands ?? [];
      expect(triage).toContain(`triage --advisory ${join(dir, 'advisories', `${DRILL_ADVISORY_ID}.json`)}`);
      expect(revoke).toMatch(/ revoke sha256:[0-9a-f]{64} --reason "/);
      expect(rollback).toMatch(/ rollback demo\/good --to sha256:[0-9a-f]{64}/);
      expect(result.drill?.commands).toHaveLength(3);
    });

    it('with --keep, leaves a later push waiting for a human: --auto-approve was for the demo’s own images', async () => {
      // Prepare
      if (run?.result.kept === undefined) throw new Error('the demo did not keep its stack');
      const { lines } = run;
      const { gate, registry, keys } = run.result.kept;
      const image = await buildScenarioImage(
        registry,
        { repository: 'demo/good', tag: '1.5.0', npmPackages: DEFAULT_NPM_PACKAGES },
        keys,
      );
      const requested = new Promise<string>((resolve) =>
        gate.onOutcome((e) => {
          if (e.type === 'Approval Requested' && e.detail.digest === image.digest) resolve(String(e.detail.approvalId));
        }),
      );
      const logged = lines.length;

      // Act
      await gate.push('demo/good', '1.5.0');
      const approvalId = await requested;

      // Assess: the demo printed how to answer instead of answering.
      expect(lines.slice(logged).join('\n')).toContain(`APPROVAL NEEDED for demo/good@${image.digest}`);
      expect(await gate.deps.gate.store.getApproval(approvalId)).toMatchObject({ state: 'PENDING', approvals: [] });
    });
  });

  describe('when the release before the live one is not affected', () => {
    let run: Awaited<ReturnType<typeof demoOf>> | undefined;
    beforeAll(async () => {
      // Prepare: 1.3.0 ships the clean version, so triage does not list it and its rollback would pass.
      const good = GOOD[0];
      if (good === undefined) throw new Error('no good scenario');
      const previous = {
        ...GOOD_PREVIOUS,
        npmPackages: withPackage(GOOD_PREVIOUS.npmPackages, { name: DRILL_PACKAGE.name, version: DRILL_PACKAGE.clean }),
      };
      run = await demoOf([{ ...good, previous }]);
    }, 120_000);
    afterAll(() => (run === undefined ? undefined : rm(run.dir, { recursive: true, force: true })));

    it('stops the drill UNEXPECTED at the step that differed, and the demo is not ok', () => {
      // Prepare
      if (run === undefined) throw new Error('the demo did not run');

      // Act
      const { result, out } = run;

      // Assess
      expect(result.rows.every((r) => r.outcome === r.expected)).toBe(true);
      expect(result.ok).toBe(false);
      const last = result.drill?.steps.at(-1);
      expect(last?.label).toBe('3');
      expect(last?.unexpected).toContain('triage lists the previous release as not listed');
      expect(out).toContain('Incident drill: UNEXPECTED at "triage: the affected releases and their live windows"');
      expect(out).not.toContain('Incident drill: all steps as expected');
    });
  });
});
