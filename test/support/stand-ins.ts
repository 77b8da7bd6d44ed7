/**
 * The AWS stand-ins (dynalite and s3rver on ephemeral ports, cli/local/stand-ins.ts) and real SDK
 * clients pointed at them, started before the tests of a file and stopped after them.
 */
import { afterAll, beforeAll } from 'vitest';
import { type StandIns, startStandIns } from '../../cli/local/stand-ins.js';
import { type AwsClients, awsClients } from '../../lambdas/adapters/aws/clients.js';

export interface RunningStandIns {
  readonly standIns: StandIns;
  readonly clients: AwsClients;
}

/** Starts the stand-ins in `beforeAll` and stops them in `afterAll`; the function gives the running ones. */
export function useStandIns(): () => RunningStandIns {
  let running: RunningStandIns | undefined;
  beforeAll(async () => {
    const standIns = await startStandIns({});
    running = {
      standIns,
      clients: awsClients({ endpoints: { dynamodb: standIns.dynamoEndpoint, s3: standIns.s3Endpoint } }),
    };
  });
  afterAll(async () => {
    running?.clients.dynamodb.destroy();
    running?.clients.s3.destroy();
    await running?.standIns.stop();
  });
  return () => {
    if (running === undefined) throw new Error('the stand-ins are not started (use them inside a test or hook)');
    return running;
  };
}
