import { describe, expect, it } from 'vitest';
import type { ArtifactLayer } from '../../cli/fixtures/image.js';
import { acceptBuildkitAttestations, findBuildkitAttestations } from '../../lambdas/domain/attest/buildkit.js';
import { BuildkitAnnotations } from '../../lambdas/domain/attest/platforms.js';
import { type Descriptor, MediaTypes, sha256Digest } from '../../lambdas/domain/oci.js';
import { PredicateTypes, StatementTypes } from '../../lambdas/domain/predicate-types.js';
import { pushArtifact, pushImage } from '../support/images.js';
import { MemoryRegistry } from '../support/memory-registry.js';

const REPO = 'team/app';
const bytesOf = (value: unknown): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(value)));

/** A BuildKit-style statement (bare in-toto JSON) about `digest`. */
function statement(digest: string, predicateType: string = PredicateTypes.slsaProvenanceV02): Uint8Array {
  return bytesOf({
    _type: StatementTypes.v01,
    subject: [{ name: 'pkg:docker/team/app@1.0?platform=linux%2Famd64', digest: { sha256: digest.slice(7) } }],
    predicateType,
    predicate: {
      builder: { id: 'https://github.com/o/r/actions/runs/1' },
      buildType: 'https://mobyproject.org/buildkit@v1',
    },
  });
}

const provenanceLayer = (digest: string, annotated: string = PredicateTypes.slsaProvenanceV02): ArtifactLayer => ({
  mediaType: MediaTypes.inTotoPayload,
  bytes: statement(digest),
  annotations: { [BuildkitAnnotations.predicateType]: annotated },
});

/** Pushes an attestation manifest and returns its index entry, annotated as buildx does. */
async function attestationEntry(
  registry: MemoryRegistry,
  referenceDigest: string,
  layers: readonly ArtifactLayer[],
): Promise<Descriptor> {
  const { descriptor } = await pushArtifact(registry, REPO, { configMediaType: MediaTypes.ociConfig, layers });
  return {
    ...descriptor,
    platform: { os: 'unknown', architecture: 'unknown' },
    annotations: {
      [BuildkitAnnotations.referenceType]: BuildkitAnnotations.attestationManifest,
      [BuildkitAnnotations.referenceDigest]: referenceDigest,
    },
  };
}

/** An index of an amd64 image and one attestation manifest for it, holding `layers`. */
async function amd64Index(layers: (amd64: Descriptor) => readonly ArtifactLayer[]) {
  const registry = new MemoryRegistry();
  const { amd64 } = await platforms(registry);
  const index = await pushIndex(registry, [amd64, await attestationEntry(registry, amd64.digest, layers(amd64))]);
  return { registry, amd64, index };
}

async function pushIndex(registry: MemoryRegistry, manifests: readonly Descriptor[]): Promise<string> {
  return registry.putManifest(
    REPO,
    bytesOf({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }),
    MediaTypes.ociIndex,
  );
}

/** Two platform images of one index. */
async function platforms(registry: MemoryRegistry): Promise<{ amd64: Descriptor; arm64: Descriptor }> {
  const amd64 = {
    ...(await pushImage(registry, REPO, undefined, 'amd64')),
    platform: { os: 'linux', architecture: 'amd64' },
  };
  const arm64 = {
    ...(await pushImage(registry, REPO, undefined, 'arm64')),
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
  };
  return { amd64, arm64 };
}

