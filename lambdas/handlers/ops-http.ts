import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { describeError, GateError, InvalidInputError, TooLargeError } from '../domain/errors.js';
import type { ApprovalIdentity } from '../domain/workflow/decide-approval.js';
import * as z from '../domain/zod.js';
import { iamCaller, jsonResponse as json } from './iam-caller.js';
import { logger } from './logger.js';
import { gateMetrics } from './metrics.js';
import { OPS_ROUTES, type OpsRouteName, opsRouteByKey } from './ops-routes.js';

/** Incident bodies are a digest, a repository and a reason: a few hundred bytes. */
const INCIDENT_BODY_MAX_BYTES = 16_384;

const STATUS_FOR: Partial<Record<GateError['code'], number>> = {
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  UNTRUSTED: 403,
  CONFLICT: 409,
  EXPIRED: 410,
  TOO_LARGE: 413,
};

export const Text = z.string().check(z.trim(), z.minLength(1), z.maxLength(1000));
export const Repository = z.string().check(z.minLength(1), z.maxLength(256));
const TYPED_IDENTITY_FIELDS = ['by', 'operator', 'approvedBy', 'approver'] as const;

/** An answer other than 200: a pending break-glass is accepted (202), not done. */
export class Answer {
  public constructor(
    public readonly status: number,
    public readonly body: unknown,
  ) {}
}

/** One class of ops routes: the routes it answers and how. */
export interface OpsRoutes<D> {
  readonly routes: readonly OpsRouteName[];
  readonly dispatch: (
    route: OpsRouteName,
    event: APIGatewayProxyEventV2,
    operator: ApprovalIdentity,
    deps: D,
  ) => Promise<unknown>;
}

/**
 * The ops API's handler for `routes` (IAM authorization on every route): the incident commands of
 * `release-gate --aws`. The operator is the principal API Gateway verified from the request's
 * SigV4 signature (`requestContext.authorizer.iam.userArn`), recorded as `cli-aws`; a typed
 * identity is refused. Each route calls the same domain function the CLI calls locally and answers
 * its result as JSON. Which principals may call which class of routes is IAM's business
 * (`OpsReadInvokeArn`, `OpsWriteInvokeArn`); the domain applies the rules it applies locally.
 */
export const serveOps =
  <D>(routes: OpsRoutes<D>, getDeps: () => Promise<D>) =>
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
    // The route API Gateway matched (and authorized): its key, never a path the caller spelled.
    const route = opsRouteByKey(event.routeKey);
    if (route === undefined || !routes.routes.includes(route)) {
      return json(404, { error: 'NOT_FOUND', message: 'no such route' });
    }
    const caller = iamCaller(event, 'an operator');
    if ('refused' in caller) {
      if (caller.refused.statusCode === 500) {
        logger.error('ops route without an IAM principal: refused', { routeKey: event.routeKey });
      }
      return caller.refused;
    }
    const operator: ApprovalIdentity = { kind: 'cli-aws', subject: caller.principal };
    try {
      const answer = await routes.dispatch(route, event, operator, await getDeps());
      logger.info('ops request answered', { route, principal: caller.principal });
      const status = answer instanceof Answer ? answer.status : 200;
      gateMetrics.opsRequest(route, status);
      return answer instanceof Answer ? json(answer.status, answer.body) : json(200, answer);
    } catch (err) {
      const status = err instanceof GateError ? (STATUS_FOR[err.code] ?? 500) : 500;
      if (status === 500) logger.error('ops request failed', { route, error: describeError(err) });
      else logger.warn('ops request refused', { route, principal: caller.principal, error: describeError(err) });
      gateMetrics.opsRequest(route, status);
      return json(status, { error: err instanceof GateError ? err.code : 'ERROR', message: describeError(err) });
    }
  };

export function parseQuery<T extends z.ZodMiniType>(event: APIGatewayProxyEventV2, schema: T): z.infer<T> {
  const params = new URLSearchParams(event.rawQueryString ?? '');
  const fields: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key in fields) throw new InvalidInputError(`query parameter ${key}: given twice`);
    fields[key] = value;
  }
  const parsed = schema.safeParse(fields);
  if (!parsed.success) throw new InvalidInputError(`query: ${issues(parsed.error)}`);
  return parsed.data;
}

/** The body's bytes, refused past `maxBytes` before anything else reads it. */
export function bodyBytes(event: APIGatewayProxyEventV2, maxBytes: number): Uint8Array {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) throw new TooLargeError('request body', bytes.length, maxBytes);
  return new Uint8Array(bytes);
}

export function parseBody<T extends z.ZodMiniType>(event: APIGatewayProxyEventV2, schema: T): z.infer<T> {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bodyBytes(event, INCIDENT_BODY_MAX_BYTES));
  let raw: unknown;
  try {
    raw = JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidInputError('the body is not JSON', { cause: err });
  }
  if (raw !== null && typeof raw === 'object') {
    const typed = TYPED_IDENTITY_FIELDS.filter((f) => f in raw);
    if (typed.some((f) => f === 'by' || f === 'operator')) {
      throw new InvalidInputError(
        `${typed.join(', ')}: a typed identity is not accepted: your AWS principal (the request signature) is the operator`,
      );
    }
    const glass = (raw as { breakGlass?: unknown }).breakGlass;
    const typedApprover = glass !== null && typeof glass === 'object' && ('approver' in glass || 'approvedBy' in glass);
    if (typed.length > 0 || typedApprover) {
      // A break-glass needs a second person whose identity is verified as the operator's is; one
      // signed request proves one principal, so the approver is whoever signs the confirmation.
      throw new InvalidInputError(
        `${[...typed, ...(typedApprover ? ['breakGlass approver'] : [])].join(', ')}: a typed approver is not accepted: send breakGlass with a reason only, and a second principal confirms it (POST ${OPS_ROUTES.breakGlassConfirm.path})`,
      );
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new InvalidInputError(`body: ${issues(parsed.error)}`);
  return parsed.data;
}

function issues(error: z.$ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
