/**
 * `RegistryWriter` over the OCI Distribution API (distribution-spec v1.1, spec.md) with `fetch`.
 *
 * - Everything fetched is verified against its digest, and every response body is read with a cap,
 *   so a hostile or broken registry can neither feed us other bytes nor exhaust memory.
 * - Referrers: the referrers API first; on 404/405/400 the referrers tag schema (`sha256-<hex>`
 *   index), as spec.md "Listing Referrers" / "Referrers Tag Schema" prescribe for clients.
 * - When the registry does not answer a manifest push with `OCI-Subject`, the client must keep the
 *   tag-schema index itself (spec.md "Pushing Manifests with Subject"). Two clients doing so at the
 *   same time can lose an entry; the spec accepts that race.
 * - Tags are immutable for the gate: tagging checks the tag first. Between that check and the PUT
 *   another client can still move the tag; registries that enforce immutability (ECR) close that gap.
 */

import { formatIssues, parseJsonValue, safeParseJsonValue } from '../../domain/document.js';
import {
  ConflictError,
  DigestMismatchError,
  type GateError,
  InvalidInputError,
  NotFoundError,
  RegistryError,
  TooLargeError,
} from '../../domain/errors.js';
import { Limits } from '../../domain/limits.js';
import {
  type Descriptor,
  digestToTag,
  ImageIndexSchema,
  isIndexMediaType,
  MANIFEST_ACCEPT,
  MediaTypes,
  sha256Digest,
} from '../../domain/oci.js';
import { sniffManifestMediaType } from '../../domain/oci-validate.js';
import type { FetchedManifest, RegistryWriter } from '../../domain/ports.js';
import { type Digest, DigestSchema } from '../../domain/types.js';
import * as z from '../../domain/zod.js';

export interface DistributionRegistryOptions {
  /** Scheme and host, e.g. `http://127.0.0.1:5000` or `https://123.dkr.ecr.eu-west-1.amazonaws.com`. */
  readonly baseUrl: string;
  /** Value of the `Authorization` header per request. @default - no Authorization header */
  readonly authorization?: () => Promise<string | undefined>;
  /** @default - the global fetch */
  readonly fetch?: typeof fetch;
  /** Per-request timeout. @default 60 s */
  readonly timeoutMs?: number;
}

/** Cap on error-body excerpts and small JSON answers (tag lists, upload responses). */
const ERROR_BODY_BYTES = 4096;
const TAG_LIST_BYTES = 4 * 1024 * 1024;
const MAX_TAG_PAGES = 100;

const ManifestProbeSchema = z.object({
  mediaType: z.optional(z.string()),
  artifactType: z.optional(z.string()),
  config: z.optional(z.object({ mediaType: z.string() })),
  subject: z.optional(z.object({ digest: DigestSchema })),
  annotations: z.optional(z.record(z.string(), z.string())),
});
const TagListSchema = z.object({ name: z.string(), tags: z.optional(z.nullable(z.array(z.string()))) });
/** spec.md "Error Codes": the body of a 4xx answer. */
const ErrorBodySchema = z.object({ errors: z.array(z.object({ code: z.string() })) });

function contentType(res: Response): string | undefined {
  const value = res.headers.get('content-type');
  return value === null ? undefined : (value.split(';')[0]?.trim() ?? undefined);
}

/** A registry answer as JSON; one that is not (too large, not UTF-8, not JSON) is the registry's fault. */
function decodeJson(bytes: Uint8Array, what: string, maxBytes: number = Limits.manifestBytes): unknown {
  const parsed = safeParseJsonValue(bytes, { what, maxBytes });
  if (!parsed.success) throw new RegistryError(parsed.error.message, { cause: parsed.error });
  return parsed.data;
}

function isDigest(reference: string): boolean {
  return DigestSchema.safeParse(reference).success;
}

