/**
 * An in-memory OCI registry for unit tests. It keeps the registry port's contract
 * (`test/support/contracts/registry.contract.ts` runs it beside the real adapters): content is
 * addressed by its sha256 and re-hashed on every read, tags are immutable, blob reads honour
 * `maxBytes`, manifests are refused while their blobs or children are missing, and referrers are
 * computed from the `subject` of stored manifests.
 */
import { z } from 'zod';
import {
  ConflictError,
  DigestMismatchError,
  InvalidInputError,
  NotFoundError,
  TooLargeError,
} from '../../lambdas/domain/errors.js';
import { Limits } from '../../lambdas/domain/limits.js';
import {
  type Descriptor,
  ImageIndexSchema,
  ImageManifestSchema,
  isIndexMediaType,
  sha256Digest,
} from '../../lambdas/domain/oci.js';
import type { FetchedManifest, RegistryWriter } from '../../lambdas/domain/ports.js';
import { type Digest, DigestSchema } from '../../lambdas/domain/types.js';

interface StoredManifest {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
}

interface Repo {
  readonly blobs: Map<string, Uint8Array>;
  readonly manifests: Map<string, StoredManifest>;
  readonly tags: Map<string, string>;
}

/** Operations a test can make fail, to check that registry errors propagate. */
export type RegistryOperation = 'getManifest' | 'getBlob' | 'listReferrers';

export class MemoryRegistry implements RegistryWriter {
  public readonly location = 'memory:';
  /** The registry host references name, when the test gives one (an OCI layout has none). */
  public readonly host: string | undefined;
  private readonly repos = new Map<string, Repo>();
  private readonly faults = new Map<RegistryOperation, Error>();

  public constructor(options: { readonly host?: string } = {}) {
    this.host = options.host;
  }

  /** Makes every later call of `operation` throw `error`. */
  public failOn(operation: RegistryOperation, error: Error): void {
    this.faults.set(operation, error);
  }

  /** Overwrites stored bytes without changing their address, to simulate a tampering registry. */
  public corrupt(repository: string, digest: string, bytes: Uint8Array): void {
    const repo = this.repo(repository);
    if (repo.blobs.has(digest)) repo.blobs.set(digest, bytes);
    const manifest = repo.manifests.get(digest);
    if (manifest !== undefined) repo.manifests.set(digest, { ...manifest, bytes });
  }

