import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  ConflictError,
  DigestMismatchError,
  InvalidInputError,
  NotFoundError,
  TooLargeError,
} from '../../domain/errors.js';
import { Limits } from '../../domain/limits.js';
import { sha256DigestToStore } from '../../domain/oci.js';
import type { DocumentStore } from '../../domain/ports.js';
import { type Digest, DigestSchema } from '../../domain/types.js';
import { StoreError, sdkErrorName, sdkHttpStatus } from './errors.js';

/** Where content-addressed evidence lives in the bucket; `putObject` refuses keys under it. */
export const CONTENT_PREFIX = 'evidence/sha256/';

/** Where a content-addressed document is, for people: `s3://<bucket>/evidence/sha256/<hex>`. */
export const documentUri = (bucket: string, document: string): string =>
  `s3://${bucket}/${CONTENT_PREFIX}${document.slice('sha256:'.length)}`;

export interface S3DocumentStoreProps {
  readonly client: S3Client;
  readonly bucket: string;
  /**
   * Largest object `get`/`getObject` will read.
   * @default - Limits.sbomBytes, the largest evidence document the gate accepts
   */
  readonly maxBytes?: number;
}

/**
 * `DocumentStore` on S3: raw evidence under `evidence/sha256/<hex>`, plus write-once named objects
 * (decision documents, reports) through `putObject`/`getObject`.
 *
 * Writes never overwrite: HeadObject first, then PutObject with `If-None-Match: *` (S3 conditional
 * writes; a local s3rver ignores the header, the HeadObject covers it there). Bodies are Buffers,
 * never streams: s3rver stores a streamed body with its aws-chunked checksum framing. Reads verify
 * sha256 themselves, because s3rver implements no checksums and a bucket can be tampered with.
 */