export class DistributionRegistry implements RegistryWriter {
  public readonly location: string;
  public readonly host: string;
  private readonly baseUrl: URL;
  private readonly authorization: () => Promise<string | undefined>;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  public constructor(options: DistributionRegistryOptions) {
    this.baseUrl = new URL(options.baseUrl);
    if (this.baseUrl.protocol !== 'http:' && this.baseUrl.protocol !== 'https:') {
      throw new InvalidInputError(`registry baseUrl must be http(s): ${options.baseUrl}`);
    }
    this.location = this.baseUrl.host;
    this.host = this.baseUrl.host;
    this.authorization = options.authorization ?? (async () => undefined);
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  public async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const what = `manifest ${repository}:${reference}`;
    const res = await this.request('GET', `/v2/${repository}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
    });
    if (res.status !== 200) {
      throw await this.errorFor(res, `GET ${what}`);
    }
    const bytes = await this.readCapped(res, Limits.manifestBytes, what);
    const digest = sha256Digest(bytes);
    const expected = isDigest(reference) ? reference : res.headers.get('docker-content-digest');
    // A tag answer's Docker-Content-Digest is checked when it is a sha256 digest we can compare.
    if (expected !== null && isDigest(expected) && expected !== digest) {
      throw new DigestMismatchError(`${this.location}: ${what} hashes to ${digest}, expected ${expected}`);
    }
    const served = contentType(res);
    const mediaType =
      served === undefined || served === 'application/json' || served === 'text/plain'
        ? sniffManifestMediaType(bytes)
        : served;
    return { digest, mediaType, bytes };
  }

  public async getBlob(repository: string, digest: string, maxBytes: number): Promise<Uint8Array> {
    const what = `blob ${repository}@${digest}`;
    if (!isDigest(digest)) {
      throw new InvalidInputError(`not a sha256 digest: ${digest}`);
    }
    const res = await this.request('GET', `/v2/${repository}/blobs/${digest}`);
    if (res.status !== 200) {
      throw await this.errorFor(res, `GET ${what}`);
    }
    const bytes = await this.readCapped(res, maxBytes, what);
    const actual = sha256Digest(bytes);
    if (actual !== digest) {
      throw new DigestMismatchError(`${this.location}: ${what} hashes to ${actual}`);
    }
    return bytes;
  }

  public async listReferrers(repository: string, subjectDigest: string): Promise<Descriptor[]> {
    const what = `referrers of ${repository}@${subjectDigest}`;
    const res = await this.request('GET', `/v2/${repository}/referrers/${subjectDigest}`, {
      headers: { accept: MediaTypes.ociIndex },
    });
    if (res.status === 200) {
      return this.referrersFromIndex(await this.readCapped(res, Limits.manifestBytes, what), what);
    }
    if (res.status !== 404 && res.status !== 405 && res.status !== 400) {
      throw await this.errorFor(res, `GET ${what}`);
    }
    await res.body?.cancel();
    // spec.md "Referrers Tag Schema": the fallback index lives at tag `sha256-<hex>`.
    try {
      const fallback = await this.getManifest(repository, digestToTag(subjectDigest));
      return this.referrersFromIndex(fallback.bytes, `${what} (tag schema)`);
    } catch (err) {
      if (err instanceof NotFoundError) {
        return [];
      }
      throw err;
    }
  }

  public async hasBlob(repository: string, digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`);
    if (res.status === 200) {
      return true;
    }
    if (res.status === 404) {
      return false;
    }
    throw await this.errorFor(res, `HEAD blob ${repository}@${digest}`);
  }

