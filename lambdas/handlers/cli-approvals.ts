import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { describeError, GateError } from '../domain/errors.js';
import { describeAnswer } from '../domain/workflow/approval-page.js';
import { decideApproval } from '../domain/workflow/decide-approval.js';
import * as z from '../domain/zod.js';
// approval-api.ts dispatches to this module; statusOf is only called per request, so the cycle is benign.
import { statusOf } from './approval-api.js';
import type { HandlerDeps } from './aws-deps.js';
import { iamCaller, jsonResponse } from './iam-caller.js';
import { logger } from './logger.js';

/** The IAM-authorized route `release-gate approve|reject --aws` signs its requests to (SigV4). */
export const CLI_APPROVAL_ROUTE_KEY = 'POST /cli/approvals/{id}';

/** An answer is a decision and a comment: a few hundred bytes. */
const CLI_BODY_MAX_BYTES = 16_384;

const IdSchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{16,64}$/));

// A typed identity is refused, not ignored: whoever sends one expects it to count.
const CliAnswerSchema = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  comment: z.optional(z.string().check(z.maxLength(1000))),
});

const json = jsonResponse;

/**
 * `POST /cli/approvals/{id}` (IAM authorization): the answer of `release-gate approve|reject --aws`.
 * The approver is the principal ARN API Gateway verified from the request's SigV4 signature,
 * never a typed name: a body naming anyone (`by`) is refused. Without an IAM authorizer context
 * the route is misconfigured, and the request is refused (fail closed). The answer is JSON: the
 * approval's state, the approvals so far, how many are required and who decided.
 */
export const makeHandler =
  (getDeps: () => Promise<HandlerDeps>) =>
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
    const caller = iamCaller(event, 'an approver');
    if ('refused' in caller) {
      // API Gateway always sets it on an IAM-authorized route: its absence is a deployment fault.
      if (caller.refused.statusCode === 500)
        logger.error('cli approval route without an IAM principal: refused', { routeKey: event.routeKey });
      return caller.refused;
    }
    const id = IdSchema.safeParse(event.pathParameters?.id);
    if (!id.success) return json(400, { error: 'INVALID_INPUT', message: 'malformed approval id' });
    const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
    if (Buffer.byteLength(raw) > CLI_BODY_MAX_BYTES)
      return json(413, { error: 'TOO_LARGE', message: 'request too large' });
    const body = parseBody(raw);
    if (body !== null && typeof body === 'object' && 'by' in body) {
      return json(400, {
        error: 'INVALID_INPUT',
        message: 'a typed identity is not accepted: your AWS principal (the request signature) is your identity',
      });
    }
    const answer = CliAnswerSchema.safeParse(body);
    if (!answer.success)
      return json(400, { error: 'INVALID_INPUT', message: 'a JSON body {decision, comment?} is required' });
    const deps = await getDeps();
    const principal = caller.principal;
    try {
      const decided = await decideApproval(deps.gate, {
        approvalId: id.data,
        decision: answer.data.decision,
        identity: { kind: 'cli-aws', subject: principal },
        ...(answer.data.comment ? { comment: answer.data.comment } : {}),
        origin: { sourceIp: event.requestContext.http.sourceIp, userAgent: event.requestContext.http.userAgent },
      });
      logger.info('approval answered', { approvalId: id.data, state: decided.state, identityKind: 'cli-aws' });
      const { title, message } = describeAnswer(decided);
      return json(200, {
        approvalId: decided.approvalId,
        state: decided.state,
        approvals: decided.approvals.map((a) => ({ by: a.by, at: a.at })),
        required: decided.required,
        decidedBy: decided.decidedBy ?? null,
        message: `${title}: ${message}`,
      });
    } catch (err) {
      const status = statusOf(err);
      if (status === 500) logger.error('approval failed', { error: describeError(err) });
      else logger.warn('approval refused', { approvalId: id.data, principal, error: describeError(err) });
      return json(status, { error: errorCode(err), message: describeError(err) });
    }
  };

function parseBody(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function errorCode(err: unknown): string {
  return err instanceof GateError ? err.code : 'ERROR';
}
