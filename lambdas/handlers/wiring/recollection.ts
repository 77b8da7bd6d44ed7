import { LambdaClient } from '@aws-sdk/client-lambda';
import { LambdaRecollector } from '../../adapters/aws/lambda-recollector.js';
import type { Concern } from '../aws-deps.js';
import { env } from './env.js';

/**
 * Re-verification's collectors (ops-write): the collect-evidence function
 * (COLLECT_EVIDENCE_FUNCTION_NAME), invoked with a recollect request.
 */
export const recollection: Concern = {
  provides: ['recollector'],
  build: ({ region }) => ({
    recollector: new LambdaRecollector({
      client: new LambdaClient({ region }),
      functionName: env('COLLECT_EVIDENCE_FUNCTION_NAME'),
    }),
  }),
};
