/**
 * OSV advisories under an S3 prefix (`advisories/` of the evidence bucket): the AWS side of the
 * local advisories folder. One record per object, `.json`, `.yaml` or `.yml`, read through the
 * size limit (`Limits.advisoryBytes`, before the body is read whole) and the OSV schema
 * (osv/schema.ts). Fails closed like the folder: an object that does not parse throws naming it.
 *
 * A rollback or release reads only what the advisory index (osv/advisory-index.ts) points to for
 * its target plus every record the index does not cover (`advisoriesFor`); the daily run reads
 * every record (`all`) and indexes what the index lacks (`reconcile`).
 */
import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { InvalidInputError, isRetryable, NotFoundError, StoreError, TooLargeError } from '../../domain/errors.js';
import { Limits } from '../../domain/limits.js';
import {
  type AdvisoryIndex,
  type AdvisorySource,
  advisoryKeysToRead,
  type ListedAdvisory,
} from '../../domain/osv/advisory-index.js';
import { type OsvRecord, osvFormatOf, parseOsvRecord } from '../../domain/osv/schema.js';
import type { Component } from '../../domain/sbom/component.js';
import { advisoryMatchKeys, componentMatchKeys } from '../../domain/scan/local-scanner.js';
import { S3DocumentStore } from '../store/s3-document-store.js';

export const ADVISORIES_PREFIX = 'advisories/';

/** An ETag as S3 answers it (`"…"`): the bare form ('' when S3 gives none: readers then read the object). */
const bareETag = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '');

/**
 * GETs kept in flight. A rollback on AWS reads its records within the ops route's 29 s, so one
 * request at a time would not do for a few thousand records; 16 stays well inside S3's per-prefix
 * request rate and the Lambda's sockets.
 */
const READ_CONCURRENCY = 16;

/**
 * Object keys an advisory may have. S3 event notifications URL-encode keys and EventBridge's do
 * not, so a key that needs encoding would be read as another key by one of them: such keys are
 * refused rather than guessed.
 */
const KEY_PATTERN = /^[A-Za-z0-9._\-/]+$/;

export interface S3AdvisoriesProps {
  readonly client: S3Client;
  readonly bucket: string;
  /** @default 'advisories/' */
  readonly prefix?: string;
  /**
   * Records one `all()` or `advisoriesFor` reads before it refuses (TooLargeError): a daily run
   * and a rollback are bounded.
   * @default Limits.advisoryReads
   */
  readonly maxRecords?: number;
  /**
   * Records `advisoriesFor` and `reconcile` list before they refuse (TooLargeError).
   * @default Limits.advisoryListing
   */
  readonly maxListed?: number;
}

export class S3Advisories {
  public readonly bucket: string;
  public readonly prefix: string;
  private readonly objects: S3DocumentStore;
  private readonly maxRecords: number;
  private readonly maxListed: number;

  public constructor(private readonly props: S3AdvisoriesProps) {
    this.bucket = props.bucket;
    this.prefix = props.prefix ?? ADVISORIES_PREFIX;
    this.maxRecords = props.maxRecords ?? Limits.advisoryReads;
    this.maxListed = props.maxListed ?? Limits.advisoryListing;
    this.objects = new S3DocumentStore({ client: props.client, bucket: props.bucket, maxBytes: Limits.advisoryBytes });
  }

  /** Whether `key` names an advisory object: under the prefix, with an OSV file extension. */
  public isAdvisoryKey(key: string): boolean {
    return key.startsWith(this.prefix) && key.length > this.prefix.length && osvFormatOf(key) !== null;
  }

  /**
   * The record in `key`. InvalidInputError for a key outside the prefix, of another format or with
   * characters that need encoding, or a record that fails the schema; TooLargeError past the limit.
   */
  public async get(key: string): Promise<OsvRecord> {
    return (await this.getVersion(key)).record;
  }

  /** `get`, with the ETag of the version read (what the advisory index records). */
  public async getVersion(key: string): Promise<{ record: OsvRecord; etag: string }> {
    const format = osvFormatOf(key);
    if (!key.startsWith(this.prefix) || format === null) {
      throw new InvalidInputError(`s3://${this.bucket}/${key} is not an advisory (${this.prefix}*.json|yaml|yml)`);
    }
    if (!KEY_PATTERN.test(key) || key.length > 1024) {
      throw new InvalidInputError(
        `s3://${this.bucket}/${key}: an advisory key may hold only A–Z a–z 0–9 . _ - / (at most 1024 characters)`,
      );
    }
    const { bytes, etag } = await this.objects.getObjectVersion(key);
    return { record: parseOsvRecord(bytes, format, `s3://${this.bucket}/${key}`), etag: bareETag(etag) };
  }

