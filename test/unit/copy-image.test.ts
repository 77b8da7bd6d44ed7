import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BuiltManifest, PLATFORMS } from '../../cli/fixtures/image.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { ConflictError, RegistryError } from '../../lambdas/domain/errors.js';
import { Annotations, digestToTag, MediaTypes } from '../../lambdas/domain/oci.js';
import type { RegistryWriter } from '../../lambdas/domain/ports.js';
import { copyImage } from '../../lambdas/domain/promotion/copy.js';
import { indexOf, oneFileImage, payloadArtifact, pushManifest } from '../support/images.js';

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
