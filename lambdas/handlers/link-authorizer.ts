import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from '../domain/zod.js';

/**
 * The claims a JWT authorizer on the link routes passes on (HTTP API, payload format 2.0:
 * `requestContext.authorizer.jwt.claims`). API Gateway hands claims over as strings, so Cognito's
 * `email_verified` arrives as "true"; other issuers may send a JSON boolean.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
 */
const JwtContextSchema = z.object({
  claims: z.record(z.string(), z.unknown()),
});

/**
 * The email a JWT authorizer verified for this request, when the link routes have one
 * (infra/constructs/approval-api.ts `linkAuthorizer`): `{}` without an authorizer (the signed link
 * is the credential), `{ verifiedEmail }` with one. With an authorizer, a token without an email
 * claim, or whose issuer says the email is not verified, is refused: the link's signed address
 * can only be matched against an address the issuer vouches for.
 */
export function linkAuthorizerEmail(
  event: APIGatewayProxyEventV2,
): { readonly verifiedEmail?: string } | { readonly refused: string } {
  const jwt = (event.requestContext as { authorizer?: { jwt?: unknown } }).authorizer?.jwt;
  if (jwt === undefined) return {};
  const context = JwtContextSchema.safeParse(jwt);
  if (!context.success) return { refused: 'the sign-in token carried no claims' };
  const { email, email_verified: verified } = context.data.claims;
  if (typeof email !== 'string' || email.trim() === '') {
    return { refused: 'the sign-in token carries no email address: it cannot be matched to the link' };
  }
  if (verified !== undefined && verified !== true && verified !== 'true') {
    return { refused: `the sign-in provider has not verified ${email}` };
  }
  return { verifiedEmail: email };
}
