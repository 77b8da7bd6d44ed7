/**
 * The gate's CloudFormation stack as `release-gate … --stack NAME` reads it: a real
 * CloudFormationClient whose DescribeStacks is answered in front of its middleware (aws-stubs.ts)
 * with the answer's shape from the API reference (the one AWS call of the CLI with no stand-in).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
 */
import {
  CloudFormationClient,
  CloudFormationServiceException,
  type DescribeStacksCommandInput,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import type { AwsCredentials } from '../../cli/commands/signed-request.js';
import { type GateResolver, resolveGate } from '../../cli/commands/stack.js';
import { CLI_STACK_OUTPUTS, opsRoutesOutput } from '../../lambdas/handlers/ops-routes.js';
import { STUB_CREDENTIALS, stubSend } from './aws-stubs.js';

export const STACK_NAME = 'release-gate';
export const STACK_ACCOUNT = '123456789012';

/** The outputs a deployment of this version has, for a gate served at `apiUrl`. */
export const gateOutputs = (apiUrl: string): Record<string, string> => ({
  [CLI_STACK_OUTPUTS.apiUrl]: apiUrl,
  [CLI_STACK_OUTPUTS.opsRoutes]: opsRoutesOutput(),
  OpsReadInvokeArn: `arn:aws:execute-api:eu-west-1:${STACK_ACCOUNT}:a1b2c3d4e5/$default/*/cli/query/*`,
});

export interface StackAnswer {
  readonly outputs?: Record<string, string>;
  /** @default 'UPDATE_COMPLETE' */
  readonly status?: string;
  /** @default - the stack exists */
  readonly missing?: boolean;
  /** What DescribeStacks throws instead (no permission, no credentials). */
  readonly error?: Error;
}

/** A CloudFormation client (for `region`) answering DescribeStacks as AWS does for one stack. */
export function stubbedCloudFormation(answer: StackAnswer, region = 'eu-west-1') {
  const client = new CloudFormationClient({ region, credentials: STUB_CREDENTIALS });
  const calls = stubSend<DescribeStacksCommandInput, DescribeStacksCommandOutput>(client, (command, input) => {
    if (command !== 'DescribeStacksCommand') return new Error(`unexpected ${command}`);
    if (answer.error !== undefined) return answer.error;
    if (
      answer.missing === true ||
      (input.StackName !== STACK_NAME && !input.StackName?.includes(`:stack/${STACK_NAME}/`))
    )
      // What CloudFormation answers for a stack that does not exist (HTTP 400, code ValidationError).
      return new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        message: `Stack with id ${input.StackName} does not exist`,
        $metadata: { httpStatusCode: 400 },
      });
    return {
      $metadata: { httpStatusCode: 200 },
      Stacks: [
        {
          StackId: `arn:aws:cloudformation:${region}:${STACK_ACCOUNT}:stack/${STACK_NAME}/466df9e0-0dff-08e3-8e2f-5088487c4896`,
          StackName: STACK_NAME,
          Description: 'release-gate',
          CreationTime: new Date('2026-11-02T10:00:00Z'),
          LastUpdatedTime: new Date('2026-12-01T09:30:00Z'),
          StackStatus: (answer.status ?? 'UPDATE_COMPLETE') as 'UPDATE_COMPLETE',
          DisableRollback: false,
          NotificationARNs: [],
          Capabilities: ['CAPABILITY_IAM'],
          Tags: [],
          EnableTerminationProtection: false,
          DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
          Outputs: Object.entries(answer.outputs ?? {}).map(([OutputKey, OutputValue]) => ({
            OutputKey,
            OutputValue,
            Description: `the ${OutputKey} output`,
          })),
        },
      ],
    };
  });
  return { client, calls };
}

/**
 * The CLI's resolver with the stubbed stack and `credentials` (the caller's): everything after the
 * outputs (signing, the API, its handlers) is real. Records the regions clients were made for.
 */
export function stackResolver(
  client: CloudFormationClient,
  credentials: AwsCredentials,
  env: NodeJS.ProcessEnv = { AWS_REGION: 'eu-west-1' },
): GateResolver & { regions: (string | undefined)[] } {
  const regions: (string | undefined)[] = [];
  const resolve: GateResolver = (where, needs) =>
    resolveGate(where, needs, {
      env,
      credentials,
      cloudFormation: (region) => {
        regions.push(region);
        return client;
      },
    });
  return Object.assign(resolve, { regions });
}