export class S3DocumentStore implements DocumentStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly maxBytes: number;

  public constructor(props: S3DocumentStoreProps) {
    this.client = props.client;
    this.bucket = props.bucket;
    this.maxBytes = props.maxBytes ?? Limits.sbomBytes;
  }

  /** The object key of a content-addressed document. */
  public static keyOf(digest: Digest): string {
    return `${CONTENT_PREFIX}${digest.slice('sha256:'.length)}`;
  }

  public async put(bytes: Uint8Array, mediaType: string): Promise<Digest> {
    // Bytes a registry read hashed a moment ago are not hashed again (oci.ts); a read always is.
    const digest = sha256DigestToStore(bytes) as Digest;
    const hex = digest.slice('sha256:'.length);
    const key = S3DocumentStore.keyOf(digest);
    if (await this.exists(key)) {
      await this.assertStoredContent(key, hex, 'DIGEST_MISMATCH');
      return digest;
    }
    await this.writeOnce(key, bytes, mediaType, hex, 'DIGEST_MISMATCH');
    return digest;
  }

  public async get(digest: Digest): Promise<Uint8Array> {
    const parsed = DigestSchema.safeParse(digest);
    if (!parsed.success) throw new InvalidInputError(`not a sha256 digest: ${digest}`, { cause: parsed.error });
    const { bytes } = await this.read(S3DocumentStore.keyOf(parsed.data));
    const actual = `sha256:${sha256Hex(bytes)}`;
    if (actual !== parsed.data) {
      throw new DigestMismatchError(`stored document ${parsed.data} hashes to ${actual}`);
    }
    return bytes;
  }

  /**
   * Stores a named, write-once object (decision document, VSA, report). Writing the same bytes
   * again is a no-op; different bytes under an existing key throw `ConflictError`. Returns the
   * sha256 of the bytes.
   */
  public async putObject(key: string, bytes: Uint8Array, contentType: string): Promise<Digest> {
    assertNamedKey(key);
    const hex = sha256Hex(bytes);
    if (await this.exists(key)) {
      await this.assertStoredContent(key, hex, 'CONFLICT');
      return `sha256:${hex}`;
    }
    await this.writeOnce(key, bytes, contentType, hex, 'CONFLICT');
    return `sha256:${hex}`;
  }

  /** Reads a named object; `NotFoundError` when absent. */
  public async getObject(key: string): Promise<Uint8Array> {
    assertNamedKey(key);
    return (await this.read(key)).bytes;
  }

  /** Reads a named object with the ETag of the version read, as S3 gives it. */
  public async getObjectVersion(key: string): Promise<{ bytes: Uint8Array; etag: string | undefined }> {
    assertNamedKey(key);
    return this.read(key);
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (sdkHttpStatus(err) === 404 || sdkErrorName(err) === 'NotFound') return false;
      throw new StoreError(`S3 HeadObject s3://${this.bucket}/${key} failed`, { cause: err });
    }
  }

  /**
   * PutObject with `If-None-Match: *`. A lost race (412 Precondition Failed, or 409 when S3 saw
   * concurrent conditional writes) is success only if the object now there has our content.
   */
  private async writeOnce(
    key: string,
    bytes: Uint8Array,
    contentType: string,
    hex: string,
    onDifferent: 'DIGEST_MISMATCH' | 'CONFLICT',
  ): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          ContentType: contentType,
          ContentLength: bytes.byteLength,
          IfNoneMatch: '*',
          // S3 verifies this on receipt (s3rver ignores it; reads verify sha256 there).
          ChecksumSHA256: Buffer.from(hex, 'hex').toString('base64'),
          Metadata: { sha256: hex },
        }),
      );
    } catch (err) {
      const status = sdkHttpStatus(err);
      if (status === 412 || status === 409 || sdkErrorName(err) === 'PreconditionFailed') {
        await this.assertStoredContent(key, hex, onDifferent);
        return;
      }
      throw new StoreError(`S3 PutObject s3://${this.bucket}/${key} failed`, { cause: err });
    }
  }

  private async assertStoredContent(key: string, hex: string, onDifferent: 'DIGEST_MISMATCH' | 'CONFLICT') {
    const { bytes: stored } = await this.read(key);
    const storedHex = sha256Hex(stored);
    if (storedHex === hex) return;
    const message = `s3://${this.bucket}/${key} already holds different content (sha256:${storedHex})`;
    throw onDifferent === 'CONFLICT' ? new ConflictError(message) : new DigestMismatchError(message);
  }

  private async read(key: string): Promise<{ bytes: Uint8Array; etag: string | undefined }> {
    let body: { transformToByteArray(): Promise<Uint8Array> } | undefined;
    let length: number | undefined;
    let etag: string | undefined;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      body = out.Body;
      length = out.ContentLength;
      etag = out.ETag;
    } catch (err) {
      if (sdkErrorName(err) === 'NoSuchKey' || sdkHttpStatus(err) === 404) {
        throw new NotFoundError(`s3://${this.bucket}/${key} does not exist`, { cause: err });
      }
      throw new StoreError(`S3 GetObject s3://${this.bucket}/${key} failed`, { cause: err });
    }
    if (body === undefined) throw new StoreError(`S3 GetObject s3://${this.bucket}/${key} returned no body`);
    if (length !== undefined && length > this.maxBytes) {
      throw new TooLargeError(`s3://${this.bucket}/${key}`, length, this.maxBytes);
    }
    let bytes: Uint8Array;
    try {
      bytes = await body.transformToByteArray();
    } catch (err) {
      throw new StoreError(`S3 GetObject s3://${this.bucket}/${key}: reading the body failed`, { cause: err });
    }
    if (bytes.byteLength > this.maxBytes)
      throw new TooLargeError(`s3://${this.bucket}/${key}`, bytes.byteLength, this.maxBytes);
    return { bytes, etag };
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function assertNamedKey(key: string): void {
  if (key === '' || key.startsWith('/') || key.startsWith(CONTENT_PREFIX)) {
    throw new InvalidInputError(`object key ${JSON.stringify(key)} is empty, absolute or content-addressed`);
  }
}
