import { describe, expect, it } from 'vitest';
import { buildScenario, buildScenarioImage } from '../../cli/fixtures/factory.js';
import { DEMO_SCENARIOS, type Scenario } from '../../cli/fixtures/scenarios.js';
import { countTransitions } from '../../cli/local/step-functions.js';
import { gateRelease, type LocalWorld, lastState, postApproval, useLocalWorld } from '../support/world.js';

const APPROVED = { approvals: { decision: 'approve', by: 'alice@example.com' } } as const;

/** Builds the scenario's images, gates its previous release (if any), then gates the current one. */
async function gateScenario(w: LocalWorld, s: Scenario) {
  const built = await buildScenario(w.registry, s, w.keys);
  if (built.previous !== undefined) await gateRelease(w, s.repository, built.previous.subject.tag);
  return { built, ...(await gateRelease(w, s.repository, built.current.subject.tag)) };
}

type Gated = Awaited<ReturnType<typeof gateScenario>>;

/** The release went out: the execution ended in Promoted and production holds the exact digest. */
async function expectPromoted(w: LocalWorld, repository: string, { built, exec, release }: Gated): Promise<void> {
  expect(exec.status).toBe('SUCCEEDED');
  expect(lastState(exec)).toBe('Promoted');
  expect(release?.state).toBe('PROMOTED');
  const promoted = await w.registry.getManifest(`prod/${repository}`, built.current.subject.tag);
  expect(promoted.digest).toBe(built.current.digest);
}

/** Builds the scenario's image and pushes it with the given ECR stand-in behaviour, without waiting. */
async function pushScenarioImage(w: LocalWorld, s: Scenario, opts: Parameters<LocalWorld['gate']['push']>[2]) {
  const built = await buildScenarioImage(w.registry, s, w.keys);
  return { built, pushed: await w.gate.push(s.repository, built.subject.tag, opts) };
}