  /**
   * Every advisory object under the prefix with its ETag, in key order (ListObjectsV2, 1,000 a
   * page). TooLargeError past `max`.
   */
  public async list(max: number): Promise<ListedAdvisory[]> {
    const listed: ListedAdvisory[] = [];
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.props.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }),
        );
      } catch (err) {
        throw new StoreError(`S3 ListObjectsV2 s3://${this.bucket}/${this.prefix} failed`, { cause: err });
      }
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined && this.isAdvisoryKey(o.Key)) listed.push({ key: o.Key, etag: bareETag(o.ETag) });
      }
      if (listed.length > max) {
        throw new TooLargeError(`advisories under s3://${this.bucket}/${this.prefix}`, listed.length, max, 'records');
      }
      token = page.NextContinuationToken;
    } while (token !== undefined);
    return listed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Every record under the prefix, in key order (the daily run). TooLargeError past `maxRecords`. */
  public async all(): Promise<OsvRecord[]> {
    return this.read((await this.list(this.maxRecords)).map((o) => o.key));
  }

  /**
   * The records that may affect `components` (rollback, release): those `index` finds under the
   * components' match keys at their listed ETag, and every listed record the index does not hold
   * at its listed ETag (`advisoryKeysToRead`). The listing is bounded by `maxListed`, the reads
   * by `maxRecords` (TooLargeError past either: refused, never a partial answer).
   */
  public async advisoriesFor(components: readonly Component[], index: AdvisoryIndex): Promise<OsvRecord[]> {
    const [listed, indexed, named] = await Promise.all([
      this.list(this.maxListed),
      index.indexedETags(),
      index.naming(componentMatchKeys(components)),
    ]);
    const keys = advisoryKeysToRead(listed, indexed, named);
    if (keys.length > this.maxRecords) {
      throw new TooLargeError(
        `advisories under s3://${this.bucket}/${this.prefix} to read for one release`,
        keys.length,
        this.maxRecords,
        'records',
      );
    }
    return this.read(keys);
  }

  /** `advisoriesFor` with `index`, as an advisory source (ops-write's). */
  public sourceWith(index: AdvisoryIndex): AdvisorySource {
    return (components) => this.advisoriesFor(components, index);
  }

  /**
   * Indexes the listed records the index does not hold at their listed ETag, at most `max` of them
   * (the daily run's reconcile; records written meanwhile are indexed by their own event). A record
   * that does not parse is left unindexed (readers then read it, and refuse on it) and counted.
   */
  public async reconcile(
    index: AdvisoryIndex,
    max: number,
  ): Promise<{ indexed: number; invalid: readonly string[]; remaining: number }> {
    const [listed, indexed] = await Promise.all([this.list(this.maxListed), index.indexedETags()]);
    const stale = listed.filter((o) => indexed.get(o.key) !== o.etag).map((o) => o.key);
    const batch = stale.slice(0, max);
    const invalid: string[] = [];
    let written = 0;
    const limit = pLimit(READ_CONCURRENCY);
    await Promise.all(
      batch.map((key) =>
        limit(async () => {
          let version: { record: OsvRecord; etag: string };
          try {
            version = await this.getVersion(key);
          } catch (err) {
            if (err instanceof NotFoundError) return; // deleted since it was listed: nothing to index
            if (isRetryable(err)) throw err;
            invalid.push(key);
            return;
          }
          await index.index(key, version.etag, advisoryMatchKeys(version.record));
          written++;
        }),
      ),
    );
    return { indexed: written, invalid: invalid.sort(), remaining: stale.length - batch.length };
  }

  /** The records of `keys`, in their order; the first failure is what it throws. */
  private read(keys: readonly string[]): Promise<OsvRecord[]> {
    // Promise.all keeps key order and settles every read; the first failure is what it throws.
    const limit = pLimit(READ_CONCURRENCY);
    return Promise.all(keys.map((key) => limit(() => this.get(key))));
  }
}
