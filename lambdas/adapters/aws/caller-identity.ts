import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { ConfigError } from '../../domain/errors.js';

/**
 * The ARN of the principal whose credentials the client signs with (STS GetCallerIdentity, which
 * needs no permission). `release-gate approve --aws` records it as the approver: the same
 * credentials answer the workflow, so the name is not typed.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 */
export async function callerArn(client: STSClient): Promise<string> {
  let arn: string | undefined;
  try {
    arn = (await client.send(new GetCallerIdentityCommand({}))).Arn;
  } catch (err) {
    throw new ConfigError('cannot tell who you are on AWS (STS GetCallerIdentity failed)', { cause: err });
  }
  if (arn === undefined || arn === '') throw new ConfigError('STS GetCallerIdentity returned no ARN');
  return arn;
}
