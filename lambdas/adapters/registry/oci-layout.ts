/**
 * `RegistryWriter` over OCI image-layout directories (image-spec image-layout.md): an `oci-layout`
 * file, an `index.json`, and content-addressed `blobs/sha256/<hex>`.
 *
 * - Tags are `index.json` entries annotated `org.opencontainers.image.ref.name` (the form umoci and
 *   skopeo's `oci:` transport write). Untagged manifests, referrers among them, are entries without
 *   that annotation, so they stay reachable and are not garbage-collected by other tools.
 * - `cosign save` writes no tags: it marks the signed image, its signatures and its attestations
 *   with a `kind` annotation (cosign pkg/oci/layout: `dev.cosignproject.cosign/image` or
 *   `/imageIndex`, `/sigs`, `/atts`). Those answer to cosign's tags `sha256-<hex>.sig` / `.att` of
 *   the signed image. A tag that resolves to two manifests either way is refused as ambiguous.
 * - Every write is temp file + rename, so readers never see a partial blob or index. Writers of one
 *   layout are serialised inside this process; two processes writing one layout can lose an
 *   `index.json` update (there is no cross-process lock).
 * - Every read verifies the sha256, and reads check the opened file first: an oversized blob is
 *   refused before a byte of it is read, and a FIFO or device is refused outright.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, link, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatIssues, parseJsonValue, safeParseJsonValue } from '../../domain/document.js';
import {
  ConflictError,
  DigestMismatchError,
  GateError,
  InvalidInputError,
  NotFoundError,
  RegistryError,
  TooLargeError,
} from '../../domain/errors.js';
import { Limits } from '../../domain/limits.js';
import {
  Annotations,
  type Descriptor,
  DescriptorSchema,
  ImageIndexSchema,
  ImageManifestSchema,
  isIndexMediaType,
  MediaTypes,
  sha256Digest,
} from '../../domain/oci.js';
import { sniffManifestMediaType } from '../../domain/oci-validate.js';
import type { FetchedManifest, RegistryWriter } from '../../domain/ports.js';
import { type Digest, DigestSchema, RepositoryNameSchema } from '../../domain/types.js';
import * as z from '../../domain/zod.js';

/** image-layout.md: the only version defined so far. */
const IMAGE_LAYOUT_VERSION = '1.0.0';

export interface OciLayoutRegistryOptions {
  /** Directory under which repository `a/b` is the layout `<root>/a/b`. */
  readonly root: string;
}

const LayoutFileSchema = z.object({ imageLayoutVersion: z.string() });
const LayoutIndexSchema = z.looseObject({ schemaVersion: z.literal(2), manifests: z.array(z.unknown()) });
const SubjectProbeSchema = z.object({
  subject: z.optional(z.object({ digest: z.string() })),
  artifactType: z.optional(z.string()),
  config: z.optional(z.object({ mediaType: z.string() })),
  annotations: z.optional(z.record(z.string(), z.string())),
});
type SubjectProbe = z.infer<typeof SubjectProbeSchema>;

interface IndexEntry {
  /** The entry as stored, unknown fields included, so rewriting keeps what other tools wrote. */
  readonly raw: unknown;
  readonly descriptor: Descriptor;
}

interface LayoutIndex {
  readonly top: Readonly<Record<string, unknown>>;
  readonly entries: readonly IndexEntry[];
}

function hexOf(digest: string): string {
  const parsed = DigestSchema.safeParse(digest);
  if (!parsed.success) {
    throw new InvalidInputError(`not a sha256 digest: ${digest}`);
  }
  return parsed.data.slice('sha256:'.length);
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && 'code' in err && err.code === code;
}

function tagOf(entry: IndexEntry): string | undefined {
  return entry.descriptor.annotations?.[Annotations.refName];
}

