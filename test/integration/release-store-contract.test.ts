/**
 * One ReleaseStore contract (test/support/contracts/release-store.contract.ts), run against every
 * adapter: DynamoReleaseStore on a real dynalite through the AWS SDK v3 document client (a fresh
 * table per test, so listings start empty), and MemoryStore, which the preflight runs on.
 */
import { afterAll, beforeAll } from 'vitest';
import { ensureTableAndBucket, type StandIns, startStandIns } from '../../cli/local/stand-ins.js';
import { type AwsClients, awsClients } from '../../lambdas/adapters/aws/clients.js';
import { DynamoReleaseStore } from '../../lambdas/adapters/store/dynamo-release-store.js';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { describeReleaseStoreContract } from '../support/contracts/release-store.contract.js';

let standIns: StandIns;
let clients: AwsClients;
let tables = 0;

beforeAll(async () => {
  standIns = await startStandIns({});
  clients = awsClients({ endpoints: { dynamodb: standIns.dynamoEndpoint, s3: standIns.s3Endpoint } });
});

afterAll(async () => {
  clients?.dynamodb.destroy();
  clients?.s3.destroy();
  await standIns?.stop();
});

describeReleaseStoreContract('DynamoReleaseStore on dynalite', async () => {
  tables += 1;
  const tableName = `contract-${tables}`;
  await ensureTableAndBucket(clients, tableName, standIns.bucket);
  return new DynamoReleaseStore({ client: clients.dynamoDocument, tableName });
});

describeReleaseStoreContract('MemoryStore', async () => new MemoryStore());
