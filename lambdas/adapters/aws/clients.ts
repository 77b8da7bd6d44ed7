import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from './dynamo-client.js';
import { s3Client } from './s3-client.js';

/** Endpoint overrides, for the local stand-ins (dynalite, s3rver) or any other emulator. */
export interface AwsEndpoints {
  readonly dynamodb?: string;
  readonly s3?: string;
  readonly sfn?: string;
  readonly sns?: string;
  readonly eventBridge?: string;
}

export interface AwsClientsEnv {
  /**
   * @default - the SDK's own resolution (`AWS_REGION` in Lambda); `us-east-1` for a service with a
   * local endpoint
   */
  readonly region?: string;
  /** @default - the real AWS endpoints */
  readonly endpoints?: AwsEndpoints;
}

export interface AwsClients {
  /** Plain client, for table administration (CreateTable in the local stand-ins). */
  readonly dynamodb: DynamoDBClient;
  /** Document client for the release store: plain JS values, undefined attributes dropped. */
  readonly dynamoDocument: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sfn: SFNClient;
  readonly sns: SNSClient;
  readonly eventBridge: EventBridgeClient;
}

/**
 * Static credentials for local endpoints. dynalite accepts any; s3rver checks the access key
 * against its built-in account `S3RVER`/`S3RVER`.
 */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
const LOCAL_REGION = 'us-east-1';

/**
 * Builds the SDK clients the adapters take by injection, for the local stand-ins and tests (pass
 * their endpoints). The Lambdas build only the clients they use (lambdas/handlers/wiring/), so
 * that each bundle holds only its own SDK clients.
 */
export function awsClients(env: AwsClientsEnv = {}): AwsClients {
  const endpoints = env.endpoints ?? {};
  const config = (endpoint: string | undefined) =>
    endpoint === undefined
      ? { ...(env.region === undefined ? {} : { region: env.region }) }
      : { endpoint, region: env.region ?? LOCAL_REGION, credentials: LOCAL_CREDENTIALS };

  const dynamodb = new DynamoDBClient(config(endpoints.dynamodb));
  const dynamoDocument = dynamoDocumentClient(dynamodb);
  const s3 = s3Client(config(endpoints.s3), endpoints.s3 !== undefined);
  return {
    dynamodb,
    dynamoDocument,
    s3,
    sfn: new SFNClient(config(endpoints.sfn)),
    sns: new SNSClient(config(endpoints.sns)),
    eventBridge: new EventBridgeClient(config(endpoints.eventBridge)),
  };
}