describe('Function: findBuildkitAttestations', () => {
  describe('when each platform manifest has an attestation manifest', () => {
    it('returns one statement per platform, flagged signedVia index', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const { amd64, arm64 } = await platforms(registry);
      const index = await pushIndex(registry, [
        amd64,
        arm64,
        await attestationEntry(registry, amd64.digest, [provenanceLayer(amd64.digest)]),
        await attestationEntry(registry, arm64.digest, [provenanceLayer(arm64.digest)]),
      ]);

      // Act
      const scan = await findBuildkitAttestations(registry, REPO, index);

      // Assess
      expect(scan.rejected).toEqual([]);
      expect(
        scan.attestations.map((a) => [a.platformDigest, a.platform, a.predicateType, a.signedVia, a.indexDigest]),
      ).toEqual([
        [amd64.digest, 'linux/amd64', PredicateTypes.slsaProvenanceV02, 'index', index],
        [arm64.digest, 'linux/arm64/v8', PredicateTypes.slsaProvenanceV02, 'index', index],
      ]);
      expect(Buffer.from(scan.attestations[0]?.bytes ?? []).toString()).toBe(
        Buffer.from(statement(amd64.digest)).toString(),
      );
    });
  });

  describe('when a statement names the other platform as its subject', () => {
    it('rejects it and keeps the correct one', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const { amd64, arm64 } = await platforms(registry);
      const wrong = await attestationEntry(registry, arm64.digest, [provenanceLayer(amd64.digest)]);
      const index = await pushIndex(registry, [
        amd64,
        arm64,
        await attestationEntry(registry, amd64.digest, [provenanceLayer(amd64.digest)]),
        wrong,
      ]);

      // Act
      const scan = await findBuildkitAttestations(registry, REPO, index);

      // Assess
      expect(scan.attestations.map((a) => a.platformDigest)).toEqual([amd64.digest]);
      expect(scan.rejected).toEqual([
        {
          source: `attestation-manifest ${wrong.digest}`,
          predicateType: PredicateTypes.slsaProvenanceV02,
          reason: `statement subject (sha256:${amd64.digest.slice(7)}) does not cover platform manifest ${arm64.digest}`,
        },
      ]);
    });
  });

  describe('when an attestation manifest refers to a digest the index does not list', () => {
    it('rejects it', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const { amd64, arm64 } = await platforms(registry);
      const stray = await attestationEntry(registry, arm64.digest, [provenanceLayer(arm64.digest)]);
      const index = await pushIndex(registry, [amd64, stray]);

      // Act
      const scan = await findBuildkitAttestations(registry, REPO, index);

      // Assess
      expect(scan.attestations).toEqual([]);
      expect(scan.rejected).toEqual([
        {
          source: `attestation-manifest ${stray.digest}`,
          reason: `refers to ${arm64.digest}, which the index does not list as an image`,
        },
      ]);
    });
  });

  describe('when predicate types are asked for', () => {
    it('skips layers of other types and ignores non in-toto layers', async () => {
      // Prepare
      const { registry, index } = await amd64Index((amd64) => [
        {
          mediaType: MediaTypes.inTotoPayload,
          bytes: statement(amd64.digest, PredicateTypes.spdx),
          annotations: { [BuildkitAnnotations.predicateType]: PredicateTypes.spdx },
        },
        { mediaType: 'application/vnd.example.log', bytes: bytesOf('log') },
        provenanceLayer(amd64.digest),
      ]);

      // Act
      const scan = await findBuildkitAttestations(registry, REPO, index, [PredicateTypes.slsaProvenanceV02]);

      // Assess
      expect(scan.attestations.map((a) => [a.predicateType, a.source.endsWith('layer 2')])).toEqual([
        [PredicateTypes.slsaProvenanceV02, true],
      ]);
      expect(scan.rejected).toEqual([]);
    });
  });

  describe('when the layer annotation disagrees with the statement', () => {
    it('rejects the statement', async () => {
      // Prepare
      const { registry, index } = await amd64Index((amd64) => [
        provenanceLayer(amd64.digest, PredicateTypes.slsaProvenanceV1),
      ]);

      // Act
      const scan = await findBuildkitAttestations(registry, REPO, index);

      // Assess
      expect(scan.attestations).toEqual([]);
      expect(scan.rejected.map((r) => r.reason)).toEqual([
        `layer is annotated ${PredicateTypes.slsaProvenanceV1} but the statement is ${PredicateTypes.slsaProvenanceV02}`,
      ]);
    });
  });

  describe('when the statement blob was tampered with', () => {
    it('rejects it as unreadable', async () => {
      // Prepare
      const { registry, index, amd64 } = await amd64Index((image) => [provenanceLayer(image.digest)]);
      const layer = provenanceLayer(amd64.digest);
      registry.corrupt(REPO, sha256Digest(layer.bytes), statement(amd64.digest, PredicateTypes.slsaProvenanceV1));

      // Act
      const scan = await findBuildkitAttestations(registry, REPO, index);

      // Assess
      expect(scan.attestations).toEqual([]);
      expect(scan.rejected[0]?.reason).toMatch(/^statement blob sha256:[a-f0-9]{64} unreadable: content addressed as/);
    });
  });

  describe('when the statement is not a valid in-toto statement', () => {
    it('rejects it with the rule it broke', async () => {
      // Prepare
      const { registry, index } = await amd64Index(() => [
        { mediaType: MediaTypes.inTotoPayload, bytes: bytesOf({ _type: StatementTypes.v1, subject: [] }) },
      ]);

      // Act
      const scan = await findBuildkitAttestations(registry, REPO, index);

      // Assess
      expect(scan.rejected.map((r) => r.reason)).toEqual([
        'invalid in-toto statement (SUBJECT_REQUIRED): at least one subject required',
      ]);
    });
  });

  describe('when the digest is a single image manifest', () => {
    it('finds nothing', async () => {
      // Prepare
      const registry = new MemoryRegistry();
      const image = await pushImage(registry, REPO);

      // Act
      const scan = await findBuildkitAttestations(registry, REPO, image.digest);

      // Assess
      expect(scan).toEqual({ attestations: [], rejected: [] });
    });
  });

  describe('when the registry fails while reading a statement', () => {
    it('propagates the error', async () => {
      // Prepare
      const { registry, index } = await amd64Index((amd64) => [provenanceLayer(amd64.digest)]);
      registry.failOn('getBlob', new Error('connection reset'));

      // Act
      const act = findBuildkitAttestations(registry, REPO, index);

      // Assess
      await expect(act).rejects.toThrow('connection reset');
    });
  });
});

describe('Function: acceptBuildkitAttestations', () => {
  async function scanOfSignedIndex(): Promise<{
    index: string;
    scan: Awaited<ReturnType<typeof findBuildkitAttestations>>;
  }> {
    const { registry, index } = await amd64Index((amd64) => [provenanceLayer(amd64.digest)]);
    return { index, scan: await findBuildkitAttestations(registry, REPO, index) };
  }

  describe('when the index digest carries a verified signature', () => {
    it('accepts the attestations', async () => {
      // Prepare
      const { index, scan } = await scanOfSignedIndex();

      // Act
      const accepted = acceptBuildkitAttestations(scan, new Set([index]));

      // Assess
      expect(accepted.verified).toHaveLength(1);
      expect(accepted.rejected).toEqual([]);
    });
  });

  describe('when only a platform manifest is signed', () => {
    it('rejects every attestation because they are unsigned', async () => {
      // Prepare
      const { index, scan } = await scanOfSignedIndex();
      const platformDigest = scan.attestations[0]?.platformDigest ?? '';

      // Act
      const accepted = acceptBuildkitAttestations(scan, new Set([platformDigest]));

      // Assess
      expect(accepted.verified).toEqual([]);
      expect(accepted.rejected.map((r) => r.reason)).toEqual([
        `BuildKit attestations are unsigned and index ${index} carries no verified signature`,
      ]);
    });
  });
});
