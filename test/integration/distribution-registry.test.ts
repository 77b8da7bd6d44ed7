/**
 * DistributionRegistry against a real registry: Debian's docker-registry 2.8 (no referrers API, so
 * the referrers tag-schema fallback is exercised). Fails, does not skip, when the binary is missing.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORMS } from '../../cli/fixtures/image.js';
import { DistributionRegistry } from '../../lambdas/adapters/registry/distribution.js';
import { ConflictError, NotFoundError, TooLargeError } from '../../lambdas/domain/errors.js';
import { digestToTag, MediaTypes, sha256Digest } from '../../lambdas/domain/oci.js';
import { copyImage } from '../../lambdas/domain/promotion/copy.js';
import { indexOf, oneFileImage, payloadArtifact, pushManifest } from '../support/images.js';
import { type RegistryServer, startRegistryServer } from '../support/registry-server.js';

let server: RegistryServer;
let registry: DistributionRegistry;

beforeAll(async () => {
  server = await startRegistryServer();
  registry = new DistributionRegistry({ baseUrl: server.url });
});

afterAll(async () => {
  await server?.stop();
});

describe('Class: DistributionRegistry (docker-registry 2.8)', () => {
  describe('Method: putManifest / getManifest / getBlob', () => {
    describe('when an image is pushed with a tag', () => {
      it('serves the exact manifest bytes and blobs back', async () => {
        // Prepare
        const image = oneFileImage('push-get').root;

        // Act
        const digest = await pushManifest(registry, 'push/get', image, 'v1');
        const byTag = await registry.getManifest('push/get', 'v1');
        const layer = image.blobs[1];
        const layerBytes = layer ? await registry.getBlob('push/get', layer.digest, 1_000_000) : undefined;

        // Assess
        expect(digest).toBe(image.digest);
        expect(byTag.digest).toBe(image.digest);
        expect(byTag.mediaType).toBe(MediaTypes.ociManifest);
        expect(Buffer.from(byTag.bytes).equals(Buffer.from(image.bytes))).toBe(true);
        expect(layerBytes && Buffer.from(layerBytes).equals(Buffer.from(layer?.bytes ?? []))).toBe(true);
        expect(await registry.listTags('push/get')).toEqual(['v1']);
        expect(await registry.hasBlob('push/get', layer?.digest ?? '')).toBe(true);
      });
    });

    describe('when an index is pushed', () => {
      it('is served as an index with its digest', async () => {
        // Prepare
        const index = indexOf([
          oneFileImage('hello', PLATFORMS.linuxAmd64),
          oneFileImage('hello', PLATFORMS.linuxArm64),
        ]);

        // Act
        await pushManifest(registry, 'multi', index, 'v1');
        const fetched = await registry.getManifest('multi', 'v1');

        // Assess
        expect(fetched.digest).toBe(index.digest);
        expect(fetched.mediaType).toBe(MediaTypes.ociIndex);
      });
    });

    describe('when the manifest does not exist', () => {
      it('throws NotFoundError', async () => {
        // Prepare
        await pushManifest(registry, 'absent', oneFileImage().root, 'v1');

        // Act
        const act = registry.getManifest('absent', 'nope');

        // Assess
        await expect(act).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('when a blob is larger than maxBytes', () => {
      it('throws TooLargeError', async () => {
        // Prepare
        const image = oneFileImage('x'.repeat(5000)).root;
        await pushManifest(registry, 'big', image, 'v1');
        const layer = image.blobs[1];

        // Act
        const act = registry.getBlob('big', layer?.digest ?? '', 10);

        // Assess
        await expect(act).rejects.toBeInstanceOf(TooLargeError);
      });
    });
  });

  describe('Method: putManifest (tag immutability)', () => {
    describe('when the tag already points at another digest', () => {
      it('throws ConflictError and leaves the tag unchanged', async () => {
        // Prepare
        const first = oneFileImage('first').root;
        const second = oneFileImage('second').root;
        await pushManifest(registry, 'immutable', first, 'v1');

        // Act
        const act = pushManifest(registry, 'immutable', second, 'v1');

        // Assess
        await expect(act).rejects.toBeInstanceOf(ConflictError);
        expect((await registry.getManifest('immutable', 'v1')).digest).toBe(first.digest);
      });
    });

    describe('when the same content is tagged again', () => {
      it('succeeds', async () => {
        // Prepare
        const image = oneFileImage('again').root;
        await pushManifest(registry, 'again', image, 'v1');

        // Act
        const digest = await pushManifest(registry, 'again', image, 'v1');

        // Assess
        expect(digest).toBe(image.digest);
      });
    });
  });

  describe('Method: listReferrers', () => {
    describe('when artifacts with a subject are pushed to a registry without the referrers API', () => {
      it('maintains and reads the sha256-<hex> tag-schema index', async () => {
        // Prepare
        const image = oneFileImage('referred').root;
        await pushManifest(registry, 'refs', image, 'v1');
        const sbom = payloadArtifact({
          artifactType: MediaTypes.cyclonedxJson,
          payload: '{"bomFormat":"CycloneDX"}',
          subject: image.descriptor,
          annotations: { 'org.example.kind': 'sbom' },
        });
        const signature = payloadArtifact({
          artifactType: MediaTypes.sigstoreBundleV03,
          payload: '{}',
          subject: image.descriptor,
        });

        // Act
        await pushManifest(registry, 'refs', sbom);
        await pushManifest(registry, 'refs', signature);
        await pushManifest(registry, 'refs', sbom);
        const referrers = await registry.listReferrers('refs', image.digest);

        // Assess
        expect(referrers).toEqual([
          {
            mediaType: MediaTypes.ociManifest,
            digest: sbom.digest,
            size: sbom.bytes.byteLength,
            artifactType: MediaTypes.cyclonedxJson,
            annotations: { 'org.example.kind': 'sbom' },
          },
          {
            mediaType: MediaTypes.ociManifest,
            digest: signature.digest,
            size: signature.bytes.byteLength,
            artifactType: MediaTypes.sigstoreBundleV03,
          },
        ]);
        expect(await registry.listTags('refs')).toContain(digestToTag(image.digest));
      });
    });

    describe('when nothing refers to the image', () => {
      it('returns an empty list', async () => {
        // Prepare
        const image = oneFileImage('lonely').root;
        await pushManifest(registry, 'lonely', image, 'v1');

        // Act
        const referrers = await registry.listReferrers('lonely', image.digest);

        // Assess
        expect(referrers).toEqual([]);
      });
    });
  });

  describe('Method: mountBlob', () => {
    describe('when the blob exists in another repository of the same registry', () => {
      it('mounts it (201) and the target serves it', async () => {
        // Prepare
        const image = oneFileImage('mount-me').root;
        await pushManifest(registry, 'mount/src', image, 'v1');
        const layer = image.blobs[1];
        const digest = layer?.digest ?? '';

        // Act
        const mounted = await registry.mountBlob('mount/dst', 'mount/src', digest);

        // Assess
        expect(mounted).toBe(true);
        expect(await registry.hasBlob('mount/dst', digest)).toBe(true);
      });
    });

    describe('when the source repository lacks the blob', () => {
      it('declines (202) with false and nothing is mounted', async () => {
        // Prepare
        const digest = sha256Digest('never pushed');

        // Act
        const mounted = await registry.mountBlob('mount/dst2', 'mount/nowhere', digest);

        // Assess
        expect(mounted).toBe(false);
        expect(await registry.hasBlob('mount/dst2', digest)).toBe(false);
      });
    });
  });

  describe('Function: copyImage (registry to registry)', () => {
    describe('when an index with referrers and a cosign tag is promoted to another repository', () => {
      it('mounts blobs, keeps digests, recreates referrers and tags last', async () => {
        // Prepare
        const amd64 = oneFileImage('copy-amd', PLATFORMS.linuxAmd64);
        const index = indexOf([amd64, oneFileImage('copy-arm', PLATFORMS.linuxArm64)]);
        await pushManifest(registry, 'staging/app', index, 'build-7');
        const sbom = payloadArtifact({
          artifactType: MediaTypes.cyclonedxJson,
          payload: '{"bomFormat":"CycloneDX","n":7}',
          subject: index.descriptor,
        });
        const sbomSig = payloadArtifact({
          artifactType: MediaTypes.sigstoreBundleV03,
          payload: '{"sig":7}',
          subject: sbom.descriptor,
        });
        const cosign = payloadArtifact({ artifactType: MediaTypes.cosignSimpleSigning, payload: '{"critical":7}' });
        await pushManifest(registry, 'staging/app', sbom);
        await pushManifest(registry, 'staging/app', sbomSig);
        await pushManifest(registry, 'staging/app', cosign, `${digestToTag(index.digest)}.sig`);

        // Act
        const result = await copyImage({
          source: registry,
          target: registry,
          sourceRepository: 'staging/app',
          targetRepository: 'prod/app',
          digest: index.digest,
          tag: 'v7',
        });

        // Assess
        expect(result.blobsCopied).toBe(0);
        expect(result.blobsMounted).toBeGreaterThan(0);
        expect((await registry.getManifest('prod/app', 'v7')).digest).toBe(index.digest);
        expect((await registry.getManifest('prod/app', `${digestToTag(index.digest)}.sig`)).digest).toBe(cosign.digest);
        expect((await registry.listReferrers('prod/app', index.digest)).map((r) => r.digest)).toEqual([sbom.digest]);
        expect((await registry.listReferrers('prod/app', sbom.digest)).map((r) => r.digest)).toEqual([sbomSig.digest]);
      });
    });

    describe('when the copy is re-run', () => {
      it('succeeds and skips every blob', async () => {
        // Prepare
        const image = oneFileImage('rerun').root;
        await pushManifest(registry, 'rerun/src', image, 'b1');
        const opts = {
          source: registry,
          target: registry,
          sourceRepository: 'rerun/src',
          targetRepository: 'rerun/dst',
          digest: image.digest,
          tag: 'v1',
        };
        await copyImage(opts);

        // Act
        const again = await copyImage(opts);

        // Assess
        expect(again.blobsSkipped).toBe(2);
        expect(again.blobsMounted + again.blobsCopied).toBe(0);
      });
    });
  });
});

describe('Class: DistributionRegistry (digest verification)', () => {
  let liar: Server;
  let liarUrl: string;
  const served = new TextEncoder().encode(
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}',
  );

  beforeAll(async () => {
    // A registry that answers every manifest and blob request with the same bytes, whatever the digest.
    liar = createServer((req, res) => {
      res.writeHead(200, { 'content-type': MediaTypes.ociManifest, 'content-length': served.byteLength });
      res.end(req.method === 'HEAD' ? undefined : served);
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    const address = liar.address();
    liarUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => liar.close(resolve));
  });

  describe('when the registry serves other bytes than the requested manifest digest', () => {
    it('throws DIGEST_MISMATCH', async () => {
      // Prepare
      const client = new DistributionRegistry({ baseUrl: liarUrl });

      // Act
      const act = client.getManifest('app', sha256Digest('something else'));

      // Assess
      await expect(act).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    });
  });

  describe('when the registry serves other bytes than the requested blob digest', () => {
    it('throws DIGEST_MISMATCH', async () => {
      // Prepare
      const client = new DistributionRegistry({ baseUrl: liarUrl });

      // Act
      const act = client.getBlob('app', sha256Digest('something else'), 1_000_000);

      // Assess
      await expect(act).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    });
  });

  describe('when the registry serves the requested bytes', () => {
    it('accepts them (the check is not a blanket refusal)', async () => {
      // Prepare
      const client = new DistributionRegistry({ baseUrl: liarUrl });

      // Act
      const fetched = await client.getManifest('app', sha256Digest(served));

      // Assess
      expect(fetched.digest).toBe(sha256Digest(served));
    });
  });
});
