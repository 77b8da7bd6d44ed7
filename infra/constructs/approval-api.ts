import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeRule } from './nag-acknowledgments.js';

export interface ApprovalApiProps {
  /** The approval-api handler: GET renders the confirmation page, POST records the decision. */
  readonly handler: lambda.IFunction;
  /** The role of `handler`: it reads the Slack signing secret. */
  readonly handlerRole: iam.IGrantable;
  /** Key the Slack signing secret and bot token are encrypted with. */
  readonly key: kms.IKey;
  /**
   * The other roles that post or update the approval's Slack message (request-approval posts it,
   * quarantine marks it quarantined); `handlerRole` reads the bot token too (it updates the
   * message with the answer).
   * @default - only `handlerRole`
   */
  readonly slackPosters?: readonly iam.IGrantable[];
  /**
   * Steady-state requests per second for the whole API.
   * @default 10
   */
  readonly rateLimit?: number;
  /**
   * Burst of requests allowed above the rate.
   * @default 20
   */
  readonly burstLimit?: number;
  /**
   * Retention of the access log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The approval endpoint behind the signed links. GET only renders a confirmation page (mail
 * scanners prefetch links), POST decides; both go to one function, which checks the signature and
 * makes the decision single-use.
 */
export class ApprovalApi extends Construct {
  public readonly httpApi: apigwv2.HttpApi;
  public readonly stage: apigwv2.HttpStage;
  /** Base URL of the API, ending in `/`; approval links are `<url>approvals/<id>?…`. */
  public readonly url: string;
  /**
   * The Slack app's signing secret (SecretString: the secret as Slack shows it). Deployed with a
   * random placeholder, so Slack clicks fail closed until an operator puts the app's secret in.
   */
  public readonly slackSigningSecret: secretsmanager.Secret;
  /**
   * The Slack app's bot token (SecretString: `xoxb-…`, the Bot User OAuth Token). Deployed with a
   * random placeholder, which is not a bot token: nothing is posted to Slack (and each approval
   * request says why) until an operator puts the app's token in.
   */
  public readonly slackBotToken: secretsmanager.Secret;

  public constructor(scope: Construct, id: string, props: ApprovalApiProps) {
    super(scope, id);
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'release-gate approvals',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 10, burstLimit: props.burstLimit ?? 20 },
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(accessLogs) },
    });
    const integration = new HttpLambdaIntegration('ApprovalIntegration', props.handler);
    const routes = this.httpApi.addRoutes({
      path: '/approvals/{id}',
      methods: [apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST],
      integration,
    });
    for (const route of routes) {
      acknowledgeRule(
        route,
        'AwsSolutions-APIG4',
        'Signed link: each approver gets a link carrying the approval id, their address, the evidence-set digest and an expiry, signed with HMAC-SHA256 (key in Secrets Manager); the handler verifies it, GET never decides and a link decides once. The link is the credential, so API Gateway has no authorizer.',
      );
    }
    // Slack's interactivity request URL (Approve / Reject buttons), served by the same function.
    const slackRoutes = this.httpApi.addRoutes({
      path: '/slack/interactions',
      methods: [apigwv2.HttpMethod.POST],
      integration,
    });
    for (const route of slackRoutes) {
      acknowledgeRule(
        route,
        'AwsSolutions-APIG4',
        "Slack request signing: the handler verifies X-Slack-Signature (HMAC-SHA256 with the app's signing secret, in Secrets Manager) and a 5-minute timestamp window before reading anything; Slack cannot present an API Gateway authorizer credential.",
      );
    }
    this.slackSigningSecret = new secretsmanager.Secret(this, 'SlackSigningSecret', {
      description: 'release-gate Slack app signing secret (replace the placeholder with the app’s)',
      encryptionKey: props.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    acknowledgeRule(
      this.slackSigningSecret,
      'AwsSolutions-SMG4',
      'Slack issues the signing secret; it is rotated in the Slack app settings and copied here (README), which Secrets Manager rotation cannot do.',
    );
    this.slackSigningSecret.grantRead(props.handlerRole);
    this.slackBotToken = new secretsmanager.Secret(this, 'SlackBotToken', {
      description: 'release-gate Slack app bot token, xoxb-… (replace the placeholder with the app’s)',
      encryptionKey: props.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    acknowledgeRule(
      this.slackBotToken,
      'AwsSolutions-SMG4',
      'Slack issues the bot token when the app is installed; it is reissued in the Slack app settings and copied here (README), which Secrets Manager rotation cannot do.',
    );
    for (const reader of [props.handlerRole, ...(props.slackPosters ?? [])]) this.slackBotToken.grantRead(reader);
    this.url = this.stage.url;
  }
}
