/**
 * Revoke and roll back after the real workflow promoted two releases one after the other (issue 9
 * §2–3): the live channel tag follows promotions, a revoked release names the rollback target, and
 * the target is re-verified (signature, attestations, stored SBOM against today's advisories,
 * today's policy) before the tag moves back; refusals name why, a break-glass needs a reason and a
 * second person and is recorded and announced.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { DEFAULT_NPM_PACKAGES, demoPolicy, type ScenarioTarget } from '../../cli/fixtures/scenarios.js';
import { loadAdvisories } from '../../lambdas/adapters/scan/advisories-folder.js';
import { InvalidInputError, UntrustedError } from '../../lambdas/domain/errors.js';
import { revokeRelease } from '../../lambdas/domain/incident/revoke.js';
import { type RollbackDeps, rollbackRelease } from '../../lambdas/domain/incident/rollback.js';
import type { OsvRecord } from '../../lambdas/domain/osv/schema.js';
import { triage } from '../../lambdas/domain/triage/triage.js';
import { gateRelease, type LocalWorld, lastState, policyOf, useLocalWorld } from '../support/world.js';

const ADVISORIES = fileURLToPath(new URL('../../cli/fixtures/advisories/', import.meta.url));
const REPO = 'demo/rollback-app';
const PROD = `prod/${REPO}`;
/** A package only the first release carries, in a version a new advisory will say is affected. */
const PACKAGE = { name: 'left-pad', version: '1.3.0' };
const OPS = { kind: 'cli-local', subject: 'carol@example.com' } as const;
const BOB = { kind: 'cli-local', subject: 'bob@example.com' } as const;

function release(tag: string, extra: ScenarioTarget['npmPackages'] = []): ScenarioTarget {
  return { repository: REPO, tag, npmPackages: [...DEFAULT_NPM_PACKAGES, ...extra] };
}

/** An advisory published after both releases were gated: the first release's left-pad is affected. */
const NEW_ADVISORY = {
  schema_version: '1.4.0',
  id: 'GHSA-rb00-0000-0001',
  aliases: ['CVE-2026-990001'],
  modified: '2026-12-01T00:00:00Z',
  summary: 'Test advisory published after the release was promoted',
  database_specific: { severity: 'CRITICAL' },
  affected: [
    {
      package: { ecosystem: 'npm', name: PACKAGE.name },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.3.1' }] }],
    },
  ],
};

