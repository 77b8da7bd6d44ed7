/**
 * `sbom.acceptInspectorExport` on the embedded stack, through the real workflow: an image pushed
 * without any SBOM. The embedded stack has no Amazon Inspector, so by default the export is "not
 * available" and the SBOM is MISSING, as before; a test-supplied export source (Inspector's
 * CycloneDX 1.4 shape) makes it PASS with its provenance marked.
 */
import { describe, expect, it } from 'vitest';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { DEFAULT_NPM_PACKAGES } from '../../cli/fixtures/scenarios.js';
import type { PolicyDocument } from '../../lambdas/domain/policy/schema.js';
import type { InspectorSbomExport, InspectorSbomSource } from '../../lambdas/domain/ports.js';
import type { ImageSubject } from '../../lambdas/domain/types.js';
import { inspectorBom } from '../support/inspector-sbom.js';
import { gateRelease, type LocalWorld, useLocalWorld } from '../support/world.js';

/** Every rule accepts the unsigned Inspector export. */
const accepting = (policy: PolicyDocument): PolicyDocument => ({
  ...policy,
  rules: policy.rules.map((rule) => ({
    ...rule,
    sbom: { ...rule.sbom, requireSigned: false, acceptInspectorExport: true },
  })),
});

/** An Inspector that has exported every image it is asked about. */
class ExportingInspector implements InspectorSbomSource {
  public readonly asked: ImageSubject[] = [];
  public async exportSbom(subject: ImageSubject): Promise<InspectorSbomExport> {
    this.asked.push(subject);
    const bytes = new TextEncoder().encode(JSON.stringify(inspectorBom(subject.digest)));
    return {
      status: 'SUCCEEDED',
      reportId: '0a1b2c3d-2222-4333-8444-555566667777',
      objects: [{ location: 's3://local/inspector-sbom/x.json', read: async () => bytes }],
    };
  }
}

async function gateWithoutSbom(w: LocalWorld, repository: string) {
  await buildScenarioImage(
    w.registry,
    { repository, tag: '1.0.0', npmPackages: DEFAULT_NPM_PACKAGES, sbom: false },
    w.keys,
  );
  const gated = await gateRelease(w, repository, '1.0.0');
  return { ...gated, sbom: gated.evidence.find((e) => e.kind === 'sbom') };
}

describe('Workflow: an SBOM from Amazon Inspector', () => {
  describe('when the embedded stack has no Inspector (the default)', () => {
    const world = useLocalWorld({ tweak: accepting, approvals: { decision: 'reject', by: 'alice@example.com' } });

    it('records the SBOM MISSING, saying Inspector is not available', async () => {
      // Act
      const { sbom } = await gateWithoutSbom(world(), 'demo/inspector-none');

      // Assess
      expect(sbom?.status).toBe('MISSING');
      expect(sbom?.reasons[0]).toMatch(/and no Amazon Inspector SBOM export: Amazon Inspector is not available here$/);
    });
  });

  describe('when a test supplies the export', () => {
    const inspector = new ExportingInspector();
    const world = useLocalWorld({
      tweak: accepting,
      inspectorSboms: inspector,
      approvals: { decision: 'reject', by: 'alice@example.com' },
    });

    it('passes the SBOM on the export, marked inspector-export and unsigned, and stores it', async () => {
      // Act
      const { sbom, digest } = await gateWithoutSbom(world(), 'demo/inspector-export');

      // Assess
      // Asked about this image only (the local scanner reads the SBOM through the same collector).
      expect(new Set(inspector.asked.map((s) => s.digest))).toEqual(new Set([digest]));
      expect(sbom).toMatchObject({
        status: 'PASS',
        facts: { source: 'inspector-export', signed: false, componentCount: 2 },
      });
      expect(sbom?.documents.map((d) => d.name)).toEqual(['sbom.inspector.cdx.json', 'components.json']);
    });
  });
});
