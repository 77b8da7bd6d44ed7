import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from '../domain/zod.js';

/**
 * What API Gateway puts in `requestContext.authorizer.iam` once it verified the SigV4 signature of
 * a request to a route with IAM authorization (HTTP API, payload format 2.0; the type
 * `APIGatewayEventRequestContextIAMAuthorizer` of @types/aws-lambda). Only `userArn` is used: the
 * principal that signed, as API Gateway verified it. Partition, IAM or STS, a 12-digit account.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
const IamAuthorizerSchema = z.object({
  userArn: z.string().check(z.regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/-]{1,180}$/)),
  cognitoIdentity: z.optional(z.unknown()),
});

/** A JSON answer that no cache keeps. */
export const jsonResponse = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: `${JSON.stringify(body)}\n`,
});

/**
 * The principal that signed a request to an IAM-authorized route, or the answer refusing it.
 * Without an IAM authorizer context the route is misconfigured (API Gateway always sets it on an
 * IAM route): refused, fail closed. Cognito identity-pool callers all sign as the pool's role, so
 * the ARN would not tell one person from another: refused too.
 */
export function iamCaller(
  event: APIGatewayProxyEventV2,
  purpose: string,
): { readonly principal: string } | { readonly refused: APIGatewayProxyStructuredResultV2 } {
  const iam = IamAuthorizerSchema.safeParse(
    (event.requestContext as { authorizer?: { iam?: unknown } }).authorizer?.iam,
  );
  if (!iam.success) {
    return {
      refused: jsonResponse(500, {
        error: 'MISCONFIGURED',
        message: 'this route has no verified AWS principal: refused',
      }),
    };
  }
  if (iam.data.cognitoIdentity !== undefined && iam.data.cognitoIdentity !== null) {
    return {
      refused: jsonResponse(403, {
        error: 'UNTRUSTED',
        message: `Cognito identity pool credentials name a shared role, not ${purpose}: sign with your own principal`,
      }),
    };
  }
  return { principal: iam.data.userArn };
}
