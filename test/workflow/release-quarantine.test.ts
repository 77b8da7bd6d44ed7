/**
 * Release from quarantine (issue 9 §4) after the real workflow quarantined a release signed by a
 * key the policy does not trust: refused with the reasons, then promoted by a break-glass (a reason
 * and a second person, a break-glass decision document, `Break Glass Used`), then undone by
 * `rollback`.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { DEFAULT_NPM_PACKAGES } from '../../cli/fixtures/scenarios.js';
import { loadAdvisories } from '../../lambdas/adapters/scan/advisories-folder.js';
import { UntrustedError } from '../../lambdas/domain/errors.js';
import { type ReleaseDeps, releaseFromQuarantine } from '../../lambdas/domain/incident/release.js';
import { rollbackRelease } from '../../lambdas/domain/incident/rollback.js';
import { gateRelease, type LocalWorld, lastState, useLocalWorld } from '../support/world.js';

const ADVISORIES = fileURLToPath(new URL('../../cli/fixtures/advisories/', import.meta.url));
const REPO = 'demo/release-app';
const PROD = `prod/${REPO}`;
const OPS = { kind: 'cli-local', subject: 'carol@example.com' } as const;
const BOB = { kind: 'cli-local', subject: 'bob@example.com' } as const;

describe('Workflow: release from quarantine', () => {
  const world = useLocalWorld({ approvals: { decision: 'approve', by: 'alice@example.com' } });

  const deps = async (w: LocalWorld): Promise<ReleaseDeps> => ({
    ...w.deps.gate,
    advisories: await loadAdvisories(ADVISORIES),
  });
  const liveDigest = async (w: LocalWorld) => (await w.registry.getManifest(PROD, 'live')).digest;
  const eventsOf = (w: LocalWorld, type: string) => w.gate.outcomes.filter((e) => e.type === type);

  it('refuses a release that still fails, promotes it by break-glass, and rollback undoes it', async () => {
    // Prepare: one release promoted, the next quarantined for an untrusted signer.
    const w = world();
    const build = (tag: string, signature?: 'untrusted-key') =>
      buildScenarioImage(w.registry, { repository: REPO, tag, npmPackages: DEFAULT_NPM_PACKAGES, signature }, w.keys);
    const first = await build('1.0.0');
    expect(lastState((await gateRelease(w, REPO, '1.0.0')).exec)).toBe('Promoted');
    const second = await build('1.1.0', 'untrusted-key');
    expect(lastState((await gateRelease(w, REPO, '1.1.0')).exec)).toBe('Quarantined');
    const ask = async (breakGlass?: Parameters<typeof releaseFromQuarantine>[1]['breakGlass']) =>
      releaseFromQuarantine(await deps(w), {
        repository: REPO,
        digest: second.digest,
        reason: 'the signing key was rotated',
        operator: OPS,
        ...(breakGlass === undefined ? {} : { breakGlass }),
      });

    // Act & Assess: still failing, it is refused with the reasons, and nothing moves.
    const refused = await ask();
    expect(refused.outcome).toBe('REFUSED');
    expect(refused.outcome === 'REFUSED' && refused.reasons.join('\n')).toMatch(
      /signature (FAIL|UNTRUSTED|ERROR) today/,
    );
    expect(await liveDigest(w)).toBe(first.digest);
    // A release that is not quarantined is refused as such.
    const promoted = await releaseFromQuarantine(await deps(w), {
      repository: REPO,
      digest: first.digest,
      reason: 'x',
      operator: OPS,
    });
    expect(promoted.outcome === 'REFUSED' && promoted.reasons).toEqual([
      expect.stringMatching(/is PROMOTED, not QUARANTINED/),
    ]);
    // The operator cannot approve their own break-glass.
    await expect(ask({ reason: 'outage', approver: OPS })).rejects.toThrow(UntrustedError);

    // Break-glass: promoted, recorded, alerted; the gate's decision stays.
    const glass = await ask({ reason: 'outage: the fix must ship now', approver: BOB });
    expect(glass).toMatchObject({
      outcome: 'PROMOTED',
      breakGlass: { reason: 'outage: the fix must ship now', approvedBy: 'bob@example.com' },
    });
    expect(await liveDigest(w)).toBe(second.digest);
    expect((await w.registry.getManifest(PROD, '1.1.0')).digest).toBe(second.digest);
    const store = w.deps.gate.store;
    expect((await store.getRelease(REPO, second.digest))?.state).toBe('QUARANTINED');
    expect((await store.getDecision(REPO, second.digest))?.decision).not.toBe('PASS');
    const [entry] = await store.listPromotions(REPO);
    expect(entry).toMatchObject({
      digest: second.digest,
      kind: 'promotion',
      by: 'carol@example.com (local, unauthenticated)',
      reason: 'the signing key was rotated',
      breakGlass: {
        approvedBy: 'bob@example.com',
        overridden: [expect.stringMatching(/^signature /), "today's policy blocks it"],
      },
    });
    const ref = entry?.breakGlass?.decisionDocument;
    expect(ref).toBeDefined();
    const document = JSON.parse(new TextDecoder().decode(await w.deps.gate.documents.get(ref ?? 'sha256:0')));
    expect(document).toMatchObject({
      decision: 'BREAK_GLASS',
      digest: second.digest,
      gateDecision: { decision: expect.not.stringMatching(/^PASS$/) },
      breakGlass: { reason: 'outage: the fix must ship now' },
    });
    expect(eventsOf(w, 'Break Glass Used').map((e) => e.detail)).toEqual([
      expect.objectContaining({ digest: second.digest, approvedBy: 'bob@example.com' }),
    ]);
    expect(w.gate.notifications.map((n) => n.subject)).toContainEqual(expect.stringMatching(/^BREAK GLASS: /));

    // Reversible: rollback goes back to the release live before.
    const back = await rollbackRelease(await deps(w), { repository: REPO, operator: OPS, reason: 'undo break-glass' });
    expect(back).toMatchObject({ outcome: 'ROLLED_BACK', digest: first.digest, from: second.digest });
    expect(await liveDigest(w)).toBe(first.digest);
  }, 300_000);
});

describe('Workflow: release from quarantine of a release whose evidence passes', () => {
  const world = useLocalWorld({ approvals: { decision: 'reject', by: 'alice@example.com' } });

  it('does not break glass: it must go through approval, which is refused until the re-run is built', async () => {
    // Prepare: a good release quarantined only because its approver rejected it.
    const w = world();
    const built = await buildScenarioImage(
      w.registry,
      { repository: 'demo/rejected-app', tag: '1.0.0', npmPackages: DEFAULT_NPM_PACKAGES },
      w.keys,
    );
    expect(lastState((await gateRelease(w, 'demo/rejected-app', '1.0.0')).exec)).toBe('Quarantined');

    // Act
    const out = await releaseFromQuarantine(
      { ...w.deps.gate, advisories: await loadAdvisories(ADVISORIES) },
      {
        repository: 'demo/rejected-app',
        digest: built.digest,
        reason: 'rejected by mistake',
        operator: OPS,
        breakGlass: { reason: 'outage', approver: BOB },
      },
    );

    // Assess: re-verified clean, refused with the reason, nothing promoted or announced.
    expect(out.outcome).toBe('REFUSED');
    expect(out.outcome === 'REFUSED' && out.reasons).toEqual([
      expect.stringMatching(/must go through approval as usual; re-running the gate .* is not supported yet/),
    ]);
    expect(out.outcome === 'REFUSED' && out.reverification?.ok).toBe(true);
    expect(await w.deps.gate.store.listPromotions('demo/rejected-app')).toEqual([]);
    expect(w.gate.outcomes.filter((e) => e.type === 'Break Glass Used')).toEqual([]);
  }, 300_000);
});
