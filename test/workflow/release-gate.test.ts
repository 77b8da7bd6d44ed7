import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildScenario, buildScenarioImage } from '../../cli/fixtures/factory.js';
import { type FixtureKeys, generateFixtureKeys } from '../../cli/fixtures/keys.js';
import { DEMO_SCENARIOS, demoPolicy, type Scenario } from '../../cli/fixtures/scenarios.js';
import { LocalGate } from '../../cli/local/gate.js';
import { countTransitions } from '../../cli/local/step-functions.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { loadAdvisories } from '../../lambdas/adapters/scan/advisories-folder.js';
import { loadPolicy } from '../../lambdas/domain/policy/load.js';
import type { PolicyDocument } from '../../lambdas/domain/policy/schema.js';

const ADVISORIES = fileURLToPath(new URL('../../cli/fixtures/advisories/', import.meta.url));

interface World {
  dir: string;
  keys: FixtureKeys;
  registry: OciLayoutRegistry;
  gate: LocalGate;
}

async function startWorld(
  opts: { scanTimeoutSeconds?: number; tweak?: (p: PolicyDocument) => PolicyDocument } = {},
): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-workflow-'));
  const keys = await generateFixtureKeys();
  const doc = (opts.tweak ?? ((p) => p))(demoPolicy(keys));
  const policy = loadPolicy(new TextEncoder().encode(stringify(doc)));
  const registry = new OciLayoutRegistry({ root: join(dir, 'registry') });
  const gate = await LocalGate.start({
    policy,
    advisories: await loadAdvisories(ADVISORIES),
    registry,
    scanTimeoutSeconds: opts.scanTimeoutSeconds ?? 30,
  });
  return { dir, keys, registry, gate };
}

async function stopWorld(w: World | undefined): Promise<void> {
  if (w === undefined) return;
  await w.gate.stop();
  await rm(w.dir, { recursive: true, force: true });
}

/** Answer every approval request through the approval HTTP server, as a browser would. */
function answerApprovals(w: World, decision: 'approve' | 'reject', by = 'alice@example.com'): void {
  w.gate.onOutcome((e) => {
    if (e.type !== 'Approval Requested') return;
    void fetch(String(e.detail.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision, by, comment: `${decision} from test` }).toString(),
    });
  });
}

async function gateScenario(w: World, s: Scenario) {
  const built = await buildScenario(w.registry, s, w.keys);
  if (built.previous !== undefined) {
    const prev = await w.gate.push(s.repository, built.previous.subject.tag);
    await w.gate.waitForExecution(prev.executionName ?? '');
  }
  const pushed = await w.gate.push(s.repository, built.current.subject.tag);
  const exec = await w.gate.waitForExecution(pushed.executionName ?? '');
  const release = await w.gate.deps.gate.store.getRelease(s.repository, built.current.digest);
  const evidence = await w.gate.deps.gate.store.listEvidence(s.repository, built.current.digest);
  return { built, exec, release, evidence };
}

function lastState(exec: { events: readonly { type: string; state?: { name?: string } }[] }): string | undefined {
  const entered = exec.events.filter((e) => e.type === 'StateEntered');
  return entered.at(-1)?.state?.name;
}

