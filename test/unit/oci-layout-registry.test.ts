/**
 * What is particular to the OCI image layout adapter: the files it writes (image-layout.md), the
 * files it refuses to read, its one-layout mode and its in-process locking. The registry port's
 * semantics (tags, blobs, mounts, referrers, errors) are checked for every adapter by
 * test/integration/registry-contract.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import {
  DigestMismatchError,
  InvalidInputError,
  NotFoundError,
  RegistryError,
  TooLargeError,
} from '../../lambdas/domain/errors.js';
import { Annotations, digestToTag, MediaTypes, sha256Digest } from '../../lambdas/domain/oci.js';
import {
  CosignSaveKinds,
  markAsCosignSave,
  oneFileImage,
  payloadArtifact,
  pushArtifact,
  pushImage,
  pushManifest,
} from '../support/images.js';

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
  describe('Method: putManifest', () => {
    describe('when an image is pushed with a tag', () => {
      it('writes the oci-layout file and an index.json entry annotated with the tag', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const image = oneFileImage().root;

        // Act
        const digest = await pushManifest(registry, 'team/app', image, 'v1');

        // Assess
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

  describe('Method: listReferrers (red-team finding 9)', () => {
    describe('when an unrelated manifest of the layout is corrupt', () => {
      it('still lists the referrers of another image, instead of failing every image', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const subject = oneFileImage('subject').root;
        const other = oneFileImage('other').root;
        await pushManifest(registry, 'app', subject, 'v1');
        await pushManifest(registry, 'app', other, 'v2');
        const referrer = payloadArtifact({
          artifactType: 'application/vnd.example',
          payload: 'x',
          subject: subject.descriptor,
        });
        await pushManifest(registry, 'app', referrer);
        await writeFile(blobFile(join(root, 'app'), other.digest), '{"not":"the manifest"');

        // Act
        const referrers = await registry.listReferrers('app', subject.digest);

        // Assess
        expect(referrers.map((r) => r.digest)).toEqual([referrer.digest]);
        await expect(registry.getManifest('app', other.digest)).rejects.toBeInstanceOf(DigestMismatchError);
      });
    });

    describe('when a referrer is pushed after a listing', () => {
      it('lists it the next time (what was read is kept by digest only)', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const subject = oneFileImage('subject').root;
        await pushManifest(registry, 'app', subject, 'v1');
        const before = await registry.listReferrers('app', subject.digest);
        const referrer = payloadArtifact({
          artifactType: 'application/vnd.example',
          payload: 'y',
          subject: subject.descriptor,
        });
        await pushManifest(registry, 'app', referrer);

        // Act
        const after = await registry.listReferrers('app', subject.digest);

        // Assess
        expect(before).toEqual([]);
        expect(after.map((r) => r.digest)).toEqual([referrer.digest]);
      });
    });
  });

  describe('Method: getBlob', () => {
    /** A layout under `root` holding `bytes` as a blob of repository `app`. */
    async function layoutWithBlob(bytes: Uint8Array): Promise<{ registry: OciLayoutRegistry; digest: string }> {
      const registry = new OciLayoutRegistry({ root });
      const digest = sha256Digest(bytes);
      await registry.putBlob('app', digest, bytes);
      return { registry, digest };
    }

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

    describe('when a blob is large', () => {
      it('hands over the bytes it read, not a copy of them', async () => {
        // Prepare: 16 MiB, far above Node's pool for small Buffers.
        const bytes = new Uint8Array(16 * 1024 * 1024).fill(7);
        const { registry, digest } = await layoutWithBlob(bytes);
        const before = process.memoryUsage().arrayBuffers;

        // Act
        const blob = await registry.getBlob('app', digest, bytes.byteLength);

        // Assess
        const held = process.memoryUsage().arrayBuffers - before;
        expect(held).toBeLessThan(1.5 * bytes.byteLength);
        expect(sha256Digest(blob)).toBe(digest);
      });
    });

    describe('when a blob is small', () => {
      it('hands over bytes whose buffer holds that blob alone', async () => {
        // Prepare
        const bytes = new TextEncoder().encode('{"small":true}');
        const { registry, digest } = await layoutWithBlob(bytes);

        // Act
        const blob = await registry.getBlob('app', digest, 1024);

        // Assess
        expect(new Uint8Array(blob.buffer)).toEqual(bytes);
      });
    });

    describe('when a blob is a FIFO', () => {
      it('throws InvalidInputError instead of blocking on it', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const bytes = new TextEncoder().encode('x');
        const digest = sha256Digest(bytes);
        await registry.putBlob('app', digest, bytes);
        await plantFifo(blobFile(join(root, 'app'), digest));

        // Act
        const act = registry.getBlob('app', digest, 1024);

        // Assess
        await expect(act).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
        expect(await registry.hasBlob('app', digest)).toBe(false);
      });
    });
  });

  describe('Method: getManifest', () => {
    describe('when index.json is a FIFO', () => {
      it('throws InvalidInputError instead of blocking on it', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        await pushManifest(registry, 'app', oneFileImage().root, 'v1');
        await plantFifo(join(root, 'app', 'index.json'));

        // Act
        const act = registry.getManifest('app', 'v1');

        // Assess
        await expect(act).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
      });
    });

    describe.each([
      ['a blob', '/dev/zero', (dir: string, digest: string) => blobFile(dir, digest)],
      ['a blob', '/dev/urandom', (dir: string, digest: string) => blobFile(dir, digest)],
      ['oci-layout', '/dev/zero', (dir: string) => join(dir, 'oci-layout')],
      ['index.json', '/dev/urandom', (dir: string) => join(dir, 'index.json')],
    ])('when %s is a symlink to %s (red-team finding 4)', (_, device, pathOf) => {
      it('refuses it before reading a byte, neither hanging nor growing', async () => {
        // Prepare
        const registry = new OciLayoutRegistry({ root });
        const image = oneFileImage().root;
        await pushManifest(registry, 'app', image, 'v1');
        const file = pathOf(join(root, 'app'), image.digest);
        await rm(file, { force: true });
        await symlink(device, file);

        // Act
        const act = (async () => {
          await registry.getManifest('app', image.digest);
          await registry.getBlob('app', image.digest, 1024);
        })();

        // Assess
        await expect(act).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
      });
    });
  });

  describe('Method: getManifest, a layout written by cosign save (issue 10, finding 21)', () => {
    /** A `cosign save` layout of an image with a `.sig` and an `.att` manifest; their digests. */
    async function cosignSaved() {
      const registry = OciLayoutRegistry.single(root);
      const image = await pushImage(registry, 'app');
      const sigs = await pushArtifact(registry, 'app', {
        layers: [{ mediaType: MediaTypes.cosignSimpleSigning, bytes: new TextEncoder().encode('{}') }],
      });
      const atts = await pushArtifact(registry, 'app', {
        layers: [{ mediaType: MediaTypes.dsseEnvelope, bytes: new TextEncoder().encode('{}') }],
      });
      await markAsCosignSave(root, {
        [image.digest]: CosignSaveKinds.image,
        [sigs.digest]: CosignSaveKinds.sigs,
        [atts.digest]: CosignSaveKinds.atts,
      });
      return { registry, image: image.digest, sigs: sigs.digest, atts: atts.digest };
    }

    describe('when the signatures and attestations are marked only by their kind annotation', () => {
      it("answers cosign's .sig and .att tags of the signed image with them", async () => {
        // Prepare
        const { registry, image, sigs, atts } = await cosignSaved();

        // Act
        const sig = await registry.getManifest('app', `${digestToTag(image)}.sig`);
        const att = await registry.getManifest('app', `${digestToTag(image)}.att`);

        // Assess
        expect([sig.digest, att.digest]).toEqual([sigs, atts]);
      });
    });

    describe('when the tags are asked for another image', () => {
      it('does not find them', async () => {
        // Prepare
        const { registry } = await cosignSaved();

        // Act
        const act = registry.getManifest('app', `sha256-${'b'.repeat(64)}.att`);

        // Assess
        await expect(act).rejects.toThrowWithCode(NotFoundError, 'NOT_FOUND');
      });
    });

    describe('when another manifest is planted under the .att tag name, or as a second atts entry', () => {
      it.each(['tag', 'kind'] as const)('refuses the ambiguous tag (planted by %s)', async (how) => {
        // Prepare
        const { registry, image, sigs, atts } = await cosignSaved();
        const planted = await pushArtifact(registry, 'app', {
          layers: [{ mediaType: MediaTypes.dsseEnvelope, bytes: new TextEncoder().encode('{"planted":1}') }],
          ...(how === 'tag' ? { tag: `${digestToTag(image)}.att` } : {}),
        });
        const kinds = { [image]: CosignSaveKinds.image, [sigs]: CosignSaveKinds.sigs, [atts]: CosignSaveKinds.atts };
        if (how === 'kind') await markAsCosignSave(root, { ...kinds, [planted.digest]: CosignSaveKinds.atts });

        // Act
        const act = registry.getManifest('app', `${digestToTag(image)}.att`);

        // Assess
        await expect(act).rejects.toThrowWithCode(RegistryError, 'REGISTRY_ERROR');
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
});
