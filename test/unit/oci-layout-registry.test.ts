import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PLATFORMS } from '../../cli/fixtures/image.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import {
  ConflictError,
  GateError,
  InvalidInputError,
  NotFoundError,
  RegistryError,
  TooLargeError,
} from '../../lambdas/domain/errors.js';
import { Annotations, MediaTypes, sha256Digest } from '../../lambdas/domain/oci.js';
import { indexOf, oneFileImage, payloadArtifact, pushManifest } from '../support/images.js';

const run = promisify(execFile);

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'layout-test-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function blobFile(dir: string, digest: string): string {
  return join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

/** Replaces `path` with a FIFO that nobody writes to: reading it would block forever. */
async function plantFifo(path: string): Promise<void> {
  await rm(path);
  await run('mkfifo', [path]);
}

describe('Class: OciLayoutRegistry', () => {
  describe('Method: putManifest / getManifest', () => {
    describe('when an image is pushed with a tag', () => {
      it('writes a valid layout and serves the exact bytes by tag and by digest', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const image = oneFileImage().root;

        // Act
        const digest = await pushManifest(registry, 'team/app', image, 'v1');
        const byTag = await registry.getManifest('team/app', 'v1');
        const byDigest = await registry.getManifest('team/app', digest);

        // Assess
        expect(digest).toBe(image.digest);
        expect(Buffer.from(byTag.bytes).equals(Buffer.from(image.bytes))).toBe(true);
        expect(byTag).toEqual(byDigest);
        expect(byTag.mediaType).toBe(MediaTypes.ociManifest);
        const layoutDir = join(root, 'team', 'app');
        expect(JSON.parse(await readFile(join(layoutDir, 'oci-layout'), 'utf8'))).toEqual({
          imageLayoutVersion: '1.0.0',
        });
        const index = JSON.parse(await readFile(join(layoutDir, 'index.json'), 'utf8'));
        expect(index.manifests).toEqual([
          expect.objectContaining({ digest, annotations: { [Annotations.refName]: 'v1' } }),
        ]);
      });

      it('leaves no temporary files behind', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });

        // Act
        await pushManifest(registry, 'app', oneFileImage().root, 'v1');

        // Assess
        const files = [...(await readdir(join(root, 'app'))), ...(await readdir(join(root, 'app', 'blobs', 'sha256')))];
        expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
      });
    });

    describe('when the same manifest and tag are pushed twice', () => {
      it('succeeds and keeps one index entry', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const image = oneFileImage().root;
        await pushManifest(registry, 'app', image, 'v1');

        // Act
        await pushManifest(registry, 'app', image, 'v1');

        // Assess
        const index = JSON.parse(await readFile(join(root, 'app', 'index.json'), 'utf8'));
        expect(index.manifests).toHaveLength(1);
      });
    });

    describe('when the tag already points at other content', () => {
      it('throws ConflictError and leaves the tag alone', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const first = oneFileImage('one').root;
        const second = oneFileImage('two').root;
        await pushManifest(registry, 'app', first, 'v1');

        // Act
        const act = pushManifest(registry, 'app', second, 'v1');

        // Assess
        await expect(act).rejects.toBeInstanceOf(ConflictError);
        expect((await registry.getManifest('app', 'v1')).digest).toBe(first.digest);
      });
    });

    describe('when a manifest is pushed before its blobs', () => {
      it('throws NotFoundError like a registry would', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const image = oneFileImage().root;

        // Act
        const act = registry.putManifest('app', image.bytes, MediaTypes.ociManifest, 'v1');

        // Assess
        await expect(act).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('when the media type contradicts the body', () => {
      it('throws InvalidInputError', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const image = oneFileImage().root;
        for (const blob of image.blobs) {
          await registry.putBlob('app', blob.digest, blob.bytes);
        }

        // Act
        const act = registry.putManifest('app', image.bytes, MediaTypes.dockerManifest);

        // Assess
        await expect(act).rejects.toBeInstanceOf(InvalidInputError);
      });
    });

    describe('when an untagged manifest is tagged later', () => {
      it('replaces the untagged entry with the tagged one', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const image = oneFileImage().root;
        await pushManifest(registry, 'app', image);

        // Act
        await registry.putManifest('app', image.bytes, MediaTypes.ociManifest, 'v2');

        // Assess
        const index = JSON.parse(await readFile(join(root, 'app', 'index.json'), 'utf8'));
        expect(index.manifests).toHaveLength(1);
        expect(await registry.listTags('app')).toEqual(['v2']);
      });
    });

    describe('when a child of an index is fetched by digest', () => {
      it('serves it from the blob store and sniffs its media type', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const child = oneFileImage('hello', PLATFORMS.linuxArm64);
        await pushManifest(registry, 'app', indexOf([child]), 'multi');

        // Act
        const fetched = await registry.getManifest('app', child.root.digest);

        // Assess
        expect(fetched.digest).toBe(child.root.digest);
        expect(fetched.mediaType).toBe(MediaTypes.ociManifest);
      });
    });

    describe('when the tag does not exist', () => {
      it('throws NotFoundError', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        await pushManifest(registry, 'app', oneFileImage().root, 'v1');

        // Act
        const act = registry.getManifest('app', 'v9');

        // Assess
        await expect(act).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('when the layout does not exist', () => {
      it('throws NotFoundError', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });

        // Act
        const act = registry.getManifest('nothing-here', 'v1');

        // Assess
        await expect(act).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('when a stored manifest was tampered with', () => {
      it('throws DIGEST_MISMATCH', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const image = oneFileImage().root;
        await pushManifest(registry, 'app', image, 'v1');
        const tampered = new TextDecoder().decode(image.bytes).replace('"schemaVersion":2', '"schemaVersion":2 ');
        await writeFile(blobFile(join(root, 'app'), image.digest), tampered);

        // Act
        const act = registry.getManifest('app', 'v1');

        // Assess
        await expect(act).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      });
    });
  });

  describe('Method: getBlob / putBlob', () => {
    describe('when bytes do not hash to the digest', () => {
      it('refuses to store them', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const digest = sha256Digest('right');

        // Act
        const act = registry.putBlob('app', digest, new TextEncoder().encode('wrong'));

        // Assess
        await expect(act).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
        expect(await registry.hasBlob('app', digest)).toBe(false);
      });
    });

    describe('when a stored blob was corrupted', () => {
      it('throws DIGEST_MISMATCH on read', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const bytes = new TextEncoder().encode('payload');
        const digest = sha256Digest(bytes);
        await registry.putBlob('app', digest, bytes);
        await writeFile(blobFile(join(root, 'app'), digest), 'payloaX');

        // Act
        const act = registry.getBlob('app', digest, 1024);

        // Assess
        await expect(act).rejects.toBeInstanceOf(GateError);
        await expect(act).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      });
    });

    describe('when a blob is larger than maxBytes', () => {
      it('throws TooLargeError from its size alone, without reading it', async () => {
        // Prepare: a sparse 64 GiB file; reading it would exhaust memory long before the test timeout.
        const registry = new OciLayoutRegistry({ root });
        const bytes = new TextEncoder().encode('x');
        const digest = sha256Digest(bytes);
        await registry.putBlob('app', digest, bytes);
        await truncate(blobFile(join(root, 'app'), digest), 64 * 1024 * 1024 * 1024);

        // Act
        const act = registry.getBlob('app', digest, 1024);

        // Assess
        await expect(act).rejects.toBeInstanceOf(TooLargeError);
      });
    });

    describe('when a blob is a FIFO', () => {
      it('throws RegistryError instead of blocking on it', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const bytes = new TextEncoder().encode('x');
        const digest = sha256Digest(bytes);
        await registry.putBlob('app', digest, bytes);
        await plantFifo(blobFile(join(root, 'app'), digest));

        // Act
        const act = registry.getBlob('app', digest, 1024);

        // Assess
        await expect(act).rejects.toThrowWithCode(RegistryError, 'REGISTRY_ERROR');
        expect(await registry.hasBlob('app', digest)).toBe(false);
      });
    });

    describe('when a blob is missing', () => {
      it('throws NotFoundError and hasBlob is false', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const digest = sha256Digest('absent');

        // Act
        const act = registry.getBlob('app', digest, 1024);

        // Assess
        await expect(act).rejects.toBeInstanceOf(NotFoundError);
        expect(await registry.hasBlob('app', digest)).toBe(false);
      });
    });
  });

  describe('Method: getManifest', () => {
    describe('when index.json is a FIFO', () => {
      it('throws RegistryError instead of blocking on it', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        await pushManifest(registry, 'app', oneFileImage().root, 'v1');
        await plantFifo(join(root, 'app', 'index.json'));

        // Act
        const act = registry.getManifest('app', 'v1');

        // Assess
        await expect(act).rejects.toThrowWithCode(RegistryError, 'REGISTRY_ERROR');
      });
    });
  });

  describe('Method: mountBlob', () => {
    describe('when the source repository has the blob', () => {
      it('links it into the target and returns true', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const bytes = new TextEncoder().encode('layer');
        const digest = sha256Digest(bytes);
        await registry.putBlob('src', digest, bytes);

        // Act
        const mounted = await registry.mountBlob('dst', 'src', digest);

        // Assess
        expect(mounted).toBe(true);
        expect(Buffer.from(await registry.getBlob('dst', digest, 100)).toString()).toBe('layer');
      });
    });

    describe('when the source repository lacks the blob', () => {
      it('declines with false', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });

        // Act
        const mounted = await registry.mountBlob('dst', 'src', sha256Digest('absent'));

        // Assess
        expect(mounted).toBe(false);
      });
    });
  });

  describe('Method: listReferrers', () => {
    describe('when artifacts refer to the image', () => {
      it('returns their descriptors with artifactType and annotations, and nothing else', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const image = oneFileImage().root;
        await pushManifest(registry, 'app', image, 'v1');
        const sbom = payloadArtifact({
          artifactType: MediaTypes.cyclonedxJson,
          payload: '{"bomFormat":"CycloneDX"}',
          subject: image.descriptor,
          annotations: { 'org.example': 'sbom' },
        });
        const unrelated = payloadArtifact({ artifactType: MediaTypes.spdxJson, payload: '{}' });
        await pushManifest(registry, 'app', sbom);
        await pushManifest(registry, 'app', unrelated);

        // Act
        const referrers = await registry.listReferrers('app', image.digest);

        // Assess
        expect(referrers).toEqual([
          {
            mediaType: MediaTypes.ociManifest,
            digest: sbom.digest,
            size: sbom.bytes.byteLength,
            artifactType: MediaTypes.cyclonedxJson,
            annotations: { 'org.example': 'sbom' },
          },
        ]);
        expect(await registry.listTags('app')).toEqual(['v1']);
      });
    });

    describe('when nothing refers to the image', () => {
      it('returns an empty list', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const image = oneFileImage().root;
        await pushManifest(registry, 'app', image, 'v1');

        // Act
        const referrers = await registry.listReferrers('app', image.digest);

        // Assess
        expect(referrers).toEqual([]);
      });
    });
  });

  describe('Method: single', () => {
    describe('when used with any repository name', () => {
      it('serves the one layout directory', async () => {
        // Prepare
        const writer = OciLayoutRegistry.single(root);
        const image = oneFileImage().root;
        await pushManifest(writer, 'whatever', image, 'v1');

        // Act
        const fetched = await OciLayoutRegistry.single(root).getManifest('some/other-name', 'v1');

        // Assess
        expect(fetched.digest).toBe(image.digest);
        expect(JSON.parse(await readFile(join(root, 'index.json'), 'utf8')).manifests).toHaveLength(1);
      });
    });
  });

  describe('Method: constructor (root mode)', () => {
    describe('when the repository name would escape the root', () => {
      it('throws InvalidInputError', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });

        // Act
        const act = registry.listTags('../outside');

        // Assess
        await expect(act).rejects.toBeInstanceOf(InvalidInputError);
      });
    });
  });

  describe('Method: putManifest (concurrency)', () => {
    describe('when many untagged manifests are pushed at once', () => {
      it('keeps every index entry', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const subject = oneFileImage().root;
        await pushManifest(registry, 'app', subject, 'v1');
        const artifacts = Array.from({ length: 12 }, (_, i) =>
          payloadArtifact({
            artifactType: 'application/vnd.example',
            payload: `p${i}`,
            subject: subject.descriptor,
          }),
        );

        // Act
        await Promise.all(artifacts.map((a) => pushManifest(registry, 'app', a)));

        // Assess
        const referrers = await registry.listReferrers('app', subject.digest);
        expect(referrers.map((r) => r.digest).sort()).toEqual(artifacts.map((a) => a.digest).sort());
      });
    });
  });
});
