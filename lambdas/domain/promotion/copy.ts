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
import { DigestMismatchError, NotFoundError, TooLargeError, UnsupportedMediaTypeError } from '../errors.js';
import { Limits } from '../limits.js';
import {
  type Descriptor,
  digestToTag,
  ImageIndexSchema,
  ImageManifestSchema,
  isIndexMediaType,
  isManifestMediaType,
} from '../oci.js';
import type { FetchedManifest, RegistryReader, RegistryWriter } from '../ports.js';

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

/** cosign's legacy attachment tags (SIGNATURE_SPEC.md; `.att`/`.sbom` by convention). */
const COSIGN_SUFFIXES = ['.sig', '.att', '.sbom'] as const;
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

  if (opts.includeReferrers ?? true) {
    const queue = [...imageDigests];
    const visited = new Set<string>(queue);
    let referrerCount = 0;
    for (let subject = queue.shift(); subject !== undefined; subject = queue.shift()) {
      const referrers = await source.listReferrers(sourceRepository, subject);
      for (const referrer of referrers) {
        if (visited.has(referrer.digest)) {
          continue;
        }
        referrerCount++;
        if (referrerCount > Limits.referrers) {
          throw new TooLargeError(`referrers of ${opts.digest}`, referrerCount, Limits.referrers);
        }
        visited.add(referrer.digest);
        await copyTree(referrer.digest);
        queue.push(referrer.digest);
      }
    }
  }

  const cosignTags: { tag: string; manifest: FetchedManifest }[] = [];
  if (opts.cosignTags ?? true) {
    for (const subject of imageDigests) {
      for (const suffix of COSIGN_SUFFIXES) {
        const tag = `${digestToTag(subject)}${suffix}`;
        try {
          cosignTags.push({ tag, manifest: await copyTree(tag) });
        } catch (err) {
          if (!(err instanceof NotFoundError)) {
            throw err;
          }
        }
      }
    }
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
