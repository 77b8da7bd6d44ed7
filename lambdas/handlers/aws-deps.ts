import { ECRClient } from '@aws-sdk/client-ecr';
import { Inspector2Client } from '@aws-sdk/client-inspector2';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SignerClient } from '@aws-sdk/client-signer';
import { awsClients } from '../adapters/aws/clients.js';
import { SesMailer } from '../adapters/mail/ses-mailer.js';
import { EventBridgeOutcomes } from '../adapters/notify/eventbridge-outcomes.js';
import { SnsNotifier } from '../adapters/notify/sns-notifier.js';
import { loadPolicyFile } from '../adapters/policy/policy-file.js';
import { EcrRegistry } from '../adapters/registry/ecr.js';
import { EcrScanFindingsSource } from '../adapters/scan/ecr-findings.js';
import { InspectorSbomExporter } from '../adapters/scan/inspector-sbom-export.js';
import { SecretsManagerLinkSecrets } from '../adapters/secrets/secrets-manager-link-secrets.js';
import { SecretsManagerSlackBotToken } from '../adapters/secrets/slack-bot-token.js';
import { SecretsManagerSlackSigningSecret } from '../adapters/secrets/slack-signing-secret.js';
import { SfnExecutionStarter, SfnTaskTokens } from '../adapters/sfn/aws-sfn.js';
import { AwsSignerRevocationChecker } from '../adapters/signer/aws-signer-revocation.js';
import { LambdaWorkQueue } from '../adapters/slack/lambda-work-queue.js';
import { SlackWebApi } from '../adapters/slack/web-api.js';
import { DynamoReleaseStore } from '../adapters/store/dynamo-release-store.js';
import { S3DocumentStore } from '../adapters/store/s3-document-store.js';
import { KmsVsaSigner } from '../adapters/vsa/kms-vsa-signer.js';
import { ConfigError } from '../domain/errors.js';
import { type ExecutionStarter, systemClock } from '../domain/ports.js';
import type { GateDeps } from '../domain/workflow/deps.js';
import { logAuditFailure } from './logger.js';