/** The `kind` annotations `cosign save` writes (cosign pkg/oci/layout/index.go). */
const COSIGN_SAVE_KIND = 'kind';
const COSIGN_SAVE_SIGNED = ['dev.cosignproject.cosign/image', 'dev.cosignproject.cosign/imageIndex'];
const COSIGN_SAVE_ATTACHED = { sig: 'dev.cosignproject.cosign/sigs', att: 'dev.cosignproject.cosign/atts' } as const;
const COSIGN_TAG = /^sha256-([a-f0-9]{64})\.(sig|att)$/;

/**
 * The entries a cosign tag (`sha256-<hex>.sig` / `.att`) names in a `cosign save` layout: those of
 * kind sigs / atts, when the layout's signed image is `sha256:<hex>`. A layout naming more than one
 * signed image does not say which one its signatures belong to, so it is refused.
 */
function cosignSaveEntries(entries: readonly IndexEntry[], tag: string, where: string): IndexEntry[] {
  const match = COSIGN_TAG.exec(tag);
  if (match === null) return [];
  const kindOf = (e: IndexEntry) => e.descriptor.annotations?.[COSIGN_SAVE_KIND];
  const signed = new Set(
    entries.filter((e) => COSIGN_SAVE_SIGNED.includes(kindOf(e) ?? '')).map((e) => e.descriptor.digest),
  );
  if (!signed.has(`sha256:${match[1]}`)) return [];
  if (signed.size > 1) {
    throw new RegistryError(
      `${where}: cosign save annotations mark several signed images (${[...signed].join(', ')}); tag ${tag} is ambiguous`,
    );
  }
  const wanted = match[2] === 'sig' ? COSIGN_SAVE_ATTACHED.sig : COSIGN_SAVE_ATTACHED.att;
  return entries.filter((e) => kindOf(e) === wanted);
}

export class OciLayoutRegistry implements RegistryWriter {
  public readonly location: string;
  private readonly root: string;
  private readonly singleLayout: boolean;
  /** Per-layout promise chain: index.json read-modify-write never interleaves in this process. */
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Subject probes by layout and manifest digest (see `subjectProbe`). */
  private readonly probes = new Map<string, SubjectProbe | null>();

  /**
   * @param mode - `root` maps repository `a/b` to `<root>/a/b`; `single` serves `root` itself for
   *   every repository name. @default 'root'
   */
  public constructor(options: OciLayoutRegistryOptions, mode: 'root' | 'single' = 'root') {
    this.root = options.root;
    this.singleLayout = mode === 'single';
    this.location = `oci-layout:${options.root}`;
  }

  /** One layout served for every repository name (the `oci-layout:DIR` reference form). */
  public static single(dir: string): OciLayoutRegistry {
    return new OciLayoutRegistry({ root: dir }, 'single');
  }

