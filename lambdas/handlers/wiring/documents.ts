import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../adapters/aws/s3-client.js';
import { S3DocumentStore } from '../../adapters/store/s3-document-store.js';
import type { Concern, Wiring } from '../aws-deps.js';
import { env } from './env.js';

/** The evidence bucket's S3 client, shared by the concerns that read it. */
export const evidenceS3 = (wiring: Wiring): S3Client => wiring.shared('s3', () => s3Client({ region: wiring.region }));

/** The document store on the evidence bucket (BUCKET_NAME). */
export const documentStore = (wiring: Wiring): S3DocumentStore =>
  wiring.shared('documents', () => new S3DocumentStore({ client: evidenceS3(wiring), bucket: env('BUCKET_NAME') }));

/** Content-addressed evidence documents in the evidence bucket. */
export const documents: Concern = {
  provides: ['documents'],
  build: (wiring) => ({ documents: documentStore(wiring) }),
};
