/**
 * API Gateway HTTP API events (payload format 2.0) for handler tests, with the authorizer context
 * API Gateway passes on: `iam` for IAM-authorized routes, `jwt` for JWT ones.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { WORLD_NOW } from './handler-world.js';

/**
 * `requestContext.authorizer.iam` as API Gateway and Lambda function URLs pass it in payload
 * format 2.0, the sample of "Invoking Lambda function URLs", Request payload format
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html), with the caller set per test.
 */
export function iamAuthorizer(userArn: string, cognitoIdentity: unknown = null) {
  return {
    iam: {
      accessKey: 'AKIA...',
      accountId: '111122223333',
      callerId: 'AIDA...',
      cognitoIdentity,
      principalOrgId: null,
      userArn,
      userId: 'AIDA...',
    },
  };
}

/** The event of a request to `routeKey` (`METHOD /route`) at `path`, as API Gateway sends it. */
export function httpApiEvent(
  routeKey: string,
  path: string,
  opts: {
    readonly pathParameters?: Record<string, string>;
    readonly rawQueryString?: string;
    readonly body?: string;
    readonly authorizer?: Record<string, unknown>;
  },
): APIGatewayProxyEventV2 {
  const [method = 'POST'] = routeKey.split(' ');
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: opts.rawQueryString ?? '',
    headers: {},
    ...(opts.pathParameters === undefined ? {} : { pathParameters: opts.pathParameters }),
    requestContext: {
      accountId: '111122223333',
      apiId: 'api',
      domainName: 'api.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: 'request-1',
      routeKey,
      stage: '$default',
      time: '25/Nov/2026:10:00:00 +0000',
      timeEpoch: WORLD_NOW.getTime(),
      ...(opts.authorizer === undefined ? {} : { authorizer: opts.authorizer }),
    },
    ...(opts.body === undefined ? {} : { body: opts.body }),
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}
