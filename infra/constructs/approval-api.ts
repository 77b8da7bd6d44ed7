import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeRule } from './nag-acknowledgments.js';

export interface ApprovalApiProps {
  /** The approval-api handler: GET renders the confirmation page, POST records the decision. */
  readonly handler: lambda.IFunction;
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
    this.url = this.stage.url;
  }
}
