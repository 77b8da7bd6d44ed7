/**
 * OSV advisories under an S3 prefix (`advisories/` of the evidence bucket): the AWS side of the
 * local advisories folder. One record per object, `.json`, `.yaml` or `.yml`, read through the
 * size limit (`Limits.advisoryBytes`, before the body is read whole) and the OSV schema
 * (osv/schema.ts). Fails closed like the folder: an object that does not parse throws naming it.
 */
import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { InvalidInputError, StoreError, TooLargeError } from '../../domain/errors.js';
import { Limits } from '../../domain/limits.js';
import { type OsvRecord, osvFormatOf, parseOsvRecord } from '../../domain/osv/schema.js';
import { S3DocumentStore } from '../store/s3-document-store.js';

export const ADVISORIES_PREFIX = 'advisories/';

/**
 * GETs `all()` keeps in flight. Rollback on AWS reads every record within the HTTP API's 30 s, so
 * one request at a time would not do for a few thousand records; 16 stays well inside S3's
 * per-prefix request rate and the Lambda's sockets.
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
   * Records one `all()` reads before it refuses (TooLargeError): a daily run is bounded.
   * @default 20000
   */
  readonly maxRecords?: number;
}

export class S3Advisories {
  public readonly bucket: string;
  public readonly prefix: string;
  private readonly objects: S3DocumentStore;
  private readonly maxRecords: number;

  public constructor(private readonly props: S3AdvisoriesProps) {
    this.bucket = props.bucket;
    this.prefix = props.prefix ?? ADVISORIES_PREFIX;
    this.maxRecords = props.maxRecords ?? 20_000;
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
    const format = osvFormatOf(key);
    if (!key.startsWith(this.prefix) || format === null) {
      throw new InvalidInputError(`s3://${this.bucket}/${key} is not an advisory (${this.prefix}*.json|yaml|yml)`);
    }
    if (!KEY_PATTERN.test(key) || key.length > 1024) {
      throw new InvalidInputError(
        `s3://${this.bucket}/${key}: an advisory key may hold only A–Z a–z 0–9 . _ - / (at most 1024 characters)`,
      );
    }
    return parseOsvRecord(await this.objects.getObject(key), format, `s3://${this.bucket}/${key}`);
  }

  /** Every record under the prefix, in key order. */
  public async all(): Promise<OsvRecord[]> {
    const keys: string[] = [];
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
      for (const o of page.Contents ?? []) if (o.Key !== undefined && this.isAdvisoryKey(o.Key)) keys.push(o.Key);
      if (keys.length > this.maxRecords) {
        throw new TooLargeError(
          `advisories under s3://${this.bucket}/${this.prefix}`,
          keys.length,
          this.maxRecords,
          'records',
        );
      }
      token = page.NextContinuationToken;
    } while (token !== undefined);
    keys.sort();
    // Promise.all keeps key order and settles every read; the first failure is what it throws.
    const limit = pLimit(READ_CONCURRENCY);
    return Promise.all(keys.map((key) => limit(() => this.get(key))));
  }
}
