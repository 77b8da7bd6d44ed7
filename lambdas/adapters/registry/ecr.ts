/**
 * `RegistryWriter` for Amazon ECR. Manifests, tags and referrers go through the ECR API
 * (`@aws-sdk/client-ecr`); blobs and cross-repository mounts go through ECR's OCI Distribution
 * endpoint (`https://<registryId>.dkr.ecr.<region>.amazonaws.com`) with a `GetAuthorizationToken`
 * Basic token, because the ECR API has no blob upload that takes bytes in one call.
 *
 * API reference: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/ (BatchGetImage,
 * PutImage, DescribeImages, ListImages, ListImageReferrers, GetAuthorizationToken).
 */
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  type ECRClient,
  GetAuthorizationTokenCommand,
  ListImageReferrersCommand,
  ListImagesCommand,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { formatIssues } from '../../domain/document.js';
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
import { type Descriptor, DescriptorSchema, MediaTypes, sha256Digest } from '../../domain/oci.js';
import { sniffManifestMediaType } from '../../domain/oci-validate.js';
import { type Clock, type FetchedManifest, type RegistryWriter, systemClock } from '../../domain/ports.js';
import { type Digest, DigestSchema } from '../../domain/types.js';
import { DistributionRegistry } from './distribution.js';

export interface EcrRegistryOptions {
  /** Injected so tests and handlers choose credentials, region and retries. */
  readonly client: Pick<ECRClient, 'send'>;
  /** The registry (AWS account) id. */
  readonly registryId: string;
  readonly region: string;
  /** Distribution API endpoint for blobs. @default https://<registryId>.dkr.ecr.<region>.amazonaws.com */
  readonly endpoint?: string;
  /** @default - the global fetch */
  readonly fetch?: typeof fetch;
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * Manifest and index types we ask BatchGetImage for. The API reference lists only the manifest
 * types; the index types are accepted in practice (aws-facts.md §2, UNCONFIRMED in AWS text).
 */
const ACCEPTED_MEDIA_TYPES = [
  MediaTypes.ociManifest,
  MediaTypes.dockerManifest,
  MediaTypes.ociIndex,
  MediaTypes.dockerManifestList,
];
/** Refresh the 12 h authorization token this long before it expires. */
const TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;
const MAX_PAGES = 100;

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

function isDigest(reference: string): boolean {
  return DigestSchema.safeParse(reference).success;
}

/** Exact bytes ↔ the string ECR's JSON API carries. Fatal decoding: a lossy round trip would change the digest. */
function manifestString(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (err) {
    throw new InvalidInputError('manifest is not valid UTF-8 and cannot be stored with PutImage', { cause: err });
  }
}

export class EcrRegistry implements RegistryWriter {
  public readonly location: string;
  public readonly host: string;
  private readonly client: Pick<ECRClient, 'send'>;
  private readonly registryId: string;
  private readonly blobs: DistributionRegistry;
  private readonly clock: Clock;
  private token: { value: string; refreshAt: number } | undefined;

  public constructor(options: EcrRegistryOptions) {
    this.client = options.client;
    this.registryId = options.registryId;
    this.clock = options.clock ?? systemClock;
    const endpoint = options.endpoint ?? `https://${options.registryId}.dkr.ecr.${options.region}.amazonaws.com`;
    this.blobs = new DistributionRegistry({
      baseUrl: endpoint,
      authorization: async () => `Basic ${await this.authorizationToken()}`,
      ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
    });
    this.location = this.blobs.location;
    this.host = this.blobs.host;
  }

  public async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const what = `manifest ${repository}:${reference}`;
    const byDigest = isDigest(reference);
    const out = await this.call('BatchGetImage', what, () =>
      this.client.send(
        new BatchGetImageCommand({
          registryId: this.registryId,
          repositoryName: repository,
          imageIds: [byDigest ? { imageDigest: reference } : { imageTag: reference }],
          acceptedMediaTypes: ACCEPTED_MEDIA_TYPES,
        }),
      ),
    );
    const failure = out.failures?.[0];
    if (failure !== undefined) {
      const detail = `${failure.failureCode ?? 'unknown'}: ${failure.failureReason ?? ''}`.trim();
      if (failure.failureCode === 'ImageNotFound') {
        throw new NotFoundError(`${this.location}: ${what} not found (${detail})`);
      }
      throw new RegistryError(`${this.location}: BatchGetImage ${what} failed (${detail})`);
    }
    const image = out.images?.[0];
    if (image?.imageManifest === undefined) {
      throw new NotFoundError(`${this.location}: ${what} not found (no image in BatchGetImage answer)`);
    }
    // A UTF-16 string of length n encodes to at most 3n bytes: check before encoding.
    if (image.imageManifest.length > Limits.manifestBytes) {
      throw new TooLargeError(what, image.imageManifest.length, Limits.manifestBytes);
    }
    const bytes = new Uint8Array(Buffer.from(image.imageManifest, 'utf8'));
    if (bytes.byteLength > Limits.manifestBytes) {
      throw new TooLargeError(what, bytes.byteLength, Limits.manifestBytes);
    }
    const digest = sha256Digest(bytes);
    const expected = byDigest ? reference : image.imageId?.imageDigest;
    if (expected !== undefined && expected !== digest) {
      throw new DigestMismatchError(`${this.location}: ${what} hashes to ${digest}, expected ${expected}`);
    }
    return { digest, mediaType: image.imageManifestMediaType ?? sniffManifestMediaType(bytes), bytes };
  }

