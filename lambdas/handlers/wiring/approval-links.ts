import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SesMailer } from '../../adapters/mail/ses-mailer.js';
import { SecretsManagerLinkSecrets } from '../../adapters/secrets/secrets-manager-link-secrets.js';
import type { Concern } from '../aws-deps.js';
import { optionalEnv } from './env.js';

/**
 * Signed approval links: the signing secret (LINK_SECRET_ARN) and the SES sender
 * (APPROVAL_EMAIL_FROM). Without both no link is mailed or accepted (fail closed).
 */
export const approvalLinks: Concern = {
  provides: ['approvalLinks'],
  build: ({ region, shared }) => {
    const secretId = optionalEnv('LINK_SECRET_ARN');
    const from = optionalEnv('APPROVAL_EMAIL_FROM');
    if (secretId === undefined || from === undefined) return {};
    return {
      approvalLinks: {
        secrets: new SecretsManagerLinkSecrets({
          client: shared('secrets', () => new SecretsManagerClient({ region })),
          secretId,
        }),
        mailer: new SesMailer({ client: new SESv2Client({ region }), from }),
      },
    };
  },
};
