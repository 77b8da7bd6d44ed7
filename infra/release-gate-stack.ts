import { type App, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ReleaseGate, type ReleaseGateProps } from './release-gate.js';

/**
 * Deployment settings, from CDK context (`cdk synth -c gatedRepositories=app,api`):
 * - `gatedRepositories`: comma-separated repository names, or
 * - `gatedRepositoryPrefix`: gate every repository under `<prefix>/`;
 * - `policyFile` (default `policy/release-gate.policy.yaml`), `stage` (default `production`),
 *   `approverEmails` (comma-separated), `promotionPrefix` (default `prod`);
 * - `linkAuthorizerIssuer` and `linkAuthorizerAudience` (comma-separated): a JWT authorizer on the
 *   approval link routes (both or neither);
 * - `debugSourceMaps` (`true` or `false`, default `false`): source-mapped stack traces in the functions.
 * Without either repository setting the gate watches one repository, `app`.
 */
export function gatePropsFromContext(app: App): ReleaseGateProps {
  const text = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new Error(`context ${key} must be a string, got ${typeof value}`);
    return value.trim();
  };
  const list = (key: string): string[] | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    const items = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    return items.length > 0 ? items : undefined;
  };
  const gatedRepositories = list('gatedRepositories');
  const gatedRepositoryPrefix = text('gatedRepositoryPrefix');
  return {
    gatedRepositories: gatedRepositories ?? (gatedRepositoryPrefix === undefined ? ['app'] : undefined),
    gatedRepositoryPrefix,
    policyFile: text('policyFile'),
    stage: text('stage'),
    approverEmails: list('approverEmails'),
    approvalEmailSender: text('approvalEmailSender'),
    promotionPrefix: text('promotionPrefix'),
    approvalLinkAuthorizer: linkAuthorizer(text('linkAuthorizerIssuer'), list('linkAuthorizerAudience')),
    debugSourceMaps: flag(text('debugSourceMaps')),
  };
}

export interface ReleaseGateStackProps extends StackProps {
  readonly gate: ReleaseGateProps;
}

/** A stack holding one ReleaseGate, with the outputs an operator needs. */
export class ReleaseGateStack extends Stack {
  public readonly gate: ReleaseGate;

  public constructor(scope: Construct, id: string, props: ReleaseGateStackProps) {
    super(scope, id, props);
    this.gate = new ReleaseGate(this, 'ReleaseGate', props.gate);
    new CfnOutput(this, 'StateMachineArn', { value: this.gate.stateMachine.stateMachineArn });
    // What `release-gate … --stack NAME` reads (README: Pointing the CLI at the stack).
    this.gate.addCliOutputs();
    new CfnOutput(this, 'ApproverInvokeArn', {
      description: 'Allow execute-api:Invoke on this ARN (only) to the approvers using `release-gate approve --aws`',
      value: this.gate.approvalApi.cliApprovalArn,
    });
    new CfnOutput(this, 'OpsReadInvokeArn', {
      description:
        'Allow execute-api:Invoke on this ARN to those who may run `release-gate triage|explain|report --aws` (read only)',
      value: this.gate.opsApi.readInvokeArn,
    });
    new CfnOutput(this, 'OpsWriteInvokeArn', {
      description:
        'Allow execute-api:Invoke on this ARN to those who may run `release-gate revoke|rollback|release --aws`',
      value: this.gate.opsApi.writeInvokeArn,
    });
    new CfnOutput(this, 'ApprovalLinkSecretArn', { value: this.gate.approvalLinks.secret.secretArn });
    new CfnOutput(this, 'SlackSigningSecretArn', { value: this.gate.approvalApi.slackSigningSecret.secretArn });
    new CfnOutput(this, 'SlackBotTokenArn', { value: this.gate.approvalApi.slackBotToken.secretArn });
    new CfnOutput(this, 'EvidenceTableName', { value: this.gate.table.tableName });
    new CfnOutput(this, 'EvidenceBucketName', { value: this.gate.bucket.bucketName });
    new CfnOutput(this, 'EventBusName', { value: this.gate.eventBus.eventBusName });
    // CloudFormation cannot return a KMS public key: `aws kms get-public-key --key-id <this>` (README, VSA).
    new CfnOutput(this, 'VsaSigningKeyArn', { value: this.gate.vsaKey.keyArn });
    new CfnOutput(this, 'TopicArn', { value: this.gate.topic.topicArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.gate.monitoring.alarmTopic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.gate.monitoring.dashboard.dashboardName });
  }
}

function flag(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`context debugSourceMaps must be true or false, got ${JSON.stringify(value)}`);
}

function linkAuthorizer(issuer: string | undefined, audience: string[] | undefined) {
  if (issuer === undefined && audience === undefined) return undefined;
  if (issuer === undefined || audience === undefined) {
    throw new Error('context linkAuthorizerIssuer and linkAuthorizerAudience go together: set both or neither');
  }
  return { issuer, audience };
}
