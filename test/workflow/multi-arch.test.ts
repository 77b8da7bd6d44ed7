import { describe, expect, it } from 'vitest';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { PLATFORMS } from '../../cli/fixtures/image.js';
import { DEFAULT_NPM_PACKAGES, type ScenarioTarget, withPackage } from '../../cli/fixtures/scenarios.js';
import { gateRelease, lastState, useLocalWorld } from '../support/world.js';

const ARM64 = 'linux/arm64/v8';

/** A two-platform release like demo/good: each platform has its signed SBOM, the index is signed. */
function multiArch(repository: string, changes: Partial<ScenarioTarget> = {}): ScenarioTarget {
  return {
    repository,
    tag: '1.4.0',
    npmPackages: DEFAULT_NPM_PACKAGES,
    platforms: [PLATFORMS.linuxAmd64, PLATFORMS.linuxArm64],
    ...changes,
  };
}

describe('Workflow: a multi-platform image (red-team finding 24)', () => {
  const world = useLocalWorld({ approvals: { decision: 'approve', by: 'alice@example.com' } });

  async function gate(scenario: ScenarioTarget) {
    const w = world();
    const built = await buildScenarioImage(w.registry, scenario, w.keys);
    const run = await gateRelease(w, scenario.repository, scenario.tag);
    const evidence = (kind: string) => run.evidence.find((e) => e.kind === kind);
    return { built, run, evidence, state: lastState(run.exec) };
  }

  describe('when every platform has its SBOM, a clean scan, and the index is signed', () => {
    it('gates each platform, keeps the detail per platform, and promotes the index', async () => {
      // Act
      const { built, run, evidence, state } = await gate(multiArch('demo/multi-good'));

      // Assess
      expect(state, run.release?.outcomeReasons?.join('; ')).toBe('Promoted');
      for (const kind of ['sbom', 'scan']) {
        expect(evidence(kind)?.status, kind).toBe('PASS');
        expect(evidence(kind)?.facts.platforms).toEqual(
          built.platforms.map((p) => ({ platform: p.platform, digest: p.digest, status: 'PASS' })),
        );
      }
      expect(evidence('sbom')?.reasons[0]).toBe(`every platform of the index passed: linux/amd64, ${ARM64}`);
      const prod = await world().registry.getManifest('prod/demo/multi-good', '1.4.0');
      expect(prod.digest).toBe(built.digest);
    });
  });

  describe('when one platform has no SBOM', () => {
    it('fails the sbom evidence naming that platform and quarantines the index', async () => {
      // Act
      const { built, evidence, state } = await gate(
        multiArch('demo/multi-no-sbom', { platformSboms: { [ARM64]: false } }),
      );

      // Assess
      const arm64 = built.platforms.find((p) => p.platform === ARM64);
      expect(state).toBe('Quarantined');
      expect(evidence('sbom')?.status).toBe('FAIL');
      expect(evidence('sbom')?.reasons[0]).toMatch(
        new RegExp(`^platform ${ARM64} \\(${arm64?.digest}\\): MISSING: no signed SBOM attestation found`),
      );
    });
  });

  describe('when one platform ships a critical vulnerability', () => {
    it('fails the scan naming that platform', async () => {
      // Act
      const vulnerable = withPackage(DEFAULT_NPM_PACKAGES, { name: 'minimist', version: '1.2.5' });
      const { evidence, state } = await gate(multiArch('demo/multi-cve', { platformSboms: { [ARM64]: vulnerable } }));

      // Assess
      expect(state).toBe('Quarantined');
      expect(evidence('sbom')?.status).toBe('PASS');
      expect(evidence('scan')?.status).toBe('FAIL');
      expect(evidence('scan')?.reasons).toEqual([
        expect.stringMatching(
          new RegExp(
            `^platform ${ARM64} \\(sha256:[a-f0-9]{64}\\): FAIL: 1 CRITICAL finding \\(max 0\\): CVE-2021-44906 in minimist 1\\.2\\.5`,
          ),
        ),
      ]);
    });
  });

  describe('when only the platform manifests are signed, not the index', () => {
    it('fails the signature: a signed child does not cover the index', async () => {
      // Act
      const { built, evidence, state } = await gate(multiArch('demo/multi-child-signed', { signPlatformsOnly: true }));

      // Assess
      expect(state).toBe('Quarantined');
      expect(evidence('signature')?.status).toBe('FAIL');
      expect(evidence('signature')?.reasons.at(-1)).toContain(
        `a signature on a platform manifest does not cover the index ${built.digest}`,
      );
    });
  });

  describe('when ECR scans the platform manifests before the index push is handled', () => {
    it('goes on once every platform is scanned (an index is never scanned itself) and promotes it', async () => {
      // Prepare
      const w = world();
      const repository = 'demo/multi-scanned-first';
      const built = await buildScenarioImage(w.registry, multiArch(repository), w.keys);

      // Act
      const index = await w.gate.push(repository, '1.4.0', { scan: 'before-start' });
      const run = await w.gate.waitForExecution(index.executionName ?? '');

      // Assess
      expect(lastState(run)).toBe('Promoted');
      expect(await w.deps.gate.store.getScanResult(repository, built.digest)).toMatchObject({ status: 'COMPLETE' });
      for (const p of built.platforms) {
        expect(await w.deps.gate.store.getScanResult(repository, p.digest)).toMatchObject({ status: 'COMPLETE' });
      }
    });
  });

  describe('when the push events of the platform manifests come before the index event, each twice', () => {
    it('runs one release for the index; the platform runs end covered by it, with no decision nor quarantine', async () => {
      // Prepare
      const w = world();
      const repository = 'demo/multi-events-children-first';
      const built = await buildScenarioImage(w.registry, multiArch(repository), w.keys);

      // Act: ECR sends the untagged platform pushes first; their scans complete after the index run.
      const children = [];
      for (const p of built.platforms) {
        children.push(await w.gate.push(repository, p.digest, { scan: 'never', duplicateEvent: true }));
      }
      const index = await w.gate.push(repository, '1.4.0', { duplicateEvent: true });
      const indexRun = await w.gate.waitForExecution(index.executionName ?? '');
      for (const p of built.platforms) await w.gate.scanAndNotify(repository, p.digest);
      const childRuns = await Promise.all(children.map((c) => w.gate.waitForExecution(c.executionName ?? '')));

      // Assess
      expect(lastState(indexRun)).toBe('Promoted');
      expect((await w.deps.gate.store.getDecision(repository, built.digest))?.decision).toBe('PASS');
      expect(childRuns.map(lastState)).toEqual(['CoveredByIndex', 'CoveredByIndex']);
      for (const p of built.platforms) {
        const release = await w.deps.gate.store.getRelease(repository, p.digest);
        expect(release?.state).toBe('COVERED');
        expect(release?.outcomeReasons).toEqual([
          `platform manifest of index ${built.digest}, which is gated with it: no decision of its own`,
        ]);
        expect(await w.deps.gate.store.getDecision(repository, p.digest)).toBeNull();
      }
      expect((await w.registry.listTags(repository)).filter((t) => t.startsWith('quarantine'))).toEqual([]);
      // One run per pushed digest: the duplicates started nothing more.
      const names = [...children, index].map((c) => c.executionName);
      expect(new Set(names).size).toBe(3);
      expect(names.every((name) => name !== null && w.gate.sfn.executions.has(name))).toBe(true);
    });
  });

  describe('when the push events of the platform manifests come after the index event, each twice', () => {
    it('starts no run for them', async () => {
      // Prepare
      const w = world();
      const repository = 'demo/multi-events-index-first';
      const built = await buildScenarioImage(w.registry, multiArch(repository), w.keys);

      // Act
      const index = await w.gate.push(repository, '1.4.0', { duplicateEvent: true });
      const children = [];
      for (const p of built.platforms) {
        children.push(await w.gate.push(repository, p.digest, { scan: 'never', duplicateEvent: true }));
      }
      const indexRun = await w.gate.waitForExecution(index.executionName ?? '');

      // Assess
      expect(lastState(indexRun)).toBe('Promoted');
      expect(children.map((c) => c.startResult)).toEqual(
        built.platforms.map(() => ({
          started: false,
          reason: `platform manifest of index ${built.digest}, which is gated with it`,
        })),
      );
      expect(children.map((c) => c.executionName)).toEqual([null, null]);
      for (const p of built.platforms) expect(await w.deps.gate.store.getRelease(repository, p.digest)).toBeNull();
    });
  });
});

