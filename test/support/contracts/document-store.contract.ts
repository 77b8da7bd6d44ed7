/**
 * The DocumentStore contract: one suite that every adapter runs (S3DocumentStore on s3rver,
 * MemoryStore). Content-addressed: `put` returns the sha256, never overwrites and refuses content
 * stored under a digest it does not hash to; `get` verifies the sha256 on every read.
 *
 * `tamper` replaces the bytes stored under a digest, as an attacker with write access to the
 * bucket could, without going through the store.
 */
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { DigestMismatchError, InvalidInputError, NotFoundError } from '../../../lambdas/domain/errors.js';
import type { DocumentStore } from '../../../lambdas/domain/ports.js';
import type { Digest } from '../../../lambdas/domain/types.js';
import { sha256 } from '../digest.js';

export interface DocumentStoreFixture {
  readonly store: DocumentStore;
  tamper(digest: Digest, bytes: Uint8Array): Promise<void>;
}

const encoder = new TextEncoder();

export function describeDocumentStoreContract(name: string, makeFixture: () => Promise<DocumentStoreFixture>): void {
  describe(`Contract: DocumentStore (${name})`, () => {
    let docs: DocumentStore;
    let tamper: DocumentStoreFixture['tamper'];

    beforeEach(async () => {
      const fixture = await makeFixture();
      docs = fixture.store;
      tamper = fixture.tamper;
    });

    describe('Method: put', () => {
      describe('when the document is new', () => {
        it('returns the sha256 of the bytes, and get returns the exact bytes', async () => {
          // Prepare
          const bytes = encoder.encode(
            JSON.stringify({ bomFormat: 'CycloneDX', serial: randomBytes(8).toString('hex') }),
          );

          // Act
          const digest = await docs.put(bytes, 'application/vnd.cyclonedx+json');

          // Assess
          expect(digest).toBe(sha256(bytes));
          expect(Buffer.from(await docs.get(digest)).equals(Buffer.from(bytes))).toBe(true);
        });
      });

      describe('when the body is large (the checksum-framing trap)', () => {
        it('round-trips 3 MiB of binary bytes unchanged', async () => {
          // Prepare
          const bytes = new Uint8Array(randomBytes(3 * 1024 * 1024));

          // Act
          const digest = await docs.put(bytes, 'application/octet-stream');
          const read = await docs.get(digest);

          // Assess
          expect(digest).toBe(sha256(bytes));
          expect(read.byteLength).toBe(bytes.byteLength);
          expect(sha256(read)).toBe(digest);
        });
      });

      describe('when the same document is stored twice', () => {
        it('is idempotent', async () => {
          // Prepare
          const bytes = encoder.encode(`statement-${randomBytes(8).toString('hex')}`);
          const first = await docs.put(bytes, 'application/vnd.in-toto+json');

          // Act
          const second = await docs.put(bytes, 'application/vnd.in-toto+json');

          // Assess
          expect(second).toBe(first);
          expect(sha256(await docs.get(first))).toBe(first);
        });
      });

      describe('when the caller changes its bytes afterwards', () => {
        it('keeps what was stored', async () => {
          // Prepare
          const bytes = encoder.encode(`mutable-${randomBytes(8).toString('hex')}`);
          const digest = await docs.put(bytes, 'text/plain');

          // Act
          bytes.fill(0);
          (await docs.get(digest)).fill(0);

          // Assess
          expect(sha256(await docs.get(digest))).toBe(digest);
        });
      });

      describe('when the object under the digest was tampered with', () => {
        it('refuses to accept it as already stored', async () => {
          // Prepare
          const bytes = encoder.encode(`good-${randomBytes(8).toString('hex')}`);
          const digest = sha256(bytes);
          await tamper(digest, encoder.encode('evil bytes'));

          // Act
          const act = docs.put(bytes, 'text/plain');

          // Assess
          await expect(act).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
          await expect(docs.get(digest)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
        });
      });
    });

    describe('Method: get', () => {
      describe('when the stored bytes do not hash to the digest', () => {
        it('throws DIGEST_MISMATCH', async () => {
          // Prepare
          const bytes = encoder.encode(`original-${randomBytes(8).toString('hex')}`);
          const digest = await docs.put(bytes, 'text/plain');
          await tamper(digest, encoder.encode('tampered'));

          // Act
          const act = docs.get(digest);

          // Assess
          await expect(act).rejects.toThrowWithCode(DigestMismatchError, 'DIGEST_MISMATCH');
          await expect(act).rejects.toMatchObject({ name: 'DigestMismatchError' });
        });
      });

      describe('when nothing is stored under the digest', () => {
        it('throws NotFoundError', async () => {
          // Prepare
          const digest = sha256(randomBytes(16));

          // Act
          const act = docs.get(digest);

          // Assess
          await expect(act).rejects.toBeInstanceOf(NotFoundError);
        });
      });

      describe('when the argument is not a sha256 digest', () => {
        it.each(['sha256:../../etc/passwd', `sha256:${'A'.repeat(64)}`, `sha512:${'0'.repeat(128)}`, ''])(
          'throws InvalidInputError for %j',
          async (digest) => {
            // Act
            const act = docs.get(digest);

            // Assess
            await expect(act).rejects.toBeInstanceOf(InvalidInputError);
          },
        );
      });
    });
  });
}
