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
});
