/**
 * Copies an image (manifest or index, recursively) with its referrers and cosign attachments from
 * one repository to another, through the registry ports only.
 *
 * - Manifest bytes are copied exactly, so every digest, and every signature bound to one, stays valid.
 * - Children before parents, blobs before manifests, subjects before their referrers: a registry
 *   never sees a dangling reference.
 * - Tags last: the release tag appears only once all content exists in the target, and not at all
 *   when any step failed.
 * - Idempotent: every step is "skip if present" or an idempotent put, so re-running after a crash
 *   reaches the same state without error.
 * - Concurrent: independent registry requests (blob HEAD/mount/copy, child manifests, referrers,
 *   cosign attachments) run side by side, at most `REQUEST_CONCURRENCY` at a time; the ordering
 *   above is kept by each manifest awaiting exactly what it names.
 */
import pLimit from 'p-limit';
import { parseJsonDocument } from '../document.js';
import { DigestMismatchError, RegistryError, TooLargeError, UnsupportedMediaTypeError } from '../errors.js';
import { Limits } from '../limits.js';
import {
  type Descriptor,
  ImageIndexSchema,
  ImageManifestSchema,
  isIndexMediaType,
  isManifestMediaType,
} from '../oci.js';
import type { FetchedManifest, RegistryReader, RegistryWriter } from '../ports.js';
import type * as z from '../zod.js';
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
  /** Registry requests in flight at once (1 is one after another). @default REQUEST_CONCURRENCY */
  readonly requestConcurrency?: number;
}

export interface CopyImageResult {
  /**
   * Manifest digests put into the target, each once: children before parents and subjects before
   * their referrers (the image tree, then the referrers, then the cosign attachments, each walked
   * in listed order). Puts of unrelated manifests may have overlapped.
   */
  readonly copied: string[];
  readonly blobsMounted: number;
  readonly blobsCopied: number;
  readonly blobsSkipped: number;
}

const DEFAULT_MAX_BLOB_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * Registry requests in flight at once. A promotion is ~40 small requests (HEAD, mount, manifest
 * PUT) that mostly wait a round trip each, and the ordering lets only a handful run at any moment:
 * 8 overlaps nearly all of that waiting. It is close to the 6 parallel blob copies of skopeo
 * (containers/image) and of browsers per host, and keeps one promotion's burst small against a
 * registry's per-account request rates (the ECR adapter's SDK retries throttling).
 */
export const REQUEST_CONCURRENCY = 8;

/** One manifest of the copy, fetched and parsed: what it names and so must wait for. */
interface Node {
  readonly fetched: FetchedManifest;
  /** An index's child manifests. */
  readonly children: readonly string[];
  /** A manifest's config and layers. */
  readonly blobs: readonly Descriptor[];
  readonly subject: string | undefined;
}

function parseWith<S extends z.ZodMiniType>(schema: S, fetched: FetchedManifest): z.output<S> {
  return parseJsonDocument(fetched.bytes, schema, {
    what: `${fetched.mediaType} ${fetched.digest}`,
    maxBytes: Limits.manifestBytes,
  });
}

/** Memoizes `make` per key: concurrent callers share one promise, so each digest is worked on once. */
function once<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let promise = cache.get(key);
  if (promise === undefined) {
    promise = make();
    cache.set(key, promise);
  }
  return promise;
}

/**
 * Copies `digest` from `sourceRepository` to `targetRepository` (see the module comment for the
 * guarantees). Throws ConflictError when a tag in the target already names other content. When it
 * throws, no request of the copy is still running.
 */
