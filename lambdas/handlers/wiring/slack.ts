import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerSlackBotToken } from '../../adapters/secrets/slack-bot-token.js';
import { SecretsManagerSlackSigningSecret } from '../../adapters/secrets/slack-signing-secret.js';
import { LambdaWorkQueue } from '../../adapters/slack/lambda-work-queue.js';
import { SlackWebApi } from '../../adapters/slack/web-api.js';
import type { Concern, Wiring } from '../aws-deps.js';
import { optionalEnv } from './env.js';

const secretsClient = ({ region, shared }: Wiring): SecretsManagerClient =>
  shared('secrets', () => new SecretsManagerClient({ region }));

/** The Slack app's signing secret (SLACK_SIGNING_SECRET_ARN); without it Slack clicks are refused. */
export const slackSigningSecret: Concern = {
  provides: ['slackSigningSecret'],
  build: (wiring) => {
    const secretId = optionalEnv('SLACK_SIGNING_SECRET_ARN');
    if (secretId === undefined) return {};
    return { slackSigningSecret: new SecretsManagerSlackSigningSecret({ client: secretsClient(wiring), secretId }) };
  },
};

/**
 * Slack messages: the bot token (SLACK_BOT_TOKEN_ARN) and, for a proxy or a test, the Web API's
 * base URL (SLACK_API_BASE_URL). Without the token nothing is posted and the request says so.
 */
export const slackPoster: Concern = {
  provides: ['slack'],
  build: (wiring) => {
    const secretId = optionalEnv('SLACK_BOT_TOKEN_ARN');
    if (secretId === undefined) return {};
    const baseUrl = optionalEnv('SLACK_API_BASE_URL');
    return {
      slack: new SlackWebApi({
        token: new SecretsManagerSlackBotToken({ client: secretsClient(wiring), secretId }),
        ...(baseUrl === undefined ? {} : { baseUrl }),
      }),
    };
  },
};

/**
 * Slack answers are decided after the acknowledgement by an asynchronous invocation of this same
 * function (the approval-api; its role may invoke only itself). The runtime sets
 * AWS_LAMBDA_FUNCTION_NAME.
 */
export const slackWork: Concern = {
  provides: ['slackWork'],
  build: ({ region }) => {
    const functionName = optionalEnv('AWS_LAMBDA_FUNCTION_NAME');
    if (functionName === undefined) return {};
    return { slackWork: new LambdaWorkQueue({ client: new LambdaClient({ region }), functionName }) };
  },
};
