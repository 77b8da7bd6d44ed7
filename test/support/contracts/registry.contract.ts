/**
 * The contract of the registry port (`RegistryReader` / `RegistryWriter` in
 * `lambdas/domain/ports.ts`), run against every adapter and the test fake, as powertools runs one
 * suite against each persistence layer. What a case asserts is what domain code may rely on; where
 * the OCI specs leave registries a choice, the case says which behaviour the gate requires.
 *
 * Each case uses fresh repository names, so adapters that share one server across cases (the
 * Distribution API against docker-registry) need no reset between them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type BuiltManifest,
  buildArtifact,
  descriptorOf,
  EMPTY_CONFIG,
  jsonBytes,
  PLATFORMS,
} from '../../../cli/fixtures/image.js';
import {
  ConflictError,
  DigestMismatchError,
  InvalidInputError,
  NotFoundError,
  TooLargeError,
} from '../../../lambdas/domain/errors.js';
import { readLiveTag } from '../../../lambdas/domain/incident/track.js';
import { Limits } from '../../../lambdas/domain/limits.js';
import {
  type Descriptor,
  digestToTag,
  ImageIndexSchema,
  MediaTypes,
  sha256Digest,
} from '../../../lambdas/domain/oci.js';
import type { RegistryWriter } from '../../../lambdas/domain/ports.js';
import { indexOf, oneFileImage, payloadArtifact, pushManifest } from '../images.js';

/** One adapter under test, fresh for each case. */
export interface RegistryHarness {
  readonly registry: RegistryWriter;
  /**
   * Overwrites the stored bytes of `digest` in `repository` in place, keeping their address, as disk
   * corruption or a tampering registry would.
   */
  tamper(repository: string, digest: string, bytes: Uint8Array): Promise<void>;
  cleanup(): Promise<void>;
}

export interface RegistryContractOptions {
  /**
   * The adapter keeps the referrers tag schema itself (distribution-spec "Referrers Tag Schema"):
   * it talks to a registry without the referrers API, so pushing a referrer also tags a
   * `sha256-<hex>` index. @default false - referrers add no tags
   */
  readonly referrersTagSchema?: boolean;
}

const utf8 = new TextEncoder();
let sequence = 0;

function byDigest(a: Descriptor, b: Descriptor): number {
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}

/** The descriptor a referrers list gives for `artifact` (distribution-spec "Listing Referrers"). */
function referrerDescriptor(artifact: BuiltManifest, artifactType: string): Descriptor {
  const { annotations } = artifact.descriptor;
  return {
    mediaType: MediaTypes.ociManifest,
    digest: artifact.digest,
    size: artifact.bytes.byteLength,
    artifactType,
    ...(annotations === undefined ? {} : { annotations }),
  };
}