describe('Workflow: revoke and roll back', () => {
  const world = useLocalWorld({ approvals: { decision: 'approve', by: 'alice@example.com' } });

  /** Today's advisories: the demo folder, plus `extra` written into a copy of it. */
  async function advisoriesWith(extra?: object): Promise<OsvRecord[]> {
    if (extra === undefined) return loadAdvisories(ADVISORIES);
    const dir = await mkdtemp(join(tmpdir(), 'rg-advisories-'));
    try {
      for (const a of await loadAdvisories(ADVISORIES)) await writeFile(join(dir, `${a.id}.json`), JSON.stringify(a));
      await writeFile(join(dir, 'new-advisory.json'), JSON.stringify(extra));
      return await loadAdvisories(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  function incidentDeps(w: LocalWorld, advisories: readonly OsvRecord[], policy = w.deps.gate.policy): RollbackDeps {
    return { ...w.deps.gate, policy, advisories };
  }

  const liveDigest = async (w: LocalWorld) => (await w.registry.getManifest(PROD, 'live')).digest;
  const eventsOf = (w: LocalWorld, type: string) => w.gate.outcomes.filter((e) => e.type === type);

  it('refuses, revokes, rolls back, and breaks glass only with a reason and a second person', async () => {
    // Prepare: two releases promoted one after the other by the real workflow.
    const w = world();
    const first = await buildScenarioImage(w.registry, release('1.0.0', [PACKAGE]), w.keys);
    expect(lastState((await gateRelease(w, REPO, '1.0.0')).exec)).toBe('Promoted');
    expect(await liveDigest(w)).toBe(first.digest);
    const second = await buildScenarioImage(w.registry, release('1.1.0'), w.keys);
    expect(lastState((await gateRelease(w, REPO, '1.1.0')).exec)).toBe('Promoted');
    expect(await liveDigest(w)).toBe(second.digest);
    const today = await advisoriesWith();

    // Act & Assess: the first release is newly affected by an advisory published since.
    const affected = await rollbackRelease(incidentDeps(w, await advisoriesWith(NEW_ADVISORY)), {
      repository: REPO,
      operator: OPS,
    });
    expect(affected.outcome).toBe('REFUSED');
    expect(affected.digest).toBe(first.digest);
    expect(affected.reasons.join('\n')).toContain('newly affected: CVE-2026-990001');
    expect(affected.reasons.join('\n')).toMatch(/scan FAIL today/);

    // … and its signer is no longer trusted by a policy that dropped the signing key.
    const distrusting = policyOf(demoPolicy({ ...w.keys, signing: w.keys.untrusted }));
    const untrusted = await rollbackRelease(incidentDeps(w, today, distrusting), { repository: REPO, operator: OPS });
    expect(untrusted.outcome).toBe('REFUSED');
    expect(untrusted.reasons.join('\n')).toMatch(/signature (FAIL|UNTRUSTED|ERROR) today/);
    expect(await liveDigest(w)).toBe(second.digest);
    expect(eventsOf(w, 'Release Rolled Back')).toEqual([]);

    // Revoke the live release: it names the target, once.
    const revoked = await revokeRelease(w.deps.gate, {
      repository: REPO,
      digest: second.digest,
      reason: 'CVE-2026-990002 in the new base image',
      by: OPS,
    });
    expect(revoked).toMatchObject({ created: true, liveNow: true, rollback: { target: { digest: first.digest } } });
    expect(revoked.record.revokedBy).toBe('carol@example.com (local, unauthenticated)');
    const again = await revokeRelease(w.deps.gate, { repository: REPO, digest: second.digest, reason: 'x', by: BOB });
    expect(again).toMatchObject({ created: false, record: revoked.record });
    const announced = expect.objectContaining({
      digest: second.digest,
      rollbackTarget: first.digest,
      liveNow: true,
      reason: 'CVE-2026-990002 in the new base image',
    });
    // At-least-once: the repeat announces the first record again, never the second reason.
    expect(eventsOf(w, 'Release Revoked').map((e) => e.detail)).toEqual([announced, announced]);

    // Roll back: re-verified with today's advisories and policy, the live tag moves back.
    const started = performance.now();
    const rolled = await rollbackRelease(incidentDeps(w, today), {
      repository: REPO,
      operator: OPS,
      reason: 'revoked',
    });
    const seconds = (performance.now() - started) / 1000;
    expect(rolled).toMatchObject({ outcome: 'ROLLED_BACK', digest: first.digest, from: second.digest });
    expect(rolled.outcome === 'ROLLED_BACK' && rolled.reverification.evidence.map((e) => e.status)).toEqual([
      'PASS',
      'PASS',
      'PASS',
    ]);
    expect(await liveDigest(w)).toBe(first.digest);
    expect((await w.registry.getManifest(PROD, '1.1.0')).digest).toBe(second.digest); // version tags stay
    expect(eventsOf(w, 'Release Rolled Back').map((e) => e.detail)).toEqual([
      expect.objectContaining({ digest: first.digest, from: second.digest, image: `${PROD}@${first.digest}` }),
    ]);
    console.info(`rollback wall time, re-verification included: ${seconds.toFixed(2)} s`);

    // The revoked release is refused as a target by name.
    const toRevoked = await rollbackRelease(incidentDeps(w, today), {
      repository: REPO,
      to: second.digest,
      operator: OPS,
    });
    expect(toRevoked.outcome).toBe('REFUSED');
    expect(toRevoked.reasons[0]).toMatch(/^revoked at .* by carol@example.com .*: CVE-2026-990002/);

    // Break-glass needs a reason and an approver, on the allowlist, and not the operator.
    const glass = (breakGlass: Parameters<typeof rollbackRelease>[1]['breakGlass']) =>
      rollbackRelease(incidentDeps(w, today), { repository: REPO, to: second.digest, operator: OPS, breakGlass });
    await expect(glass({ approver: BOB })).rejects.toThrow(InvalidInputError);
    await expect(glass({ reason: '  ', approver: BOB })).rejects.toThrow(/needs a reason/);
    await expect(glass({ reason: 'outage' })).rejects.toThrow(/needs an approver/);
    await expect(glass({ reason: 'outage', approver: OPS })).rejects.toThrow(UntrustedError);
    await expect(
      glass({ reason: 'outage', approver: { kind: 'cli-local', subject: 'mallory@example.com' } }),
    ).rejects.toThrow(/not an allowed approver/);
    expect(await liveDigest(w)).toBe(first.digest);

    // With both, it goes through, recorded on the track and alerted.
    const broken = await glass({ reason: 'the fix is worse than the CVE', approver: BOB });
    expect(broken).toMatchObject({
      outcome: 'ROLLED_BACK',
      digest: second.digest,
      breakGlass: { reason: 'the fix is worse than the CVE', approvedBy: 'bob@example.com' },
    });
    expect(await liveDigest(w)).toBe(second.digest);
    const track = await w.deps.gate.store.listPromotions(REPO);
    expect(track.map((e) => [e.kind ?? 'promotion', e.digest])).toEqual([
      ['rollback', second.digest],
      ['rollback', first.digest],
      ['promotion', second.digest],
      ['promotion', first.digest],
    ]);
    expect(track[0]?.breakGlass).toEqual({
      reason: 'the fix is worse than the CVE',
      approvedBy: 'bob@example.com',
      approverIdentity: 'local, unauthenticated',
      overridden: [expect.stringMatching(/^revoked at/)],
    });
    expect(eventsOf(w, 'Break Glass Used').map((e) => e.detail)).toEqual([
      expect.objectContaining({ digest: second.digest, approvedBy: 'bob@example.com' }),
    ]);
    expect(w.gate.notifications.map((n) => n.subject)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^BREAK GLASS: /), expect.stringMatching(/^Revoked: /)]),
    );

    // Triage tells the story: the revoked release is live again (break-glass), the first one had
    // two windows, the second from its rollback.
    const answer = await triage(w.deps.gate.store, { kind: 'range', purl: 'pkg:npm/express' });
    const mine = answer.releases.filter((r) => r.repository === REPO);
    const at = (i: number) => track[i]?.promotedAt;
    expect(mine.find((r) => r.digest === second.digest)).toMatchObject({
      status: 'LIVE',
      revoked: { reason: 'CVE-2026-990002 in the new base image' },
      windows: [
        { from: at(2), to: at(1) },
        { from: at(0), to: null },
      ],
    });
    expect(mine.find((r) => r.digest === first.digest)).toMatchObject({
      status: 'PROMOTED',
      windows: [
        { from: at(3), to: at(2) },
        { from: at(1), to: at(0) },
      ],
    });
  }, 300_000);

  it('on AWS adds the advisories to the findings the scanner has today: refuses an affected target, each finding once', async () => {
    // Prepare: two releases of another repository promoted by the real workflow.
    const w = world();
    const repository = 'demo/rollback-aws';
    await buildScenarioImage(w.registry, { ...release('1.0.0', [PACKAGE]), repository }, w.keys);
    expect(lastState((await gateRelease(w, repository, '1.0.0')).exec)).toBe('Promoted');
    await buildScenarioImage(w.registry, { ...release('1.1.0'), repository }, w.keys);
    expect(lastState((await gateRelease(w, repository, '1.1.0')).exec)).toBe('Promoted');
    const advisories = await advisoriesWith(NEW_ADVISORY);
    const finding = {
      id: 'CVE-2026-990001',
      aliases: ['GHSA-rb00-0000-0001'],
      severity: 'CRITICAL' as const,
      packageName: PACKAGE.name,
      packageVersion: PACKAGE.version,
    };
    let asked = 0;
    const scannerAlreadyKnows = {
      getFindings: async () => {
        asked++;
        return { status: 'ACTIVE', scanner: 'inspector (stand-in)', findings: [finding] };
      },
    };
    const scannerFails = {
      getFindings: async () => {
        throw new Error('Inspector is unreachable');
      },
    };
    const deps = (scans: RollbackDeps['scans']): RollbackDeps => ({
      ...w.deps.gate,
      scans,
      advisories,
      advisoriesWithScans: true,
    });

    // Act
    const withScanner = await rollbackRelease(deps(scannerAlreadyKnows), { repository, operator: OPS });
    const scannerDown = await rollbackRelease(deps(scannerFails), { repository, operator: OPS });

    // Assess: the scanner was asked, the advisory's finding and the scanner's are one finding.
    expect(asked).toBeGreaterThan(0);
    expect(withScanner.outcome).toBe('REFUSED');
    expect(withScanner.reasons.join('\n')).toContain('1 CRITICAL finding');
    expect(withScanner.reasons.join('\n')).toContain('newly affected: CVE-2026-990001');
    // A scanner that cannot answer refuses the rollback rather than trusting the advisories alone.
    expect(scannerDown.outcome).toBe('REFUSED');
    expect(scannerDown.reasons.join('\n')).toMatch(/scan (ERROR|MISSING|FAIL) today/);
    expect((await w.registry.getManifest(`prod/${repository}`, 'live')).digest).not.toBe(withScanner.digest);
  }, 300_000);
});

