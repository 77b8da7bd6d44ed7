/**
 * Test images: small shorthands over the one image builder, `cli/fixtures/image.ts` (images,
 * indexes, artifacts), and pushing through the registry port. A built manifest is pushed with the
 * fixture factory's `pushManifest` (children, then missing blobs, then the manifest).
 */

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  type ArtifactLayer,
  type BuiltImage,
  type BuiltManifest,
  blobOf,
  buildArtifact,
  buildImage,
  buildIndex,
  builtManifest,
  descriptorOf,
  PLATFORMS,
  type Platform,
} from '../../cli/fixtures/image.js';
import { pushManifest } from '../../cli/fixtures/push.js';
import { BuildkitAnnotations } from '../../lambdas/domain/attest/platforms.js';
import { type Descriptor, ImageManifestSchema, MediaTypes } from '../../lambdas/domain/oci.js';
import type { RegistryWriter } from '../../lambdas/domain/ports.js';
import type { Digest } from '../../lambdas/domain/types.js';

export { pushManifest };

/** An image of one layer holding `hello.txt` with `content`, for one platform. */
export function oneFileImage(content = 'hello', platform: Platform = PLATFORMS.linuxAmd64): BuiltImage {
  return buildImage({ files: [{ path: 'hello.txt', content }], platforms: [platform] });
}

/** An index over one-platform images: each entry is the image's manifest with its `platform`. */
export function indexOf(images: readonly BuiltImage[]): BuiltManifest {
  return buildIndex(images.flatMap((image) => image.platforms.map((p) => p.manifest)));
}

/** Pushes a blob and returns its descriptor. */
export async function pushBlob(
  registry: RegistryWriter,
  repository: string,
  mediaType: string,
  bytes: Uint8Array,
  annotations?: Readonly<Record<string, string>>,
): Promise<Descriptor> {
  const blob = blobOf(mediaType, bytes);
  await registry.putBlob(repository, blob.digest, blob.bytes);
  return { ...descriptorOf(blob), ...(annotations !== undefined ? { annotations: { ...annotations } } : {}) };
}

/**
 * Builds and pushes an artifact manifest (`buildArtifact`), optionally as a referrer of `subject`
 * and/or under `tag`. Returns its digest, a plain descriptor (for `subject`) and its layers.
 */
export async function pushArtifact(
  registry: RegistryWriter,
  repository: string,
  options: {
    readonly layers: readonly ArtifactLayer[];
    readonly subject?: Descriptor;
    readonly artifactType?: string;
    readonly configMediaType?: string;
    readonly tag?: string;
  },
): Promise<{ digest: Digest; descriptor: Descriptor; layers: Descriptor[] }> {
  const { tag, ...spec } = options;
  const built = buildArtifact(spec);
  const digest = await pushManifest(registry, repository, built, tag);
  const { layers } = ImageManifestSchema.parse(JSON.parse(new TextDecoder().decode(built.bytes)));
  return { digest, descriptor: descriptorOf(built), layers };
}

/**
 * Pushes a minimal one-layer image (a `{}` config, a layer holding `seed`) and returns its
 * descriptor: the subject of signatures and attestations in collector tests.
 */
export async function pushImage(
  registry: RegistryWriter,
  repository: string,
  tag?: string,
  seed = 'layer',
): Promise<Descriptor> {
  const { descriptor } = await pushArtifact(registry, repository, {
    configMediaType: MediaTypes.ociConfig,
    layers: [{ mediaType: MediaTypes.ociLayerTarGzip, bytes: new TextEncoder().encode(seed) }],
    ...(tag !== undefined ? { tag } : {}),
  });
  return descriptor;
}

/**
 * An artifact with one layer holding `payload` (of media type `artifactType` unless given), as
 * most referrers are. `subject` is reduced to mediaType, digest and size.
 */
export function payloadArtifact(opts: {
  readonly artifactType: string;
  readonly payload: string | Uint8Array;
  readonly payloadMediaType?: string;
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Annotations on the payload layer (cosign puts the signature there). */
  readonly layerAnnotations?: Readonly<Record<string, string>>;
}): BuiltManifest {
  const bytes = typeof opts.payload === 'string' ? new TextEncoder().encode(opts.payload) : opts.payload;
  const subject = opts.subject;
  return buildArtifact({
    artifactType: opts.artifactType,
    layers: [
      {
        mediaType: opts.payloadMediaType ?? opts.artifactType,
        bytes,
        ...(opts.layerAnnotations === undefined ? {} : { annotations: opts.layerAnnotations }),
      },
    ],
    ...(subject === undefined
      ? {}
      : { subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size } }),
    ...(opts.annotations === undefined ? {} : { annotations: opts.annotations }),
  });
}
/**
 * Pushes `image` (several platforms) as BuildKit does with attestations: an index that lists each
 * platform manifest and, for each platform `statementsFor` gives statements, one attestation
 * manifest (`unknown/unknown`, `vnd.docker.reference.type: attestation-manifest`, the platform's
 * digest in `vnd.docker.reference.digest`) whose in-toto layers are those bare statements
 * (docs.docker.com/build/metadata/attestations/attestation-storage). Returns the index digest.
 */
export async function pushBuildkitIndex(
  registry: RegistryWriter,
  repository: string,
  image: BuiltImage,
  statementsFor: (manifest: BuiltManifest) => readonly { readonly bytes: Uint8Array; readonly predicateType: string }[],
  tag = '1.0',
): Promise<Digest> {
  const entries: Descriptor[] = [];
  for (const p of image.platforms) {
    await pushManifest(registry, repository, p.manifest);
    entries.push(p.manifest.descriptor);
  }
  for (const p of image.platforms) {
    const statements = statementsFor(p.manifest);
    if (statements.length === 0) continue;
    const { descriptor } = await pushArtifact(registry, repository, {
      configMediaType: MediaTypes.ociConfig,
      layers: statements.map((s) => ({
        mediaType: MediaTypes.inTotoPayload,
        bytes: s.bytes,
        annotations: { [BuildkitAnnotations.predicateType]: s.predicateType },
      })),
    });
    entries.push({
      ...descriptor,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: {
        [BuildkitAnnotations.referenceType]: BuildkitAnnotations.attestationManifest,
        [BuildkitAnnotations.referenceDigest]: p.manifest.digest,
      },
    });
  }
  const index = builtManifest({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: entries }, []);
  return pushManifest(registry, repository, index, tag);
}

export type { ArtifactLayer as LayerSpec } from '../../cli/fixtures/image.js';

/** The `kind` annotations `cosign save` marks its layout entries with (cosign pkg/oci/layout). */
export const CosignSaveKinds = {
  image: 'dev.cosignproject.cosign/image',
  sigs: 'dev.cosignproject.cosign/sigs',
  atts: 'dev.cosignproject.cosign/atts',
} as const;

/**
 * Rewrites the `index.json` of the OCI layout `dir` as `cosign save` leaves it: the entries of the
 * given digests carry only their `kind` annotation (no `org.opencontainers.image.ref.name` tag).
 */
export async function markAsCosignSave(dir: string, kinds: Readonly<Record<string, string>>): Promise<void> {
  const path = join(dir, 'index.json');
  const index = z
    .looseObject({ manifests: z.array(z.looseObject({ digest: z.string() })) })
    .parse(JSON.parse(await readFile(path, 'utf8')));
  const manifests = index.manifests.map((m) => {
    const kind = kinds[m.digest];
    if (kind === undefined) return m;
    const { annotations: _, ...rest } = m;
    return { ...rest, annotations: { kind } };
  });
  await writeFile(path, JSON.stringify({ ...index, manifests }));
}
