/**
 * Copies an image (manifest or index, recursively) with its referrers and cosign attachments from
 * one repository to another, through the registry ports only.
 *
 * - Manifest bytes are copied exactly, so every digest, and every signature bound to one, stays valid.
 * - Children before parents, blobs before manifests: a registry never sees a dangling reference.
 * - Tags last: the release tag appears only once all content exists in the target.
 * - Idempotent: every step is "skip if present" or an idempotent put, so re-running after a crash
 *   reaches the same state without error.
 */
import type { z } from 'zod';
import { parseJsonDocument } from '../document.js';
import { DigestMismatchError, TooLargeError, UnsupportedMediaTypeError } from '../errors.js';
import { Limits } from '../limits.js';
import {
  type Descriptor,
  ImageIndexSchema,
  ImageManifestSchema,
  isIndexMediaType,
  isManifestMediaType,
} from '../oci.js';
import type { FetchedManifest, RegistryReader, RegistryWriter } from '../ports.js';
import { type Attachments, listAttachments } from './attachments.js';

export interface CopyImageOptions {
  readonly source: RegistryReader & Partial<RegistryWriter>;
  readonly target: RegistryWriter;
  readonly sourceRepository: string;
  readonly targetRepository: string;
  /** The image (manifest or index) to copy. */
  readonly digest: string;
  /** Tag to put on the copied image in the target, last. @default - no tag */
  readonly tag?: string;
  /** Copy referrers (OCI `subject`), and their referrers in turn. @default true */
  readonly includeReferrers?: boolean;
  /** Copy cosign's `sha256-<hex>.sig/.att/.sbom` tags of the image and its platform manifests. @default true */
  readonly cosignTags?: boolean;
  /**
   * Copy exactly these referrers and cosign tags (as listed when the release was evaluated), and
   * nothing attached since. @default - whatever is attached now (`listAttachments`)
   */
  readonly attachments?: Attachments;
  /** Largest blob copied through memory (mounts and skips have no limit). @default 2 GiB */
  readonly maxBlobBytes?: number;
}

export interface CopyImageResult {
  /** Manifest digests put into the target, children before parents, in push order. */
  readonly copied: string[];
  readonly blobsMounted: number;
  readonly blobsCopied: number;
  readonly blobsSkipped: number;
}

const DEFAULT_MAX_BLOB_BYTES = 2 * 1024 * 1024 * 1024;

function parseWith<S extends z.ZodType>(schema: S, fetched: FetchedManifest): z.output<S> {
  return parseJsonDocument(fetched.bytes, schema, {
    what: `${fetched.mediaType} ${fetched.digest}`,
    maxBytes: Limits.manifestBytes,
  });
}

/**
 * Copies `digest` from `sourceRepository` to `targetRepository` (see the module comment for the
 * guarantees). Throws ConflictError when a tag in the target already names other content.
 */
export async function copyImage(opts: CopyImageOptions): Promise<CopyImageResult> {
  const { source, target, sourceRepository, targetRepository } = opts;
  const maxBlobBytes = opts.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  // A mount is only meaningful inside one registry: the same adapter object on both sides.
  const sameRegistry = source === target;
  const copied: string[] = [];
  const doneManifests = new Set<string>();
  const doneBlobs = new Set<string>();
  const counts = { blobsMounted: 0, blobsCopied: 0, blobsSkipped: 0 };

  async function copyBlob(descriptor: Descriptor): Promise<void> {
    if (doneBlobs.has(descriptor.digest)) {
      return;
    }
    if (await target.hasBlob(targetRepository, descriptor.digest)) {
      counts.blobsSkipped++;
    } else if (sameRegistry && (await target.mountBlob(targetRepository, sourceRepository, descriptor.digest))) {
      counts.blobsMounted++;
    } else {
      if (descriptor.size > maxBlobBytes) {
        throw new TooLargeError(`blob ${descriptor.digest}`, descriptor.size, maxBlobBytes);
      }
      // The descriptor's size is the most the blob may be; getBlob verifies the digest.
      const bytes = await source.getBlob(sourceRepository, descriptor.digest, descriptor.size);
      await target.putBlob(targetRepository, descriptor.digest, bytes);
      counts.blobsCopied++;
    }
    doneBlobs.add(descriptor.digest);
  }

  /** Copies one manifest tree (children, blobs, then the manifest itself) and returns it. */
  async function copyTree(reference: string): Promise<FetchedManifest> {
    const fetched = await source.getManifest(sourceRepository, reference);
    if (doneManifests.has(fetched.digest)) {
      return fetched;
    }
    if (isIndexMediaType(fetched.mediaType)) {
      const index = parseWith(ImageIndexSchema, fetched);
      for (const child of index.manifests) {
        await copyTree(child.digest);
      }
    } else if (isManifestMediaType(fetched.mediaType)) {
      const manifest = parseWith(ImageManifestSchema, fetched);
      await copyBlob(manifest.config);
      for (const layer of manifest.layers) {
        await copyBlob(layer);
      }
    } else {
      throw new UnsupportedMediaTypeError(
        `cannot copy ${sourceRepository}@${fetched.digest}: media type ${fetched.mediaType}`,
      );
    }
    const stored = await target.putManifest(targetRepository, fetched.bytes, fetched.mediaType);
    if (stored !== fetched.digest) {
      throw new DigestMismatchError(`target stored ${fetched.digest} as ${stored}`);
    }
    doneManifests.add(fetched.digest);
    copied.push(fetched.digest);
    return fetched;
  }

  const image = await copyTree(opts.digest);
  // The image and its platform manifests: the subjects whose attachments travel with it.
  const imageDigests = [...copied];

  const attachments = opts.attachments ?? (await listAttachments(source, sourceRepository, imageDigests));
  if (opts.includeReferrers ?? true) {
    for (const referrer of attachments.referrers) await copyTree(referrer);
  }
  const cosignTags: { tag: string; manifest: FetchedManifest }[] = [];
  if (opts.cosignTags ?? true) {
    // By digest: a tag moved to other content since it was listed is copied as it was.
    for (const { tag, digest } of attachments.tags) cosignTags.push({ tag, manifest: await copyTree(digest) });
  }

  // Tags last: every manifest and blob they name is in the target by now.
  for (const { tag, manifest } of cosignTags) {
    await target.putManifest(targetRepository, manifest.bytes, manifest.mediaType, tag);
  }
  if (opts.tag !== undefined) {
    await target.putManifest(targetRepository, image.bytes, image.mediaType, opts.tag);
  }
  return { copied, ...counts };
}
