import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { documentUri } from '../adapters/store/s3-document-store.js';
import { ConfigError } from '../domain/errors.js';
import { awsDeps } from './aws-deps.js';
import { makeHandler, type OpsDeps } from './cli-ops.js';

/** The AWS wiring: the gate's ports, and the evidence bucket the reports are stored in. */
async function opsDeps(): Promise<OpsDeps> {
  const bucket = process.env.BUCKET_NAME;
  if (bucket === undefined || bucket === '') throw new ConfigError('environment variable BUCKET_NAME is not set');
  const { gate, starter } = await awsDeps();
  return { gate, starter, documentUri: (document) => documentUri(bucket, document) };
}

const api = makeHandler(opsDeps);

/** The ops API's routes (IAM authorization on each; infra/constructs/ops-api.ts). */
export const handler = (event: APIGatewayProxyEventV2) => api(event);
