import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { OPS_READ_PREFIX, OPS_ROUTES, OPS_WRITE_PREFIX } from '../../lambdas/handlers/ops-routes.js';

export interface OpsApiProps {
  /** The HTTP API the routes are added to (the approval API: one URL for every `--aws` command). */
  readonly httpApi: apigwv2.HttpApi;
  /** The handler of the read routes, `/cli/query/…` (lambdas/handlers/ops-read.ts). */
  readonly readHandler: lambda.IFunction;
  /** The handler of the incident actions, `/cli/incident/…` (lambdas/handlers/ops-write.ts). */
  readonly writeHandler: lambda.IFunction;
}

/**
 * The incident commands on AWS (`release-gate triage|explain|report|revoke|rollback|release
 * --aws`): every route has IAM authorization, so API Gateway verifies the caller's SigV4
 * signature and `execute-api:Invoke` permission and tells the handler who signed; that principal
 * is the operator. Reads and incident actions sit under separate prefixes, one invoke ARN each.
 */
export class OpsApi extends Construct {
  /** `execute-api:Invoke` on this lets a principal triage, explain and report (read only). */
  public readonly readInvokeArn: string;
  /** `execute-api:Invoke` on this lets a principal revoke, roll back and release from quarantine. */
  public readonly writeInvokeArn: string;

  public constructor(scope: Construct, id: string, props: OpsApiProps) {
    super(scope, id);
    // One function per class, each with its own role: the read function cannot write.
    const read = new HttpLambdaIntegration('OpsReadIntegration', props.readHandler);
    const write = new HttpLambdaIntegration('OpsWriteIntegration', props.writeHandler);
    const authorizer = new HttpIamAuthorizer();
    for (const route of Object.values(OPS_ROUTES)) {
      props.httpApi.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration: route.path.startsWith(`${OPS_READ_PREFIX}/`) ? read : write,
        authorizer,
      });
    }
    // `*` for the method: the read prefix has GET routes and POST triage (an OSV record body).
    this.readInvokeArn = props.httpApi.arnForExecuteApi('*', `${OPS_READ_PREFIX}/*`, '$default');
    this.writeInvokeArn = props.httpApi.arnForExecuteApi('POST', `${OPS_WRITE_PREFIX}/*`, '$default');
  }
}
