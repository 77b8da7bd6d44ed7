/**
 * A registry that records every call made through it, for tests of how a client orders and
 * overlaps its requests. It wraps a MemoryRegistry and holds each call open for one macrotask, as a
 * network round trip would, so requests issued together are in flight together. It notes any
 * manifest put while something it names (config, layer, child manifest, subject) is not yet stored.
 */
import { NotFoundError } from '../../lambdas/domain/errors.js';
import { type Descriptor, isIndexMediaType, sha256Digest } from '../../lambdas/domain/oci.js';
import type { FetchedManifest, RegistryWriter } from '../../lambdas/domain/ports.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { type MemoryRegistry, ReferrerView, referencedContent } from './memory-registry.js';

export type RecordedOperation =
  | 'getManifest'
  | 'getBlob'
  | 'listReferrers'
  | 'hasBlob'
  | 'putBlob'
  | 'mountBlob'
  | 'putManifest'
  | 'listTags'
  | 'moveTag';

export interface RecordedCall {
  readonly operation: RecordedOperation;
  /** The digest or reference the call is about (a put manifest's digest). */
  readonly subject: string;
  /** A put manifest's tag. */
  readonly tag?: string;
  /** The `subject` a put manifest names. */
  readonly referrerOf?: string;
  /** Calls still in flight when this one started (this one included). */
  readonly concurrent: number;
  ended: boolean;
}

export class RecordingRegistry implements RegistryWriter {
  public readonly location: string;
  public readonly calls: RecordedCall[] = [];
  /** Manifests put while content they name was missing, with what was missing. */
  public readonly danglingPuts: string[] = [];
  /** Referrer puts that started while another referrer of the same subject was being put. */
  public readonly overlappingReferrerPuts: string[] = [];
  public inFlight = 0;
  public maxInFlight = 0;

  /** `failWith` may return an error for a call, which then fails after its round trip. */
  public constructor(
    public readonly inner: MemoryRegistry,
    private readonly failWith: (call: RecordedCall) => Error | undefined = () => undefined,
  ) {
    this.location = inner.location;
  }

  /** Calls of `operation`, optionally about `subject`. */
  public callsOf(operation: RecordedOperation, subject?: string): RecordedCall[] {
    return this.calls.filter((c) => c.operation === operation && (subject === undefined || c.subject === subject));
  }

  public getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    return this.record({ operation: 'getManifest', subject: reference }, () =>
      this.inner.getManifest(repository, reference),
    );
  }

  public getBlob(repository: string, digest: string, maxBytes: number): Promise<Uint8Array> {
    return this.record({ operation: 'getBlob', subject: digest }, () =>
      this.inner.getBlob(repository, digest, maxBytes),
    );
  }

  public listReferrers(repository: string, subjectDigest: string): Promise<Descriptor[]> {
    return this.record({ operation: 'listReferrers', subject: subjectDigest }, () =>
      this.inner.listReferrers(repository, subjectDigest),
    );
  }

  public hasBlob(repository: string, digest: string): Promise<boolean> {
    return this.record({ operation: 'hasBlob', subject: digest }, () => this.inner.hasBlob(repository, digest));
  }

  public putBlob(repository: string, digest: string, bytes: Uint8Array): Promise<void> {
    return this.record({ operation: 'putBlob', subject: digest }, () => this.inner.putBlob(repository, digest, bytes));
  }

  public mountBlob(targetRepository: string, sourceRepository: string, digest: string): Promise<boolean> {
    return this.record({ operation: 'mountBlob', subject: digest }, () =>
      this.inner.mountBlob(targetRepository, sourceRepository, digest),
    );
  }

  public async putManifest(repository: string, bytes: Uint8Array, mediaType: string, tag?: string): Promise<Digest> {
    const { digest, named, subject } = describeManifest(bytes, mediaType);
    // Checked as the put starts: content whose own put is still in flight does not count.
    const missing: string[] = [];
    for (const d of named) {
      const present = isIndexMediaType(mediaType)
        ? await this.hasManifest(repository, d.digest)
        : await this.inner.hasBlob(repository, d.digest);
      if (!present) missing.push(d.digest);
    }
    if (subject !== undefined && !(await this.hasManifest(repository, subject))) missing.push(`subject ${subject}`);
    if (missing.length > 0) this.danglingPuts.push(`${digest} before ${missing.join(', ')}`);
    return this.record(
      {
        operation: 'putManifest',
        subject: digest,
        ...(tag !== undefined ? { tag } : {}),
        ...(subject !== undefined ? { referrerOf: subject } : {}),
      },
      () => this.inner.putManifest(repository, bytes, mediaType, tag),
    );
  }

  public listTags(repository: string): Promise<string[]> {
    return this.record({ operation: 'listTags', subject: repository }, () => this.inner.listTags(repository));
  }

  public moveTag(repository: string, tag: string, digest: Digest): Promise<void> {
    return this.record({ operation: 'moveTag', subject: digest, tag }, () =>
      this.inner.moveTag(repository, tag, digest),
    );
  }

  private async hasManifest(repository: string, digest: string): Promise<boolean> {
    try {
      await this.inner.getManifest(repository, digest);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  private async record<T>(
    what: Pick<RecordedCall, 'operation' | 'subject' | 'tag' | 'referrerOf'>,
    call: () => Promise<T>,
  ): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const recorded: RecordedCall = { ...what, concurrent: this.inFlight, ended: false };
    const { referrerOf } = what;
    if (referrerOf !== undefined && this.calls.some((c) => !c.ended && c.referrerOf === referrerOf)) {
      this.overlappingReferrerPuts.push(`${what.subject} (referrer of ${referrerOf})`);
    }
    this.calls.push(recorded);
    try {
      const fault = this.failWith(recorded);
      // One macrotask: every request issued in the same burst starts before any of them answers.
      await new Promise((resolve) => setImmediate(resolve));
      if (fault !== undefined) throw fault;
      return await call();
    } finally {
      this.inFlight--;
      recorded.ended = true;
    }
  }
}

function describeManifest(
  bytes: Uint8Array,
  mediaType: string,
): { digest: string; named: readonly Descriptor[]; subject: string | undefined } {
  const { subject } = ReferrerView.parse(JSON.parse(new TextDecoder().decode(bytes)));
  return { digest: sha256Digest(bytes), named: referencedContent(bytes, mediaType), subject: subject?.digest };
}
