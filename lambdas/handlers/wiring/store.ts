import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoDocumentClient } from '../../adapters/aws/dynamo-client.js';
import { DynamoReleaseStore } from '../../adapters/store/dynamo-release-store.js';
import type { Concern } from '../aws-deps.js';
import { env } from './env.js';

/** The release store: the DynamoDB table TABLE_NAME. */
export const store: Concern = {
  provides: ['store'],
  build: ({ region }) => ({
    store: new DynamoReleaseStore({
      client: dynamoDocumentClient(new DynamoDBClient({ region })),
      tableName: env('TABLE_NAME'),
    }),
  }),
};