  public getBlob(repository: string, digest: string, maxBytes: number): Promise<Uint8Array> {
    return this.blobs.getBlob(repository, digest, maxBytes);
  }

  /** ListImageReferrers, every page (request shape: aws-facts.md §2). Only ACTIVE referrers by default. */
  public async listReferrers(repository: string, subjectDigest: string): Promise<Descriptor[]> {
    const what = `referrers of ${repository}@${subjectDigest}`;
    const referrers: Descriptor[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page === 0 || nextToken !== undefined; page++) {
      if (page >= MAX_PAGES) {
        throw new RegistryError(`${this.location}: ${what}: more than ${MAX_PAGES} pages`);
      }
      let out: Awaited<ReturnType<typeof this.listReferrersPage>>;
      try {
        out = await this.listReferrersPage(repository, subjectDigest, nextToken);
      } catch (err) {
        if (errorName(err) === 'ImageNotFoundException') {
          return [];
        }
        throw this.mapError('ListImageReferrers', what, err);
      }
      for (const r of out.referrers ?? []) {
        const descriptor = DescriptorSchema.safeParse({
          mediaType: r.mediaType,
          digest: r.digest,
          size: r.size,
          ...(r.artifactType !== undefined ? { artifactType: r.artifactType } : {}),
          ...(r.annotations !== undefined ? { annotations: r.annotations } : {}),
        });
        if (!descriptor.success) {
          throw new RegistryError(
            `${this.location}: ${what}: malformed referrer: ${formatIssues(descriptor.error.issues)}`,
          );
        }
        referrers.push(descriptor.data);
      }
      if (referrers.length > Limits.referrers) {
        throw new TooLargeError(what, referrers.length, Limits.referrers);
      }
      nextToken = out.nextToken;
    }
    return referrers;
  }

  public hasBlob(repository: string, digest: string): Promise<boolean> {
    return this.blobs.hasBlob(repository, digest);
  }

  public putBlob(repository: string, digest: string, bytes: Uint8Array): Promise<void> {
    return this.blobs.putBlob(repository, digest, bytes);
  }

  /** ECR mounts only with BLOB_MOUNTING enabled, within one registry (aws-facts.md §2); else 202 → false. */
  public mountBlob(targetRepository: string, sourceRepository: string, digest: string): Promise<boolean> {
    return this.blobs.mountBlob(targetRepository, sourceRepository, digest);
  }

  public async putManifest(repository: string, bytes: Uint8Array, mediaType: string, tag?: string): Promise<Digest> {
    if (bytes.byteLength > Limits.manifestBytes) {
      throw new TooLargeError('manifest', bytes.byteLength, Limits.manifestBytes);
    }
    const digest = sha256Digest(bytes);
    const imageManifest = manifestString(bytes);
    const what = `manifest ${repository}@${digest}`;
    // A MUTABLE repository would silently move the tag: check first, whatever the repository setting.
    if (tag !== undefined) {
      await this.assertTagFree(repository, tag, digest);
    }
    try {
      const out = await this.client.send(
        new PutImageCommand({
          registryId: this.registryId,
          repositoryName: repository,
          imageManifest,
          imageManifestMediaType: mediaType,
          imageDigest: digest,
          ...(tag !== undefined ? { imageTag: tag } : {}),
        }),
      );
      const stored = out.image?.imageId?.imageDigest;
      if (stored !== undefined && stored !== digest) {
        throw new DigestMismatchError(`${this.location}: ECR stored ${what} as ${stored}`);
      }
    } catch (err) {
      switch (errorName(err)) {
        case 'ImageAlreadyExistsException':
          // "already been pushed, and there were no changes to the manifest or image tag": idempotent.
          return digest;
        case 'ImageTagAlreadyExistsException':
          if (tag !== undefined) {
            await this.assertTagFree(repository, tag, digest);
            return digest;
          }
          throw this.mapError('PutImage', what, err);
        case 'ImageDigestDoesNotMatchException':
          throw new DigestMismatchError(`${this.location}: ECR computed another digest for ${what}`, {
            cause: err,
          });
        default:
          throw this.mapError('PutImage', what, err);
      }
    }
    return digest;
  }

