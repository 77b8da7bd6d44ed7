import { SignerClient } from '@aws-sdk/client-signer';
import { AwsSignerRevocationChecker } from '../../adapters/signer/aws-signer-revocation.js';
import type { Concern } from '../aws-deps.js';

/** Revocation checks of Notation signatures: AWS Signer's GetRevocationStatus. */
export const revocation: Concern = {
  provides: ['revocation'],
  build: ({ region }) => ({ revocation: new AwsSignerRevocationChecker({ client: new SignerClient({ region }) }) }),
};
