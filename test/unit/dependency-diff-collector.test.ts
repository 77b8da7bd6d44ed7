import { beforeEach, describe, expect, it } from 'vitest';
import { collectDependencyDiff, DIFF_DOCUMENT } from '../../lambdas/domain/evidence/dependency-diff.js';
import { COMPONENTS_DOCUMENT } from '../../lambdas/domain/evidence/sbom.js';
import type { Component, NormalizedSbom } from '../../lambdas/domain/sbom/component.js';
import { type Digest, type EvidenceResult, evidenceResult } from '../../lambdas/domain/types.js';
import { collectContext, record } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { TestMemoryStore } from '../support/memory-store.js';

const REPO = 'team/app';
const PREVIOUS: Digest = `sha256:${'a'.repeat(64)}`;
const CURRENT: Digest = `sha256:${'b'.repeat(64)}`;
const LOCK = `sha256:${'1'.repeat(64)}`;
const NEW_LOCK = `sha256:${'2'.repeat(64)}`;

const npm = (name: string, version: string, licenses: string[] = ['MIT']): Component => ({
  name,
  version,
  purl: `pkg:npm/${name}@${version}`,
  ecosystem: 'npm',
  licenses,
  scope: 'application',
});
const deb = (name: string, version: string): Component => ({
  name,
  version,
  purl: `pkg:deb/debian/${name}@${version}`,
  ecosystem: 'deb',
  licenses: [],
  scope: 'os',
});

function sbomResult(
  components: Component[],
  lockfileDigest?: string,
  status: 'PASS' | 'FAIL' = 'PASS',
): EvidenceResult {
  const sbom: NormalizedSbom = {
    format: 'cyclonedx',
    specVersion: '1.6',
    ...(lockfileDigest !== undefined && { lockfileDigest }),
    components,
  };
  return evidenceResult('sbom', status, ['test sbom'], { ...(lockfileDigest !== undefined && { lockfileDigest }) }, [
    { name: COMPONENTS_DOCUMENT, mediaType: 'application/json', bytes: new TextEncoder().encode(JSON.stringify(sbom)) },
  ]);
}

