import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { documentUri } from '../adapters/store/s3-document-store.js';
import { awsWiring } from './aws-deps.js';
import { serveOps } from './ops-http.js';
import { OPS_READ, type OpsReadDeps } from './ops-read-routes.js';
import { documents } from './wiring/documents.js';
import { env } from './wiring/env.js';
import { store } from './wiring/store.js';

const awsDeps = awsWiring(store, documents);

let cached: Promise<OpsReadDeps> | undefined;

/** The AWS wiring, built once per container: the store, the documents and the bucket's name. */
function opsDeps(): Promise<OpsReadDeps> {
  cached ??= awsDeps().then(({ gate }) => {
    const bucket = env('BUCKET_NAME');
    return { gate, documentUri: (document: string) => documentUri(bucket, document) };
  });
  return cached;
}

const api = serveOps(OPS_READ, opsDeps);

/** The ops API's read routes, `/cli/query/…` (IAM authorization on each; infra/constructs/ops-api.ts). */
export const handler = (event: APIGatewayProxyEventV2) => api(event);