describe('Workflow: a multi-platform image under a policy that requires some platforms (red-team finding 24)', () => {
  const world = useLocalWorld({
    approvals: { decision: 'approve', by: 'alice@example.com' },
    tweak: (policy) => ({
      ...policy,
      rules: policy.rules.map((rule) => ({ ...rule, platforms: { required: ['linux/amd64', 'linux/s390x'] } })),
    }),
  });

  describe('when a required platform is not in the index and another has no SBOM', () => {
    it('fails sbom and scan naming the absent platform, and does not judge the platform not required', async () => {
      // Prepare
      const w = world();
      const scenario = multiArch('demo/multi-required', { platformSboms: { [ARM64]: false } });
      await buildScenarioImage(w.registry, scenario, w.keys);

      // Act
      const run = await gateRelease(w, scenario.repository, scenario.tag);

      // Assess
      expect(lastState(run.exec)).toBe('Quarantined');
      for (const kind of ['sbom', 'scan']) {
        const evidence = run.evidence.find((e) => e.kind === kind);
        expect(evidence?.status, kind).toBe('FAIL');
        expect(evidence?.reasons, kind).toEqual([`required platform linux/s390x is not in ${run.digest}`]);
        expect(evidence?.facts.platforms, kind).toEqual([
          expect.objectContaining({ platform: 'linux/amd64', status: 'PASS' }),
        ]);
      }
    });
  });
});
