/**
 * "What is live" is the promotion track and the registry's channel tag together (issue 9 §3): two
 * releases promoted by the real workflow into an OCI-layout production repository, then someone
 * points `live` back at the first one by hand with `umoci` (outside the gate, as anyone with push
 * rights to production could). Rollback refuses naming both digests, revoke reports the mismatch
 * with the rollback target, and a break-glass rollback records it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { DEFAULT_NPM_PACKAGES } from '../../cli/fixtures/scenarios.js';
import { loadAdvisories } from '../../lambdas/adapters/scan/advisories-folder.js';
import { revokeRelease } from '../../lambdas/domain/incident/revoke.js';
import { rollbackRelease } from '../../lambdas/domain/incident/rollback.js';
import { gateRelease, lastState, useLocalWorld } from '../support/world.js';

const run = promisify(execFile);
const ADVISORIES = fileURLToPath(new URL('../../cli/fixtures/advisories/', import.meta.url));
const REPO = 'demo/live-by-hand';
const PROD = `prod/${REPO}`;
const OPS = { kind: 'cli-local', subject: 'carol@example.com' } as const;
const BOB = { kind: 'cli-local', subject: 'bob@example.com' } as const;

describe('Workflow: the live tag moved by hand', () => {
  const world = useLocalWorld({ approvals: { decision: 'approve', by: 'alice@example.com' } });

  it('refuses rollback naming both digests, reports it on revoke, and records it on a break-glass', async () => {
    // Prepare: two releases promoted by the real workflow; then `live` is moved back by hand.
    const w = world();
    const deps = { ...w.deps.gate, advisories: await loadAdvisories(ADVISORIES) };
    const build = (tag: string) =>
      buildScenarioImage(w.registry, { repository: REPO, tag, npmPackages: DEFAULT_NPM_PACKAGES }, w.keys);
    const first = await build('1.0.0');
    expect(lastState((await gateRelease(w, REPO, '1.0.0')).exec)).toBe('Promoted');
    const second = await build('1.1.0');
    expect(lastState((await gateRelease(w, REPO, '1.1.0')).exec)).toBe('Promoted');
    const layout = join(w.dir, 'registry', ...PROD.split('/'));
    await run('umoci', ['rm', '--image', `${layout}:live`]);
    await run('umoci', ['tag', '--image', `${layout}:1.0.0`, 'live']);
    expect((await w.registry.getManifest(PROD, 'live')).digest).toBe(first.digest);
    const mismatch = `the channel tag ${PROD}:live names ${first.digest}, but the promotion track says ${second.digest} is live: the tag was moved outside the gate`;

    // Act & Assess: rollback refuses (the track alone would "roll back" to what the tag already serves).
    const refused = await rollbackRelease(deps, { repository: REPO, operator: OPS });
    expect(refused).toMatchObject({ outcome: 'REFUSED', digest: first.digest, liveTag: { digest: first.digest } });
    expect(refused.reasons[0]).toBe(mismatch);
    expect(w.gate.outcomes.filter((e) => e.type === 'Release Rolled Back')).toEqual([]);

    // Revoke names the mismatch beside the rollback target.
    const revoked = await revokeRelease(w.deps.gate, {
      repository: REPO,
      digest: second.digest,
      reason: 'CVE in the new base image',
      by: OPS,
    });
    expect(revoked).toMatchObject({ liveNow: true, rollback: { target: { digest: first.digest } } });
    expect(revoked.liveTag?.mismatch).toBe(mismatch);

    // A break-glass rolls back and records what it overrode.
    const rolled = await rollbackRelease(deps, {
      repository: REPO,
      operator: OPS,
      breakGlass: { reason: 'the tag was moved during the outage; make the track say so', approver: BOB },
    });
    expect(rolled).toMatchObject({ outcome: 'ROLLED_BACK', digest: first.digest, from: second.digest });
    expect(rolled.outcome === 'ROLLED_BACK' && rolled.breakGlass?.overridden).toEqual([mismatch]);
    expect(w.gate.outcomes.find((e) => e.type === 'Break Glass Used')?.detail).toMatchObject({
      overridden: [mismatch],
      channelTagWas: first.digest,
    });
    expect((await w.registry.getManifest(PROD, 'live')).digest).toBe(first.digest);

    // Track and tag agree again: nothing left to refuse for.
    const again = await revokeRelease(w.deps.gate, { repository: REPO, digest: second.digest, reason: 'x', by: BOB });
    expect(again.liveTag).toEqual({ channelTag: 'live', digest: first.digest });
  }, 300_000);
});
