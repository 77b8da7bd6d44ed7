/**
 * DistributionRegistry against a real registry: Debian's docker-registry 2.8 (no referrers API, so
 * the referrers tag-schema fallback is exercised). Fails, does not skip, when the binary is missing.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistributionRegistry } from '../../lambdas/adapters/registry/distribution.js';
import { ConflictError, NotFoundError, TooLargeError } from '../../lambdas/domain/errors.js';
import { digestToTag, MediaTypes, sha256Digest } from '../../lambdas/domain/oci.js';
import { copyImage } from '../../lambdas/domain/promotion/copy.js';
import { buildArtifact, buildImage, buildIndex, pushImage } from '../support/oci-builder.js';
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
        const image = buildImage({ content: 'push-get' });

        // Act
        const digest = await pushImage(registry, 'push/get', image, 'v1');
        const byTag = await registry.getManifest('push/get', 'v1');
        const layer = image.blobs[1];
        const layerBytes = layer ? await registry.getBlob('push/get', layer.descriptor.digest, 1_000_000) : undefined;

        // Assess
        expect(digest).toBe(image.digest);
        expect(byTag.digest).toBe(image.digest);
        expect(byTag.mediaType).toBe(MediaTypes.ociManifest);
        expect(Buffer.from(byTag.bytes).equals(Buffer.from(image.manifest.bytes))).toBe(true);
        expect(layerBytes && Buffer.from(layerBytes).equals(Buffer.from(layer?.bytes ?? []))).toBe(true);
        expect(await registry.listTags('push/get')).toEqual(['v1']);
        expect(await registry.hasBlob('push/get', layer?.descriptor.digest ?? '')).toBe(true);
      });
    });

    describe('when an index is pushed', () => {
      it('is served as an index with its digest', async () => {
        // Prepare
        const index = buildIndex([buildImage({ architecture: 'amd64' }), buildImage({ architecture: 'arm64' })]);

        // Act
        await pushImage(registry, 'multi', index, 'v1');
        const fetched = await registry.getManifest('multi', 'v1');

        // Assess
        expect(fetched.digest).toBe(index.digest);
        expect(fetched.mediaType).toBe(MediaTypes.ociIndex);
      });
    });

    describe('when the manifest does not exist', () => {
      it('throws NotFoundError', async () => {
        // Prepare
        await pushImage(registry, 'absent', buildImage(), 'v1');

        // Act
        const act = registry.getManifest('absent', 'nope');

        // Assess
        await expect(act).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('when a blob is larger than maxBytes', () => {
      it('throws TooLargeError', async () => {
        // Prepare
        const image = buildImage({ content: 'x'.repeat(5000) });
        await pushImage(registry, 'big', image, 'v1');
        const layer = image.blobs[1];

        // Act
        const act = registry.getBlob('big', layer?.descriptor.digest ?? '', 10);

        // Assess
        await expect(act).rejects.toBeInstanceOf(TooLargeError);
      });
    });
  });

  describe('Method: putManifest (tag immutability)', () => {
    describe('when the tag already points at another digest', () => {
      it('throws ConflictError and leaves the tag unchanged', async () => {
        // Prepare
        const first = buildImage({ content: 'first' });
        const second = buildImage({ content: 'second' });
        await pushImage(registry, 'immutable', first, 'v1');

        // Act
        const act = pushImage(registry, 'immutable', second, 'v1');

        // Assess
        await expect(act).rejects.toBeInstanceOf(ConflictError);
        expect((await registry.getManifest('immutable', 'v1')).digest).toBe(first.digest);
      });
    });

    describe('when the same content is tagged again', () => {
      it('succeeds', async () => {
        // Prepare
        const image = buildImage({ content: 'again' });
        await pushImage(registry, 'again', image, 'v1');

        // Act
        const digest = await pushImage(registry, 'again', image, 'v1');

        // Assess
        expect(digest).toBe(image.digest);
      });
    });
  });

  describe('Method: listReferrers', () => {
    describe('when artifacts with a subject are pushed to a registry without the referrers API', () => {
      it('maintains and reads the sha256-<hex> tag-schema index', async () => {
        // Prepare
        const image = buildImage({ content: 'referred' });
        await pushImage(registry, 'refs', image, 'v1');
        const sbom = buildArtifact({
          artifactType: MediaTypes.cyclonedxJson,
          payload: '{"bomFormat":"CycloneDX"}',
          subject: image.manifest.descriptor,
          annotations: { 'org.example.kind': 'sbom' },
        });
        const signature = buildArtifact({
          artifactType: MediaTypes.sigstoreBundleV03,
          payload: '{}',
          subject: image.manifest.descriptor,
        });

        // Act
        await pushImage(registry, 'refs', sbom);
        await pushImage(registry, 'refs', signature);
        await pushImage(registry, 'refs', sbom);
        const referrers = await registry.listReferrers('refs', image.digest);

        // Assess
        expect(referrers).toEqual([
          {
            mediaType: MediaTypes.ociManifest,
            digest: sbom.digest,
            size: sbom.manifest.bytes.byteLength,
            artifactType: MediaTypes.cyclonedxJson,
            annotations: { 'org.example.kind': 'sbom' },
          },
          {
            mediaType: MediaTypes.ociManifest,
            digest: signature.digest,
            size: signature.manifest.bytes.byteLength,
            artifactType: MediaTypes.sigstoreBundleV03,
          },
        ]);
        expect(await registry.listTags('refs')).toContain(digestToTag(image.digest));
      });
    });

    describe('when nothing refers to the image', () => {
      it('returns an empty list', async () => {
        // Prepare
        const image = buildImage({ content: 'lonely' });
        await pushImage(registry, 'lonely', image, 'v1');

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
        const image = buildImage({ content: 'mount-me' });
        await pushImage(registry, 'mount/src', image, 'v1');
        const layer = image.blobs[1];
        const digest = layer?.descriptor.digest ?? '';

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
        const amd64 = buildImage({ architecture: 'amd64', content: 'copy-amd' });
        const index = buildIndex([amd64, buildImage({ architecture: 'arm64', content: 'copy-arm' })]);
        await pushImage(registry, 'staging/app', index, 'build-7');
        const sbom = buildArtifact({
          artifactType: MediaTypes.cyclonedxJson,
          payload: '{"bomFormat":"CycloneDX","n":7}',
          subject: index.manifest.descriptor,
        });
        const sbomSig = buildArtifact({
          artifactType: MediaTypes.sigstoreBundleV03,
          payload: '{"sig":7}',
          subject: sbom.manifest.descriptor,
        });
        const cosign = buildArtifact({ artifactType: MediaTypes.cosignSimpleSigning, payload: '{"critical":7}' });
        await pushImage(registry, 'staging/app', sbom);
        await pushImage(registry, 'staging/app', sbomSig);
        await pushImage(registry, 'staging/app', cosign, `${digestToTag(index.digest)}.sig`);

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
        const image = buildImage({ content: 'rerun' });
        await pushImage(registry, 'rerun/src', image, 'b1');
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
