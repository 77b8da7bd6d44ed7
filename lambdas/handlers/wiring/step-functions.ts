import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnExecutionStarter, SfnTaskTokens } from '../../adapters/sfn/aws-sfn.js';
import type { Concern, Wiring } from '../aws-deps.js';
import { env } from './env.js';

const sfnClient = ({ region, shared }: Wiring): SFNClient => shared('sfn', () => new SFNClient({ region }));

/** Task tokens of the gate's `.waitForTaskToken` states. */
export const taskTokens: Concern = {
  provides: ['tokens'],
  build: (wiring) => ({ tokens: new SfnTaskTokens({ client: sfnClient(wiring) }) }),
};

/** Starts executions of the gate's state machine (STATE_MACHINE_ARN). */
export const starter: Concern = {
  provides: ['starter'],
  build: (wiring) => ({
    starter: new SfnExecutionStarter({ client: sfnClient(wiring), stateMachineArn: env('STATE_MACHINE_ARN') }),
  }),
};