const scenario = (name: string): Scenario => {
  const s = DEMO_SCENARIOS.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no scenario ${name}`);
  return s;
};

describe('Workflow: release-gate.asl.json on the local stack', () => {
  describe('when every piece of evidence passes and the approver approves', () => {
    let w: World;
    beforeAll(async () => {
      w = await startWorld();
      answerApprovals(w, 'approve');
    });
    afterAll(() => stopWorld(w));

    it('promotes the exact digest to production and records the promotion track', async () => {
      // Act
      const { built, exec, release, evidence } = await gateScenario(w, scenario('good'));

      // Assess
      expect(exec.status).toBe('SUCCEEDED');
      expect(lastState(exec)).toBe('Promoted');
      expect(release?.state).toBe('PROMOTED');
      expect(evidence.map((e) => `${e.kind}:${e.status}`).sort()).toEqual(
        ['approval', 'dependency-diff', 'eval', 'lockfile', 'provenance', 'sbom', 'scan', 'signature'].map(
          (k) => `${k}:PASS`,
        ),
      );
      const promoted = await w.registry.getManifest('prod/demo/good', built.current.subject.tag);
      expect(promoted.digest).toBe(built.current.digest);
      const track = await w.gate.deps.gate.store.listPromotions('demo/good');
      expect(track.map((t) => t.digest)).toEqual([built.current.digest]);
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
      const s = scenario(name);

      // Act
      const { built, exec, release, evidence } = await gateScenario(w, s);

      // Assess
      expect(s.expect).toBe('PROMOTED');
      expect(built.current.signatureTag).toBeUndefined();
      expect(built.current.signatureReferrer).toBeDefined();
      expect(exec.status).toBe('SUCCEEDED');
      expect(lastState(exec)).toBe('Promoted');
      expect(release?.state).toBe('PROMOTED');
      expect(evidence.filter((e) => e.status !== 'PASS').map((e) => `${e.kind}:${e.status}`)).toEqual([]);
      expect(evidence).toHaveLength(8);
      const signature = evidence.find((e) => e.kind === 'signature');
      expect(signature?.facts).toMatchObject({ signers: [signer], kinds: [kind] });
      const promoted = await w.registry.getManifest(`prod/${s.repository}`, built.current.subject.tag);
      expect(promoted.digest).toBe(built.current.digest);
    });
  });

  describe('when a piece of evidence fails', () => {
    let w: World;
    beforeAll(async () => {
      w = await startWorld();
      answerApprovals(w, 'approve');
    });
    afterAll(() => stopWorld(w));

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
    let w: World;
    beforeAll(async () => {
      w = await startWorld();
      answerApprovals(w, 'reject', 'bob@example.com');
    });
    afterAll(() => stopWorld(w));

    it('quarantines with the rejection as the reason and records approval FAIL', async () => {
      const { exec, release, evidence } = await gateScenario(w, scenario('good'));
      expect(lastState(exec)).toBe('Quarantined');
      expect(release?.outcomeReasons?.join(' ')).toContain('rejected by bob@example.com');
      expect(evidence.find((e) => e.kind === 'approval')?.status).toBe('FAIL');
    });
  });

  describe('when nobody answers the approval in time', () => {
    let w: World;
    beforeAll(async () => {
      w = await startWorld({
        tweak: (p) => ({ ...p, rules: p.rules.map((r) => ({ ...r, approval: { ...r.approval, timeoutSeconds: 1 } })) }),
      });
    });
    afterAll(() => stopWorld(w));

    it('quarantines after the timeout and a late answer is refused', async () => {
      const { exec, release, evidence } = await gateScenario(w, scenario('good'));
      expect(lastState(exec)).toBe('Quarantined');
      expect(release?.outcomeReasons?.join(' ')).toContain('approval timeout');
      expect(evidence.find((e) => e.kind === 'approval')?.status).toBe('MISSING');
      const requested = w.gate.outcomes.find((o) => o.type === 'Approval Requested');
      const late = await fetch(String(requested?.detail.url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'decision=approve&by=late%40example.com',
      });
      expect(late.status).toBe(409);
    });
  });

  describe('when the scan never completes', () => {
    let w: World;
    beforeAll(async () => {
      w = await startWorld({ scanTimeoutSeconds: 1 });
      answerApprovals(w, 'approve');
    });
    afterAll(() => stopWorld(w));

    it('records scan MISSING after WaitForScan times out and quarantines', async () => {
      const s = scenario('good');
      const built = await buildScenarioImage(w.registry, s, w.keys);
      const pushed = await w.gate.push(s.repository, built.subject.tag, { scan: 'never' });
      const exec = await w.gate.waitForExecution(pushed.executionName ?? '');
      const scan = await w.gate.deps.gate.store.getEvidence(s.repository, built.digest, 'scan');
      expect(scan?.status).toBe('MISSING');
      expect(scan?.reasons.join(' ')).toContain('Timeout');
      expect(lastState(exec)).toBe('Quarantined');
    });
  });

  describe('when events arrive twice or out of order', () => {
    let w: World;
    beforeAll(async () => {
      w = await startWorld();
      answerApprovals(w, 'approve');
    });
    afterAll(() => stopWorld(w));

    it('treats a duplicate push event as a no-op (one execution per digest)', async () => {
      const s = scenario('good');
      const built = await buildScenarioImage(w.registry, s, w.keys);
      const pushed = await w.gate.push(s.repository, built.subject.tag, { duplicateEvent: true });
      await w.gate.waitForExecution(pushed.executionName ?? '');
      const again = await w.gate.push(s.repository, built.subject.tag, { scan: 'never' });
      expect(again.startResult).toMatchObject({ started: true, alreadyExisted: true });
      expect([...w.gate.sfn.executions.keys()].filter((n) => n === pushed.executionName)).toHaveLength(1);
      expect(w.gate.outcomes.filter((o) => o.type === 'Release Promoted')).toHaveLength(1);
    });

    it('completes WaitForScan at once when the scan event came before the workflow reached it', async () => {
      const s = { ...scenario('good'), repository: 'demo/scan-first' };
      const built = await buildScenarioImage(w.registry, s, w.keys);
      const pushed = await w.gate.push(s.repository, built.subject.tag, { scan: 'before-start' });
      const exec = await w.gate.waitForExecution(pushed.executionName ?? '');
      expect(lastState(exec)).toBe('Promoted');
      const scan = await w.gate.deps.gate.store.getEvidence(s.repository, built.digest, 'scan');
      expect(scan?.status).toBe('PASS');
    });
  });
});
