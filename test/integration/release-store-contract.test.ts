/**
 * One ReleaseStore contract (test/support/contracts/release-store.contract.ts), run against every
 * adapter: DynamoReleaseStore on a real dynalite through the AWS SDK v3 document client (a fresh
 * table per test, so listings start empty), and MemoryStore, which the preflight runs on.
 */
import { ensureTableAndBucket } from '../../cli/local/stand-ins.js';
import { DynamoReleaseStore } from '../../lambdas/adapters/store/dynamo-release-store.js';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { describeReleaseStoreContract } from '../support/contracts/release-store.contract.js';
import { useStandIns } from '../support/stand-ins.js';

const aws = useStandIns();
let tables = 0;

describeReleaseStoreContract('DynamoReleaseStore on dynalite', async (options = {}) => {
  const { clients, standIns } = aws();
  tables += 1;
  const tableName = `contract-${tables}`;
  await ensureTableAndBucket(clients, tableName, standIns.bucket);
  return new DynamoReleaseStore({ client: clients.dynamoDocument, tableName, ...options });
});

describeReleaseStoreContract('MemoryStore', async (options = {}) => new MemoryStore(options));
