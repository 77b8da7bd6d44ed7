/**
 * Re-validation on the embedded stack: the gate watches its advisories folder (the local stand-in
 * for the S3 `advisories/` prefix), and an OSV record written into it alerts the live release it
 * affects, through the real workflow's promotion track and package index on dynalite.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AdvisoryWatchRun } from '../../cli/local/advisory-watch.js';
import { LocalGate, type OutcomeEvent } from '../../cli/local/gate.js';
import { ConfigError } from '../../lambdas/domain/errors.js';
import { runCli } from '../support/cli-process.js';
import { HANDLER_POLICY } from '../support/handler-world.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import {
  buildGoodRelease,
  gateRelease,
  type LocalWorld,
  lastState,
  publishLocalWorld,
  useLocalWorld,
} from '../support/world.js';

const REPO = 'demo/watched';

/** An advisory of our own: undici below 6.21.2 (the good release carries 6.21.1). */
const UNDICI = {
  schema_version: '1.6.0',
  id: 'RG-TEST-2026-0001',
  aliases: ['CVE-2026-40001'],
  summary: 'Test advisory: request smuggling in undici',
  database_specific: { severity: 'HIGH' },
  affected: [
    {
      package: { ecosystem: 'npm', name: 'undici' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '6.0.0' }, { fixed: '6.21.2' }] }],
    },
  ],
};

function nextRun(w: LocalWorld): Promise<AdvisoryWatchRun> {
  return new Promise((resolve) => w.gate.advisoryWatch?.onRun(resolve));
}

function nextOutcome(w: LocalWorld, type: OutcomeEvent['type']): Promise<OutcomeEvent> {
  return new Promise((resolve) =>
    w.gate.onOutcome((e) => {
      if (e.type === type) resolve(e);
    }),
  );
}

describe('Class: LocalGate (advisoriesDir)', () => {
  const world = useLocalWorld({ watchAdvisories: true, approvals: { decision: 'approve', by: 'alice@example.com' } });

  it('alerts the live release once when an advisory for one of its packages is written into the folder', async () => {
    // Prepare: demo/watched promoted and live.
    const w = world();
    await buildGoodRelease(w, REPO);
    const gated = await gateRelease(w, REPO, '1.4.0');
    expect(lastState(gated.exec)).toBe('Promoted');
    const dir = join(w.dir, 'advisories');

    // Act: a malformed file is skipped with its reason; then the advisory arrives.
    const skippedRun = nextRun(w);
    await writeFile(join(dir, 'broken.json'), '{"id": "X", "affected": [{"ranges": [{"type": "SEMVER"}]}]}');
    const skipped = await skippedRun;
    const alerted = nextOutcome(w, 'Release Newly Affected');
    const handled = nextRun(w);
    await writeFile(join(dir, 'RG-TEST-2026-0001.json'), JSON.stringify(UNDICI));
    const [alert, run] = await Promise.all([alerted, handled]);

    // Assess
    expect(run.summary?.newlyAffected.map((a) => a.digest)).toEqual([gated.digest]);
    expect(skipped.skipped).toEqual([{ file: 'broken.json', reason: expect.stringMatching(/events/) }]);
    expect(alert.detail).toMatchObject({
      repository: REPO,
      digest: gated.digest,
      advisoryIds: ['RG-TEST-2026-0001', 'CVE-2026-40001'],
      matches: [expect.objectContaining({ component: expect.stringMatching(/^pkg:npm\/undici@6\.21\.1/) })],
      live: { targetRepository: `prod/${REPO}`, to: null },
      triage: { releases: [expect.objectContaining({ digest: gated.digest, status: 'LIVE' })] },
    });
    expect(w.gate.notifications.map((n) => n.subject)).toContain(
      `Newly affected: ${REPO}@${gated.digest.slice(0, 19)} by RG-TEST-2026-0001`,
    );
    const log = (await readFile(join(w.dir, 'outcomes.jsonl'), 'utf8')).trim().split('\n');
    expect(log.map((l) => JSON.parse(l) as { event?: string; notification?: string })).toEqual([
      expect.objectContaining({ event: 'Release Newly Affected' }),
      expect.objectContaining({ notification: expect.stringMatching(/^Newly affected/) }),
    ]);

    // Act: a daily run over the folder (the broken file removed: it fails the run closed): nothing new.
    await rm(join(dir, 'broken.json'));
    const scheduled = await w.gate.revalidate({ kind: 'scheduled' });

    // Assess
    expect(scheduled.newlyAffected).toEqual([]);
    expect(scheduled.alreadyKnown.map((a) => a.advisoryId)).toEqual(['RG-TEST-2026-0001']);
    expect(w.gate.outcomes.filter((e) => e.type === 'Release Newly Affected')).toHaveLength(1);
  });

  it('`release-gate revalidate --advisory FILE` alerts from another terminal, through outcomes.jsonl', async () => {
    // Prepare: the stack published for the CLI, the release of the first test live.
    const w = world();
    await publishLocalWorld(w, join(w.dir, 'advisories'));
    const file = join(w.dir, 'express.json');
    await writeFile(
      file,
      JSON.stringify({
        ...UNDICI,
        id: 'RG-TEST-2026-0002',
        aliases: [],
        affected: [
          {
            package: { ecosystem: 'npm', name: 'express' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '4.0.0' }, { last_affected: '4.21.2' }] }],
          },
        ],
      }),
    );

    // Act
    const out = await runCli(['revalidate', '--advisory', file, '--json', '--work-dir', w.dir], { timeoutMs: 60_000 });
    const again = await runCli(['revalidate', '--advisory', file, '--work-dir', w.dir], { timeoutMs: 60_000 });

    // Assess
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const summary = z
      .object({
        checked: z.number(),
        newlyAffected: z.array(z.object({ repository: z.string(), advisoryId: z.string() })),
      })
      .parse(JSON.parse(out.stdout));
    expect(summary).toEqual({
      checked: 1,
      newlyAffected: [expect.objectContaining({ repository: REPO, advisoryId: 'RG-TEST-2026-0002' })],
    });
    expect(again.stdout).toMatch(/^re-validated 1 live release\(s\): 0 newly affected, 1 already known/);
    const log = await readFile(join(w.dir, 'outcomes.jsonl'), 'utf8');
    expect(log.match(/"event":"Release Newly Affected"/g)).toHaveLength(2);
  });

  it('refuses to start on an advisories folder that cannot be watched, naming it', async () => {
    // Act
    const start = LocalGate.start({
      policy: HANDLER_POLICY,
      registry: new MemoryRegistry(),
      advisoriesDir: join(world().dir, 'no-such-folder'),
    });

    // Assess
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow(/no-such-folder cannot be watched/);
  });
});
