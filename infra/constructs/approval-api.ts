import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeRule } from './nag-acknowledgments.js';

/** An OIDC issuer whose JWTs API Gateway verifies: `iss` must be `issuer`, `aud` one of `audience`. */
export interface LinkJwtIssuer {
  /** The issuer URL, e.g. `https://cognito-idp.<region>.amazonaws.com/<user pool id>`. */
  readonly issuer: string;
  /** Accepted audiences (for Cognito: the app client ids). */
  readonly audience: readonly string[];
}

/** The path of the IAM-authorized route `release-gate approve|reject --aws` posts to. */
export const CLI_APPROVAL_PATH = '/cli/approvals/{id}';

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
   * An authorizer for the link routes (`GET/POST /approvals/{id}`): an OIDC issuer (a JWT
   * authorizer is made for it) or any HTTP route authorizer. With one, the approver signs in as
   * well, and the handler requires the verified email claim to be the link's signed address.
   * @default - none: the signed link is the credential
   */
  readonly linkAuthorizer?: LinkJwtIssuer | apigwv2.IHttpRouteAuthorizer;
  /**
   * Retention of the access log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The approval endpoint behind the signed links. GET only renders a confirmation page (mail
 * scanners prefetch links), POST decides; both go to one function, which checks the signature and
 * makes the decision single-use. The same function serves Slack clicks and
 * `POST /cli/approvals/{id}` (IAM authorization: `release-gate approve --aws`); an approver needs
 * `execute-api:Invoke` on `cliApprovalArn` only.
 */
export class ApprovalApi extends Construct {
  public readonly httpApi: apigwv2.HttpApi;
  public readonly stage: apigwv2.HttpStage;
  /** Base URL of the API, ending in `/`; approval links are `<url>approvals/<id>?…`. */
  public readonly url: string;
  /**
   * The ARN an approver's IAM policy allows `execute-api:Invoke` on: the CLI route only
   * (`POST /cli/approvals/*` of the `$default` stage).
   */
  public readonly cliApprovalArn: string;
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
    const linkAuthorizer = linkAuthorizerOf(props.linkAuthorizer);
    const routes = this.httpApi.addRoutes({
      path: '/approvals/{id}',
      methods: [apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST],
      integration,
      ...(linkAuthorizer === undefined ? {} : { authorizer: linkAuthorizer }),
    });
    for (const route of linkAuthorizer === undefined ? routes : []) {
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
    // Slack answers are acknowledged, then decided by an asynchronous invocation of this same
    // function (lambdas/adapters/slack/lambda-work-queue.ts). Its role may invoke itself, nothing
    // else; the resource policy still lets only this HTTP API invoke it from outside. A separate
    // policy, not the role's default one: the function depends on that, so naming the function's
    // ARN in it would be a cycle.
    const role = props.handler.role;
    if (role === undefined) {
      throw new Error('ApprovalApi: the handler must have a role (it invokes itself for Slack answers)');
    }
    new iam.Policy(this, 'SlackWorkerSelfInvoke', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.handler.functionArn] }),
      ],
    });
    // `release-gate approve|reject --aws`: API Gateway verifies the SigV4 signature and the
    // caller's execute-api:Invoke permission; the handler takes the approver from the principal
    // it reports (requestContext.authorizer.iam.userArn), never from the request.
    this.httpApi.addRoutes({
      path: CLI_APPROVAL_PATH,
      methods: [apigwv2.HttpMethod.POST],
      integration,
      authorizer: new HttpIamAuthorizer(),
    });
    this.cliApprovalArn = this.httpApi.arnForExecuteApi('POST', '/cli/approvals/*', '$default');
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

function linkAuthorizerOf(
  given: LinkJwtIssuer | apigwv2.IHttpRouteAuthorizer | undefined,
): apigwv2.IHttpRouteAuthorizer | undefined {
  if (given === undefined || !('issuer' in given)) return given;
  if (given.audience.length === 0) {
    throw new Error('linkAuthorizer.audience is empty: name the app client ids whose tokens may answer approvals');
  }
  return new HttpJwtAuthorizer('LinkAuthorizer', given.issuer, { jwtAudience: [...given.audience] });
}
