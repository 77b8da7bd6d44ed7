import { describe, expect, it } from 'vitest';
import {
  BuildkitAnnotations,
  coversAllPlatforms,
  type PlatformCoverage,
  platformCoverage,
  platformMatches,
} from '../../lambdas/domain/attest/platforms.js';
import type { InTotoStatement } from '../../lambdas/domain/attest/types.js';
import { RegistryError } from '../../lambdas/domain/errors.js';
import { type Descriptor, MediaTypes } from '../../lambdas/domain/oci.js';
import { PredicateTypes, StatementTypes } from '../../lambdas/domain/predicate-types.js';
import { type Digest, DigestSchema } from '../../lambdas/domain/types.js';
import { pushArtifact, pushBlob } from '../support/images.js';
import { MemoryRegistry } from '../support/memory-registry.js';

const REPO = 'team/app';
const bytesOf = (value: unknown): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(value)));

/** Pushes an image whose config names `os/arch[/variant]`. */
async function pushPlatformImage(registry: MemoryRegistry, platform: string): Promise<Descriptor> {
  const [os = '', architecture = '', variant] = platform.split('/');
  const config = await pushBlob(
    registry,
    REPO,
    MediaTypes.ociConfig,
    bytesOf({
      os,
      architecture,
      ...(variant !== undefined ? { variant } : {}),
      rootfs: { type: 'layers', diff_ids: [] },
    }),
  );
  const layer = await pushBlob(registry, REPO, MediaTypes.ociLayerTarGzip, bytesOf(platform));
  const bytes = bytesOf({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers: [layer] });
  const digest = await registry.putManifest(REPO, bytes, MediaTypes.ociManifest);
  return {
    mediaType: MediaTypes.ociManifest,
    digest,
    size: bytes.length,
    platform: { os, architecture, ...(variant !== undefined ? { variant } : {}) },
  };
}

/** A BuildKit attestation manifest entry for `target`, as buildx writes it into the index. */
async function attestationEntry(registry: MemoryRegistry, target: Descriptor): Promise<Descriptor> {
  const { descriptor } = await pushArtifact(registry, REPO, {
    configMediaType: MediaTypes.ociConfig,
    layers: [{ mediaType: MediaTypes.inTotoPayload, bytes: bytesOf({ subject: target.digest }) }],
  });
  return {
    ...descriptor,
    platform: { os: 'unknown', architecture: 'unknown' },
    annotations: {
      [BuildkitAnnotations.referenceType]: BuildkitAnnotations.attestationManifest,
      [BuildkitAnnotations.referenceDigest]: target.digest,
    },
  };
}

async function pushIndex(registry: MemoryRegistry, manifests: readonly Descriptor[]): Promise<string> {
  return registry.putManifest(
    REPO,
    bytesOf({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }),
    MediaTypes.ociIndex,
  );
}

/** An index of linux/amd64 and linux/arm64/v8 with BuildKit attestation manifests. */
async function multiArch(registry: MemoryRegistry): Promise<{ index: string; amd64: Descriptor; arm64: Descriptor }> {
  const amd64 = await pushPlatformImage(registry, 'linux/amd64');
  const arm64 = await pushPlatformImage(registry, 'linux/arm64/v8');
  const index = await pushIndex(registry, [
    amd64,
    arm64,
    await attestationEntry(registry, amd64),
    await attestationEntry(registry, arm64),
  ]);
  return { index, amd64, arm64 };
}

const statementAbout = (...digests: string[]): InTotoStatement => ({
  type: StatementTypes.v1,
  subject: digests.map((d) => ({ digest: { sha256: d.replace('sha256:', '') } })),
  predicateType: PredicateTypes.slsaProvenanceV1,
  predicate: {},
});

describe('Function: platformCoverage', () => {
  describe('when the digest is a multi-platform index with BuildKit attestation manifests', () => {
    it('lists the platform manifests and skips the attestation manifests', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const { index, amd64, arm64 } = await multiArch(registry);

      // Act
      const coverage = await platformCoverage(registry, REPO, index);

      // Assess
      expect(coverage.kind).toBe('index');
      expect(coverage.platforms).toEqual([
        { digest: amd64.digest, mediaType: MediaTypes.ociManifest, platform: 'linux/amd64' },
        { digest: arm64.digest, mediaType: MediaTypes.ociManifest, platform: 'linux/arm64/v8' },
      ]);
      expect(coverage.skipped.map((s) => s.reason)).toEqual(['attestation manifest', 'attestation manifest']);
    });
  });

  describe('when an index entry is unknown/unknown without the BuildKit annotation', () => {
    it('skips it as an unknown platform', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const amd64 = await pushPlatformImage(registry, 'linux/amd64');
      const other = await pushPlatformImage(registry, 'linux/s390x');
      const index = await pushIndex(registry, [
        amd64,
        { ...other, platform: { os: 'unknown', architecture: 'unknown' } },
      ]);

      // Act
      const coverage = await platformCoverage(registry, REPO, index);

      // Assess
      expect(coverage.platforms.map((p) => p.platform)).toEqual(['linux/amd64']);
      expect(coverage.skipped).toEqual([{ digest: other.digest, reason: 'platform unknown/unknown' }]);
    });
  });

  describe('when an index entry has no platform', () => {
    it('keeps it as unspecified so it must be covered too', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushPlatformImage(registry, 'linux/amd64');
      const { platform: _dropped, ...withoutPlatform } = image;
      const index = await pushIndex(registry, [withoutPlatform]);

      // Act
      const coverage = await platformCoverage(registry, REPO, index);

      // Assess
      expect(coverage.platforms.map((p) => p.platform)).toEqual(['unspecified']);
    });
  });

  describe('when the digest is a single image manifest', () => {
    it('returns the manifest itself with the platform its config names', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushPlatformImage(registry, 'linux/arm/v7');

      // Act
      const coverage = await platformCoverage(registry, REPO, image.digest);

      // Assess
      expect(coverage).toEqual({
        kind: 'manifest',
        digest: image.digest,
        platforms: [{ digest: image.digest, mediaType: MediaTypes.ociManifest, platform: 'linux/arm/v7' }],
        skipped: [],
      });
    });
  });

  describe('when the registry fails', () => {
    it('propagates the error', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const { index } = await multiArch(registry);
      registry.failOn('getManifest', new Error('registry down'));

      // Act
      const act = platformCoverage(registry, REPO, index);

      // Assess
      await expect(act).rejects.toThrow('registry down');
    });

    it('propagates a transient failure to read the image config, so the workflow retries it', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushPlatformImage(registry, 'linux/amd64');
      registry.failOn('getBlob', new RegistryError('registry timed out'));

      // Act
      const act = platformCoverage(registry, REPO, image.digest);

      // Assess
      await expect(act).rejects.toThrowWithCode(RegistryError, 'REGISTRY_ERROR');
    });
  });
});

