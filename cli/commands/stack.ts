/**
 * Where the gate on AWS is, for every `--aws` command: `--api-url URL`, or `--stack NAME` (the
 * CloudFormation stack's outputs, read with the caller's own credentials), or the environment
 * (RELEASE_GATE_API_URL, then RELEASE_GATE_STACK). `--stack` implies `--aws`. A stack that lacks
 * outputs the CLI needs is refused with every missing output named in one error and the fix.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { z } from 'zod';
import { ConfigError, describeError } from '../../lambdas/domain/errors.js';
import { CLI_STACK_OUTPUTS, type OpsRouteName } from '../../lambdas/handlers/ops-routes.js';
import { LOCATION_USAGE } from '../help-text.js';
import { API_URL_ENV, type AwsApiTarget, type AwsCredentials, resolveApiUrl } from './signed-request.js';

export { LOCATION_USAGE };

/** The environment variable naming the gate's CloudFormation stack (a name or a stack ARN). */
export const STACK_ENV = 'RELEASE_GATE_STACK';

/** Where the gate is, as the command line gave it. */
export interface GateLocation {
  /** `--api-url URL` */
  readonly apiUrl?: string;
  /** `--stack NAME` */
  readonly stack?: string;
}

/** What a command needs from the gate's deployment. */
export interface GateNeeds {
  /** The ops route the command calls (checked against the stack's `OpsApiRoutes`). */
  readonly route?: OpsRouteName;
}

/** Resolves where the gate is and how to sign for it. */
export type GateResolver = (where: GateLocation, needs: GateNeeds) => Promise<AwsApiTarget>;

export interface GateResolverDeps {
  readonly env: NodeJS.ProcessEnv;
  /** The caller's credentials: they read the stack and sign every request. */
  readonly credentials: AwsCredentials | (() => Promise<AwsCredentials>);
  /** A CloudFormation client for `region` (undefined: the SDK's own region resolution). */
  readonly cloudFormation: (region: string | undefined) => CloudFormationClient;
}

/** Options every `--aws` command takes to name the gate (node:util parseArgs). */
export const LOCATION_OPTIONS = {
  'api-url': { type: 'string' },
  stack: { type: 'string' },
} as const;

/** `--stack` implies `--aws`: whether `args` ask for the gate on AWS. */
export const wantsAws = (args: readonly string[]): boolean =>
  args.some((a) => a === '--aws' || a === '--stack' || a.startsWith('--stack='));

/** The location `--api-url`/`--stack` give (undefined values left out). */
export function locationOf(values: { 'api-url'?: string | undefined; stack?: string | undefined }): GateLocation {
  return {
    ...(values['api-url'] === undefined ? {} : { apiUrl: values['api-url'] }),
    ...(values.stack === undefined ? {} : { stack: values.stack }),
  };
}

/**
 * DescribeStacks' answer, the part read here.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
 */
const StackSchema = z.object({
  StackName: z.string(),
  StackStatus: z.string(),
  Outputs: z.array(z.object({ OutputKey: z.string().optional(), OutputValue: z.string().optional() })).optional(),
});

/**
 * Stack states whose outputs do not describe a working gate: being created, failed or rolled back
 * on creation, being deleted. An update in progress still serves the previous deployment.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes
 */
const NOT_SERVING = /^(CREATE_IN_PROGRESS|CREATE_FAILED|ROLLBACK_.*|DELETE_.*|REVIEW_IN_PROGRESS)$/;

/** The region of a stack ARN (`arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>`). */
const regionOfStackArn = (stack: string): string | undefined =>
  /^arn:aws[a-z-]*:cloudformation:([a-z0-9-]+):\d{12}:stack\//.exec(stack)?.[1];

/** The outputs of `stack` (name or ARN), read with DescribeStacks. Throws ConfigError naming the fix. */
export async function readStackOutputs(
  stack: string,
  deps: Pick<GateResolverDeps, 'cloudFormation'>,
): Promise<{ readonly name: string; readonly outputs: ReadonlyMap<string, string> }> {
  let answer: unknown;
  try {
    const client = deps.cloudFormation(regionOfStackArn(stack));
    // Loaded when a stack is read, not when the CLI starts (every command would pay for it).
    const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
    answer = await client.send(new DescribeStacksCommand({ StackName: stack }));
  } catch (err) {
    const message = describeError(err);
    throw new ConfigError(`cannot read stack ${stack}: ${message}: ${readFailureFix(err, message)}`, { cause: err });
  }
  const parsed = z.object({ Stacks: z.array(StackSchema).optional() }).safeParse(answer);
  const found = parsed.success ? parsed.data.Stacks?.[0] : undefined;
  if (found === undefined) throw new ConfigError(`cannot read stack ${stack}: DescribeStacks named no stack`);
  if (NOT_SERVING.test(found.StackStatus)) {
    throw new ConfigError(`stack ${found.StackName} is ${found.StackStatus}: no gate to talk to; deploy it first`);
  }
  const outputs = new Map<string, string>();
  for (const o of found.Outputs ?? []) {
    if (o.OutputKey !== undefined && o.OutputValue !== undefined) outputs.set(o.OutputKey, o.OutputValue);
  }
  return { name: found.StackName, outputs };
}