  public async listTags(repository: string): Promise<string[]> {
    const tags = new Set<string>();
    let nextToken: string | undefined;
    for (let page = 0; page === 0 || nextToken !== undefined; page++) {
      if (page >= MAX_PAGES) {
        throw new RegistryError(`${this.location}: tags of ${repository}: more than ${MAX_PAGES} pages`);
      }
      const token = nextToken;
      const out = await this.call('ListImages', `tags of ${repository}`, () =>
        this.client.send(
          new ListImagesCommand({
            registryId: this.registryId,
            repositoryName: repository,
            filter: { tagStatus: 'TAGGED' },
            maxResults: 1000,
            ...(token !== undefined ? { nextToken: token } : {}),
          }),
        ),
      );
      for (const id of out.imageIds ?? []) {
        if (id.imageTag !== undefined) {
          tags.add(id.imageTag);
        }
      }
      nextToken = out.nextToken;
    }
    return [...tags].sort();
  }

  // -------------------------------------------------------------------------------------------

  private listReferrersPage(repository: string, subjectDigest: string, nextToken: string | undefined) {
    return this.client.send(
      new ListImageReferrersCommand({
        registryId: this.registryId,
        repositoryName: repository,
        subjectId: { imageDigest: subjectDigest },
        maxResults: 50,
        ...(nextToken !== undefined ? { nextToken } : {}),
      }),
    );
  }

  /** The tag must be absent or already on `digest`; DescribeImages answers ImageNotFoundException when absent. */
  /**
   * PutImage with the channel tag. The production repository is `IMMUTABLE_WITH_EXCLUSION` with this
   * tag excluded (infra/gated-registry.ts), so ECR moves it; any other tag is refused by ECR
   * (ImageTagAlreadyExistsException → ConflictError).
   */
  public async moveTag(repository: string, tag: string, digest: Digest): Promise<void> {
    const manifest = await this.getManifest(repository, digest);
    try {
      await this.client.send(
        new PutImageCommand({
          registryId: this.registryId,
          repositoryName: repository,
          imageManifest: manifestString(manifest.bytes),
          imageManifestMediaType: manifest.mediaType,
          imageDigest: digest,
          imageTag: tag,
        }),
      );
    } catch (err) {
      // "already been pushed, and there were no changes to the manifest or image tag": in place.
      if (errorName(err) === 'ImageAlreadyExistsException') return;
      if (errorName(err) === 'ImageTagAlreadyExistsException') {
        throw new ConflictError(`${this.location}: tag ${repository}:${tag} is immutable; it cannot be moved`);
      }
      throw this.mapError('PutImage', `tag ${repository}:${tag}`, err);
    }
  }

  private async assertTagFree(repository: string, tag: string, digest: string): Promise<void> {
    let existing: string | undefined;
    try {
      const out = await this.client.send(
        new DescribeImagesCommand({
          registryId: this.registryId,
          repositoryName: repository,
          imageIds: [{ imageTag: tag }],
        }),
      );
      existing = out.imageDetails?.[0]?.imageDigest;
    } catch (err) {
      if (errorName(err) === 'ImageNotFoundException') {
        return;
      }
      throw this.mapError('DescribeImages', `tag ${repository}:${tag}`, err);
    }
    if (existing !== undefined && existing !== digest) {
      throw new ConflictError(`${this.location}: tag ${repository}:${tag} points at ${existing}, not ${digest}`);
    }
  }

  /** GetAuthorizationToken, cached until 5 minutes before `expiresAt`. */
  private async authorizationToken(): Promise<string> {
    const now = this.clock.now().getTime();
    if (this.token !== undefined && now < this.token.refreshAt) {
      return this.token.value;
    }
    const out = await this.call('GetAuthorizationToken', 'authorization token', () =>
      this.client.send(new GetAuthorizationTokenCommand({ registryIds: [this.registryId] })),
    );
    const data = out.authorizationData?.[0];
    if (data?.authorizationToken === undefined) {
      throw new RegistryError(`${this.location}: GetAuthorizationToken returned no token`);
    }
    const expiresAt = data.expiresAt?.getTime() ?? now;
    this.token = { value: data.authorizationToken, refreshAt: expiresAt - TOKEN_REFRESH_MARGIN_MS };
    return data.authorizationToken;
  }

  private async call<T>(operation: string, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.mapError(operation, what, err);
    }
  }

  private mapError(operation: string, what: string, err: unknown): GateError {
    if (err instanceof GateError) {
      return err;
    }
    const name = errorName(err);
    const message = err instanceof Error ? err.message : String(err);
    if (name === 'RepositoryNotFoundException' || name === 'ImageNotFoundException') {
      return new NotFoundError(`${this.location}: ${what} not found (${name})`, { cause: err });
    }
    // PutImage refusing dangling references: missing content, as the registry port says
    // (the Distribution API's MANIFEST_BLOB_UNKNOWN).
    if (name === 'LayersNotFoundException' || name === 'ReferencedImagesNotFoundException') {
      return new NotFoundError(`${this.location}: ${what} references missing content (${name})`, { cause: err });
    }
    return new RegistryError(`${this.location}: ${operation} ${what} failed: ${name ?? 'Error'}: ${message}`, {
      cause: err,
    });
  }
}
