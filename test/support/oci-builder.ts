/**
 * Minimal, valid OCI content for registry tests: a one-file gzip tar layer, its config and
 * manifest; artifacts (referrers) with the empty config; and indexes. Deterministic for equal input.
 * The richer fixture factory with real signatures lives in cli/fixtures/.
 */
import { gzipSync } from 'node:zlib';
import { type Descriptor, MediaTypes, sha256Digest } from '../../lambdas/domain/oci.js';
import type { RegistryWriter } from '../../lambdas/domain/ports.js';

export interface Blob {
  readonly descriptor: Descriptor;
  readonly bytes: Uint8Array;
}

/** A manifest or index with everything it needs pushed before it. */
export interface BuiltImage {
  readonly digest: string;
  readonly manifest: Blob;
  /** Blobs (config, layers) referenced by the manifest. */
  readonly blobs: readonly Blob[];
  /** Child images of an index, pushed before the index. */
  readonly children: readonly BuiltImage[];
}

const encoder = new TextEncoder();

export function blobOf(bytes: Uint8Array, mediaType: string, extra: Partial<Descriptor> = {}): Blob {
  return { bytes, descriptor: { mediaType, digest: sha256Digest(bytes), size: bytes.byteLength, ...extra } };
}

export function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** A ustar archive holding one regular file (POSIX.1-1988 header, two zero blocks at the end). */
export function tarOneFile(name: string, content: Uint8Array): Uint8Array {
  const header = new Uint8Array(512);
  const put = (offset: number, text: string) => header.set(encoder.encode(text), offset);
  const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, '0')}\0`;
  put(0, name);
  put(100, octal(0o644, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(content.byteLength, 12));
  put(136, octal(0, 12));
  put(148, '        ');
  put(156, '0');
  put(257, 'ustar\0');
  put(263, '00');
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  put(148, `${checksum.toString(8).padStart(6, '0')}\0 `);
  const padded = Math.ceil(content.byteLength / 512) * 512;
  const tar = new Uint8Array(512 + padded + 1024);
  tar.set(header, 0);
  tar.set(content, 512);
  return tar;
}

export interface ImageOptions {
  /** @default 'hello.txt' */
  readonly fileName?: string;
  /** @default 'hello' */
  readonly content?: string;
  /** @default 'amd64' */
  readonly architecture?: string;
  readonly annotations?: Record<string, string>;
}

/** An OCI image manifest with one gzip layer holding one file, and a config whose diff_id matches. */
export function buildImage(opts: ImageOptions = {}): BuiltImage {
  const tar = tarOneFile(opts.fileName ?? 'hello.txt', encoder.encode(opts.content ?? 'hello'));
  const layer = blobOf(new Uint8Array(gzipSync(tar)), MediaTypes.ociLayerTarGzip);
  const architecture = opts.architecture ?? 'amd64';
  const config = blobOf(
    jsonBytes({
      architecture,
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256Digest(tar)] },
    }),
    MediaTypes.ociConfig,
  );
  const manifest = blobOf(
    jsonBytes({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: config.descriptor,
      layers: [layer.descriptor],
      ...(opts.annotations !== undefined ? { annotations: opts.annotations } : {}),
    }),
    MediaTypes.ociManifest,
    { platform: { architecture, os: 'linux' } },
  );
  return { digest: manifest.descriptor.digest, manifest, blobs: [config, layer], children: [] };
}

export interface ArtifactOptions {
  readonly artifactType: string;
  readonly payload: Uint8Array | string;
  /** @default artifactType */
  readonly payloadMediaType?: string;
  /** The manifest this artifact refers to (makes it a referrer). @default - no subject */
  readonly subject?: Descriptor;
  readonly annotations?: Record<string, string>;
  /** Annotations on the payload layer (cosign puts the signature there). */
  readonly layerAnnotations?: Record<string, string>;
}

/** An image-spec 1.1 artifact: the empty config, one payload layer, optional subject. */
export function buildArtifact(opts: ArtifactOptions): BuiltImage {
  const empty = blobOf(encoder.encode('{}'), MediaTypes.ociEmpty);
  const payload = typeof opts.payload === 'string' ? encoder.encode(opts.payload) : opts.payload;
  const layer = blobOf(
    payload,
    opts.payloadMediaType ?? opts.artifactType,
    opts.layerAnnotations !== undefined ? { annotations: opts.layerAnnotations } : {},
  );
  const manifest = blobOf(
    jsonBytes({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      artifactType: opts.artifactType,
      config: empty.descriptor,
      layers: [layer.descriptor],
      ...(opts.subject !== undefined
        ? { subject: { mediaType: opts.subject.mediaType, digest: opts.subject.digest, size: opts.subject.size } }
        : {}),
      ...(opts.annotations !== undefined ? { annotations: opts.annotations } : {}),
    }),
    MediaTypes.ociManifest,
  );
  return { digest: manifest.descriptor.digest, manifest, blobs: [empty, layer], children: [] };
}

/** An OCI image index over `children` (their descriptors keep `platform`). */
export function buildIndex(children: readonly BuiltImage[]): BuiltImage {
  const manifest = blobOf(
    jsonBytes({
      schemaVersion: 2,
      mediaType: MediaTypes.ociIndex,
      manifests: children.map((c) => c.manifest.descriptor),
    }),
    MediaTypes.ociIndex,
  );
  return { digest: manifest.descriptor.digest, manifest, blobs: [], children };
}

/** Pushes blobs, children, then the manifest (tagged when `tag` is given). Returns the digest. */
export async function pushImage(
  registry: RegistryWriter,
  repository: string,
  image: BuiltImage,
  tag?: string,
): Promise<string> {
  for (const child of image.children) {
    await pushImage(registry, repository, child);
  }
  for (const blob of image.blobs) {
    await registry.putBlob(repository, blob.descriptor.digest, blob.bytes);
  }
  return registry.putManifest(repository, image.manifest.bytes, image.manifest.descriptor.mediaType, tag);
}
