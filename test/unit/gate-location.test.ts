/**
 * Where the gate on AWS is (cli/commands/stack.ts): `--stack NAME` or RELEASE_GATE_STACK read the
 * stack's outputs with the caller's credentials (DescribeStacks, answered in front of a real SDK
 * client's middleware); `--api-url` or RELEASE_GATE_API_URL name the API directly.
 */
import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { resolveGate, wantsAws } from '../../cli/commands/stack.js';
import { ConfigError } from '../../lambdas/domain/errors.js';
import { STUB_CREDENTIALS } from '../support/aws-stubs.js';
import { gateOutputs, STACK_NAME, stackResolver, stubbedCloudFormation } from '../support/cloudformation-stub.js';

const API_URL = 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/';

describe('Function: resolveGate', () => {
  describe('when --stack names a stack of this version', () => {
    it('reads its API URL with DescribeStacks and signs for the region in the URL', async () => {
      // Prepare
      const { client, calls } = stubbedCloudFormation({ outputs: gateOutputs(API_URL) });
      const resolve = stackResolver(client, STUB_CREDENTIALS, { AWS_REGION: 'us-east-1' });

      // Act
      const target = await resolve({ stack: STACK_NAME }, { route: 'status' });

      // Assess
      expect(target).toEqual({ apiUrl: API_URL, region: 'eu-west-1', credentials: STUB_CREDENTIALS });
      expect(calls).toEqual([{ command: 'DescribeStacksCommand', input: { StackName: STACK_NAME } }]);
      expect(resolve.regions).toEqual([undefined]);
    });

    it('asks the region of a stack ARN', async () => {
      // Prepare
      const { client } = stubbedCloudFormation({ outputs: gateOutputs(API_URL) }, 'ap-south-1');
      const resolve = stackResolver(client, STUB_CREDENTIALS);
      const arn = `arn:aws:cloudformation:ap-south-1:123456789012:stack/${STACK_NAME}/466df9e0`;

      // Act
      await resolve({ stack: arn }, {});

      // Assess
      expect(resolve.regions).toEqual(['ap-south-1']);
    });
  });

  describe('when the stack lacks outputs', () => {
    it('names every missing output in one error, with the fix', async () => {
      // Prepare
      const { client } = stubbedCloudFormation({ outputs: { EvidenceTableName: 'gate-table' } });

      // Act
      const act = stackResolver(client, STUB_CREDENTIALS)({ stack: STACK_NAME }, { route: 'triage' });

      // Assess
      await expect(act).rejects.toThrowWithCode(
        ConfigError,
        'CONFIG_ERROR',
        `stack ${STACK_NAME} has no output ApprovalApiUrl, OpsApiRoutes: it is not a release gate stack, or was deployed by an older version; deploy this version (npx cdk deploy), or give --api-url URL`,
      );
    });

    it('asks only ApprovalApiUrl of approve (no ops route)', async () => {
      // Prepare
      const { client } = stubbedCloudFormation({ outputs: { ApprovalApiUrl: API_URL } });

      // Act
      const target = await stackResolver(client, STUB_CREDENTIALS)({ stack: STACK_NAME }, {});

      // Assess
      expect(target.apiUrl).toBe(API_URL);
    });

    it('names a route the deployment predates', async () => {
      // Prepare
      const { client } = stubbedCloudFormation({
        outputs: { ...gateOutputs(API_URL), OpsApiRoutes: 'triage triageAdvisory explain report' },
      });

      // Act
      const act = stackResolver(client, STUB_CREDENTIALS)({ stack: STACK_NAME }, { route: 'status' });

      // Assess
      await expect(act).rejects.toThrowWithCode(
        ConfigError,
        'CONFIG_ERROR',
        /^stack release-gate does not serve the status route yet .*: deploy this version \(npx cdk deploy\)$/,
      );
    });
  });

  describe('when the stack cannot serve', () => {
    it('refuses a stack that does not exist, rolled back on creation, unreadable, or whose URL is not one', async () => {
      // Prepare: what the SDK throws without permission (HTTP 403) or without any credentials.
      const accessDenied = new CloudFormationServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        message: `User: arn:aws:iam::123456789012:user/dana is not authorized to perform: cloudformation:DescribeStacks`,
        $metadata: { httpStatusCode: 403 },
      });
      const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      });
      const resolveWith = (answer: Parameters<typeof stubbedCloudFormation>[0]) =>
        stackResolver(stubbedCloudFormation(answer).client, STUB_CREDENTIALS)({ stack: STACK_NAME }, {});

      // Act & Assess
      await expect(resolveWith({ missing: true })).rejects.toThrowWithCode(
        ConfigError,
        'CONFIG_ERROR',
        `cannot read stack ${STACK_NAME}: Stack with id ${STACK_NAME} does not exist: check the name and AWS_REGION (RELEASE_GATE_STACK or --stack takes the stack name or ARN)`,
      );
      await expect(resolveWith({ status: 'ROLLBACK_COMPLETE', outputs: gateOutputs(API_URL) })).rejects.toThrowWithCode(
        ConfigError,
        'CONFIG_ERROR',
        `stack ${STACK_NAME} is ROLLBACK_COMPLETE: no gate to talk to; deploy it first`,
      );
      await expect(resolveWith({ error: accessDenied })).rejects.toThrowWithCode(
        ConfigError,
        'CONFIG_ERROR',
        /: your credentials need cloudformation:DescribeStacks on the stack \(or give --api-url URL\)$/,
      );
      await expect(resolveWith({ error: noCredentials })).rejects.toThrowWithCode(
        ConfigError,
        'CONFIG_ERROR',
        /: sign in: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws sso login$/,
      );
      await expect(resolveWith({ outputs: { ApprovalApiUrl: 'not a url' } })).rejects.toThrowWithCode(
        ConfigError,
        'CONFIG_ERROR',
        /^not a URL: not a url/,
      );
    });
  });

  describe('when the location comes from flags and the environment', () => {
    it('takes --api-url or --stack (not both), then RELEASE_GATE_API_URL, then RELEASE_GATE_STACK', async () => {
      // Prepare
      const other = 'https://f6g7h8i9j0.execute-api.us-west-2.amazonaws.com/';
      const { client, calls } = stubbedCloudFormation({ outputs: gateOutputs(API_URL) });
      const deps = (env: NodeJS.ProcessEnv) => ({ env, credentials: STUB_CREDENTIALS, cloudFormation: () => client });

      // Act
      const flag = await resolveGate({ apiUrl: other }, {}, deps({ RELEASE_GATE_STACK: STACK_NAME }));
      const envUrl = await resolveGate({}, {}, deps({ RELEASE_GATE_STACK: STACK_NAME, RELEASE_GATE_API_URL: other }));
      const envStack = await resolveGate({}, {}, deps({ RELEASE_GATE_STACK: STACK_NAME }));
      const both = resolveGate({ apiUrl: other, stack: STACK_NAME }, {}, deps({}));
      const neither = resolveGate({}, {}, deps({ RELEASE_GATE_STACK: '' }));

      // Assess
      expect([flag.apiUrl, envUrl.apiUrl, envStack.apiUrl]).toEqual([other, other, API_URL]);
      expect(calls).toHaveLength(1);
      await expect(both).rejects.toThrowWithCode(
        ConfigError,
        'CONFIG_ERROR',
        '--api-url and --stack: give one of them',
      );
      await expect(neither).rejects.toThrowWithCode(
        ConfigError,
        'CONFIG_ERROR',
        '--aws needs the gate: --stack NAME or RELEASE_GATE_STACK (its CloudFormation stack), or --api-url URL or RELEASE_GATE_API_URL (the stack output ApprovalApiUrl)',
      );
    });
  });
});

describe('Function: wantsAws', () => {
  it('takes --stack as --aws', () => {
    expect([
      wantsAws(['x', '--aws']),
      wantsAws(['--stack', 's']),
      wantsAws(['--stack=s']),
      wantsAws(['--api-url', 'u']),
    ]).toEqual([true, true, true, false]);
  });
});