  /** Monolithic upload: `POST /blobs/uploads/` then `PUT <Location>&digest=` (spec.md "POST then PUT"). */
  public async putBlob(repository: string, digest: string, bytes: Uint8Array): Promise<void> {
    const actual = sha256Digest(bytes);
    if (actual !== digest) {
      throw new DigestMismatchError(`blob for ${digest} hashes to ${actual}`);
    }
    const start = await this.request('POST', `/v2/${repository}/blobs/uploads/`, {
      headers: { 'content-length': '0' },
    });
    if (start.status !== 202) {
      throw await this.errorFor(start, `POST blob upload ${repository}`);
    }
    await start.body?.cancel();
    const location = this.uploadLocation(start, repository);
    location.searchParams.set('digest', digest);
    const put = await this.request('PUT', location, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) },
      body: bytes,
    });
    if (put.status !== 201) {
      throw await this.errorFor(put, `PUT blob ${repository}@${digest}`);
    }
    await put.body?.cancel();
  }

  /** spec.md "Mounting a blob from another repository": 201 mounted, 202 declined (an upload session). */
  public async mountBlob(targetRepository: string, sourceRepository: string, digest: string): Promise<boolean> {
    const query = new URLSearchParams({ mount: digest, from: sourceRepository });
    const res = await this.request('POST', `/v2/${targetRepository}/blobs/uploads/?${query.toString()}`, {
      headers: { 'content-length': '0' },
    });
    await res.body?.cancel();
    if (res.status === 201) {
      return true;
    }
    if (res.status === 202) {
      // Declined: the registry opened an upload session instead. Close it; failing to is harmless.
      try {
        const cancel = await this.request('DELETE', this.uploadLocation(res, targetRepository));
        await cancel.body?.cancel();
      } catch {
        // The session expires on its own (registries garbage-collect stale uploads).
      }
      return false;
    }
    throw await this.errorFor(res, `POST blob mount ${sourceRepository} → ${targetRepository}@${digest}`);
  }

  public async putManifest(repository: string, bytes: Uint8Array, mediaType: string, tag?: string): Promise<Digest> {
    if (bytes.byteLength > Limits.manifestBytes) {
      throw new TooLargeError('manifest', bytes.byteLength, Limits.manifestBytes);
    }
    const digest = sha256Digest(bytes);
    // The caller's manifest, not the registry's answer: invalid JSON is bad input, never worth a retry.
    const probe = ManifestProbeSchema.safeParse(
      parseJsonValue(bytes, { what: 'manifest', maxBytes: Limits.manifestBytes }),
    );
    if (!probe.success) {
      throw new InvalidInputError(`manifest is not valid: ${formatIssues(probe.error.issues)}`);
    }
    if (probe.data.mediaType !== undefined && probe.data.mediaType !== mediaType) {
      throw new InvalidInputError(`manifest says mediaType ${probe.data.mediaType} but was put as ${mediaType}`);
    }
    if (tag !== undefined) {
      await this.assertTagFree(repository, tag, digest);
    }
    const put = await this.putManifestAt(repository, digest, bytes, mediaType);
    const subject = probe.data.subject;
    if (subject !== undefined && put.headers.get('oci-subject') === null) {
      const artifactType = probe.data.artifactType ?? probe.data.config?.mediaType;
      await this.addToReferrersTag(repository, subject.digest, {
        mediaType,
        digest,
        size: bytes.byteLength,
        ...(artifactType !== undefined ? { artifactType } : {}),
        ...(probe.data.annotations !== undefined ? { annotations: probe.data.annotations } : {}),
      });
    }
    if (tag !== undefined) {
      await this.putManifestAt(repository, tag, bytes, mediaType);
    }
    return digest;
  }

  public async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let next: URL | undefined = new URL(`/v2/${repository}/tags/list`, this.baseUrl);
    for (let page = 0; next !== undefined; page++) {
      if (page >= MAX_TAG_PAGES) {
        throw new RegistryError(`${this.location}: tag list of ${repository} has more than ${MAX_TAG_PAGES} pages`);
      }
      const res = await this.request('GET', next);
      if (res.status === 404 && page === 0) {
        // spec.md "Listing Tags": a found repository answers 200, its list MAY be empty. docker-registry
        // answers NAME_UNKNOWN instead when a repository holds only untagged manifests, and cannot
        // be told apart from one it does not know: both have no tags.
        const answer = await this.readError(res);
        if (answer.codes.includes('NAME_UNKNOWN')) {
          return [];
        }
        throw this.errorFrom(res.status, answer, `GET tags of ${repository}`);
      }
      if (res.status !== 200) {
        throw await this.errorFor(res, `GET tags of ${repository}`);
      }
      const link = res.headers.get('link');
      const body = TagListSchema.safeParse(
        decodeJson(await this.readCapped(res, TAG_LIST_BYTES, 'tag list'), 'tag list', TAG_LIST_BYTES),
      );
      if (!body.success) {
        throw new RegistryError(
          `${this.location}: tag list of ${repository} is malformed: ${formatIssues(body.error.issues)}`,
        );
      }
      tags.push(...(body.data.tags ?? []));
      // spec.md "Listing Tags": `Link: <url>; rel="next"`.
      const href = link?.match(/<([^>]+)>\s*;\s*rel="?next"?/)?.[1];
      next = href === undefined ? undefined : new URL(href, this.baseUrl);
    }
    return [...new Set(tags)].sort();
  }

  // -------------------------------------------------------------------------------------------

  private async request(
    method: string,
    pathOrUrl: string | URL,
    init: { headers?: Record<string, string>; body?: Uint8Array } = {},
  ): Promise<Response> {
    const url = typeof pathOrUrl === 'string' ? new URL(pathOrUrl, this.baseUrl) : pathOrUrl;
    if (url.origin !== this.baseUrl.origin) {
      // Credentials go only to the registry itself; blob redirects are followed by fetch, which
      // drops Authorization across origins (Fetch standard, HTTP-redirect fetch step 13).
      throw new RegistryError(`${this.location}: refusing to send a request to another origin (${url.origin})`);
    }
    const headers: Record<string, string> = { ...init.headers };
    const authorization = await this.authorization();
    if (authorization !== undefined) {
      headers.authorization = authorization;
    }
    try {
      return await this.fetchImpl(url, {
        method,
        headers,
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new RegistryError(`${this.location}: ${method} ${url.pathname} failed`, { cause: err });
    }
  }

  private uploadLocation(res: Response, repository: string): URL {
    const location = res.headers.get('location');
    if (location === null) {
      throw new RegistryError(`${this.location}: upload to ${repository} answered without a Location header`);
    }
    // spec.md: Location may be absolute or relative to the registry.
    return new URL(location, this.baseUrl);
  }

  /** Reads a body, refusing (TooLargeError) as soon as it exceeds `maxBytes`. */
  private async readCapped(res: Response, maxBytes: number, what: string): Promise<Uint8Array> {
    const declared = Number(res.headers.get('content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      await res.body?.cancel();
      throw new TooLargeError(what, declared, maxBytes);
    }
    if (res.body === null) {
      return new Uint8Array();
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw new TooLargeError(what, total, maxBytes);
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  }

  private async errorFor(res: Response, what: string): Promise<GateError> {
    return this.errorFrom(res.status, await this.readError(res), what);
  }

  /** The error codes (spec.md "Error Codes") and a short excerpt of a failed answer's body. */
  private async readError(res: Response): Promise<{ codes: string[]; excerpt: string }> {
    let body: Uint8Array;
    try {
      body = await this.readCapped(res, ERROR_BODY_BYTES, 'error body');
    } catch {
      return { codes: [], excerpt: '(body larger than 4 KiB)' };
    }
    let codes: string[] = [];
    try {
      const parsed = ErrorBodySchema.safeParse(decodeJson(body, 'error body'));
      codes = parsed.success ? parsed.data.errors.map((e) => e.code) : [];
    } catch {
      // Not JSON (a proxy's HTML page, say): no codes, the excerpt still says what came back.
    }
    const excerpt = new TextDecoder().decode(body).replace(/\s+/g, ' ').trim().slice(0, 300);
    return { codes, excerpt };
  }

  private errorFrom(status: number, answer: { codes: string[]; excerpt: string }, what: string): GateError {
    const { codes, excerpt } = answer;
    if (status === 404) {
      return new NotFoundError(`${this.location}: ${what}: not found (HTTP 404) ${excerpt}`.trim());
    }
    // spec.md "Push": a registry that refuses a manifest's dangling references answers
    // MANIFEST_BLOB_UNKNOWN (400; BLOB_UNKNOWN before v1.1): missing content, not a registry fault.
    if (status === 400 && codes.some((code) => code === 'MANIFEST_BLOB_UNKNOWN' || code === 'BLOB_UNKNOWN')) {
      return new NotFoundError(`${this.location}: ${what}: references missing content (HTTP 400) ${excerpt}`.trim());
    }
    return new RegistryError(`${this.location}: ${what}: HTTP ${status} ${excerpt}`.trim());
  }

  private referrersFromIndex(bytes: Uint8Array, what: string): Descriptor[] {
    const index = ImageIndexSchema.safeParse(decodeJson(bytes, what));
    if (!index.success) {
      throw new RegistryError(`${this.location}: ${what} is not an image index: ${formatIssues(index.error.issues)}`);
    }
    if (index.data.manifests.length > Limits.referrers) {
      throw new TooLargeError(what, index.data.manifests.length, Limits.referrers);
    }
    return index.data.manifests;
  }

  /** distribution-spec "Pushing Manifests" by tag: a registry moves a tag it was given again. */
  public async moveTag(repository: string, tag: string, digest: Digest): Promise<void> {
    const manifest = await this.getManifest(repository, digest);
    await this.putManifestAt(repository, tag, manifest.bytes, manifest.mediaType);
  }

  private async assertTagFree(repository: string, tag: string, digest: string): Promise<void> {
    try {
      const existing = await this.getManifest(repository, tag);
      if (existing.digest !== digest) {
        throw new ConflictError(
          `${this.location}: tag ${repository}:${tag} points at ${existing.digest}, not ${digest}`,
        );
      }
    } catch (err) {
      if (!(err instanceof NotFoundError)) {
        throw err;
      }
    }
  }

  private async putManifestAt(repository: string, reference: string, bytes: Uint8Array, mediaType: string) {
    const res = await this.request('PUT', `/v2/${repository}/manifests/${reference}`, {
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    if (res.status !== 201 && res.status !== 200) {
      throw await this.errorFor(res, `PUT manifest ${repository}:${reference}`);
    }
    await res.body?.cancel();
    const stored = res.headers.get('docker-content-digest');
    if (stored !== null && isDigest(stored) && stored !== sha256Digest(bytes)) {
      throw new DigestMismatchError(`${this.location}: registry stored ${repository}:${reference} as ${stored}`);
    }
    return res;
  }

  /** spec.md "Referrers Tag Schema": add `descriptor` to the `sha256-<hex>` index of `subject`. */
  private async addToReferrersTag(repository: string, subject: string, descriptor: Descriptor): Promise<void> {
    const tag = digestToTag(subject);
    let existing: Descriptor[] = [];
    let extra: Record<string, unknown> = {};
    try {
      const current = await this.getManifest(repository, tag);
      if (!isIndexMediaType(current.mediaType)) {
        throw new RegistryError(`${this.location}: referrers tag ${repository}:${tag} is not an index`);
      }
      const parsed = ImageIndexSchema.safeParse(decodeJson(current.bytes, `referrers tag ${tag}`));
      if (!parsed.success) {
        throw new RegistryError(`${this.location}: referrers tag ${repository}:${tag} is malformed`);
      }
      if (parsed.data.manifests.some((m) => m.digest === descriptor.digest)) {
        return;
      }
      existing = parsed.data.manifests;
      extra = parsed.data.annotations !== undefined ? { annotations: parsed.data.annotations } : {};
    } catch (err) {
      if (!(err instanceof NotFoundError)) {
        throw err;
      }
    }
    const index = {
      schemaVersion: 2,
      mediaType: MediaTypes.ociIndex,
      manifests: [...existing, descriptor],
      ...extra,
    };
    const bytes = new TextEncoder().encode(JSON.stringify(index));
    await this.putManifestAt(repository, tag, bytes, MediaTypes.ociIndex);
  }
}
