/**
 * One DocumentStore contract (test/support/contracts/document-store.contract.ts), run against
 * every adapter: S3DocumentStore on a real s3rver through the AWS SDK v3 S3 client, and
 * MemoryStore, which the preflight runs on.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { type StandIns, startStandIns } from '../../cli/local/stand-ins.js';
import { type AwsClients, awsClients } from '../../lambdas/adapters/aws/clients.js';
import { S3DocumentStore } from '../../lambdas/adapters/store/s3-document-store.js';
import { describeDocumentStoreContract } from '../support/contracts/document-store.contract.js';
import { TestMemoryStore } from '../support/memory-store.js';

let standIns: StandIns;
let clients: AwsClients;

beforeAll(async () => {
  standIns = await startStandIns({});
  clients = awsClients({ endpoints: { dynamodb: standIns.dynamoEndpoint, s3: standIns.s3Endpoint } });
});

afterAll(async () => {
  clients?.dynamodb.destroy();
  clients?.s3.destroy();
  await standIns?.stop();
});

describeDocumentStoreContract('S3DocumentStore on s3rver', async () => ({
  store: new S3DocumentStore({ client: clients.s3, bucket: standIns.bucket }),
  tamper: async (digest, bytes) => {
    await clients.s3.send(
      new PutObjectCommand({ Bucket: standIns.bucket, Key: S3DocumentStore.keyOf(digest), Body: Buffer.from(bytes) }),
    );
  },
}));

describeDocumentStoreContract('MemoryStore', async () => {
  const store = new TestMemoryStore();
  return { store, tamper: async (digest, bytes) => store.corrupt(digest, bytes) };
});
