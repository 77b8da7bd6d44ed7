/**
 * One DocumentStore contract (test/support/contracts/document-store.contract.ts), run against
 * every adapter: S3DocumentStore on a real s3rver through the AWS SDK v3 S3 client, and
 * MemoryStore, which the preflight runs on.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { S3DocumentStore } from '../../lambdas/adapters/store/s3-document-store.js';
import { describeDocumentStoreContract } from '../support/contracts/document-store.contract.js';
import { TestMemoryStore } from '../support/memory-store.js';
import { useStandIns } from '../support/stand-ins.js';

const aws = useStandIns();

describeDocumentStoreContract('S3DocumentStore on s3rver', async () => {
  const { clients, standIns } = aws();
  return {
    store: new S3DocumentStore({ client: clients.s3, bucket: standIns.bucket }),
    tamper: async (digest, bytes) => {
      const key = S3DocumentStore.keyOf(digest);
      await clients.s3.send(new PutObjectCommand({ Bucket: standIns.bucket, Key: key, Body: Buffer.from(bytes) }));
    },
  };
});

describeDocumentStoreContract('MemoryStore', async () => {
  const store = new TestMemoryStore();
  return { store, tamper: async (digest, bytes) => store.corrupt(digest, bytes) };
});
