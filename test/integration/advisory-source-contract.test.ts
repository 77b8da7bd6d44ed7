/**
 * One AdvisorySource contract (test/support/contracts/advisory-source.contract.ts), run against
 * the advisories folder on disk and the bucket's prefix on s3rver read through the advisory index
 * on dynalite (a fresh prefix and table per test).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ensureTableAndBucket } from '../../cli/local/stand-ins.js';
import { folderAdvisorySource } from '../../lambdas/adapters/scan/advisories-folder.js';
import { S3Advisories } from '../../lambdas/adapters/scan/s3-advisories.js';
import { DynamoAdvisoryIndex } from '../../lambdas/adapters/store/dynamo-advisory-index.js';
import { describeAdvisorySourceContract } from '../support/contracts/advisory-source.contract.js';
import { useStandIns } from '../support/stand-ins.js';

const aws = useStandIns();
let prefixes = 0;

describeAdvisorySourceContract('advisories folder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rg-advisory-source-'));
  return {
    source: folderAdvisorySource(dir),
    write: async (name, body) => {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), body);
    },
    remove: (name) => rm(join(dir, name)),
    settle: async () => {},
  };
});

describeAdvisorySourceContract('advisories/ on s3rver through the index on dynalite', async () => {
  const { clients, standIns } = aws();
  prefixes += 1;
  const prefix = `advisories-source-${prefixes}/`;
  const tableName = `advisory-source-${prefixes}`;
  await ensureTableAndBucket(clients, tableName, standIns.bucket);
  const advisories = new S3Advisories({ client: clients.s3, bucket: standIns.bucket, prefix });
  const index = new DynamoAdvisoryIndex({ client: clients.dynamoDocument, tableName });
  return {
    source: advisories.sourceWith(index),
    write: async (name, body) => {
      await clients.s3.send(new PutObjectCommand({ Bucket: standIns.bucket, Key: `${prefix}${name}`, Body: body }));
    },
    remove: async (name) => {
      await clients.s3.send(new DeleteObjectCommand({ Bucket: standIns.bucket, Key: `${prefix}${name}` }));
    },
    settle: async () => {
      await advisories.reconcile(index, 1000);
    },
  };
});