/** What to do when DescribeStacks failed, from the SDK's error name and message. */
function readFailureFix(err: unknown, message: string): string {
  const name = err instanceof Error ? err.name : '';
  if (/region is missing/i.test(message)) return 'set AWS_REGION to the stack’s region (or give the stack ARN)';
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message))
    return 'sign in: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws sso login';
  if (/does not exist/i.test(message))
    return `check the name and AWS_REGION (${STACK_ENV} or --stack takes the stack name or ARN)`;
  if (/AccessDenied|not authorized/i.test(`${name} ${message}`))
    return 'your credentials need cloudformation:DescribeStacks on the stack (or give --api-url URL)';
  return 'DescribeStacks failed; retry, or give --api-url URL';
}

/**
 * The API URL a stack's outputs give, once every output the command needs is there: all missing
 * outputs are named in one error, and a route the deployment predates too, with the fix.
 */
export function apiUrlFromOutputs(name: string, outputs: ReadonlyMap<string, string>, needs: GateNeeds): string {
  const required = [CLI_STACK_OUTPUTS.apiUrl, ...(needs.route === undefined ? [] : [CLI_STACK_OUTPUTS.opsRoutes])];
  const missing = required.filter((key) => (outputs.get(key) ?? '') === '');
  if (missing.length > 0) {
    throw new ConfigError(
      `stack ${name} has no output ${missing.join(', ')}: it is not a release gate stack, or was deployed by an older version; deploy this version (npx cdk deploy), or give --api-url URL`,
    );
  }
  const routes = (outputs.get(CLI_STACK_OUTPUTS.opsRoutes) ?? '').split(/\s+/);
  if (needs.route !== undefined && !routes.includes(needs.route)) {
    throw new ConfigError(
      `stack ${name} does not serve the ${needs.route} route yet (its ${CLI_STACK_OUTPUTS.opsRoutes}: ${routes.join(' ')}): deploy this version (npx cdk deploy)`,
    );
  }
  return outputs.get(CLI_STACK_OUTPUTS.apiUrl) ?? '';
}

/**
 * The gate's API and how to sign for it: `--api-url` or `--stack` (not both), else
 * RELEASE_GATE_API_URL, else RELEASE_GATE_STACK. Throws ConfigError naming what to set.
 */
export async function resolveGate(
  where: GateLocation,
  needs: GateNeeds,
  deps: GateResolverDeps,
): Promise<AwsApiTarget> {
  if (where.apiUrl !== undefined && where.stack !== undefined) {
    throw new ConfigError('--api-url and --stack: give one of them');
  }
  const env = (name: string) => ((deps.env[name] ?? '') === '' ? undefined : deps.env[name]);
  // An API URL in the environment wins over a stack in the environment: it names the gate directly.
  const stack =
    where.apiUrl === undefined ? (where.stack ?? (env(API_URL_ENV) ? undefined : env(STACK_ENV))) : undefined;
  const apiUrl =
    stack === undefined
      ? (where.apiUrl ?? env(API_URL_ENV))
      : await readStackOutputs(stack, deps).then((s) => apiUrlFromOutputs(s.name, s.outputs, needs));
  if (apiUrl === undefined) {
    throw new ConfigError(
      `--aws needs the gate: --stack NAME or ${STACK_ENV} (its CloudFormation stack), or --api-url URL or ${API_URL_ENV} (the stack output ${CLI_STACK_OUTPUTS.apiUrl})`,
    );
  }
  return { ...resolveApiUrl(apiUrl, deps.env), credentials: deps.credentials };
}

/** The resolver the CLI uses: the default credential chain and a real CloudFormation client. */
export const defaultGateResolver: GateResolver = async (where, needs) => {
  // Loaded on the first AWS call, not when the CLI starts.
  const [{ CloudFormationClient }, { defaultProvider }] = await Promise.all([
    import('@aws-sdk/client-cloudformation'),
    import('@aws-sdk/credential-provider-node'),
  ]);
  const credentials = defaultProvider();
  return resolveGate(where, needs, {
    env: process.env,
    credentials,
    cloudFormation: (region) => new CloudFormationClient({ credentials, ...(region === undefined ? {} : { region }) }),
  });
};