describe('Function: coversAllPlatforms', () => {
  const coverage = (index: Digest, amd64: Digest, arm64: Digest): PlatformCoverage => ({
    kind: 'index',
    digest: index,
    platforms: [
      { digest: amd64, mediaType: MediaTypes.ociManifest, platform: 'linux/amd64' },
      { digest: arm64, mediaType: MediaTypes.ociManifest, platform: 'linux/arm64/v8' },
    ],
    skipped: [],
  });
  const INDEX = DigestSchema.parse(`sha256:${'1'.repeat(64)}`);
  const AMD64 = DigestSchema.parse(`sha256:${'2'.repeat(64)}`);
  const ARM64 = DigestSchema.parse(`sha256:${'3'.repeat(64)}`);

  describe('when a statement names the index digest', () => {
    it('covers every platform', () => {
      // Prepare
      const statements = [statementAbout(INDEX)];

      // Act
      const result = coversAllPlatforms(statements, coverage(INDEX, AMD64, ARM64));

      // Assess
      expect(result).toEqual({ ok: true, missing: [], reasons: [] });
    });
  });

  describe('when each platform has its own statement', () => {
    it('is covered', () => {
      // Prepare
      const statements = [statementAbout(AMD64), statementAbout(ARM64)];

      // Act
      const result = coversAllPlatforms(statements, coverage(INDEX, AMD64, ARM64));

      // Assess
      expect(result.ok).toBe(true);
    });
  });

  describe('when one platform has no statement', () => {
    it('reports it missing', () => {
      // Prepare
      const statements = [statementAbout(AMD64)];

      // Act
      const result = coversAllPlatforms(statements, coverage(INDEX, AMD64, ARM64));

      // Assess
      expect(result).toEqual({
        ok: false,
        missing: ['linux/arm64/v8'],
        reasons: [`platform linux/arm64/v8 (${ARM64}) is not covered`],
      });
    });
  });

  describe('when only the covered platform is required', () => {
    it('is covered', () => {
      // Prepare
      const statements = [statementAbout(AMD64)];

      // Act
      const result = coversAllPlatforms(statements, coverage(INDEX, AMD64, ARM64), ['linux/amd64']);

      // Assess
      expect(result.ok).toBe(true);
    });
  });

  describe('when a required platform matches by os/arch but is not covered', () => {
    it('reports the platform with its variant', () => {
      // Prepare
      const statements = [statementAbout(AMD64)];

      // Act
      const result = coversAllPlatforms(statements, coverage(INDEX, AMD64, ARM64), ['linux/arm64']);

      // Assess
      expect(result.missing).toEqual(['linux/arm64/v8']);
    });
  });

  describe('when a required platform is not in the image', () => {
    it('reports it missing even though every listed platform is covered', () => {
      // Prepare
      const statements = [statementAbout(INDEX)];

      // Act
      const result = coversAllPlatforms(statements, coverage(INDEX, AMD64, ARM64), ['linux/amd64', 'linux/s390x']);

      // Assess
      expect(result).toEqual({
        ok: false,
        missing: ['linux/s390x'],
        reasons: [`required platform linux/s390x is not in ${INDEX}`],
      });
    });
  });

  describe('when the index lists no platform', () => {
    it('is never covered', () => {
      // Prepare
      const empty: PlatformCoverage = { ...coverage(INDEX, AMD64, ARM64), platforms: [] };

      // Act
      const result = coversAllPlatforms([statementAbout(INDEX)], empty);

      // Assess
      expect(result.ok).toBe(false);
    });
  });
});

describe('Function: platformMatches', () => {
  it.each([
    ['linux/arm64', 'linux/arm64/v8', true],
    ['linux/arm64/v8', 'linux/arm64/v8', true],
    ['linux/arm/v7', 'linux/arm/v6', false],
    ['linux/amd64', 'windows/amd64', false],
  ])('%s against %s is %s', (wanted, actual, expected) => {
    // Prepare
    const input = { wanted, actual };

    // Act
    const matches = platformMatches(input.wanted, input.actual);

    // Assess
    expect(matches).toBe(expected);
  });
});