  public async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    this.fault('getManifest');
    const repo = this.repo(repository);
    const digest = DigestSchema.safeParse(reference).success ? reference : repo.tags.get(reference);
    const stored = digest === undefined ? undefined : repo.manifests.get(digest);
    if (digest === undefined || stored === undefined) {
      throw new NotFoundError(`manifest ${repository}:${reference} not found`);
    }
    verifyDigest(stored.bytes, digest);
    return { digest: DigestSchema.parse(digest), mediaType: stored.mediaType, bytes: stored.bytes };
  }

  public async getBlob(repository: string, digest: string, maxBytes: number): Promise<Uint8Array> {
    this.fault('getBlob');
    if (!DigestSchema.safeParse(digest).success) throw new InvalidInputError(`not a sha256 digest: ${digest}`);
    const bytes = this.repo(repository).blobs.get(digest);
    if (bytes === undefined) throw new NotFoundError(`blob ${repository}@${digest} not found`);
    if (bytes.length > maxBytes) throw new TooLargeError(`blob ${digest}`, bytes.length, maxBytes);
    verifyDigest(bytes, digest);
    return bytes;
  }

  public async listReferrers(repository: string, subjectDigest: string): Promise<Descriptor[]> {
    this.fault('listReferrers');
    const referrers: Descriptor[] = [];
    for (const [digest, stored] of this.repo(repository).manifests) {
      const json: unknown = JSON.parse(Buffer.from(stored.bytes).toString('utf8'));
      const manifest = ReferrerView.parse(json);
      if (manifest.subject?.digest !== subjectDigest) continue;
      const artifactType = manifest.artifactType ?? manifest.config?.mediaType;
      referrers.push({
        mediaType: stored.mediaType,
        digest: DigestSchema.parse(digest),
        size: stored.bytes.length,
        ...(artifactType !== undefined ? { artifactType } : {}),
        ...(manifest.annotations !== undefined ? { annotations: manifest.annotations } : {}),
      });
    }
    return referrers;
  }

  public async hasBlob(repository: string, digest: string): Promise<boolean> {
    return this.repo(repository).blobs.has(digest);
  }

  public async putBlob(repository: string, digest: string, bytes: Uint8Array): Promise<void> {
    verifyDigest(bytes, digest);
    this.repo(repository).blobs.set(digest, bytes);
  }

  public async mountBlob(targetRepository: string, sourceRepository: string, digest: string): Promise<boolean> {
    const bytes = this.repo(sourceRepository).blobs.get(digest);
    if (bytes === undefined) return false;
    this.repo(targetRepository).blobs.set(digest, bytes);
    return true;
  }

  public async putManifest(repository: string, bytes: Uint8Array, mediaType: string, tag?: string): Promise<Digest> {
    if (bytes.byteLength > Limits.manifestBytes) {
      throw new TooLargeError('manifest', bytes.byteLength, Limits.manifestBytes);
    }
    const digest = DigestSchema.parse(sha256Digest(bytes));
    const repo = this.repo(repository);
    // Like a registry that refuses dangling references (distribution-spec "Push",
    // MANIFEST_BLOB_UNKNOWN); a `subject` may be absent.
    for (const required of referencedContent(bytes, mediaType)) {
      const present = isIndexMediaType(mediaType)
        ? repo.manifests.has(required.digest)
        : repo.blobs.has(required.digest);
      if (!present) {
        throw new NotFoundError(`manifest references missing ${required.mediaType} ${required.digest}`);
      }
    }
    if (tag !== undefined) {
      const existing = repo.tags.get(tag);
      if (existing !== undefined && existing !== digest) {
        throw new ConflictError(`tag ${repository}:${tag} already points at ${existing}`);
      }
    }
    repo.manifests.set(digest, { bytes, mediaType });
    if (tag !== undefined) repo.tags.set(tag, digest);
    return digest;
  }

  public async moveTag(repository: string, tag: string, digest: Digest): Promise<void> {
    const repo = this.repo(repository);
    if (!repo.manifests.has(digest)) throw new NotFoundError(`no manifest ${repository}@${digest}`);
    repo.tags.set(tag, digest);
  }

  public async listTags(repository: string): Promise<string[]> {
    // distribution-spec "Listing Tags": in lexical order.
    return [...this.repo(repository).tags.keys()].sort();
  }

  private repo(name: string): Repo {
    let repo = this.repos.get(name);
    if (repo === undefined) {
      repo = { blobs: new Map(), manifests: new Map(), tags: new Map() };
      this.repos.set(name, repo);
    }
    return repo;
  }

  private fault(operation: RegistryOperation): void {
    const error = this.faults.get(operation);
    if (error !== undefined) throw error;
  }
}

export const ReferrerView = z.object({
  artifactType: z.string().optional(),
  config: z.object({ mediaType: z.string() }).optional(),
  subject: z.object({ digest: z.string() }).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/**
 * What a manifest needs in the repository before it may be stored: config and layers (except
 * non-distributable ones with `urls`), or an index's children. Refuses bodies that are not
 * manifests of `mediaType`, as the adapters do.
 */
export function referencedContent(bytes: Uint8Array, mediaType: string): Descriptor[] {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new InvalidInputError('manifest is not valid JSON', { cause: err });
  }
  const parsed = isIndexMediaType(mediaType) ? ImageIndexSchema.safeParse(json) : ImageManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidInputError(`manifest is not a valid ${mediaType}: ${parsed.error.message}`);
  }
  if (parsed.data.mediaType !== undefined && parsed.data.mediaType !== mediaType) {
    throw new InvalidInputError(`manifest says mediaType ${parsed.data.mediaType} but was put as ${mediaType}`);
  }
  return 'manifests' in parsed.data
    ? parsed.data.manifests
    : [parsed.data.config, ...parsed.data.layers.filter((layer) => layer.urls === undefined)];
}

function verifyDigest(bytes: Uint8Array, digest: string): void {
  const actual = sha256Digest(bytes);
  if (actual !== digest) {
    throw new DigestMismatchError(`content addressed as ${digest} hashes to ${actual}`);
  }
}