describe('Function: collectDependencyDiff', () => {
  let memory: TestMemoryStore;

  const store = (digest: Digest, result: EvidenceResult) =>
    record(memory, memory, { repository: REPO, digest }, result);
  const promote = (digest: Digest) =>
    memory.appendPromotion({
      repository: REPO,
      digest,
      promotedAt: '2026-11-01T00:00:00.000Z',
      targetRepository: `prod/${REPO}`,
      tag: 'v1',
    });
  const collect = () =>
    collectDependencyDiff(
      collectContext({
        subject: { repository: REPO, digest: CURRENT },
        registry: new MemoryRegistry(),
        releases: memory,
        documents: memory,
      }),
    );

  beforeEach(() => {
    memory = new TestMemoryStore();
  });

  describe('when this release has no SBOM evidence', () => {
    it('reports MISSING', async () => {
      // Act
      const result = await collect();

      // Assess
      expect(result).toMatchObject({ status: 'MISSING', reasons: ['no SBOM for this release'] });
    });

    it('reports MISSING when the SBOM evidence did not pass', async () => {
      // Prepare
      await store(CURRENT, sbomResult([npm('a', '1.0.0')], undefined, 'FAIL'));

      // Act
      const result = await collect();

      // Assess
      expect(result).toMatchObject({
        status: 'MISSING',
        reasons: ['no SBOM for this release (sbom evidence is FAIL)'],
      });
    });
  });

  describe('when nothing of the repository was promoted before', () => {
    it('passes as a first release', async () => {
      // Prepare
      await store(CURRENT, sbomResult([npm('a', '1.0.0', ['MIT']), deb('bash', '5.2-1')], LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.reasons).toEqual([`first release of ${REPO}: no previous promoted release to diff against`]);
      expect(result.facts).toMatchObject({
        firstRelease: true,
        added: 2,
        removed: 0,
        changed: 0,
        newLicenses: ['MIT'],
      });
      expect(result.documents.map((d) => d.name)).toEqual([DIFF_DOCUMENT]);
    });
  });

  describe('when a previous release was promoted', () => {
    it('passes with a summary when the lockfile changed with the packages', async () => {
      // Prepare
      await store(PREVIOUS, sbomResult([npm('a', '1.0.0'), npm('gone', '1.0.0'), deb('bash', '5.2-1')], LOCK));
      await promote(PREVIOUS);
      await store(
        CURRENT,
        sbomResult([npm('a', '1.1.0'), npm('fresh', '2.0.0', ['Apache-2.0']), deb('bash', '5.2-1')], NEW_LOCK),
      );

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.reasons).toEqual([`+1 −1 ~1 packages since ${PREVIOUS}, new licenses: Apache-2.0`]);
      expect(result.facts).toMatchObject({
        added: 1,
        removed: 1,
        changed: 1,
        firstRelease: false,
        previousDigest: PREVIOUS,
        lockfileDigest: NEW_LOCK,
        previousLockfileDigest: LOCK,
        changedSample: ['a 1.0.0→1.1.0'],
      });
      const stored: unknown = JSON.parse(new TextDecoder().decode(result.documents[0]?.bytes));
      expect(stored).toMatchObject({ previousDigest: PREVIOUS, digest: CURRENT, added: [{ name: 'fresh' }] });
    });

    it('fails on drift: same lockfile digest, different application packages', async () => {
      // Prepare
      await store(PREVIOUS, sbomResult([npm('a', '1.0.0'), npm('b', '1.0.0')], LOCK));
      await promote(PREVIOUS);
      await store(CURRENT, sbomResult([npm('a', '1.0.1'), npm('c', '3.0.0')], LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `lockfile digest unchanged (${LOCK}) but 3 application components changed: +c@3.0.0, -b@1.0.0, a 1.0.0→1.0.1`,
      ]);
    });

    it('passes when only OS packages changed under the same lockfile', async () => {
      // Prepare
      await store(PREVIOUS, sbomResult([npm('a', '1.0.0'), deb('bash', '5.2-1')], LOCK));
      await promote(PREVIOUS);
      await store(CURRENT, sbomResult([npm('a', '1.0.0'), deb('bash', '5.2-2')], LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.reasons).toEqual([`+0 −0 ~1 packages since ${PREVIOUS}, new licenses: none`]);
    });

    it('reads the previous lockfile digest from its lockfile evidence', async () => {
      // Prepare
      await store(PREVIOUS, sbomResult([npm('a', '1.0.0')]));
      await store(PREVIOUS, evidenceResult('lockfile', 'PASS', ['ok'], { lockfileDigest: LOCK }));
      await promote(PREVIOUS);
      await store(CURRENT, sbomResult([npm('a', '2.0.0')]));
      await store(CURRENT, evidenceResult('provenance', 'PASS', ['ok'], { lockfileDigest: LOCK }));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain(`lockfile digest unchanged (${LOCK})`);
    });

    it('notes that drift was not checked when a lockfile digest is unknown', async () => {
      // Prepare
      await store(PREVIOUS, sbomResult([npm('a', '1.0.0')]));
      await promote(PREVIOUS);
      await store(CURRENT, sbomResult([npm('a', '2.0.0')], LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.reasons).toContain('lockfile digest not recorded for both releases: drift not checked');
    });

    it('fails when the previous release has no SBOM evidence to diff against', async () => {
      // Prepare
      await promote(PREVIOUS);
      await store(CURRENT, sbomResult([npm('a', '1.0.0')], LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain(`previous promoted release ${REPO}@${PREVIOUS} has no passing SBOM evidence`);
    });

    it('keeps facts small for a large diff', async () => {
      // Prepare
      const many = (prefix: string) =>
        Array.from({ length: 3000 }, (_, i) => npm(`${prefix}-package-${i}`, '1.0.0', [`LicenseRef-${prefix}-${i}`]));
      await store(PREVIOUS, sbomResult(many('old'), LOCK));
      await promote(PREVIOUS);
      await store(CURRENT, sbomResult(many('new'), NEW_LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.facts).toMatchObject({ added: 3000, removed: 3000 });
      expect(new TextEncoder().encode(JSON.stringify(result.facts)).byteLength).toBeLessThan(2048);
    });
  });
});
