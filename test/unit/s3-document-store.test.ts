/**
 * S3DocumentStore paths that s3rver cannot produce: s3rver ignores `If-None-Match: *` on PUT, so a
 * lost conditional write (HTTP 412 PreconditionFailed) never happens against the stand-in. Here the
 * real S3Client runs with a request handler that answers like S3 does (status codes and XML error
 * bodies per the S3 API reference, "Conditional writes"); everything else is covered against
 * s3rver in test/integration/s3-document-store.test.ts.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3DocumentStore } from '../../lambdas/adapters/store/s3-document-store.js';
import { ConflictError } from '../../lambdas/domain/errors.js';
import { sha256 } from '../support/digest.js';

interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly bodyIsBuffer: boolean;
}

interface FakeResponse {
  readonly statusCode: number;
  readonly body?: string | Uint8Array;
}

const PRECONDITION_FAILED = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>`;

/** A real S3Client whose HTTP layer is `answer` (one response per request, by method). */
function s3With(answer: Record<string, FakeResponse>) {
  const seen: SeenRequest[] = [];
  const client = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      handle: async (request: { method: string; path: string; headers: Record<string, string>; body?: unknown }) => {
        seen.push({
          method: request.method,
          path: request.path,
          headers: request.headers,
          bodyIsBuffer: Buffer.isBuffer(request.body),
        });
        const reply = answer[request.method] ?? { statusCode: 500 };
        const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(reply.body);
        return {
          response: {
            statusCode: reply.statusCode,
            headers: {
              'content-length': String(request.method === 'HEAD' ? 0 : body.byteLength),
              'content-type': reply.statusCode >= 300 ? 'application/xml' : 'application/octet-stream',
            },
            body: Readable.from(request.method === 'HEAD' ? [] : [body]),
          },
        };
      },
    },
  });
  return { client, seen };
}

/**
 * A store whose conditional PUT loses the race (HEAD 404, PUT 412) to a writer who stored `stored`,
 * which the following GET returns.
 */
function lostRaceTo(stored: string | Uint8Array) {
  const { client, seen } = s3With({
    HEAD: { statusCode: 404 },
    PUT: { statusCode: 412, body: PRECONDITION_FAILED },
    GET: { statusCode: 200, body: stored },
  });
  return { docs: new S3DocumentStore({ client, bucket: 'evidence' }), seen };
}

describe('Class: S3DocumentStore', () => {
  describe('Method: put', () => {
    describe('when a concurrent writer stored the same bytes first (412)', () => {
      it('treats the lost conditional write as success after checking the content', async () => {
        // Prepare
        const bytes = new TextEncoder().encode('same content');
        const { docs, seen } = lostRaceTo(bytes);

        // Act
        const digest = await docs.put(bytes, 'text/plain');

        // Assess
        expect(digest).toBe(sha256(bytes));
        expect(seen.map((r) => r.method)).toEqual(['HEAD', 'PUT', 'GET']);
        const put = seen[1];
        expect(put?.headers['if-none-match']).toBe('*');
        expect(put?.headers['x-amz-checksum-sha256']).toBe(createHash('sha256').update(bytes).digest('base64'));
        expect(put?.bodyIsBuffer).toBe(true);
      });
    });

    describe('when the object a concurrent writer stored has other bytes', () => {
      it('throws DIGEST_MISMATCH', async () => {
        // Prepare
        const { docs } = lostRaceTo('other bytes');

        // Act
        const act = docs.put(new TextEncoder().encode('mine'), 'text/plain');

        // Assess
        await expect(act).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      });
    });
  });

  describe('Method: putObject', () => {
    describe('when a concurrent writer stored different content under the key (412)', () => {
      it('throws ConflictError', async () => {
        // Prepare
        const { docs } = lostRaceTo('{"decision":"PASS"}');

        // Act
        const act = docs.putObject(
          'decisions/x.json',
          new TextEncoder().encode('{"decision":"BLOCK"}'),
          'application/json',
        );

        // Assess
        await expect(act).rejects.toBeInstanceOf(ConflictError);
      });
    });
  });
});