  public async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const dir = this.layoutDir(repository);
    const index = await this.readIndex(dir);
    const isDigest = DigestSchema.safeParse(reference).success;
    const matches = isDigest
      ? index.entries.filter((e) => e.descriptor.digest === reference)
      : [
          ...index.entries.filter((e) => tagOf(e) === reference),
          ...cosignSaveEntries(index.entries, reference, `${this.location}: ${repository}`),
        ];
    const digests = [...new Set(matches.map((e) => e.descriptor.digest))];
    if (digests.length > 1) {
      throw new RegistryError(
        `${this.location}: tag ${reference} of ${repository} is ambiguous (${digests.join(', ')})`,
      );
    }
    const entry = matches[0];
    if (entry === undefined && !isDigest) {
      throw new NotFoundError(`${this.location}: no tag ${reference} in ${repository}`);
    }
    const digest = entry?.descriptor.digest ?? reference;
    const bytes = await this.readBlob(dir, digest, Limits.manifestBytes, `manifest ${digest}`);
    if (entry !== undefined && entry.descriptor.size !== bytes.byteLength) {
      throw new DigestMismatchError(
        `${this.location}: manifest ${digest} is ${bytes.byteLength} bytes, index.json says ${entry.descriptor.size}`,
      );
    }
    // A child of an index is a blob without an index.json entry: its body says what it is.
    const mediaType = entry?.descriptor.mediaType ?? sniffManifestMediaType(bytes);
    return { digest, mediaType, bytes };
  }

  public async getBlob(repository: string, digest: string, maxBytes: number): Promise<Uint8Array> {
    return this.readBlob(this.layoutDir(repository), digest, maxBytes, `blob ${digest}`);
  }

  public async listReferrers(repository: string, subjectDigest: string): Promise<Descriptor[]> {
    const dir = this.layoutDir(repository);
    const index = await this.readIndex(dir);
    const seen = new Set<string>();
    const referrers: Descriptor[] = [];
    for (const { descriptor } of index.entries) {
      if (seen.has(descriptor.digest)) {
        continue;
      }
      seen.add(descriptor.digest);
      const probe = await this.subjectProbe(dir, descriptor.digest);
      if (probe === null || probe.subject?.digest !== subjectDigest) {
        continue;
      }
      // distribution-spec "Listing Referrers": artifactType, else config.mediaType; manifest annotations.
      const artifactType = probe.artifactType ?? probe.config?.mediaType;
      referrers.push({
        mediaType: descriptor.mediaType,
        digest: descriptor.digest,
        size: descriptor.size,
        ...(artifactType !== undefined ? { artifactType } : {}),
        ...(probe.annotations !== undefined ? { annotations: probe.annotations } : {}),
      });
      if (referrers.length > Limits.referrers) {
        throw new TooLargeError(`referrers of ${subjectDigest}`, referrers.length, Limits.referrers);
      }
    }
    return referrers;
  }

  /**
   * What a manifest of the layout says about its subject, read and hashed once per digest (blobs
   * are content-addressed, so the answer cannot change): listing referrers no longer reads every
   * manifest of the layout on every call. A manifest that cannot be read or parsed (corrupt, not
   * a regular file) is nobody's referrer, instead of failing the listing for every image.
   */
  private async subjectProbe(dir: string, digest: string): Promise<SubjectProbe | null> {
    const key = `${dir}\u0000${digest}`;
    const cached = this.probes.get(key);
    if (cached !== undefined) return cached;
    let probe: SubjectProbe | null;
    try {
      const bytes = await this.readBlob(dir, digest, Limits.manifestBytes, `manifest ${digest}`);
      const parsed = SubjectProbeSchema.safeParse(this.parseJson(bytes, `manifest ${digest}`));
      probe = parsed.success ? parsed.data : null;
    } catch (err) {
      // Only content problems (corrupt, unparsable, special file); I/O errors of the disk propagate.
      if (!(err instanceof GateError)) throw err;
      probe = null;
    }
    this.probes.set(key, probe);
    return probe;
  }

  public async hasBlob(repository: string, digest: string): Promise<boolean> {
    try {
      const info = await stat(this.blobPath(this.layoutDir(repository), digest));
      return info.isFile();
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        return false;
      }
      throw err;
    }
  }

  public async putBlob(repository: string, digest: string, bytes: Uint8Array): Promise<void> {
    const actual = sha256Digest(bytes);
    if (actual !== digest) {
      throw new DigestMismatchError(`blob for ${digest} hashes to ${actual}`);
    }
    const dir = this.layoutDir(repository);
    await this.ensureLayout(dir);
    if (await this.hasBlob(repository, digest)) {
      return;
    }
    await this.writeAtomic(this.blobPath(dir, digest), bytes);
  }

  /**
   * Between two layouts "mounting" is a hard link: same bytes, no copy. Declines (false) when the
   * source lacks the blob or the link is impossible (another filesystem), and the caller copies.
   */
  public async mountBlob(targetRepository: string, sourceRepository: string, digest: string): Promise<boolean> {
    const targetDir = this.layoutDir(targetRepository);
    const sourcePath = this.blobPath(this.layoutDir(sourceRepository), digest);
    if (await this.hasBlob(targetRepository, digest)) {
      return true;
    }
    if (!(await this.hasBlob(sourceRepository, digest))) {
      return false;
    }
    await this.ensureLayout(targetDir);
    const target = this.blobPath(targetDir, digest);
    const temp = `${target}.tmp-${randomBytes(8).toString('hex')}`;
    try {
      await link(sourcePath, temp);
      await rename(temp, target);
      return true;
    } catch (err) {
      await rm(temp, { force: true });
      if (isErrno(err, 'EXDEV') || isErrno(err, 'EPERM') || isErrno(err, 'ENOENT')) {
        return false;
      }
      throw err;
    }
  }

  public async putManifest(repository: string, bytes: Uint8Array, mediaType: string, tag?: string): Promise<Digest> {
    if (bytes.byteLength > Limits.manifestBytes) {
      throw new TooLargeError('manifest', bytes.byteLength, Limits.manifestBytes);
    }
    const dir = this.layoutDir(repository);
    const descriptor = this.describeManifest(bytes, mediaType);
    await this.ensureLayout(dir);
    await this.checkReferencedContent(dir, bytes, mediaType);
    await this.withLock(dir, async () => {
      const index = await this.readIndex(dir);
      const entries = [...index.entries];
      if (tag !== undefined) {
        const tagged = entries.filter((e) => tagOf(e) === tag);
        const other = tagged.find((e) => e.descriptor.digest !== descriptor.digest);
        if (other !== undefined) {
          throw new ConflictError(
            `${this.location}: tag ${tag} of ${repository} points at ${other.descriptor.digest}, not ${descriptor.digest}`,
          );
        }
      }
      const alreadyThere =
        tag !== undefined
          ? entries.some((e) => tagOf(e) === tag)
          : entries.some((e) => e.descriptor.digest === descriptor.digest);
      // The blob goes first: an index entry must never point at a missing blob.
      if (!(await this.hasBlob(repository, descriptor.digest))) {
        await this.writeAtomic(this.blobPath(dir, descriptor.digest), bytes);
      }
      if (alreadyThere) {
        return;
      }
      const kept =
        tag === undefined
          ? entries
          : // Once tagged, the untagged entry of the same digest only duplicates it.
            entries.filter((e) => !(e.descriptor.digest === descriptor.digest && tagOf(e) === undefined));
      const added: Descriptor =
        tag === undefined ? descriptor : { ...descriptor, annotations: { [Annotations.refName]: tag } };
      await this.writeIndex(dir, { top: index.top, entries: [...kept, { raw: added, descriptor: added }] });
    });
    return descriptor.digest;
  }

  /** Rewrites `index.json` under the lock: the tag's entries go, one entry for `digest` comes. */
  public async moveTag(repository: string, tag: string, digest: Digest): Promise<void> {
    const manifest = await this.getManifest(repository, digest);
    const descriptor = this.describeManifest(manifest.bytes, manifest.mediaType);
    const dir = this.layoutDir(repository);
    await this.withLock(dir, async () => {
      const index = await this.readIndex(dir);
      const kept = index.entries.filter((e) => tagOf(e) !== tag);
      const added: Descriptor = { ...descriptor, annotations: { [Annotations.refName]: tag } };
      await this.writeIndex(dir, { top: index.top, entries: [...kept, { raw: added, descriptor: added }] });
    });
  }

  public async listTags(repository: string): Promise<string[]> {
    const index = await this.readIndex(this.layoutDir(repository));
    const tags = index.entries.map(tagOf).filter((t): t is string => t !== undefined);
    return [...new Set(tags)].sort();
  }

  // -------------------------------------------------------------------------------------------

  /** Where the blob `digest` of `repository` lives on disk (for tools and fixtures that write layouts). */
  public blobFile(repository: string, digest: string): string {
    return this.blobPath(this.layoutDir(repository), digest);
  }

  private layoutDir(repository: string): string {
    if (this.singleLayout) {
      return this.root;
    }
    // The repository name becomes a path: only distribution-spec names, so no `..` or absolute paths.
    const parsed = RepositoryNameSchema.safeParse(repository);
    if (!parsed.success) {
      throw new InvalidInputError(`invalid repository name: ${repository}`);
    }
    return join(this.root, ...parsed.data.split('/'));
  }

  private blobPath(dir: string, digest: string): string {
    return join(dir, 'blobs', 'sha256', hexOf(digest));
  }

  private async readBlob(dir: string, digest: string, maxBytes: number, what: string): Promise<Uint8Array> {
    const bytes = await this.readRegularFile(this.blobPath(dir, digest), maxBytes, `${this.location}: ${what}`);
    const actual = sha256Digest(bytes);
    if (actual !== digest) {
      throw new DigestMismatchError(`${this.location}: ${what} hashes to ${actual}`);
    }
    return bytes;
  }

  private async readIndex(dir: string): Promise<LayoutIndex> {
    const layoutBytes = await this.readRegularFile(
      join(dir, 'oci-layout'),
      Limits.manifestBytes,
      `${dir}/oci-layout`,
      `no OCI image layout at ${dir}`,
    );
    const layout = LayoutFileSchema.safeParse(this.parseJson(layoutBytes, `${dir}/oci-layout`));
    if (!layout.success || layout.data.imageLayoutVersion !== IMAGE_LAYOUT_VERSION) {
      throw new RegistryError(`${dir}/oci-layout: unsupported image layout (expected version ${IMAGE_LAYOUT_VERSION})`);
    }
    const path = join(dir, 'index.json');
    const top = LayoutIndexSchema.safeParse(
      this.parseJson(
        await this.readRegularFile(path, Limits.manifestBytes, path, `no index.json in OCI image layout ${dir}`),
        path,
      ),
    );
    if (!top.success) {
      throw new RegistryError(`${path} is not an image index: ${formatIssues(top.error.issues)}`);
    }
    const entries = top.data.manifests.map((raw, i) => {
      const descriptor = DescriptorSchema.safeParse(raw);
      if (!descriptor.success) {
        throw new RegistryError(
          `${path}: manifests[${i}] is not a valid descriptor: ${formatIssues(descriptor.error.issues)}`,
        );
      }
      return { raw, descriptor: descriptor.data };
    });
    return { top: top.data, entries };
  }

  /**
   * Reads a file of the layout, refusing (TooLargeError) one above `maxBytes` before reading it.
   * The size and type come from the opened handle, and the open does not block, so a FIFO or
   * device planted in a layout is refused instead of hanging or streaming forever (image-layout.md:
   * blobs, `oci-layout` and `index.json` are files).
   */
  private async readRegularFile(
    path: string,
    maxBytes: number,
    what: string,
    notFound = `${what} not found`,
  ): Promise<Uint8Array> {
    let handle: FileHandle;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        throw new NotFoundError(notFound, { cause: err });
      }
      throw err;
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) {
        // A FIFO blocks a reader forever and a device (a symlink to /dev/zero) never ends: refused
        // before any byte is read. Not a transient failure, so not a (retryable) RegistryError.
        throw new InvalidInputError(`${what} is not a regular file (FIFOs, devices and directories are refused)`);
      }
      if (info.size > maxBytes) {
        throw new TooLargeError(what, info.size, maxBytes);
      }
      const read = await handle.readFile();
      // The file may have grown since stat.
      if (read.byteLength > maxBytes) throw new TooLargeError(what, read.byteLength, maxBytes);
      // The Buffer readFile allocated for this file alone is handed over as it is: a copy would hold
      // the blob twice (an SBOM at the limit is 60 MB). One that shares its memory (Node's pool for
      // small Buffers) is copied, so that no caller ever reaches other bytes through `.buffer`.
      const own = read.byteOffset === 0 && read.buffer.byteLength === read.byteLength;
      return own ? new Uint8Array(read.buffer) : new Uint8Array(read);
    } finally {
      await handle.close();
    }
  }

  private parseJson(bytes: Uint8Array, what: string): unknown {
    const parsed = safeParseJsonValue(bytes, { what, maxBytes: Limits.manifestBytes });
    if (!parsed.success) throw new RegistryError(parsed.error.message, { cause: parsed.error });
    return parsed.data;
  }

  private async writeIndex(dir: string, index: LayoutIndex): Promise<void> {
    const body = { ...index.top, schemaVersion: 2, manifests: index.entries.map((e) => e.raw) };
    await this.writeAtomic(join(dir, 'index.json'), new TextEncoder().encode(JSON.stringify(body)));
  }

  private describeManifest(bytes: Uint8Array, mediaType: string): Descriptor {
    // The caller's manifest, not the layout's: invalid JSON is bad input, never worth a retry.
    const json = parseJsonValue(bytes, { what: 'manifest', maxBytes: Limits.manifestBytes });
    const schema = isIndexMediaType(mediaType) ? ImageIndexSchema : ImageManifestSchema;
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new InvalidInputError(`manifest is not a valid ${mediaType}: ${formatIssues(parsed.error.issues)}`);
    }
    if (parsed.data.mediaType !== undefined && parsed.data.mediaType !== mediaType) {
      throw new InvalidInputError(`manifest says mediaType ${parsed.data.mediaType} but was put as ${mediaType}`);
    }
    const artifactType = parsed.data.artifactType;
    return {
      mediaType,
      digest: sha256Digest(bytes),
      size: bytes.byteLength,
      ...(artifactType !== undefined ? { artifactType } : {}),
    };
  }

  /** Like a registry, refuse a manifest whose blobs (or an index whose children) are missing. */
  private async checkReferencedContent(dir: string, bytes: Uint8Array, mediaType: string): Promise<void> {
    const json = this.parseJson(bytes, 'manifest');
    const required: Descriptor[] = [];
    if (isIndexMediaType(mediaType)) {
      required.push(...ImageIndexSchema.parse(json).manifests);
    } else {
      const manifest = ImageManifestSchema.parse(json);
      // Descriptors with `urls` (non-distributable layers) may live elsewhere (descriptor.md).
      required.push(manifest.config, ...manifest.layers.filter((l) => l.urls === undefined));
    }
    for (const d of required) {
      try {
        await stat(this.blobPath(dir, d.digest));
      } catch (err) {
        if (isErrno(err, 'ENOENT')) {
          throw new NotFoundError(`${this.location}: manifest references missing ${d.mediaType} ${d.digest}`);
        }
        throw err;
      }
    }
  }

  private async ensureLayout(dir: string): Promise<void> {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    try {
      await stat(join(dir, 'oci-layout'));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) {
        throw err;
      }
      await this.writeAtomic(
        join(dir, 'oci-layout'),
        new TextEncoder().encode(JSON.stringify({ imageLayoutVersion: IMAGE_LAYOUT_VERSION })),
      );
    }
    try {
      await stat(join(dir, 'index.json'));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) {
        throw err;
      }
      await this.withLock(dir, async () => {
        try {
          await stat(join(dir, 'index.json'));
        } catch {
          await this.writeAtomic(
            join(dir, 'index.json'),
            new TextEncoder().encode(
              JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] }),
            ),
          );
        }
      });
    }
  }

  private async writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
    const temp = `${path}.tmp-${randomBytes(8).toString('hex')}`;
    try {
      await writeFile(temp, bytes, { flag: 'wx' });
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  private async withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(dir) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.locks.set(dir, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(dir) === settled) {
        this.locks.delete(dir);
      }
    }
  }
}
