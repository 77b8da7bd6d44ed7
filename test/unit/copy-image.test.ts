import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BuiltManifest, buildArtifact, buildImage, PLATFORMS } from '../../cli/fixtures/image.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { ConflictError, RegistryError } from '../../lambdas/domain/errors.js';
import { Annotations, digestToTag, MediaTypes } from '../../lambdas/domain/oci.js';
import type { RegistryWriter } from '../../lambdas/domain/ports.js';
import { copyImage, REQUEST_CONCURRENCY } from '../../lambdas/domain/promotion/copy.js';
import { indexOf, oneFileImage, payloadArtifact, pushManifest } from '../support/images.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { type RecordedCall, RecordingRegistry } from '../support/recording-registry.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'copy-test-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Scenario {
  readonly source: OciLayoutRegistry;
  readonly index: BuiltManifest;
  readonly amd64: BuiltManifest;
  readonly arm64: BuiltManifest;
  readonly sbom: BuiltManifest;
  readonly sbomSignature: BuiltManifest;
  readonly childProvenance: BuiltManifest;
  readonly cosignSig: BuiltManifest;
}

/** A two-platform index with an SBOM referrer, a signature of that SBOM, a per-platform provenance and a cosign .sig. */
async function seedSource(): Promise<Scenario> {
  const source = new OciLayoutRegistry({ root: join(dir, 'source') });
  const amd64Image = oneFileImage('amd', PLATFORMS.linuxAmd64);
  const arm64Image = oneFileImage('arm', PLATFORMS.linuxArm64);
  const index = indexOf([amd64Image, arm64Image]);
  const [amd64, arm64] = index.manifests;
  if (amd64 === undefined || arm64 === undefined) throw new Error('index without two platforms');
  await pushManifest(source, 'app', index, 'build-1');
  const sbom = payloadArtifact({
    artifactType: MediaTypes.cyclonedxJson,
    payload: '{"bomFormat":"CycloneDX"}',
    subject: index.descriptor,
  });
  const sbomSignature = payloadArtifact({
    artifactType: MediaTypes.sigstoreBundleV03,
    payload: '{"mediaType":"bundle"}',
    subject: sbom.descriptor,
  });
  const childProvenance = payloadArtifact({
    artifactType: MediaTypes.inTotoPayload,
    payload: '{"_type":"https://in-toto.io/Statement/v1"}',
    subject: amd64.descriptor,
  });
  const cosignSig = payloadArtifact({
    artifactType: MediaTypes.cosignSimpleSigning,
    payload: '{"critical":{}}',
    layerAnnotations: { [Annotations.cosignSignature]: 'MEUCIQ==' },
  });
  await pushManifest(source, 'app', sbom);
  await pushManifest(source, 'app', sbomSignature);
  await pushManifest(source, 'app', childProvenance);
  await pushManifest(source, 'app', cosignSig, `${digestToTag(index.digest)}.sig`);
  return { source, index, amd64, arm64, sbom, sbomSignature, childProvenance, cosignSig };
}

/** Wraps a writer, recording calls and optionally failing the n-th putManifest (a simulated crash). */
function recording(inner: RegistryWriter, failOnPutManifest?: number) {
  const calls: string[] = [];
  let puts = 0;
  const writer: RegistryWriter = {
    location: inner.location,
    getManifest: (r, ref) => inner.getManifest(r, ref),
    getBlob: (r, d, m) => inner.getBlob(r, d, m),
    listReferrers: (r, d) => inner.listReferrers(r, d),
    moveTag: (r, t, d) => inner.moveTag(r, t, d),
    hasBlob: (r, d) => inner.hasBlob(r, d),
    putBlob: async (r, d, b) => {
      calls.push(`blob ${d}`);
      await inner.putBlob(r, d, b);
    },
    mountBlob: (t, s, d) => inner.mountBlob(t, s, d),
    putManifest: async (r, b, mt, tag) => {
      puts++;
      if (puts === failOnPutManifest) {
        throw new RegistryError('simulated crash');
      }
      const digest = await inner.putManifest(r, b, mt, tag);
      calls.push(tag === undefined ? `manifest ${digest}` : `tag ${tag} ${digest}`);
      return digest;
    },
    listTags: (r) => inner.listTags(r),
  };
  return { writer, calls };
}

