import type { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { callerArn } from '../../lambdas/adapters/aws/caller-identity.js';
import { ConfigError } from '../../lambdas/domain/errors.js';
import { stubSdkClient } from '../support/fakes.js';

const ARN = 'arn:aws:sts::123456789012:assumed-role/release-approver/alice';

describe('Function: callerArn', () => {
  describe('when STS answers GetCallerIdentity', () => {
    it('returns the principal ARN (the identity `approve --aws` records)', async () => {
      // Prepare: the response shape of the STS API reference (UserId, Account, Arn)
      const stub = stubSdkClient<STSClient, GetCallerIdentityCommand>(() => ({
        $metadata: { httpStatusCode: 200 },
        UserId: 'AROA3XFRBF535PLBIFPI4:alice',
        Account: '123456789012',
        Arn: ARN,
      }));

      // Act
      const arn = await callerArn(stub.client);

      // Assess
      expect(arn).toBe(ARN);
      expect(stub.sent.map((c) => c.input)).toEqual([{}]);
    });
  });

  describe.each([
    [
      'STS refuses (expired credentials)',
      () => {
        throw Object.assign(new Error('The security token included in the request is expired'), {
          name: 'ExpiredToken',
        });
      },
    ],
    ['STS answers without an ARN', () => ({ $metadata: { httpStatusCode: 200 } })],
  ])('when %s', (_label, answer) => {
    it('throws ConfigError: no decision is made under an unknown identity', async () => {
      // Act
      const act = callerArn(stubSdkClient<STSClient, GetCallerIdentityCommand>(answer).client);

      // Assess
      await expect(act).rejects.toThrowWithCode(ConfigError, 'CONFIG_ERROR', 'GetCallerIdentity');
    });
  });
});
