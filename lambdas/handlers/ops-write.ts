import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { S3Advisories } from '../adapters/scan/s3-advisories.js';
import { awsWiring } from './aws-deps.js';
import { serveOps } from './ops-http.js';
import { OPS_WRITE, type OpsWriteDeps } from './ops-write-routes.js';
import { documents } from './wiring/documents.js';
import { env } from './wiring/env.js';
import { notifier, outcomes } from './wiring/notifications.js';
import { registry } from './wiring/registry.js';
import { revocation } from './wiring/revocation.js';
import { starter, taskTokens } from './wiring/step-functions.js';
import { store } from './wiring/store.js';
import { trustedRoots } from './wiring/trusted-roots.js';

// Rollback and release re-verify the target as CollectEvidence does; release starts a gate execution.
// Re-verification collects no SBOM, so Inspector's SBOM export is not wired.
const awsDeps = awsWiring(
  store,
  documents,
  registry,
  revocation,
  taskTokens,
  starter,
  notifier,
  outcomes,
  trustedRoots,
);

let cached: Promise<OpsWriteDeps> | undefined;

/** The AWS wiring, built once per container: the gate's ports and the bucket's advisories. */
function opsDeps(): Promise<OpsWriteDeps> {
  cached ??= awsDeps().then(({ gate, starter }) => {
    // Re-verification (rollback, release) matches the stored SBOM against the records under the
    // bucket's advisories/ prefix too, next to Inspector's current findings: what re-validation
    // alerts on must also refuse a rollback to an affected target.
    const advisories = new S3Advisories({
      client: new S3Client({ region: env('AWS_REGION') }),
      bucket: env('BUCKET_NAME'),
    });
    return { gate, starter, advisories: () => advisories.all(), advisoriesWithScans: true };
  });
  return cached;
}

const api = serveOps(OPS_WRITE, opsDeps);

/** The ops API's incident routes, `/cli/incident/…` (IAM authorization on each; infra/constructs/ops-api.ts). */
export const handler = (event: APIGatewayProxyEventV2) => api(event);
