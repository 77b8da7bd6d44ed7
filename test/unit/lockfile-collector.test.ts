import { beforeEach, describe, expect, it } from 'vitest';
import { collectLockfile, isExactVersion } from '../../lambdas/domain/evidence/lockfile.js';
import { COMPONENTS_DOCUMENT } from '../../lambdas/domain/evidence/sbom.js';
import { type Descriptor, MediaTypes } from '../../lambdas/domain/oci.js';
import type { Component, NormalizedSbom } from '../../lambdas/domain/sbom/component.js';
import { type EvidenceResult, evidenceResult, type ImageSubject } from '../../lambdas/domain/types.js';
import { pushArtifact, pushBlob, pushImage } from '../support/images.js';
import { collectContext, record } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { TestMemoryStore } from '../support/memory-store.js';

const REPO = 'team/app';
const LOCK = `sha256:${'1'.repeat(64)}`;
const OTHER_LOCK = `sha256:${'2'.repeat(64)}`;
const BASE_DIGEST = `sha256:${'b'.repeat(64)}`;
const PINNED_BASE = { uri: `docker.io/library/node@${BASE_DIGEST}`, digest: BASE_DIGEST };

const npm = (name: string, version?: string): Component => ({
  name,
  ...(version !== undefined && { version }),
  purl: `pkg:npm/${name}${version ? `@${version}` : ''}`,
  ecosystem: 'npm',
  licenses: [],
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

function sbomResult(components: Component[], lockfileDigest?: string): EvidenceResult {
  const sbom: NormalizedSbom = {
    format: 'cyclonedx',
    specVersion: '1.6',
    ...(lockfileDigest !== undefined && { lockfileDigest }),
    components,
  };
  return evidenceResult(
    'sbom',
    'PASS',
    ['test sbom'],
    { format: 'cyclonedx', ...(lockfileDigest !== undefined && { lockfileDigest }) },
    [
      {
        name: COMPONENTS_DOCUMENT,
        mediaType: 'application/json',
        bytes: new TextEncoder().encode(JSON.stringify(sbom)),
      },
    ],
  );
}

function provenanceResult(facts: Record<string, unknown>, status: 'PASS' | 'FAIL' = 'PASS'): EvidenceResult {
  return evidenceResult('provenance', status, ['test provenance'], facts);
}

describe('Function: isExactVersion', () => {
  it.each([
    ['1.2.3', 'npm', true],
    ['v1.2.3', 'npm', true],
    ['1.2.3-beta.1', 'npm', true],
    ['1.2', 'npm', false],
    ['^1.2.0', 'npm', false],
    ['~1.2', 'npm', false],
    ['>=1', 'npm', false],
    ['1.x', 'npm', false],
    ['1.2.3 - 2.0.0', 'npm', false],
    ['*', 'npm', false],
    ['latest', 'npm', false],
    ['', 'npm', false],
    [undefined, 'npm', false],
    ['2.31.0', 'pypi', true],
    ['1.2', 'pypi', true],
    ['>=2.0,<3', 'pypi', false],
    ['1.*', 'pypi', false],
    ['[1.0,2.0)', 'maven', false],
    ['RELEASE', 'maven', false],
    ['2.14.1', 'maven', true],
    ['1.+', 'maven', false],
    ['v0.0.0-20230516145632-8ccac152c651', 'golang', true],
    ['dev-master', 'composer', false],
    ['v7.12.0', 'composer', true],
    ['6.0.2.1', 'gem', true],
  ])('%s (%s) is exact: %s', (version, ecosystem, expected) => {
    // Act & Assess
    expect(isExactVersion(version, ecosystem)).toBe(expected);
  });
});

describe('Function: collectLockfile', () => {
  let registry: MemoryRegistry;
  let memory: TestMemoryStore;
  let image: Descriptor;
  let subject: ImageSubject;

  const store = (result: EvidenceResult) => record(memory, memory, subject, result);
  const collect = (policy?: Record<string, unknown>) =>
    collectLockfile(
      collectContext({ subject, registry, releases: memory, documents: memory, ...(policy && { policy }) }),
    );

  beforeEach(async () => {
    registry = new MemoryRegistry();
    memory = new TestMemoryStore();
    image = await pushImage(registry, REPO, 'v1');
    subject = { repository: REPO, digest: image.digest };
  });

  describe('when neither provenance nor SBOM evidence exists', () => {
    it('reports MISSING', async () => {
      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('MISSING');
    });
  });

  describe('when provenance and SBOM agree and everything is pinned', () => {
    it('passes with the lockfile digest from the provenance', async () => {
      // Prepare
      await store(provenanceResult({ lockfileDigest: LOCK, baseImage: PINNED_BASE }));
      await store(sbomResult([npm('express', '4.18.2'), deb('bash', '')], LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toEqual({
        lockfileDigest: LOCK,
        source: 'provenance',
        baseImage: { ...PINNED_BASE, source: 'provenance' },
        applicationComponents: 1,
        unpinnedComponents: 0,
      });
      expect(result.reasons[0]).toContain(`lockfile ${LOCK} (from provenance)`);
    });
  });

  describe('when no sbom evidence is stored, though the registry has an SBOM', () => {
    it('reads only stored evidence: the SBOM counts as missing (the sbom collector runs first)', async () => {
      // Prepare
      const cyclonedx = {
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        metadata: { properties: [{ name: 'release-gate.dev:lockfile-digest', value: LOCK }] },
        components: [{ type: 'library', name: 'left-pad', version: '^1.3.0', purl: 'pkg:npm/left-pad@1.3.0' }],
      };
      await pushArtifact(registry, REPO, {
        layers: [{ mediaType: MediaTypes.cyclonedxJson, bytes: new TextEncoder().encode(JSON.stringify(cyclonedx)) }],
        subject: image,
      });
      await store(provenanceResult({ lockfileDigest: LOCK, baseImage: PINNED_BASE }));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        'no SBOM components: cannot check that application dependencies have exact versions',
        'sbom evidence is MISSING: not used',
      ]);
      expect(result.facts).toMatchObject({ lockfileDigest: LOCK });
    });
  });

  describe('when only the SBOM carries the lockfile digest', () => {
    it('passes with source sbom', async () => {
      // Prepare
      await store(provenanceResult({ baseImage: PINNED_BASE }));
      await store(sbomResult([npm('express', '4.18.2')], LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toMatchObject({ lockfileDigest: LOCK, source: 'sbom' });
    });
  });

  describe('when no lockfile digest is recorded anywhere', () => {
    it('fails', async () => {
      // Prepare
      await store(provenanceResult({ baseImage: PINNED_BASE }));
      await store(sbomResult([npm('express', '4.18.2')]));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toContain(
        'no lockfile digest in the provenance or the SBOM: the build is not tied to a lockfile',
      );
    });
  });

  describe('when provenance and SBOM carry different lockfile digests', () => {
    it('fails naming both', async () => {
      // Prepare
      await store(provenanceResult({ lockfileDigest: LOCK, baseImage: PINNED_BASE }));
      await store(sbomResult([npm('express', '4.18.2')], OTHER_LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toContain(`provenance lockfile digest ${LOCK} differs from the SBOM's ${OTHER_LOCK}`);
    });
  });

  describe('when the base image is not pinned by digest', () => {
    it('fails when the policy requires a pinned base', async () => {
      // Prepare
      await store(provenanceResult({ lockfileDigest: LOCK, baseImage: { uri: 'docker.io/library/node:20' } }));
      await store(sbomResult([npm('express', '4.18.2')], LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toContain('base image docker.io/library/node:20 is not pinned by digest');
    });

    it('passes when the policy does not require it', async () => {
      // Prepare
      await store(provenanceResult({ lockfileDigest: LOCK, baseImage: { uri: 'docker.io/library/node:20' } }));
      await store(sbomResult([npm('express', '4.18.2')], LOCK));

      // Act
      const result = await collect({ lockfile: { requirePinnedBase: false } });

      // Assess
      expect(result.status).toBe('PASS');
    });

    it('accepts a base reference that ends in a digest', async () => {
      // Prepare
      await store(provenanceResult({ lockfileDigest: LOCK, baseImage: { uri: PINNED_BASE.uri } }));
      await store(sbomResult([npm('express', '4.18.2')], LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('PASS');
    });
  });

  describe('when only the image annotations name the base image', () => {
    async function imageWithAnnotations(annotations: Record<string, string>): Promise<void> {
      const config = await pushBlob(registry, REPO, MediaTypes.ociConfig, new TextEncoder().encode('{}'));
      const layer = await pushBlob(registry, REPO, MediaTypes.ociLayerTarGzip, new TextEncoder().encode('layer-2'));
      const bytes = new TextEncoder().encode(
        JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers: [layer], annotations }),
      );
      const digest = await registry.putManifest(REPO, bytes, MediaTypes.ociManifest);
      subject = { repository: REPO, digest };
    }

    it('passes with the annotated base digest', async () => {
      // Prepare
      await imageWithAnnotations({
        'org.opencontainers.image.base.name': 'docker.io/library/node:20',
        'org.opencontainers.image.base.digest': BASE_DIGEST,
      });
      await store(sbomResult([npm('express', '4.18.2')], LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts.baseImage).toEqual({
        uri: 'docker.io/library/node:20',
        digest: BASE_DIGEST,
        source: 'annotations',
      });
    });

    it('fails when the annotations name the base without a digest', async () => {
      // Prepare
      await imageWithAnnotations({ 'org.opencontainers.image.base.name': 'docker.io/library/node:20' });
      await store(sbomResult([npm('express', '4.18.2')], LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toContain('base image docker.io/library/node:20 is not pinned by digest');
    });

    it('fails when nothing identifies the base image', async () => {
      // Prepare
      await store(sbomResult([npm('express', '4.18.2')], LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toMatch(/^base image is not identified/);
    });
  });

  describe('when application components lack exact versions', () => {
    it('fails naming each of them, and ignores OS packages', async () => {
      // Prepare
      await store(provenanceResult({ lockfileDigest: LOCK, baseImage: PINNED_BASE }));
      await store(
        sbomResult(
          [
            npm('ok', '1.0.0'),
            npm('caret', '^1.2.0'),
            npm('tilde', '~1.2'),
            npm('gte', '>=1'),
            npm('xr', '1.x'),
            npm('star', '*'),
            npm('tag', 'latest'),
            npm('none'),
            deb('bash', ''),
          ],
          LOCK,
        ),
      );

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toContain(
        '7 application components without an exact version: caret@^1.2.0, tilde@~1.2, gte@>=1, xr@1.x, star@*, tag@latest, none (no version)',
      );
      expect(result.facts.unpinnedComponents).toBe(7);
    });
  });

  describe('when evidence cannot be used', () => {
    it('does not use facts of provenance that did not pass', async () => {
      // Prepare
      await store(provenanceResult({ lockfileDigest: LOCK, baseImage: PINNED_BASE }, 'FAIL'));
      await store(sbomResult([npm('express', '4.18.2')]));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toContain('provenance evidence is FAIL: not used');
      expect(result.facts.lockfileDigest).toBeUndefined();
    });

    it('fails when there is no SBOM to check component versions against', async () => {
      // Prepare
      await store(provenanceResult({ lockfileDigest: LOCK, baseImage: PINNED_BASE }));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        'no SBOM components: cannot check that application dependencies have exact versions',
        'sbom evidence is MISSING: not used',
      ]);
    });

    it('fails when the stored components.json was tampered with', async () => {
      // Prepare
      await store(provenanceResult({ lockfileDigest: LOCK, baseImage: PINNED_BASE }));
      const stored = await store(sbomResult([npm('express', '^4.0.0')], LOCK));
      const ref = stored.documents[0];
      if (ref === undefined) throw new Error('no document stored');
      memory.corrupt(
        ref.digest,
        new TextEncoder().encode('{"format":"cyclonedx","specVersion":"1.6","components":[]}'),
      );

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain(`${COMPONENTS_DOCUMENT} of ${REPO}@${subject.digest} could not be read`);
    });

    it('fails when provenance facts are malformed', async () => {
      // Prepare
      await store(provenanceResult({ lockfileDigest: 'md5:123', baseImage: PINNED_BASE }));
      await store(sbomResult([npm('express', '4.18.2')], LOCK));

      // Act
      const result = await collect();

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toContain('provenance evidence facts are malformed: lockfileDigest');
    });
  });
});
