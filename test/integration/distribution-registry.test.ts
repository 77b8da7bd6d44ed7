/**
 * What is particular to the Distribution API adapter: how it keeps the referrers tag schema
 * against Debian's docker-registry 2.8 (no referrers API), mounts during copyImage, and how it
 * reads HTTP answers (digest checks, status and error codes) from stub servers. The registry
 * port's semantics are checked for every adapter by test/integration/registry-contract.test.ts.
 * Fails, does not skip, when the binary is missing.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, PLATFORMS } from '../../cli/fixtures/image.js';
import { DistributionRegistry } from '../../lambdas/adapters/registry/distribution.js';
import { NotFoundError, RegistryError } from '../../lambdas/domain/errors.js';
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

    describe('when a multi-arch image with several referrers of one subject is promoted', () => {
      it('copies every manifest byte for byte, and the tag-schema index keeps every referrer', async () => {
        // Prepare
        const image = buildImage({
          files: [{ path: 'app/server.js', content: 'serve(8)' }],
          platforms: [PLATFORMS.linuxAmd64, PLATFORMS.linuxArm64],
        });
        const index = image.root;
        const [amd64] = index.manifests;
        if (amd64 === undefined) throw new Error('index without platforms');
        await pushManifest(registry, 'staging/multi', index, 'build-8');
        const ofIndex = [MediaTypes.cyclonedxJson, MediaTypes.sigstoreBundleV03, MediaTypes.inTotoPayload].map((t, i) =>
          payloadArtifact({ artifactType: t, payload: `{"index":${i}}`, subject: index.descriptor }),
        );
        const ofPlatform = [0, 1].map((i) =>
          payloadArtifact({
            artifactType: MediaTypes.inTotoPayload,
            payload: `{"amd64":${i}}`,
            subject: amd64.descriptor,
          }),
        );
        const cosign = payloadArtifact({ artifactType: MediaTypes.cosignSimpleSigning, payload: '{"critical":8}' });
        for (const referrer of [...ofIndex, ...ofPlatform]) await pushManifest(registry, 'staging/multi', referrer);
        await pushManifest(registry, 'staging/multi', cosign, `${digestToTag(index.digest)}.sig`);

        // Act
        const result = await copyImage({
          source: registry,
          target: registry,
          sourceRepository: 'staging/multi',
          targetRepository: 'prod/multi',
          digest: index.digest,
          tag: 'v8',
        });

        // Assess
        const expected = [...index.manifests, index, ...ofIndex, ...ofPlatform, cosign];
        expect([...result.copied].sort()).toEqual(expected.map((m) => m.digest).sort());
        for (const manifest of expected) {
          const copied = await registry.getManifest('prod/multi', manifest.digest);
          expect(sha256Digest(copied.bytes)).toBe(manifest.digest);
          expect(Buffer.from(copied.bytes).equals(Buffer.from(manifest.bytes))).toBe(true);
        }
        const referrersOf = async (digest: string) =>
          (await registry.listReferrers('prod/multi', digest)).map((r) => r.digest).sort();
        expect(await referrersOf(index.digest)).toEqual(ofIndex.map((m) => m.digest).sort());
        expect(await referrersOf(amd64.digest)).toEqual(ofPlatform.map((m) => m.digest).sort());
        expect(result).toMatchObject({ blobsCopied: 0, blobsSkipped: 0 });
        expect((await registry.getManifest('prod/multi', 'v8')).digest).toBe(index.digest);
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

describe('Class: DistributionRegistry (HTTP answers)', () => {
  let stub: Server;
  let stubUrl: string;
  let answer: { status: number; body: string } = { status: 500, body: '' };

  beforeAll(async () => {
    // Answers every request with `answer`, whatever it asks.
    stub = createServer((req, res) => {
      req.resume();
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(answer.body),
      });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const address = stub.address();
    stubUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => stub.close(resolve));
  });

  /** An error answer in the distribution-spec "Error Codes" format. */
  function answerWith(status: number, code: string): void {
    answer = { status, body: JSON.stringify({ errors: [{ code, message: code.toLowerCase(), detail: {} }] }) };
  }

  describe('Method: listTags', () => {
    describe('when the tag list answers 404 NAME_UNKNOWN', () => {
      it('returns an empty list (docker-registry says so for a repository without tags)', async () => {
        // Prepare
        answerWith(404, 'NAME_UNKNOWN');
        const client = new DistributionRegistry({ baseUrl: stubUrl });

        // Act
        const tags = await client.listTags('app');

        // Assess
        expect(tags).toEqual([]);
      });
    });

    describe('when the tag list answers 404 without NAME_UNKNOWN', () => {
      it('throws NotFoundError (a 404 from something else is no tag list)', async () => {
        // Prepare
        answer = { status: 404, body: '<html>not here</html>' };
        const client = new DistributionRegistry({ baseUrl: stubUrl });

        // Act
        const act = client.listTags('app');

        // Assess
        await expect(act).rejects.toThrowWithCode(NotFoundError, 'NOT_FOUND');
      });
    });
  });

  describe('Method: putManifest', () => {
    describe('when the registry refuses the manifest with BLOB_UNKNOWN (before distribution-spec 1.1)', () => {
      it('throws NotFoundError', async () => {
        // Prepare
        answerWith(400, 'BLOB_UNKNOWN');
        const client = new DistributionRegistry({ baseUrl: stubUrl });
        const image = oneFileImage('refused').root;

        // Act
        const act = client.putManifest('app', image.bytes, image.mediaType);

        // Assess
        await expect(act).rejects.toThrowWithCode(NotFoundError, 'NOT_FOUND');
      });
    });

    describe('when the registry refuses the manifest with another error code', () => {
      it('throws RegistryError', async () => {
        // Prepare
        answerWith(400, 'MANIFEST_INVALID');
        const client = new DistributionRegistry({ baseUrl: stubUrl });
        const image = oneFileImage('invalid').root;

        // Act
        const act = client.putManifest('app', image.bytes, image.mediaType);

        // Assess
        await expect(act).rejects.toThrowWithCode(RegistryError, 'REGISTRY_ERROR');
      });
    });
  });

  describe('Method: mountBlob', () => {
    describe('when the registry answers neither 201 nor 202', () => {
      it('throws RegistryError', async () => {
        // Prepare
        answerWith(500, 'UNKNOWN');
        const client = new DistributionRegistry({ baseUrl: stubUrl });

        // Act
        const act = client.mountBlob('app', 'other', sha256Digest('blob'));

        // Assess
        await expect(act).rejects.toThrowWithCode(RegistryError, 'REGISTRY_ERROR');
      });
    });
  });
});
