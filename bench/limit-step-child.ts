/**
 * Child process of the limit bench's per-Lambda figures: one evidence kind of one release
 * (`<layout> <policy.yaml> <digest> <kind> <dynamodb endpoint> <s3 endpoint> <table> <bucket>`),
 * collected as the CollectEvidence Lambda collects it (collectEvidence, what its handler calls),
 * alone in a fresh process, with the release store and the document store on DynamoDB and S3 stand-ins
 * in the parent process through the same adapters and SDK clients the Lambda uses. Only the registry
 * differs (an OCI layout for ECR). Prints `{maxRssBytes, wallMs, status}` as its last line.
 */
import '../cli/local/quiet-logs.js';
import { readFile } from 'node:fs/promises';
import { awsClients } from '../lambdas/adapters/aws/clients.js';
import { OciLayoutRegistry } from '../lambdas/adapters/registry/oci-layout.js';
import { DynamoReleaseStore } from '../lambdas/adapters/store/dynamo-release-store.js';
import { S3DocumentStore } from '../lambdas/adapters/store/s3-document-store.js';
import { loadPolicy } from '../lambdas/domain/policy/load.js';
import { CollectedKindSchema, DigestSchema } from '../lambdas/domain/types.js';
import { collectEvidence } from '../lambdas/domain/workflow/collect-evidence.js';
import { cleanScan, REPOSITORY, STAGE } from './gate-once.js';
import { peakRssBytes } from './peak-rss.js';

async function main(): Promise<void> {
  const [root, policyFile, digestText, kindText, dynamodb, s3, tableName, bucket] = process.argv.slice(2);
  if (root === undefined || policyFile === undefined || tableName === undefined || bucket === undefined) {
    throw new Error('usage: limit-step-child <layout> <policy> <digest> <kind> <dynamodb> <s3> <table> <bucket>');
  }
  const digest = DigestSchema.parse(digestText);
  const kind = CollectedKindSchema.parse(kindText);
  const policy = loadPolicy(new Uint8Array(await readFile(policyFile)));
  const clients = awsClients({ endpoints: { dynamodb, s3 } });
  const t0 = performance.now();
  const summary = await collectEvidence(
    {
      registry: new OciLayoutRegistry({ root }),
      policy,
      store: new DynamoReleaseStore({ client: clients.dynamoDocument, tableName }),
      documents: new S3DocumentStore({ client: clients.s3, bucket }),
      scans: cleanScan,
      clock: { now: () => new Date() },
    },
    { repository: REPOSITORY, digest, stage: STAGE, kind },
  );
  process.stdout.write(
    `${JSON.stringify({
      wallMs: performance.now() - t0,
      maxRssBytes: peakRssBytes(),
      status: summary.status,
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`limit-step-child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
