/**
 * An S3 client on the stand-ins that counts the GetObject requests it sends (an SDK middleware):
 * how many advisory records a read fetched.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { awsClients } from '../../lambdas/adapters/aws/clients.js';

export function countingS3(standIns: { readonly dynamoEndpoint: string; readonly s3Endpoint: string }): {
  readonly client: S3Client;
  readonly gets: () => number;
} {
  const { s3: client } = awsClients({ endpoints: { dynamodb: standIns.dynamoEndpoint, s3: standIns.s3Endpoint } });
  let gets = 0;
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'GetObjectCommand') gets += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countGets' },
  );
  return { client, gets: () => gets };
}
