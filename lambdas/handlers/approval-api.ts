import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { describeError, GateError, UntrustedError } from '../domain/errors.js';
import { ANONYMOUS, auditRefusal } from '../domain/workflow/approval-audit.js';
import { describeAnswer, renderApprovalPage, renderResultPage } from '../domain/workflow/approval-page.js';
import { buildApprovalView } from '../domain/workflow/approval-view.js';
import { answerByLink, viewApproval } from '../domain/workflow/decide-approval.js';
import * as z from '../domain/zod.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { CLI_APPROVAL_ROUTE_KEY, makeHandler as cliApprovals } from './cli-approvals.js';
import { invocation } from './invocation.js';
import { linkAuthorizerEmail } from './link-authorizer.js';
import { logger } from './logger.js';
import { withOutcomeMetrics } from './metrics.js';
import { isSlackWorkEvent, makeWorker, makeHandler as slackInteractions } from './slack-interactions.js';
import { approvalLinks } from './wiring/approval-links.js';
import { documents } from './wiring/documents.js';
import { notifier, outcomes } from './wiring/notifications.js';
import { slackPoster, slackSigningSecret, slackWork } from './wiring/slack.js';
import { taskTokens } from './wiring/step-functions.js';
import { store } from './wiring/store.js';

const IdSchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{16,64}$/));
const TokenSchema = z.string().check(z.minLength(1), z.maxLength(2048));
// A typed identity is refused, not ignored: whoever sends one expects it to count.
const FormSchema = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  token: TokenSchema,
  comment: z.optional(z.string().check(z.maxLength(1000))),
});

const html = (statusCode: number, body: string): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  },
  body,
});

export const STATUS_FOR: Partial<Record<GateError['code'], number>> = {
  NOT_FOUND: 404,
  ALREADY_DECIDED: 409,
  EXPIRED: 410,
  UNTRUSTED: 403,
  INVALID_INPUT: 400,
};

/**
 * Approval links: `GET /approvals/{id}?t=<token>` verifies the link and renders the confirmation
 * page (never decides: mail scanners prefetch links); `POST /approvals/{id}` with the token
 * decides, once. The approver identity is the link's signed address; with an authorizer configured
 * its verified email must be that address. A forged, expired, misdirected or used link is refused
 * with its reason.
 */
export const makeHandler =
  (getDeps: () => Promise<HandlerDeps>) =>
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
    // One function serves both routes of the approval API (infra/constructs/approval-api.ts).
    if (event.routeKey === 'POST /slack/interactions') return slackInteractions(getDeps)(event);
    if (event.routeKey === CLI_APPROVAL_ROUTE_KEY) return cliApprovals(getDeps)(event);
    const id = IdSchema.safeParse(event.pathParameters?.id);
    if (!id.success) return html(400, renderResultPage('Bad request', 'malformed approval id'));
    const deps = await getDeps();
    // Kept in the audit records of views, answers and refusals (approval-audit.ts).
    const origin = { sourceIp: event.requestContext.http.sourceIp, userAgent: event.requestContext.http.userAgent };
    try {
      if (event.requestContext.http.method === 'GET') {
        const token = TokenSchema.safeParse(new URLSearchParams(event.rawQueryString ?? '').get('t'));
        // Without a valid link the page is shown read-only: the link is what lets someone decide.
        const view = await viewApproval(deps.gate, {
          approvalId: id.data,
          token: token.success ? token.data : undefined,
          origin,
        });
        if (view === null) return html(404, renderResultPage('Not found', 'no such approval'));
        return html(
          200,
          renderApprovalPage(await buildApprovalView(deps.gate, view.approval), event.rawPath, view.link),
        );
      }
      if (event.requestContext.http.method !== 'POST') return html(405, renderResultPage('Method not allowed', ''));
      if ((event.body?.length ?? 0) > 16_384) return html(413, renderResultPage('Too large', 'form too large'));
      const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
      const fields = Object.fromEntries(new URLSearchParams(raw));
      if ('by' in fields) {
        await auditRefusal(deps.gate, {
          approvalId: id.data,
          identity: ANONYMOUS,
          channel: 'email-link',
          origin,
          error: new UntrustedError(
            'a typed identity was sent with the form (refused: the signed link is the identity)',
          ),
        });
        return html(
          400,
          renderResultPage(
            'Refused',
            'a typed identity is not accepted: the signed link you were sent is your identity',
          ),
        );
      }
      const form = FormSchema.safeParse(fields);
      if (!form.success)
        return html(400, renderResultPage('Bad request', 'a decision and the signed link are required'));
      const signedIn = linkAuthorizerEmail(event);
      if ('refused' in signedIn) return html(403, renderResultPage('Refused', signedIn.refused));
      const verified = signedIn.verifiedEmail;
      const decided = await answerByLink(deps.gate, {
        approvalId: id.data,
        token: form.data.token,
        decision: form.data.decision,
        ...(form.data.comment ? { comment: form.data.comment } : {}),
        ...(verified === undefined ? {} : { verifiedEmail: verified }),
        origin,
      });
      logger.info('approval answered', {
        approvalId: id.data,
        state: decided.state,
        by: decided.decidedBy,
        identityKind: 'email-link',
        sourceIp: event.requestContext.http.sourceIp,
        userAgent: event.requestContext.http.userAgent,
      });
      const { title, message } = describeAnswer(decided);
      return html(200, renderResultPage(title, message));
    } catch (err) {
      const status = statusOf(err);
      if (status === 500) logger.error('approval failed', { error: describeError(err) });
      // Every refusal is kept in the log with where it came from (the audit of attempts on a link).
      else
        logger.warn('approval refused', {
          approvalId: id.data,
          method: event.requestContext.http.method,
          sourceIp: event.requestContext.http.sourceIp,
          userAgent: event.requestContext.http.userAgent,
          error: describeError(err),
        });
      return html(status, renderResultPage('Not done', describeError(err)));
    }
  };

/** The HTTP status of a refusal: 403 forged or misdirected, 409 already answered or used, 410 expired. */
export function statusOf(err: unknown): number {
  return err instanceof GateError ? (STATUS_FOR[err.code] ?? 500) : 500;
}

// Links, Slack and the CLI route decide approvals: they resume the execution's task token.
const awsDeps = awsWiring(
  store,
  documents,
  taskTokens,
  notifier,
  outcomes,
  approvalLinks,
  slackSigningSecret,
  slackPoster,
  slackWork,
);
// Answers and expiries feed ApprovalWaitSeconds and PendingApprovals (metrics.ts).
const api = makeHandler(withOutcomeMetrics(awsDeps));
const worker = makeWorker(withOutcomeMetrics(awsDeps));

/**
 * The function's entry: the Slack worker event it sends itself (slack-interactions.ts), told apart
 * by a `source` field API Gateway never sends; everything else is an API Gateway HTTP API event.
 */
export const handler = invocation(async (event: unknown): Promise<APIGatewayProxyResultV2 | undefined> => {
  if (isSlackWorkEvent(event)) {
    await worker(event);
    return undefined;
  }
  // Only API Gateway (resource policy) and this function's own role can invoke it.
  return api(event as APIGatewayProxyEventV2);
});
