import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dynamoDocumentClient } from '../adapters/aws/dynamo-client.js';
import { S3Advisories } from '../adapters/scan/s3-advisories.js';
import { DynamoAdvisoryIndex } from '../adapters/store/dynamo-advisory-index.js';
import { awsWiring } from './aws-deps.js';
import { serveOps } from './ops-http.js';
import { OPS_WRITE, type OpsWriteDeps } from './ops-write-routes.js';
import { documents } from './wiring/documents.js';
import { env } from './wiring/env.js';
import { notifier, outcomes } from './wiring/notifications.js';
import { recollection } from './wiring/recollection.js';
import { registry } from './wiring/registry.js';
import { starter, taskTokens } from './wiring/step-functions.js';
import { store } from './wiring/store.js';

// Rollback and release re-verify the target: the collect-evidence function collects its evidence
// again (recollection), this one matches the stored SBOM against today's advisories. Release
// starts a gate execution; rollback and release copy to production (registry).
const awsDeps = awsWiring(store, documents, registry, recollection, taskTokens, starter, notifier, outcomes);

let cached: Promise<OpsWriteDeps> | undefined;

/** The AWS wiring, built once per container: the gate's ports and the bucket's advisories. */
function opsDeps(): Promise<OpsWriteDeps> {
  cached ??= awsDeps().then(({ gate, starter }) => {
    // Re-verification (rollback, release) matches the stored SBOM against the records under the
    // bucket's advisories/ prefix too, next to Inspector's current findings: what re-validation
    // alerts on must also refuse a rollback to an affected target.
    // Only the records the advisory index points to for the target's packages are read, plus every
    // record it does not cover yet (osv/advisory-index.ts), so the cost follows the target.
    const advisories = new S3Advisories({
      client: new S3Client({ region: env('AWS_REGION') }),
      bucket: env('BUCKET_NAME'),
    });
    const index = new DynamoAdvisoryIndex({
      client: dynamoDocumentClient(new DynamoDBClient({ region: env('AWS_REGION') })),
      tableName: env('TABLE_NAME'),
    });
    return {
      gate,
      starter,
      advisories: advisories.sourceWith(index),
      advisoriesWithScans: true,
    };
  });
  return cached;
}

const api = serveOps(OPS_WRITE, opsDeps);

/** The ops API's incident routes, `/cli/incident/…` (IAM authorization on each; infra/constructs/ops-api.ts). */
export const handler = (event: APIGatewayProxyEventV2) => api(event);