const scenario = (name: string): Scenario => {
  const s = DEMO_SCENARIOS.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no scenario ${name}`);
  return s;
};

describe('Workflow: release-gate.asl.json on the local stack', () => {
  describe('when every piece of evidence passes and the approver approves', () => {
    const world = useLocalWorld(APPROVED);

    it('promotes the exact digest to production and records the promotion track', async () => {
      // Prepare
      const w = world();

      // Act
      const gated = await gateScenario(w, scenario('good'));

      // Assess
      const { built, exec, evidence } = gated;
      await expectPromoted(w, 'demo/good', gated);
      expect(evidence.map((e) => `${e.kind}:${e.status}`).sort()).toEqual(
        ['approval', 'dependency-diff', 'eval', 'lockfile', 'provenance', 'sbom', 'scan', 'signature'].map(
          (k) => `${k}:PASS`,
        ),
      );
      const track = await w.deps.gate.store.listPromotions('demo/good');
      // demo/good 1.4.0 follows its promoted 1.3.0: the track lists both, most recent first.
      expect(track.map((t) => t.digest)).toEqual([built.current.digest, built.previous?.digest]);
      const approval = evidence.find((e) => e.kind === 'approval');
      expect(approval?.reasons[0]).toContain('alice@example.com');
      expect(countTransitions(exec.events)).toBeGreaterThan(10);
      expect(w.gate.outcomes.map((o) => o.type)).toContain('Release Promoted');
    });

    it.each([
      ['sigstore-bundle', 'sigstore-bundle', 'demo-image-signing'],
      ['notation', 'notation', 'C=US, ST=WA, O=Release Gate Demo, CN=ci'],
    ] as const)('promotes %s, signed only with a %s signature by %s', async (name, kind, signer) => {
      // Prepare
      const w = world();
      const s = scenario(name);

      // Act
      const gated = await gateScenario(w, s);

      // Assess
      const { built, evidence } = gated;
      expect(s.expect).toBe('PROMOTED');
      expect(built.current.signatureTag).toBeUndefined();
      expect(built.current.signatureReferrer).toBeDefined();
      await expectPromoted(w, s.repository, gated);
      expect(evidence.filter((e) => e.status !== 'PASS').map((e) => `${e.kind}:${e.status}`)).toEqual([]);
      expect(evidence).toHaveLength(8);
      const signature = evidence.find((e) => e.kind === 'signature');
      expect(signature?.facts).toMatchObject({ signers: [signer], kinds: [kind] });
    });
  });

  describe('when a piece of evidence fails', () => {
    const world = useLocalWorld(APPROVED);

    const failing = DEMO_SCENARIOS.filter((s) => s.expect === 'QUARANTINED');
    it('covers the tampered Sigstore bundle and Notation scenarios', () => {
      // Assess
      expect(failing.map((s) => s.name)).toEqual(
        expect.arrayContaining(['sigstore-bundle-tampered', 'notation-tampered']),
      );
    });
    it.each(failing.map((s) => [s.name, s] as const))(
      'quarantines %s with the reason and never touches production',
      async (_n, s) => {
        // Prepare
        const w = world();

        // Act
        const { built, exec, release, evidence } = await gateScenario(w, s);

        // Assess
        expect(exec.status).toBe('SUCCEEDED');
        expect(lastState(exec)).toBe('Quarantined');
        expect(release?.state).toBe('QUARANTINED');
        const failed = evidence.find((e) => e.kind === s.expectKind);
        expect(failed?.status).not.toBe('PASS');
        expect(failed?.reasons.join(' ').toLowerCase()).toContain((s.expectReason ?? '').toLowerCase());
        expect(release?.outcomeReasons?.join(' ')).toContain(`${s.expectKind}:`);
        await expect(w.registry.getManifest(`prod/${s.repository}`, built.current.digest)).rejects.toThrow();
        const tags = await w.registry.listTags(s.repository);
        expect(tags).toContain(`quarantine-${built.current.digest.replace(':', '-')}`);
      },
    );
  });

  describe('when the approver rejects', () => {
    const world = useLocalWorld({ approvals: { decision: 'reject', by: 'bob@example.com' } });

    it('quarantines with the rejection as the reason and records approval FAIL', async () => {
      // Act
      const { exec, release, evidence } = await gateScenario(world(), scenario('good'));

      // Assess
      expect(lastState(exec)).toBe('Quarantined');
      expect(release?.outcomeReasons?.join(' ')).toContain('rejected by bob@example.com');
      expect(evidence.find((e) => e.kind === 'approval')?.status).toBe('FAIL');
    });
  });

  describe('when nobody answers the approval in time', () => {
    const world = useLocalWorld({
      tweak: (p) => ({ ...p, rules: p.rules.map((r) => ({ ...r, approval: { ...r.approval, timeoutSeconds: 1 } })) }),
    });

    it('quarantines after the timeout and a late answer is refused', async () => {
      // Prepare
      const w = world();

      // Act
      const { exec, release, evidence } = await gateScenario(w, scenario('good'));
      const requested = w.gate.outcomes.find((o) => o.type === 'Approval Requested');
      const late = await postApproval(String(requested?.detail.url), { decision: 'approve', by: 'late@example.com' });

      // Assess
      expect(lastState(exec)).toBe('Quarantined');
      expect(release?.outcomeReasons?.join(' ')).toContain('approval timeout');
      expect(evidence.find((e) => e.kind === 'approval')?.status).toBe('MISSING');
      expect(late.status).toBe(409);
    });
  });

  describe('when the scan never completes', () => {
    const world = useLocalWorld({ ...APPROVED, scanTimeoutSeconds: 1 });

    it('records scan MISSING after WaitForScan times out and quarantines', async () => {
      // Prepare
      const w = world();
      const s = scenario('good');

      // Act
      const { built, pushed } = await pushScenarioImage(w, s, { scan: 'never' });
      const exec = await w.gate.waitForExecution(pushed.executionName ?? '');

      // Assess
      const scan = await w.deps.gate.store.getEvidence(s.repository, built.digest, 'scan');
      expect(scan?.status).toBe('MISSING');
      expect(scan?.reasons.join(' ')).toContain('Timeout');
      expect(lastState(exec)).toBe('Quarantined');
    });
  });

  describe('when events arrive twice or out of order', () => {
    const world = useLocalWorld(APPROVED);

    it('treats a duplicate push event as a no-op (one execution per digest)', async () => {
      // Prepare
      const w = world();
      const s = scenario('good');

      // Act
      const { built, pushed } = await pushScenarioImage(w, s, { duplicateEvent: true });
      await w.gate.waitForExecution(pushed.executionName ?? '');
      const again = await w.gate.push(s.repository, built.subject.tag, { scan: 'never' });

      // Assess
      expect(again.startResult).toMatchObject({ started: true, alreadyExisted: true });
      expect([...w.gate.sfn.executions.keys()].filter((n) => n === pushed.executionName)).toHaveLength(1);
      expect(w.gate.outcomes.filter((o) => o.type === 'Release Promoted')).toHaveLength(1);
    });

    it('completes WaitForScan at once when the scan event came before the workflow reached it', async () => {
      // Prepare
      const w = world();
      const s = { ...scenario('good'), repository: 'demo/scan-first' };

      // Act
      const { built, pushed } = await pushScenarioImage(w, s, { scan: 'before-start' });
      const exec = await w.gate.waitForExecution(pushed.executionName ?? '');

      // Assess
      expect(lastState(exec)).toBe('Promoted');
      const scan = await w.deps.gate.store.getEvidence(s.repository, built.digest, 'scan');
      expect(scan?.status).toBe('PASS');
    });
  });
});
