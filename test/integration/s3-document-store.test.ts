/**
 * S3DocumentStore against a real s3rver (started by startStandIns on an ephemeral port), through
 * the real AWS SDK v3 S3 client: what is particular to this adapter (object keys, the read limit,
 * named objects, a missing bucket). The DocumentStore behaviour every adapter shares (content
 * addressing, tampering, missing documents) is in test/support/contracts/document-store.contract.ts,
 * run against this adapter by test/integration/document-store-contract.test.ts. s3rver ignores
 * `If-None-Match` on PUT, so both exercise the HeadObject-first path that keeps writes from
 * overwriting.
 */
import { randomBytes } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3DocumentStore } from '../../lambdas/adapters/store/s3-document-store.js';
import { ConflictError, InvalidInputError, NotFoundError, TooLargeError } from '../../lambdas/domain/errors.js';
import { sha256 } from '../support/digest.js';
import { useStandIns } from '../support/stand-ins.js';

const aws = useStandIns();
const encoder = new TextEncoder();

/** An S3DocumentStore on the stand-ins' bucket (another bucket or read limit when given). */
const s3Store = (options: { bucket?: string; maxBytes?: number } = {}) =>
  new S3DocumentStore({ client: aws().clients.s3, bucket: aws().standIns.bucket, ...options });

async function rawObject(key: string): Promise<Uint8Array> {
  const out = await aws().clients.s3.send(new GetObjectCommand({ Bucket: aws().standIns.bucket, Key: key }));
  if (out.Body === undefined) throw new Error('no body');
  return out.Body.transformToByteArray();
}

describe('Class: S3DocumentStore', () => {
  describe('Method: put', () => {
    describe('when the document is new', () => {
      it('stores the exact bytes under evidence/sha256/<hex> and returns their digest', async () => {
        // Prepare
        const bytes = encoder.encode(`{"bomFormat":"CycloneDX","serial":"${randomBytes(8).toString('hex')}"}`);

        // Act
        const digest = await s3Store().put(bytes, 'application/vnd.cyclonedx+json');

        // Assess
        expect(digest).toBe(sha256(bytes));
        const stored = await rawObject(`evidence/sha256/${digest.slice(7)}`);
        expect(Buffer.from(stored).equals(Buffer.from(bytes))).toBe(true);
      });
    });
  });

  describe('Method: get', () => {
    describe('when the object is larger than the read limit', () => {
      it('throws TooLargeError', async () => {
        // Prepare
        const bytes = new Uint8Array(randomBytes(2048));
        const digest = await s3Store().put(bytes, 'application/octet-stream');
        const small = s3Store({ maxBytes: 1024 });

        // Act
        const act = small.get(digest);

        // Assess
        await expect(act).rejects.toBeInstanceOf(TooLargeError);
      });
    });
  });

  describe('Method: putObject / getObject', () => {
    describe('when the key is new', () => {
      it('stores the object and reads it back', async () => {
        // Prepare
        const key = `decisions/team/app/${randomBytes(8).toString('hex')}.json`;
        const bytes = encoder.encode('{"decision":"BLOCK"}');

        // Act
        const digest = await s3Store().putObject(key, bytes, 'application/json');
        const read = await s3Store().getObject(key);

        // Assess
        expect(digest).toBe(sha256(bytes));
        expect(new TextDecoder().decode(read)).toBe('{"decision":"BLOCK"}');
      });
    });

    describe('when the key holds the same content', () => {
      it('is a no-op', async () => {
        // Prepare
        const key = `reports/${randomBytes(8).toString('hex')}.html`;
        const bytes = encoder.encode('<html>report</html>');
        await s3Store().putObject(key, bytes, 'text/html');

        // Act
        const again = await s3Store().putObject(key, bytes, 'text/html');

        // Assess
        expect(again).toBe(sha256(bytes));
      });
    });

    describe('when the key holds different content', () => {
      it('throws ConflictError and keeps the original', async () => {
        // Prepare
        const key = `decisions/${randomBytes(8).toString('hex')}.json`;
        await s3Store().putObject(key, encoder.encode('{"decision":"PASS"}'), 'application/json');

        // Act
        const act = s3Store().putObject(key, encoder.encode('{"decision":"BLOCK"}'), 'application/json');

        // Assess
        await expect(act).rejects.toBeInstanceOf(ConflictError);
        expect(new TextDecoder().decode(await s3Store().getObject(key))).toBe('{"decision":"PASS"}');
      });
    });

    describe('when the key is under the content-addressed prefix', () => {
      it('throws InvalidInputError', async () => {
        // Act
        const act = s3Store().putObject(`evidence/sha256/${'0'.repeat(64)}`, encoder.encode('x'), 'text/plain');

        // Assess
        await expect(act).rejects.toBeInstanceOf(InvalidInputError);
      });
    });

    describe('when the key does not exist', () => {
      it('throws NotFoundError', async () => {
        // Act
        const act = s3Store().getObject(`reports/${randomBytes(8).toString('hex')}.html`);

        // Assess
        await expect(act).rejects.toBeInstanceOf(NotFoundError);
      });
    });
  });

  describe('when the bucket does not exist', () => {
    it('throws StoreError', async () => {
      // Prepare
      const missing = s3Store({ bucket: 'no-such-bucket' });

      // Act
      const act = missing.put(encoder.encode('x'), 'text/plain');

      // Assess
      await expect(act).rejects.toMatchObject({ name: 'StoreError', code: 'STORE_ERROR' });
    });
  });
});