export async function copyImage(opts: CopyImageOptions): Promise<CopyImageResult> {
  const { source, target, sourceRepository, targetRepository } = opts;
  const maxBlobBytes = opts.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  // A mount is only meaningful inside one registry: the same adapter object on both sides.
  const sameRegistry = source === target;
  const counts = { blobsMounted: 0, blobsCopied: 0, blobsSkipped: 0 };

  const limit = pLimit(opts.requestConcurrency ?? REQUEST_CONCURRENCY);
  // One blob through memory at a time, as when the copy was sequential: a Lambda's memory is
  // sized for the largest blob, not for REQUEST_CONCURRENCY of them. Mounts and skips are free.
  const memoryCopy = pLimit(1);
  const inFlight = new Set<Promise<unknown>>();
  let aborted = false;
  // The error that stopped the copy: requests refused after it must not be reported instead.
  let failure: unknown;

  /**
   * Every registry call goes through here: bounded, and never started once the copy failed. A
   * failed call stops the copy unless the caller expects failures (`fatal: false`).
   */
  function request<T>(call: () => Promise<T>, fatal = true): Promise<T> {
    const task = limit(async () => {
      if (aborted) throw new RegistryError('copy abandoned after an earlier failure');
      try {
        return await call();
      } catch (err) {
        if (fatal && !aborted) {
          aborted = true;
          failure = err;
        }
        throw err;
      }
    });
    inFlight.add(task);
    const settled = () => inFlight.delete(task);
    task.then(settled, settled);
    return task;
  }

  const blobs = new Map<string, Promise<void>>();
  const nodes = new Map<string, Promise<Node>>();
  const puts = new Map<string, Promise<void>>();
  // Puts of manifests with the same subject, one after another: without the referrers API the
  // client keeps one `sha256-<hex>` index per subject (read, add, write), and two writes at once
  // would lose a referrer (distribution-spec "Pushing Manifests with Subject").
  const subjectQueues = new Map<string, Promise<unknown>>();

  function copyBlob(descriptor: Descriptor): Promise<void> {
    return once(blobs, descriptor.digest, async () => {
      const { digest } = descriptor;
      if (await request(() => target.hasBlob(targetRepository, digest))) {
        counts.blobsSkipped++;
        return;
      }
      if (sameRegistry && (await request(() => target.mountBlob(targetRepository, sourceRepository, digest)))) {
        counts.blobsMounted++;
        return;
      }
      if (descriptor.size > maxBlobBytes) {
        throw new TooLargeError(`blob ${digest}`, descriptor.size, maxBlobBytes);
      }
      await memoryCopy(async () => {
        // The descriptor's size is the most the blob may be; getBlob verifies the digest.
        const bytes = await request(() => source.getBlob(sourceRepository, digest, descriptor.size));
        await request(() => target.putBlob(targetRepository, digest, bytes));
      });
      counts.blobsCopied++;
    });
  }

  /** Fetches and parses one manifest, and starts on its children, so a whole tree is known early. */
  function discover(digest: string): Promise<Node> {
    return once(nodes, digest, async () => {
      const fetched = await request(() => source.getManifest(sourceRepository, digest));
      let node: Node;
      if (isIndexMediaType(fetched.mediaType)) {
        const index = parseWith(ImageIndexSchema, fetched);
        node = { fetched, children: index.manifests.map((m) => m.digest), blobs: [], subject: index.subject?.digest };
      } else if (isManifestMediaType(fetched.mediaType)) {
        const manifest = parseWith(ImageManifestSchema, fetched);
        node = {
          fetched,
          children: [],
          blobs: [manifest.config, ...manifest.layers],
          subject: manifest.subject?.digest,
        };
      } else {
        throw new UnsupportedMediaTypeError(
          `cannot copy ${sourceRepository}@${fetched.digest}: media type ${fetched.mediaType}`,
        );
      }
      for (const child of node.children) void discover(child).catch(() => undefined);
      return node;
    });
  }

  /** Resolves once `digest` and every manifest under it are fetched (no puts involved). */
  async function discoverTree(digest: string): Promise<Node> {
    const node = await discover(digest);
    await Promise.all(node.children.map(discoverTree));
    return node;
  }

  function putInTarget(node: Node, tag?: string): Promise<void> {
    const put = async () => {
      const { fetched } = node;
      const stored = await request(() => target.putManifest(targetRepository, fetched.bytes, fetched.mediaType, tag));
      if (stored !== fetched.digest) {
        throw new DigestMismatchError(`target stored ${fetched.digest} as ${stored}`);
      }
    };
    if (node.subject === undefined) return put();
    const next = (subjectQueues.get(node.subject) ?? Promise.resolve()).then(put);
    subjectQueues.set(
      node.subject,
      next.catch(() => undefined),
    );
    return next;
  }

  const imageTree = discoverTree(opts.digest);
  // Awaited by referrers only; a failure also fails copyTree(image), which reports it.
  imageTree.catch(() => undefined);

  /** Puts `digest` once everything it names is in the target: blobs, children, subject. */
  function copyTree(digest: string): Promise<void> {
    return once(puts, digest, async () => {
      const node = await discover(digest);
      await Promise.all([...node.blobs.map(copyBlob), ...node.children.map(copyTree), subjectCopied(node.subject)]);
      await putInTarget(node);
    });
  }

  /**
   * A subject that is part of this copy is put before its referrers. Which digests are part of it
   * is known once the image tree is fetched; a subject outside it may be absent ("Push").
   */
  async function subjectCopied(subject: string | undefined): Promise<void> {
    if (subject === undefined) return;
    await imageTree;
    if (nodes.has(subject)) await copyTree(subject);
  }

  /** Post-order (children, subject, then the manifest) of everything put, each digest once. */
  async function pushOrder(roots: readonly string[]): Promise<string[]> {
    const order: string[] = [];
    const seen = new Set<string>();
    const walk = async (digest: string): Promise<void> => {
      if (seen.has(digest)) return;
      seen.add(digest);
      const node = await discover(digest);
      for (const child of node.children) await walk(child);
      if (node.subject !== undefined && nodes.has(node.subject)) await walk(node.subject);
      order.push(digest);
    };
    for (const root of roots) await walk(root);
    return order;
  }

  async function run(): Promise<CopyImageResult> {
    const image = copyTree(opts.digest);
    // Awaited below, after the attachments are listed; until then a failure must not go unhandled.
    image.catch(() => undefined);
    const roots = [image];
    let attachments = opts.attachments;
    if (attachments === undefined) {
      // The image and its platform manifests: the subjects whose attachments travel with it.
      const imageDigests = await pushOrder([opts.digest]);
      // Through the same bound; a cosign tag that is absent is an expected NotFoundError.
      const bounded: RegistryReader = {
        location: source.location,
        ...(source.host !== undefined ? { host: source.host } : {}),
        getManifest: (repository, reference) => request(() => source.getManifest(repository, reference), false),
        getBlob: (repository, digest, maxBytes) => request(() => source.getBlob(repository, digest, maxBytes), false),
        listReferrers: (repository, subject) => request(() => source.listReferrers(repository, subject), false),
      };
      attachments = await listAttachments(bounded, sourceRepository, imageDigests);
    }
    const referrers = (opts.includeReferrers ?? true) ? attachments.referrers : [];
    // By digest: a tag moved to other content since it was listed is copied as it was.
    const cosignTags = (opts.cosignTags ?? true) ? attachments.tags : [];
    // Registered before any of them is fetched, so a referrer of a referrer finds its subject.
    for (const digest of [...referrers, ...cosignTags.map((t) => t.digest)])
      void discover(digest).catch(() => undefined);
    roots.push(...referrers.map(copyTree), ...cosignTags.map((t) => copyTree(t.digest)));
    await Promise.all(roots);

    // Tags last: every manifest and blob they name is in the target by now; the release tag after
    // the cosign tags, so it never names an image whose signatures are not yet tagged.
    await Promise.all(cosignTags.map(async ({ tag, digest }) => putInTarget(await discover(digest), tag)));
    const root = await discover(opts.digest);
    if (opts.tag !== undefined) await putInTarget(root, opts.tag);
    const copied = await pushOrder([opts.digest, ...referrers, ...cosignTags.map((t) => t.digest)]);
    return { copied, ...counts };
  }

  try {
    return await run();
  } catch (err) {
    aborted = true;
    // Let requests already sent finish (each now fails fast), so none outlives the rejection.
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    throw failure ?? err;
  }
}