describe('Function: copyImage', () => {
  describe('when copying an index with referrers and cosign tags between layouts', () => {
    it('copies every manifest byte-for-byte, children before parents, with the same digests', async () => {
      // Prepare
      const s = await seedSource();
      const target = new OciLayoutRegistry({ root: join(dir, 'target') });

      // Act
      const result = await copyImage({
        source: s.source,
        target,
        sourceRepository: 'app',
        targetRepository: 'prod/app',
        digest: s.index.digest,
        tag: 'v1.0.0',
      });

      // Assess
      const expected = [s.amd64, s.arm64, s.index, s.sbom, s.sbomSignature, s.childProvenance, s.cosignSig];
      expect([...result.copied].sort()).toEqual(expected.map((i) => i.digest).sort());
      expect(result.copied.indexOf(s.amd64.digest)).toBeLessThan(result.copied.indexOf(s.index.digest));
      expect(result.copied.indexOf(s.sbom.digest)).toBeLessThan(result.copied.indexOf(s.sbomSignature.digest));
      for (const image of expected) {
        const copied = await target.getManifest('prod/app', image.digest);
        expect(Buffer.from(copied.bytes).equals(Buffer.from(image.bytes))).toBe(true);
      }
      expect((await target.getManifest('prod/app', 'v1.0.0')).digest).toBe(s.index.digest);
      expect(await target.listTags('prod/app')).toEqual([`${digestToTag(s.index.digest)}.sig`, 'v1.0.0'].sort());
      expect((await target.listReferrers('prod/app', s.sbom.digest)).map((r) => r.digest)).toEqual([
        s.sbomSignature.digest,
      ]);
      expect((await target.listReferrers('prod/app', s.amd64.digest)).map((r) => r.digest)).toEqual([
        s.childProvenance.digest,
      ]);
      // amd64, arm64 (config + layer each) and one shared empty config plus four artifact payloads.
      expect(result.blobsCopied).toBe(9);
      expect(result.blobsMounted).toBe(0);
    });

    it('puts the release tag last, after all content and the cosign tags', async () => {
      // Prepare
      const s = await seedSource();
      const { writer, calls } = recording(new OciLayoutRegistry({ root: join(dir, 'target') }));

      // Act
      await copyImage({
        source: s.source,
        target: writer,
        sourceRepository: 'app',
        targetRepository: 'app',
        digest: s.index.digest,
        tag: 'release',
      });

      // Assess
      expect(calls.at(-1)).toBe(`tag release ${s.index.digest}`);
      expect(calls.at(-2)).toBe(`tag ${digestToTag(s.index.digest)}.sig ${s.cosignSig.digest}`);
      expect(calls.filter((c) => c.startsWith('tag '))).toHaveLength(2);
    });
  });

  describe('when referrers and cosign tags are switched off', () => {
    it('copies the image tree only', async () => {
      // Prepare
      const s = await seedSource();
      const target = new OciLayoutRegistry({ root: join(dir, 'target') });

      // Act
      const result = await copyImage({
        source: s.source,
        target,
        sourceRepository: 'app',
        targetRepository: 'app',
        digest: s.index.digest,
        includeReferrers: false,
        cosignTags: false,
      });

      // Assess
      expect(result.copied).toEqual([s.amd64.digest, s.arm64.digest, s.index.digest]);
      expect(await target.listReferrers('app', s.index.digest)).toEqual([]);
      expect(await target.listTags('app')).toEqual([]);
    });
  });

  describe('when the copy is run again', () => {
    it('succeeds, skips every blob and leaves the same state', async () => {
      // Prepare
      const s = await seedSource();
      const target = new OciLayoutRegistry({ root: join(dir, 'target') });
      const opts = {
        source: s.source,
        target,
        sourceRepository: 'app',
        targetRepository: 'app',
        digest: s.index.digest,
        tag: 'v1',
      };
      const first = await copyImage(opts);

      // Act
      const second = await copyImage(opts);

      // Assess
      expect(second.copied).toEqual(first.copied);
      expect(second.blobsCopied).toBe(0);
      expect(second.blobsSkipped).toBe(first.blobsCopied);
      expect(await target.listTags('app')).toEqual([`${digestToTag(s.index.digest)}.sig`, 'v1'].sort());
    });
  });

  describe('when a previous run crashed half-way', () => {
    it('completes on re-run without error and without tagging early', async () => {
      // Prepare
      const s = await seedSource();
      const inner = new OciLayoutRegistry({ root: join(dir, 'target') });
      const crashing = recording(inner, 3);
      const opts = {
        source: s.source,
        sourceRepository: 'app',
        targetRepository: 'app',
        digest: s.index.digest,
        tag: 'v1',
      };
      await expect(copyImage({ ...opts, target: crashing.writer })).rejects.toBeInstanceOf(RegistryError);
      const tagsAfterCrash = await inner.listTags('app').catch(() => []);

      // Act
      const result = await copyImage({ ...opts, target: inner });

      // Assess
      expect(tagsAfterCrash).toEqual([]);
      expect(result.copied).toContain(s.index.digest);
      expect((await inner.getManifest('app', 'v1')).digest).toBe(s.index.digest);
      expect(result.blobsSkipped).toBeGreaterThan(0);
    });
  });

  describe('when the target tag already points at other content', () => {
    it('throws ConflictError', async () => {
      // Prepare
      const s = await seedSource();
      const target = new OciLayoutRegistry({ root: join(dir, 'target') });
      await pushManifest(target, 'app', oneFileImage('other').root, 'v1');

      // Act
      const act = copyImage({
        source: s.source,
        target,
        sourceRepository: 'app',
        targetRepository: 'app',
        digest: s.index.digest,
        tag: 'v1',
      });

      // Assess
      await expect(act).rejects.toBeInstanceOf(ConflictError);
    });
  });

  describe('when source and target are the same registry object', () => {
    it('mounts blobs across repositories instead of copying them', async () => {
      // Prepare
      const registry = new OciLayoutRegistry({ root: join(dir, 'shared') });
      const image = oneFileImage().root;
      await pushManifest(registry, 'staging/app', image, 'build-1');

      // Act
      const result = await copyImage({
        source: registry,
        target: registry,
        sourceRepository: 'staging/app',
        targetRepository: 'prod/app',
        digest: image.digest,
        tag: 'v1',
      });

      // Assess
      expect(result.blobsMounted).toBe(2);
      expect(result.blobsCopied).toBe(0);
      expect((await registry.getManifest('prod/app', 'v1')).digest).toBe(image.digest);
    });
  });

  describe('when a source blob is corrupted', () => {
    it('fails instead of copying bad bytes', async () => {
      // Prepare
      const source = new OciLayoutRegistry({ root: join(dir, 'source') });
      const image = oneFileImage().root;
      await pushManifest(source, 'app', image, 'v1');
      const layer = image.blobs[1];
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(dir, 'source', 'app', 'blobs', 'sha256', layer?.digest.slice(7) ?? ''), 'bad');
      const target = new OciLayoutRegistry({ root: join(dir, 'target') });

      // Act
      const act = copyImage({ source, target, sourceRepository: 'app', targetRepository: 'app', digest: image.digest });

      // Assess
      await expect(act).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      await expect(target.getManifest('app', image.digest)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
});

/**
 * A two-platform index whose platform manifests share their layer, with three referrers of the
 * index (SBOM, signature, provenance), a signature of the SBOM and a cosign `.sig`, in a memory
 * registry; and the blob digests all of it names.
 */
async function seedMemory() {
  const registry = new MemoryRegistry();
  const image = buildImage({
    files: [{ path: 'app/server.js', content: 'serve()' }],
    platforms: [PLATFORMS.linuxAmd64, PLATFORMS.linuxArm64],
  });
  const index = image.root;
  await pushManifest(registry, 'staging/app', index, 'build-1');
  const sbom = payloadArtifact({
    artifactType: MediaTypes.cyclonedxJson,
    payload: '{"n":1}',
    subject: index.descriptor,
  });
  const referrers = [
    sbom,
    payloadArtifact({ artifactType: MediaTypes.sigstoreBundleV03, payload: '{"n":2}', subject: index.descriptor }),
    payloadArtifact({ artifactType: MediaTypes.inTotoPayload, payload: '{"n":3}', subject: index.descriptor }),
    payloadArtifact({ artifactType: MediaTypes.sigstoreBundleV03, payload: '{"n":4}', subject: sbom.descriptor }),
  ];
  for (const referrer of referrers) await pushManifest(registry, 'staging/app', referrer);
  const cosignSig = payloadArtifact({ artifactType: MediaTypes.cosignSimpleSigning, payload: '{"critical":{}}' });
  const sigTag = `${digestToTag(index.digest)}.sig`;
  await pushManifest(registry, 'staging/app', cosignSig, sigTag);
  const all: BuiltManifest[] = [...index.manifests, index, ...referrers, cosignSig];
  const blobs = new Set(all.flatMap((m) => m.blobs.map((b) => b.digest)));
  const sharedLayer = image.platforms[0]?.manifest.blobs[1]?.digest ?? '';
  return { registry, index, referrers, cosignSig, sigTag, blobs, sharedLayer };
}

const promote = (source: RegistryWriter, target: RegistryWriter, digest: string) =>
  copyImage({ source, target, sourceRepository: 'staging/app', targetRepository: 'prod/app', digest, tag: 'v1' });

const isTagPut = (c: RecordedCall) => c.operation === 'putManifest' && c.tag !== undefined;

describe('Function: copyImage (concurrent requests, recorded)', () => {
  describe('when an image names more blobs than the request bound', () => {
    it('keeps exactly REQUEST_CONCURRENCY requests in flight, never more', async () => {
      // Prepare
      const memory = new MemoryRegistry();
      const wide = buildArtifact({
        layers: Array.from({ length: 3 * REQUEST_CONCURRENCY }, (_, i) => ({
          mediaType: MediaTypes.ociLayerTarGzip,
          bytes: new TextEncoder().encode(`layer ${i}`),
        })),
      });
      await pushManifest(memory, 'staging/app', wide);
      const registry = new RecordingRegistry(memory);

      // Act
      const result = await promote(registry, registry, wide.digest);

      // Assess
      expect(registry.maxInFlight).toBe(REQUEST_CONCURRENCY);
      expect(result.blobsMounted).toBe(3 * REQUEST_CONCURRENCY + 1);
    });

    it('keeps one request in flight when told to', async () => {
      // Prepare
      const s = await seedMemory();
      const registry = new RecordingRegistry(s.registry);

      // Act
      await copyImage({
        source: registry,
        target: registry,
        sourceRepository: 'staging/app',
        targetRepository: 'prod/app',
        digest: s.index.digest,
        tag: 'v1',
        requestConcurrency: 1,
      });

      // Assess
      expect(registry.maxInFlight).toBe(1);
      expect(registry.danglingPuts).toEqual([]);
    });
  });

  describe('when an index with referrers and a cosign tag is promoted', () => {
    it('puts no manifest before the blobs, children and subject it names, and referrers of one subject one at a time', async () => {
      // Prepare
      const s = await seedMemory();
      const registry = new RecordingRegistry(s.registry);

      // Act
      const result = await promote(registry, registry, s.index.digest);

      // Assess
      expect(registry.maxInFlight).toBeGreaterThan(1);
      expect(registry.danglingPuts).toEqual([]);
      expect(registry.overlappingReferrerPuts).toEqual([]);
      expect(new Set(result.copied)).toEqual(
        new Set([...s.index.manifests, s.index, ...s.referrers, s.cosignSig].map((m) => m.digest)),
      );
      expect(result.copied.indexOf(s.index.digest)).toBeLessThan(result.copied.indexOf(s.referrers[0]?.digest ?? ''));
      expect((await s.registry.listReferrers('prod/app', s.index.digest)).map((r) => r.digest).sort()).toEqual(
        s.referrers
          .slice(0, 3)
          .map((r) => r.digest)
          .sort(),
      );
    });

    it('puts the tags last, once nothing else is in flight, the release tag at the very end', async () => {
      // Prepare
      const s = await seedMemory();
      const registry = new RecordingRegistry(s.registry);

      // Act
      await promote(registry, registry, s.index.digest);

      // Assess
      const firstTag = registry.calls.findIndex(isTagPut);
      expect(registry.calls.slice(firstTag).every(isTagPut)).toBe(true);
      expect(registry.calls[firstTag]?.concurrent).toBe(1);
      expect(registry.calls.filter(isTagPut).map((c) => c.tag)).toEqual([s.sigTag, 'v1']);
      expect(registry.calls.at(-1)?.concurrent).toBe(1);
    });

    it('mounts a layer the two platform manifests share once, and counts every blob once', async () => {
      // Prepare
      const s = await seedMemory();
      const registry = new RecordingRegistry(s.registry);

      // Act
      const result = await promote(registry, registry, s.index.digest);

      // Assess
      expect(registry.callsOf('hasBlob', s.sharedLayer)).toHaveLength(1);
      expect(registry.callsOf('mountBlob', s.sharedLayer)).toHaveLength(1);
      expect(registry.callsOf('mountBlob')).toHaveLength(s.blobs.size);
      expect(result).toMatchObject({ blobsMounted: s.blobs.size, blobsCopied: 0, blobsSkipped: 0 });
    });

    it('fetches and puts a shared layer once when copying between registries', async () => {
      // Prepare
      const s = await seedMemory();
      const source = new RecordingRegistry(s.registry);
      const target = new RecordingRegistry(new MemoryRegistry());

      // Act
      const result = await promote(source, target, s.index.digest);

      // Assess
      expect(source.callsOf('getBlob', s.sharedLayer)).toHaveLength(1);
      expect(target.callsOf('putBlob', s.sharedLayer)).toHaveLength(1);
      expect(target.callsOf('putBlob')).toHaveLength(s.blobs.size);
      expect(result).toMatchObject({ blobsMounted: 0, blobsCopied: s.blobs.size, blobsSkipped: 0 });
      expect(target.danglingPuts).toEqual([]);
    });
  });

  describe('when one request fails while others are in flight', () => {
    it('rejects with that error, writes no tag and leaves no request running', async () => {
      // Prepare
      const s = await seedMemory();
      const refused = new RegistryError('mount refused');
      const registry = new RecordingRegistry(s.registry, (c) =>
        c.operation === 'mountBlob' && c.subject === s.sharedLayer ? refused : undefined,
      );

      // Act
      const act = promote(registry, registry, s.index.digest);

      // Assess
      await expect(act).rejects.toBe(refused);
      expect(registry.inFlight).toBe(0);
      expect(registry.calls.filter(isTagPut)).toEqual([]);
      expect(registry.callsOf('putManifest', s.index.digest)).toEqual([]);
      await expect(s.registry.listTags('prod/app')).resolves.toEqual([]);
    });
  });

  describe('when the copy is run again on a complete target', () => {
    it('skips every blob after one HEAD each', async () => {
      // Prepare
      const s = await seedMemory();
      await promote(s.registry, s.registry, s.index.digest);
      const registry = new RecordingRegistry(s.registry);

      // Act
      const result = await promote(registry, registry, s.index.digest);

      // Assess
      expect(result).toMatchObject({ blobsMounted: 0, blobsCopied: 0, blobsSkipped: s.blobs.size });
      expect(registry.callsOf('hasBlob')).toHaveLength(s.blobs.size);
      expect([
        ...registry.callsOf('mountBlob'),
        ...registry.callsOf('getBlob'),
        ...registry.callsOf('putBlob'),
      ]).toEqual([]);
    });
  });
});