describe('Workflow: roll back under a policy that does not require every kind', () => {
  const world = useLocalWorld({
    approvals: { decision: 'approve', by: 'alice@example.com' },
    tweak: (policy) => ({
      ...policy,
      rules: policy.rules.map((rule) => ({
        ...rule,
        stages: { ...rule.stages, production: { require: ['sbom', 'signature', 'scan', 'approval'] } },
      })),
    }),
  });

  it('does not refuse for a kind the stage does not require and that did not pass when gated', async () => {
    // Prepare: two releases without provenance, promoted one after the other.
    const w = world();
    const repository = 'demo/rollback-lenient';
    const build = (tag: string) =>
      buildScenarioImage(w.registry, { ...release(tag), repository, provenance: false }, w.keys);
    const first = await build('1.0.0');
    expect(lastState((await gateRelease(w, repository, '1.0.0')).exec)).toBe('Promoted');
    await build('1.1.0');
    expect(lastState((await gateRelease(w, repository, '1.1.0')).exec)).toBe('Promoted');

    // Act
    const out = await rollbackRelease(
      { ...w.deps.gate, advisories: await loadAdvisories(ADVISORIES) },
      { repository, operator: OPS },
    );

    // Assess
    expect(out.reasons).toEqual([]);
    expect(out).toMatchObject({ outcome: 'ROLLED_BACK', digest: first.digest });
    expect(out.outcome === 'ROLLED_BACK' && out.reverification.evidence.map((e) => [e.kind, e.status])).toEqual([
      ['signature', 'PASS'],
      ['provenance', expect.not.stringMatching(/^PASS$/)],
      ['scan', 'PASS'],
    ]);
  }, 300_000);
});
