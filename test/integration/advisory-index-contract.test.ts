/**
 * One AdvisoryIndex contract (test/support/contracts/advisory-index.contract.ts), run against
 * DynamoAdvisoryIndex on a real dynalite (a fresh table per test) and MemoryAdvisoryIndex.
 */
import { ensureTableAndBucket } from '../../cli/local/stand-ins.js';
import { DynamoAdvisoryIndex } from '../../lambdas/adapters/store/dynamo-advisory-index.js';
import { MemoryAdvisoryIndex } from '../../lambdas/adapters/store/memory-advisory-index.js';
import { describeAdvisoryIndexContract } from '../support/contracts/advisory-index.contract.js';
import { useStandIns } from '../support/stand-ins.js';

const aws = useStandIns();
let tables = 0;

describeAdvisoryIndexContract('DynamoAdvisoryIndex on dynalite', async () => {
  const { clients, standIns } = aws();
  tables += 1;
  const tableName = `advisory-index-${tables}`;
  await ensureTableAndBucket(clients, tableName, standIns.bucket);
  return new DynamoAdvisoryIndex({ client: clients.dynamoDocument, tableName });
});

describeAdvisoryIndexContract('MemoryAdvisoryIndex', async () => new MemoryAdvisoryIndex());