export function describeRegistryContract(
  name: string,
  makeRegistry: () => Promise<RegistryHarness>,
  options: RegistryContractOptions = {},
): void {
  describe(`Contract: RegistryWriter (${name})`, () => {
    let harness: RegistryHarness;
    let registry: RegistryWriter;
    /** A repository no other case uses, and a second one beside it. */
    let repo: string;
    let otherRepo: string;

    beforeEach(async () => {
      harness = await makeRegistry();
      registry = harness.registry;
      sequence += 1;
      repo = `contract/r${sequence}`;
      otherRepo = `contract/r${sequence}-other`;
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    /** Content unique to this case (the Distribution stand-in stores blobs registry-wide). */
    const unique = (label: string): string => `${label} ${repo}`;

    describe('Method: getManifest', () => {
      describe('when an image was pushed with a tag', () => {
        it('serves the exact bytes, digest and media type by tag and by digest', async () => {
          // Prepare
          const image = oneFileImage(unique('tagged')).root;
          for (const blob of image.blobs) await registry.putBlob(repo, blob.digest, blob.bytes);

          // Act
          const digest = await registry.putManifest(repo, image.bytes, image.mediaType, 'v1');
          const byTag = await registry.getManifest(repo, 'v1');
          const byDigest = await registry.getManifest(repo, image.digest);

          // Assess
          expect(digest).toBe(image.digest);
          expect(byTag.digest).toBe(image.digest);
          expect(byTag.mediaType).toBe(MediaTypes.ociManifest);
          expect(Buffer.from(byTag.bytes).equals(Buffer.from(image.bytes))).toBe(true);
          expect(byTag).toEqual(byDigest);
        });
      });

      describe('when an index was pushed with its children', () => {
        it('serves the index as an index and each child by digest as a manifest', async () => {
          // Prepare
          const index = indexOf([
            oneFileImage(unique('amd64'), PLATFORMS.linuxAmd64),
            oneFileImage(unique('arm64'), PLATFORMS.linuxArm64),
          ]);
          await pushManifest(registry, repo, index, 'multi');

          // Act
          const fetched = await registry.getManifest(repo, 'multi');
          const children = await Promise.all(index.manifests.map((m) => registry.getManifest(repo, m.digest)));

          // Assess
          expect(fetched.digest).toBe(index.digest);
          expect(fetched.mediaType).toBe(MediaTypes.ociIndex);
          expect(children.map((c) => c.digest)).toEqual(index.manifests.map((m) => m.digest));
          expect(children.map((c) => c.mediaType)).toEqual([MediaTypes.ociManifest, MediaTypes.ociManifest]);
          children.forEach((child, i) => {
            expect(Buffer.from(child.bytes).equals(Buffer.from(index.manifests[i]?.bytes ?? []))).toBe(true);
          });
        });
      });

      describe('when the tag does not exist', () => {
        it('throws NotFoundError', async () => {
          // Prepare
          await pushManifest(registry, repo, oneFileImage(unique('present')).root, 'v1');

          // Act
          const act = registry.getManifest(repo, 'v9');

          // Assess
          await expect(act).rejects.toThrowWithCode(NotFoundError, 'NOT_FOUND');
        });
      });

      describe('when no manifest has the digest', () => {
        it('throws NotFoundError', async () => {
          // Prepare
          await pushManifest(registry, repo, oneFileImage(unique('present')).root, 'v1');

          // Act
          const act = registry.getManifest(repo, oneFileImage(unique('absent')).root.digest);

          // Assess
          await expect(act).rejects.toThrowWithCode(NotFoundError, 'NOT_FOUND');
        });
      });

      describe('when the repository does not exist', () => {
        it('throws NotFoundError', async () => {
          // Act
          const act = registry.getManifest(repo, 'v1');

          // Assess
          await expect(act).rejects.toThrowWithCode(NotFoundError, 'NOT_FOUND');
        });
      });

      describe('when the stored bytes no longer hash to the digest', () => {
        it('throws DigestMismatchError, by tag and by digest', async () => {
          // Prepare
          const image = oneFileImage(unique('tampered')).root;
          await pushManifest(registry, repo, image, 'v1');
          const tampered = new TextDecoder().decode(image.bytes).replace('"schemaVersion":2', '"schemaVersion":2 ');
          await harness.tamper(repo, image.digest, utf8.encode(tampered));

          // Act (one at a time: a second rejection nobody awaits yet would be an unhandled one)
          const byTag = await registry.getManifest(repo, 'v1').catch((err: unknown) => err);
          const byDigest = await registry.getManifest(repo, image.digest).catch((err: unknown) => err);

          // Assess
          expect(byTag).toBeInstanceOf(DigestMismatchError);
          expect(byDigest).toBeInstanceOf(DigestMismatchError);
        });
      });
    });

    describe('Method: putManifest', () => {
      describe('when the same manifest is pushed again without a tag', () => {
        it('returns the same digest', async () => {
          // Prepare
          const image = oneFileImage(unique('again')).root;
          await pushManifest(registry, repo, image);

          // Act
          const digest = await registry.putManifest(repo, image.bytes, image.mediaType);

          // Assess
          expect(digest).toBe(image.digest);
          expect((await registry.getManifest(repo, digest)).digest).toBe(image.digest);
        });
      });

      describe('when the same content is tagged again', () => {
        it('succeeds and keeps the tag', async () => {
          // Prepare
          const image = oneFileImage(unique('retag')).root;
          await pushManifest(registry, repo, image, 'v1');

          // Act
          const digest = await registry.putManifest(repo, image.bytes, image.mediaType, 'v1');

          // Assess
          expect(digest).toBe(image.digest);
          expect((await registry.getManifest(repo, 'v1')).digest).toBe(image.digest);
          expect(await registry.listTags(repo)).toEqual(['v1']);
        });
      });

      describe('when the tag already points at other content', () => {
        it('throws ConflictError and leaves the tag on the original', async () => {
          // Prepare
          const first = oneFileImage(unique('first')).root;
          const second = oneFileImage(unique('second')).root;
          await pushManifest(registry, repo, first, 'v1');

          // Act
          const act = pushManifest(registry, repo, second, 'v1');

          // Assess
          await expect(act).rejects.toThrowWithCode(ConflictError, 'CONFLICT');
          expect((await registry.getManifest(repo, 'v1')).digest).toBe(first.digest);
        });
      });

      describe('when an untagged manifest is tagged later', () => {
        it('serves it under the tag', async () => {
          // Prepare
          const image = oneFileImage(unique('later')).root;
          await pushManifest(registry, repo, image);

          // Act
          await registry.putManifest(repo, image.bytes, image.mediaType, 'v2');

          // Assess
          expect((await registry.getManifest(repo, 'v2')).digest).toBe(image.digest);
          expect(await registry.listTags(repo)).toEqual(['v2']);
        });
      });

      describe('when one manifest is given two tags', () => {
        it('serves it under both', async () => {
          // Prepare
          const image = oneFileImage(unique('two tags')).root;
          await pushManifest(registry, repo, image, 'v1');

          // Act
          await registry.putManifest(repo, image.bytes, image.mediaType, 'latest');

          // Assess
          expect((await registry.getManifest(repo, 'latest')).digest).toBe(image.digest);
          expect((await registry.getManifest(repo, 'v1')).digest).toBe(image.digest);
        });
      });

      // distribution-spec "Push": a registry MAY refuse dangling references (MANIFEST_BLOB_UNKNOWN);
      // the gate requires it, so a copy that skipped a blob fails instead of publishing a hole.
      describe('when the config or a layer is not in the repository', () => {
        it('throws NotFoundError and stores nothing', async () => {
          // Prepare
          const image = oneFileImage(unique('no blobs')).root;
          const [config] = image.blobs;
          if (config !== undefined) await registry.putBlob(repo, config.digest, config.bytes);

          // Act
          const act = registry.putManifest(repo, image.bytes, image.mediaType, 'v1');

          // Assess
          await expect(act).rejects.toThrowWithCode(NotFoundError, 'NOT_FOUND');
          await expect(registry.getManifest(repo, image.digest)).rejects.toThrowWithCode(NotFoundError, 'NOT_FOUND');
        });
      });

      describe('when a child of an index is not in the repository', () => {
        it('throws NotFoundError', async () => {
          // Prepare
          const amd64 = oneFileImage(unique('pushed'), PLATFORMS.linuxAmd64);
          const arm64 = oneFileImage(unique('never pushed'), PLATFORMS.linuxArm64);
          await pushManifest(registry, repo, amd64.root);
          const index = indexOf([amd64, arm64]);

          // Act
          const act = registry.putManifest(repo, index.bytes, index.mediaType, 'multi');

          // Assess
          await expect(act).rejects.toThrowWithCode(NotFoundError, 'NOT_FOUND');
        });
      });

      // distribution-spec "Push": a registry MUST accept a manifest whose `subject` does not exist.
      describe('when the subject of a referrer is not in the repository', () => {
        it('accepts the referrer', async () => {
          // Prepare
          const subject = oneFileImage(unique('future subject')).root;
          const sbom = payloadArtifact({
            artifactType: MediaTypes.cyclonedxJson,
            payload: '{"bomFormat":"CycloneDX"}',
            subject: subject.descriptor,
          });

          // Act
          const digest = await pushManifest(registry, repo, sbom);

          // Assess
          expect(digest).toBe(sbom.digest);
          expect((await registry.getManifest(repo, sbom.digest)).digest).toBe(sbom.digest);
        });
      });

      describe('when the media type contradicts the body', () => {
        it('throws InvalidInputError', async () => {
          // Prepare
          const image = oneFileImage(unique('contradiction')).root;
          for (const blob of image.blobs) await registry.putBlob(repo, blob.digest, blob.bytes);

          // Act
          const act = registry.putManifest(repo, image.bytes, MediaTypes.dockerManifest);

          // Assess
          await expect(act).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
        });
      });

      describe('when the body is not JSON (bad input, never a retryable RegistryError)', () => {
        it('throws InvalidInputError and stores nothing', async () => {
          // Prepare
          const bytes = new TextEncoder().encode('{"schemaVersion": 2, "layers": [');

          // Act
          const act = registry.putManifest(repo, bytes, MediaTypes.ociManifest, 'broken');

          // Assess
          await expect(act).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
          await expect(registry.getManifest(repo, 'broken')).rejects.toBeInstanceOf(NotFoundError);
        });
      });

      describe('when the manifest is larger than Limits.manifestBytes', () => {
        it('throws TooLargeError', async () => {
          // Prepare
          await registry.putBlob(repo, EMPTY_CONFIG.digest, EMPTY_CONFIG.bytes);
          const bytes = jsonBytes({
            schemaVersion: 2,
            mediaType: MediaTypes.ociManifest,
            config: descriptorOf(EMPTY_CONFIG),
            layers: [],
            annotations: { padding: 'x'.repeat(Limits.manifestBytes) },
          });

          // Act
          const act = registry.putManifest(repo, bytes, MediaTypes.ociManifest);

          // Assess
          await expect(act).rejects.toThrowWithCode(TooLargeError, 'TOO_LARGE');
        });
      });
    });

    describe('Method: getBlob', () => {
      describe('when the blob exists', () => {
        it('returns its exact bytes', async () => {
          // Prepare
          const image = oneFileImage(unique('layer bytes')).root;
          await pushManifest(registry, repo, image, 'v1');
          const layer = image.blobs[1];

          // Act
          const bytes = await registry.getBlob(repo, layer?.digest ?? '', 1_000_000);

          // Assess
          expect(Buffer.from(bytes).equals(Buffer.from(layer?.bytes ?? []))).toBe(true);
        });
      });

      describe('when the blob is exactly maxBytes long', () => {
        it('returns it', async () => {
          // Prepare
          const bytes = utf8.encode(unique('exactly sized'));
          const digest = sha256Digest(bytes);
          await registry.putBlob(repo, digest, bytes);

          // Act
          const fetched = await registry.getBlob(repo, digest, bytes.byteLength);

          // Assess
          expect(fetched.byteLength).toBe(bytes.byteLength);
        });
      });

      describe('when the blob is larger than maxBytes', () => {
        it('throws TooLargeError', async () => {
          // Prepare
          const bytes = utf8.encode(unique('one byte too many'));
          const digest = sha256Digest(bytes);
          await registry.putBlob(repo, digest, bytes);

          // Act
          const act = registry.getBlob(repo, digest, bytes.byteLength - 1);

          // Assess
          await expect(act).rejects.toThrowWithCode(TooLargeError, 'TOO_LARGE');
        });
      });

      describe('when the blob does not exist', () => {
        it('throws NotFoundError', async () => {
          // Prepare
          await registry.putBlob(repo, EMPTY_CONFIG.digest, EMPTY_CONFIG.bytes);

          // Act
          const act = registry.getBlob(repo, sha256Digest(unique('absent')), 1024);

          // Assess
          await expect(act).rejects.toThrowWithCode(NotFoundError, 'NOT_FOUND');
        });
      });

      describe('when the repository does not exist', () => {
        it('throws NotFoundError', async () => {
          // Act
          const act = registry.getBlob(repo, EMPTY_CONFIG.digest, 1024);

          // Assess
          await expect(act).rejects.toThrowWithCode(NotFoundError, 'NOT_FOUND');
        });
      });

      describe('when the stored bytes no longer hash to the digest', () => {
        it('throws DigestMismatchError', async () => {
          // Prepare
          const bytes = utf8.encode(unique('payload'));
          const digest = sha256Digest(bytes);
          await registry.putBlob(repo, digest, bytes);
          await harness.tamper(repo, digest, utf8.encode(unique('payloaX')));

          // Act
          const act = registry.getBlob(repo, digest, 1024);

          // Assess
          await expect(act).rejects.toThrowWithCode(DigestMismatchError, 'DIGEST_MISMATCH');
        });
      });

      describe('when the digest is not a sha256 digest', () => {
        it('throws InvalidInputError', async () => {
          // Act
          const act = registry.getBlob(repo, 'sha256:not-hex', 1024);

          // Assess
          await expect(act).rejects.toThrowWithCode(InvalidInputError, 'INVALID_INPUT');
        });
      });
    });

    describe('Method: putBlob / hasBlob', () => {
      describe('when a blob is pushed', () => {
        it('is present and served back', async () => {
          // Prepare
          const bytes = utf8.encode(unique('pushed blob'));
          const digest = sha256Digest(bytes);

          // Act
          await registry.putBlob(repo, digest, bytes);

          // Assess
          expect(await registry.hasBlob(repo, digest)).toBe(true);
          expect(Buffer.from(await registry.getBlob(repo, digest, 1024)).equals(Buffer.from(bytes))).toBe(true);
        });
      });

      describe('when the same blob is pushed twice', () => {
        it('succeeds both times and keeps it', async () => {
          // Prepare
          const bytes = utf8.encode(unique('idempotent'));
          const digest = sha256Digest(bytes);
          await registry.putBlob(repo, digest, bytes);

          // Act
          await registry.putBlob(repo, digest, bytes);

          // Assess
          expect(await registry.hasBlob(repo, digest)).toBe(true);
          expect(Buffer.from(await registry.getBlob(repo, digest, 1024)).equals(Buffer.from(bytes))).toBe(true);
        });
      });

      describe('when the bytes do not hash to the digest', () => {
        it('throws DigestMismatchError and stores nothing', async () => {
          // Prepare
          const digest = sha256Digest(unique('right'));

          // Act
          const act = registry.putBlob(repo, digest, utf8.encode(unique('wrong')));

          // Assess
          await expect(act).rejects.toThrowWithCode(DigestMismatchError, 'DIGEST_MISMATCH');
          expect(await registry.hasBlob(repo, digest)).toBe(false);
        });
      });

      describe('when the blob was never pushed', () => {
        it('hasBlob is false', async () => {
          // Act
          const present = await registry.hasBlob(repo, sha256Digest(unique('absent')));

          // Assess
          expect(present).toBe(false);
        });
      });

      describe('when the blob is only in another repository', () => {
        it('hasBlob is false in this one', async () => {
          // Prepare
          const bytes = utf8.encode(unique('elsewhere'));
          const digest = sha256Digest(bytes);
          await registry.putBlob(otherRepo, digest, bytes);

          // Act
          const present = await registry.hasBlob(repo, digest);

          // Assess
          expect(present).toBe(false);
        });
      });
    });

    describe('Method: mountBlob', () => {
      describe('when the source repository has the blob', () => {
        it('returns true and the target serves the blob', async () => {
          // Prepare
          const bytes = utf8.encode(unique('mount me'));
          const digest = sha256Digest(bytes);
          await registry.putBlob(otherRepo, digest, bytes);

          // Act
          const mounted = await registry.mountBlob(repo, otherRepo, digest);

          // Assess
          expect(mounted).toBe(true);
          expect(await registry.hasBlob(repo, digest)).toBe(true);
          expect(Buffer.from(await registry.getBlob(repo, digest, 1024)).equals(Buffer.from(bytes))).toBe(true);
        });
      });

      // The port: false means "declined, copy it yourself" (distribution-spec: 202 instead of 201).
      describe('when the source repository lacks the blob', () => {
        it('returns false and mounts nothing', async () => {
          // Prepare
          const digest = sha256Digest(unique('never pushed'));

          // Act
          const mounted = await registry.mountBlob(repo, otherRepo, digest);

          // Assess
          expect(mounted).toBe(false);
          expect(await registry.hasBlob(repo, digest)).toBe(false);
        });
      });
    });

    describe('Method: listTags', () => {
      describe('when manifests were tagged', () => {
        it('lists every tag once, in lexical order', async () => {
          // Prepare
          const first = oneFileImage(unique('first')).root;
          const second = oneFileImage(unique('second')).root;
          await pushManifest(registry, repo, first, 'v2');
          await pushManifest(registry, repo, second, 'v10');
          await pushManifest(registry, repo, first, 'a-tag');
          await pushManifest(registry, repo, first, 'v2');

          // Act
          const tags = await registry.listTags(repo);

          // Assess
          expect(tags).toEqual(['a-tag', 'v10', 'v2']);
        });
      });

      describe('when the repository holds only untagged manifests', () => {
        it('returns an empty list', async () => {
          // Prepare
          await pushManifest(registry, repo, oneFileImage(unique('untagged')).root);

          // Act
          const tags = await registry.listTags(repo);

          // Assess
          expect(tags).toEqual([]);
        });
      });

      describe('when referrers were pushed', () => {
        const keepsTagSchema = options.referrersTagSchema === true;
        it(
          keepsTagSchema ? 'adds the sha256-<hex> referrers tag of the subject, and only it' : 'adds no tags',
          async () => {
            // Prepare
            const image = oneFileImage(unique('subject')).root;
            await pushManifest(registry, repo, image, 'v1');
            await pushManifest(
              registry,
              repo,
              payloadArtifact({
                artifactType: MediaTypes.spdxJson,
                payload: unique('spdx'),
                subject: image.descriptor,
              }),
            );

            // Act
            const tags = await registry.listTags(repo);

            // Assess
            expect(tags).toEqual(keepsTagSchema ? [digestToTag(image.digest), 'v1'].sort() : ['v1']);
          },
        );
      });
    });

    describe('Method: moveTag', () => {
      describe('when the channel tag points at one image and is moved to another', () => {
        it('resolves to the other image, leaves the version tags where they were, and moving again is a no-op', async () => {
          // Prepare
          const first = oneFileImage(unique('first')).root;
          const second = oneFileImage(unique('second')).root;
          const firstDigest = await pushManifest(registry, repo, first, 'v1');
          const secondDigest = await pushManifest(registry, repo, second, 'v2');
          await registry.moveTag(repo, 'live', firstDigest);

          // Act
          await registry.moveTag(repo, 'live', secondDigest);
          await registry.moveTag(repo, 'live', secondDigest);

          // Assess
          expect((await registry.getManifest(repo, 'live')).digest).toBe(secondDigest);
          expect((await registry.getManifest(repo, 'v1')).digest).toBe(firstDigest);
          expect(await registry.listTags(repo)).toEqual(['live', 'v1', 'v2']);
        });
      });

      describe('when the manifest is not in the repository', () => {
        it('throws NotFoundError and leaves the tag where it was', async () => {
          // Prepare
          const image = oneFileImage(unique('kept')).root;
          const digest = await pushManifest(registry, repo, image, 'v1');
          await registry.moveTag(repo, 'live', digest);

          // Act & Assess
          await expect(registry.moveTag(repo, 'live', `sha256:${'0'.repeat(64)}`)).rejects.toThrow(NotFoundError);
          expect((await registry.getManifest(repo, 'live')).digest).toBe(digest);
        });
      });

      describe('when the channel tag is moved behind the promotion track (rollback reads it: readLiveTag)', () => {
        it('reads the digest the tag names, and null for a tag that is not there', async () => {
          // Prepare: the track says `first` is live; the tag was moved to `second` outside the gate.
          const first = await pushManifest(registry, repo, oneFileImage(unique('track')).root, 'v1');
          const second = await pushManifest(registry, repo, oneFileImage(unique('hand')).root, 'v2');
          await registry.moveTag(repo, 'live', second);
          const live = { repository: 'gated', digest: first, promotedAt: 'x', targetRepository: repo, tag: 'v1' };

          // Act
          const moved = await readLiveTag(registry, live, 'live');
          const absent = await readLiveTag(registry, live, 'never-tagged');
          const agrees = await readLiveTag(registry, { ...live, digest: second }, 'live');

          // Assess
          expect(moved).toMatchObject({ digest: second, mismatch: expect.stringContaining(`names ${second}`) });
          expect(moved.mismatch).toContain(`says ${first} is live`);
          expect(absent).toMatchObject({ digest: null, mismatch: expect.stringContaining('is missing') });
          expect(agrees).toEqual({ channelTag: 'live', digest: second });
        });
      });
    });

    describe('Method: listReferrers', () => {
      /** An image tagged v1 with an SBOM and a signature referring to it, and an unrelated artifact. */
      async function imageWithReferrers() {
        const image = oneFileImage(unique('referred')).root;
        await pushManifest(registry, repo, image, 'v1');
        const sbom = payloadArtifact({
          artifactType: MediaTypes.cyclonedxJson,
          payload: unique('{"bomFormat":"CycloneDX"}'),
          subject: image.descriptor,
          annotations: { 'org.example.kind': 'sbom' },
        });
        const signature = payloadArtifact({
          artifactType: MediaTypes.sigstoreBundleV03,
          payload: unique('bundle'),
          subject: image.descriptor,
        });
        const unrelated = payloadArtifact({ artifactType: MediaTypes.spdxJson, payload: unique('no subject') });
        for (const manifest of [sbom, signature, unrelated]) await pushManifest(registry, repo, manifest);
        return { image, sbom, signature };
      }

      describe('when artifacts refer to the image', () => {
        it('returns their descriptors with artifactType and annotations, and nothing else', async () => {
          // Prepare
          const { image, sbom, signature } = await imageWithReferrers();

          // Act
          const referrers = await registry.listReferrers(repo, image.digest);

          // Assess
          expect([...referrers].sort(byDigest)).toEqual(
            [
              referrerDescriptor(sbom, MediaTypes.cyclonedxJson),
              referrerDescriptor(signature, MediaTypes.sigstoreBundleV03),
            ].sort(byDigest),
          );
        });
      });

      // distribution-spec "Listing Referrers": without artifactType, the config media type stands in.
      describe('when a referrer has no artifactType', () => {
        it('gives its config media type as artifactType', async () => {
          // Prepare
          const image = oneFileImage(unique('subject')).root;
          await pushManifest(registry, repo, image, 'v1');
          const attestation = buildArtifact({
            configMediaType: 'application/vnd.example.config+json',
            layers: [{ mediaType: MediaTypes.inTotoPayload, bytes: utf8.encode(unique('statement')) }],
            subject: { mediaType: image.mediaType, digest: image.digest, size: image.bytes.byteLength },
          });
          await pushManifest(registry, repo, attestation);

          // Act
          const referrers = await registry.listReferrers(repo, image.digest);

          // Assess
          expect(referrers).toEqual([referrerDescriptor(attestation, 'application/vnd.example.config+json')]);
        });
      });

      describe('when nothing refers to the image', () => {
        it('returns an empty list', async () => {
          // Prepare
          const image = oneFileImage(unique('lonely')).root;
          await pushManifest(registry, repo, image, 'v1');

          // Act
          const referrers = await registry.listReferrers(repo, image.digest);

          // Assess
          expect(referrers).toEqual([]);
        });
      });

      describe('when the subject is not in the repository', () => {
        it('returns an empty list', async () => {
          // Prepare
          await pushManifest(registry, repo, oneFileImage(unique('present')).root, 'v1');

          // Act
          const referrers = await registry.listReferrers(repo, oneFileImage(unique('absent')).root.digest);

          // Assess
          expect(referrers).toEqual([]);
        });
      });

      describe('when a referrer was pushed before its subject', () => {
        it('lists it once the subject is there too', async () => {
          // Prepare
          const image = oneFileImage(unique('late subject')).root;
          const sbom = payloadArtifact({
            artifactType: MediaTypes.cyclonedxJson,
            payload: unique('early'),
            subject: image.descriptor,
          });
          await pushManifest(registry, repo, sbom);
          await pushManifest(registry, repo, image, 'v1');

          // Act
          const referrers = await registry.listReferrers(repo, image.digest);

          // Assess
          expect(referrers).toEqual([referrerDescriptor(sbom, MediaTypes.cyclonedxJson)]);
        });
      });

      describe('when more referrers are pushed after a listing', () => {
        it('lists the new ones too', async () => {
          // Prepare
          const { image, sbom, signature } = await imageWithReferrers();
          await registry.listReferrers(repo, image.digest);
          const vex = payloadArtifact({
            artifactType: 'application/vnd.openvex+json',
            payload: unique('vex'),
            subject: image.descriptor,
          });
          await pushManifest(registry, repo, vex);

          // Act
          const referrers = await registry.listReferrers(repo, image.digest);

          // Assess
          expect(referrers.map((r) => r.digest).sort()).toEqual([sbom.digest, signature.digest, vex.digest].sort());
        });
      });

      describe('when the same referrer is pushed twice', () => {
        it('lists it once', async () => {
          // Prepare
          const { image, sbom, signature } = await imageWithReferrers();

          // Act
          await pushManifest(registry, repo, sbom);
          const referrers = await registry.listReferrers(repo, image.digest);

          // Assess
          expect(referrers.map((r) => r.digest).sort()).toEqual([sbom.digest, signature.digest].sort());
        });
      });

      describe('when the referrers are in another repository', () => {
        it('does not list them', async () => {
          // Prepare
          const image = oneFileImage(unique('shared subject')).root;
          await pushManifest(registry, repo, image, 'v1');
          await pushManifest(registry, otherRepo, image, 'v1');
          await pushManifest(
            registry,
            otherRepo,
            payloadArtifact({ artifactType: MediaTypes.spdxJson, payload: unique('other'), subject: image.descriptor }),
          );

          // Act
          const referrers = await registry.listReferrers(repo, image.digest);

          // Assess
          expect(referrers).toEqual([]);
        });
      });

      describe('when the image has a cosign signature tag', () => {
        it('does not list it (collectors fetch the legacy tags themselves)', async () => {
          // Prepare
          const image = oneFileImage(unique('cosigned')).root;
          await pushManifest(registry, repo, image, 'v1');
          const cosign = payloadArtifact({
            artifactType: MediaTypes.cosignSimpleSigning,
            payload: unique('{"critical":{}}'),
            layerAnnotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' },
          });
          await pushManifest(registry, repo, cosign, `${digestToTag(image.digest)}.sig`);

          // Act
          const referrers = await registry.listReferrers(repo, image.digest);

          // Assess
          expect(referrers).toEqual([]);
        });
      });

      describe('when an artifact refers to a platform manifest of an index', () => {
        it('is listed under that manifest, not under the index', async () => {
          // Prepare
          const amd64 = oneFileImage(unique('amd64'), PLATFORMS.linuxAmd64);
          const index = indexOf([amd64, oneFileImage(unique('arm64'), PLATFORMS.linuxArm64)]);
          await pushManifest(registry, repo, index, 'multi');
          const provenance = payloadArtifact({
            artifactType: MediaTypes.inTotoPayload,
            payload: unique('{"_type":"https://in-toto.io/Statement/v1"}'),
            subject: amd64.root.descriptor,
          });
          await pushManifest(registry, repo, provenance);

          // Act
          const ofChild = await registry.listReferrers(repo, amd64.root.digest);
          const ofIndex = await registry.listReferrers(repo, index.digest);

          // Assess
          expect(ofChild).toEqual([referrerDescriptor(provenance, MediaTypes.inTotoPayload)]);
          expect(ofIndex).toEqual([]);
        });
      });

      if (options.referrersTagSchema === true) {
        describe('when the registry has no referrers API', () => {
          it('keeps the referrers in the sha256-<hex> tag-schema index', async () => {
            // Prepare
            const { image, sbom, signature } = await imageWithReferrers();

            // Act
            const fallback = await registry.getManifest(repo, digestToTag(image.digest));

            // Assess
            expect(fallback.mediaType).toBe(MediaTypes.ociIndex);
            const { manifests } = ImageIndexSchema.parse(JSON.parse(new TextDecoder().decode(fallback.bytes)));
            expect([...manifests].sort(byDigest)).toEqual(
              [
                referrerDescriptor(sbom, MediaTypes.cyclonedxJson),
                referrerDescriptor(signature, MediaTypes.sigstoreBundleV03),
              ].sort(byDigest),
            );
          });
        });
      }
    });
  });
}