/** What a handler needs: the workflow dependencies plus the execution starter. */
export interface HandlerDeps {
  readonly gate: GateDeps;
  readonly starter: ExecutionStarter;
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new ConfigError(`environment variable ${name} is not set`);
  return value;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name} must be a positive integer, got ${raw}`);
  return n;
}

let cached: Promise<HandlerDeps> | undefined;

/** The VSA verifier id when VSA_VERIFIER_ID is not set. */
export const DEFAULT_VSA_VERIFIER_ID = 'https://release-gate.dev/verifier/v1';

/**
 * How long the VSA's KMS calls may take: the SDK's standard retry (3 attempts, backoff) with a
 * timeout per request, so an unreachable KMS fails Promote with a SigningError in well under a
 * minute instead of hanging it until its Lambda timeout (which the ASL would retry as a crash).
 */
export const KMS_SIGNING_BOUNDS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
} as const;

/**
 * Amazon Inspector's SBOM export (`sbom.acceptInspectorExport`): the infra sets
 * INSPECTOR_SBOM_KMS_KEY_ARN (and grants the calls) only when the policy uses it. Inspector writes
 * into the evidence bucket, and the export is read back through the document store's bounded read.
 */
function inspectorSboms(
  region: string,
  s3: S3Client,
  documents: S3DocumentStore,
  bucket: string,
): Pick<GateDeps, 'inspectorSboms'> {
  const kmsKeyArn = process.env.INSPECTOR_SBOM_KMS_KEY_ARN;
  if (kmsKeyArn === undefined || kmsKeyArn === '') return {};
  return {
    inspectorSboms: new InspectorSbomExporter({
      inspector: new Inspector2Client({ region }),
      s3,
      readObject: (key) => documents.getObject(key),
      bucket,
      kmsKeyArn,
    }),
  };
}

/** The KMS key that signs the SLSA VSA on promote (VSA_KEY_ID); without it no VSA is attached. */
function vsaSigner(region: string): Pick<GateDeps, 'vsa'> {
  const keyId = process.env.VSA_KEY_ID;
  if (keyId === undefined || keyId === '') return {};
  const verifierId = process.env.VSA_VERIFIER_ID;
  return {
    vsa: {
      signer: new KmsVsaSigner({ client: new KMSClient({ region, ...KMS_SIGNING_BOUNDS }), keyId }),
      verifierId: verifierId === undefined || verifierId === '' ? DEFAULT_VSA_VERIFIER_ID : verifierId,
    },
  };
}

/**
 * Signed approval links: the signing secret (LINK_SECRET_ARN) and the SES sender
 * (APPROVAL_EMAIL_FROM). Without both no link is mailed or accepted (fail closed).
 */
function approvalLinks(region: string): Pick<GateDeps, 'approvalLinks'> {
  const secretId = process.env.LINK_SECRET_ARN;
  const from = process.env.APPROVAL_EMAIL_FROM;
  if (secretId === undefined || secretId === '' || from === undefined || from === '') return {};
  return {
    approvalLinks: {
      secrets: new SecretsManagerLinkSecrets({ client: new SecretsManagerClient({ region }), secretId }),
      mailer: new SesMailer({ client: new SESv2Client({ region }), from }),
    },
  };
}

/** The Slack app's signing secret (SLACK_SIGNING_SECRET_ARN); without it Slack clicks are refused. */
function slackSigningSecret(region: string): Pick<GateDeps, 'slackSigningSecret'> {
  const secretId = process.env.SLACK_SIGNING_SECRET_ARN;
  if (secretId === undefined || secretId === '') return {};
  return {
    slackSigningSecret: new SecretsManagerSlackSigningSecret({
      client: new SecretsManagerClient({ region }),
      secretId,
    }),
  };
}

/**
 * Slack messages: the bot token (SLACK_BOT_TOKEN_ARN) and, for a proxy or a test, the Web API's
 * base URL (SLACK_API_BASE_URL). Without the token nothing is posted and the request says so.
 */
function slackPoster(region: string): Pick<GateDeps, 'slack'> {
  const secretId = process.env.SLACK_BOT_TOKEN_ARN;
  if (secretId === undefined || secretId === '') return {};
  const baseUrl = process.env.SLACK_API_BASE_URL;
  return {
    slack: new SlackWebApi({
      token: new SecretsManagerSlackBotToken({ client: new SecretsManagerClient({ region }), secretId }),
      ...(baseUrl === undefined || baseUrl === '' ? {} : { baseUrl }),
    }),
  };
}

/**
 * Slack answers are decided after the acknowledgement by an asynchronous invocation of this same
 * function (the approval-api; its role may invoke only itself). The runtime sets
 * AWS_LAMBDA_FUNCTION_NAME; other functions never acknowledge Slack and do not use it.
 */
function slackWork(region: string): Pick<GateDeps, 'slackWork'> {
  const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;
  if (functionName === undefined || functionName === '') return {};
  return { slackWork: new LambdaWorkQueue({ client: new LambdaClient({ region }), functionName }) };
}

/**
 * The AWS wiring, built once per Lambda container. The policy file is bundled with the function
 * (and validated at synth time); an invalid policy fails every invocation rather than gating
 * without one.
 */
export function awsDeps(): Promise<HandlerDeps> {
  cached ??= Promise.resolve().then(() => {
    const region = env('AWS_REGION');
    const clients = awsClients({ region });
    const ecr = new ECRClient({ region });
    const policy = loadPolicyFile(env('POLICY_FILE'));
    const stateMachineArn = env('STATE_MACHINE_ARN');
    const bucket = env('BUCKET_NAME');
    const documents = new S3DocumentStore({ client: clients.s3, bucket });
    const gate: GateDeps = {
      config: {
        stage: env('GATE_STAGE'),
        scanTimeoutSeconds: positiveInt('SCAN_TIMEOUT_SECONDS', 3600),
        approvalBaseUrl: process.env.APPROVAL_BASE_URL ?? '',
      },
      policy,
      store: new DynamoReleaseStore({ client: clients.dynamoDocument, tableName: env('TABLE_NAME') }),
      documents,
      registry: new EcrRegistry({ client: ecr, registryId: env('REGISTRY_ID'), region }),
      scans: new EcrScanFindingsSource({ client: ecr, registryId: env('REGISTRY_ID') }),
      tokens: new SfnTaskTokens({ client: clients.sfn }),
      notifier: new SnsNotifier({ client: clients.sns, topicArn: env('TOPIC_ARN') }),
      outcomes: new EventBridgeOutcomes({ client: clients.eventBridge, eventBusName: env('EVENT_BUS_NAME') }),
      clock: systemClock,
      revocation: new AwsSignerRevocationChecker({ client: new SignerClient({ region }) }),
      ...approvalLinks(region),
      ...slackSigningSecret(region),
      auditFailures: logAuditFailure,
      ...slackPoster(region),
      ...vsaSigner(region),
      ...slackWork(region),
      ...inspectorSboms(region, clients.s3, documents, bucket),
    };
    return { gate, starter: new SfnExecutionStarter({ client: clients.sfn, stateMachineArn }) };
  });
  return cached;
}
