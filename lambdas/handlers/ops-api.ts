import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { S3Advisories } from '../adapters/scan/s3-advisories.js';
import { documentUri } from '../adapters/store/s3-document-store.js';
import { ConfigError } from '../domain/errors.js';
import { awsWiring } from './aws-deps.js';
import { makeHandler, type OpsDeps } from './cli-ops.js';
import { documents } from './wiring/documents.js';
import { inspectorSboms } from './wiring/inspector.js';
import { notifier, outcomes } from './wiring/notifications.js';
import { registry } from './wiring/registry.js';
import { revocation } from './wiring/revocation.js';
import { starter, taskTokens } from './wiring/step-functions.js';
import { store } from './wiring/store.js';
import { trustedRoots } from './wiring/trusted-roots.js';

// Rollback and release re-verify the target as CollectEvidence does; release starts a gate execution.
const awsDeps = awsWiring(
  store,
  documents,
  registry,
  revocation,
  inspectorSboms,
  taskTokens,
  starter,
  notifier,
  outcomes,
  trustedRoots,
);

let cached: Promise<OpsDeps> | undefined;

/** The AWS wiring, built once per container: the gate's ports, and the evidence bucket the reports are stored in. */
function opsDeps(): Promise<OpsDeps> {
  cached ??= buildOpsDeps();
  return cached;
}

async function buildOpsDeps(): Promise<OpsDeps> {
  const bucket = process.env.BUCKET_NAME;
  if (bucket === undefined || bucket === '') throw new ConfigError('environment variable BUCKET_NAME is not set');
  const { gate, starter } = await awsDeps();
  // Re-verification (rollback, release) matches the stored SBOM against the records under the
  // bucket's advisories/ prefix too, next to Inspector's current findings: what re-validation
  // alerts on must also refuse a rollback to an affected target.
  const region = process.env.AWS_REGION;
  if (region === undefined || region === '') throw new ConfigError('environment variable AWS_REGION is not set');
  const advisories = new S3Advisories({ client: new S3Client({ region }), bucket });
  return {
    gate,
    starter,
    documentUri: (document) => documentUri(bucket, document),
    advisories: () => advisories.all(),
    advisoriesWithScans: true,
  };
}

const api = makeHandler(opsDeps);

/** The ops API's routes (IAM authorization on each; infra/constructs/ops-api.ts). */
export const handler = (event: APIGatewayProxyEventV2) => api(event);
