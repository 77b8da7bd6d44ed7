import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { SLACK_MAX_BODY_BYTES, SlackRefusedError } from '../domain/approval/slack.js';
import { describeError, GateError } from '../domain/errors.js';
import { describeAnswer } from '../domain/workflow/approval-page.js';
import { answerBySlack } from '../domain/workflow/decide-approval.js';
import { awsDeps, type HandlerDeps } from './aws-deps.js';
import { logger } from './logger.js';

/** The refusals shown to the clicker; anything else (configuration, the store) is a 500. */
const REFUSALS: ReadonlySet<GateError['code']> = new Set([
  'NOT_FOUND',
  'ALREADY_DECIDED',
  'EXPIRED',
  'UNTRUSTED',
  'INVALID_INPUT',
]);

/** Slack shows this text to the clicking user only (`ephemeral`), under the approval message. */
const ephemeral = (statusCode: number, text: string): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
});

/**
 * `POST /slack/interactions`, the Slack app's interactivity request URL. A request without Slack's
 * valid signature or with a stale timestamp is answered 401 and changes nothing. A verified click
 * is decided inline (a few store calls, well within Slack's 3-second acknowledgement budget) and
 * answered 200 with what happened, or why it was refused, shown to the clicking user only.
 */
export const makeHandler =
  (getDeps: () => Promise<HandlerDeps>) =>
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
    if (event.requestContext.http.method !== 'POST') return ephemeral(405, 'method not allowed');
    const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
    if (Buffer.byteLength(raw) > SLACK_MAX_BODY_BYTES) return ephemeral(413, 'request too large');
    const header = (name: string) =>
      Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1] ?? undefined;
    const deps = await getDeps();
    try {
      const decided = await answerBySlack(deps.gate, {
        timestamp: header('x-slack-request-timestamp'),
        signature: header('x-slack-signature'),
        rawBody: raw,
        origin: { sourceIp: event.requestContext.http.sourceIp, userAgent: event.requestContext.http.userAgent },
      });
      logger.info('approval answered', {
        approvalId: decided.approvalId,
        state: decided.state,
        identityKind: 'slack',
      });
      const { title, message } = describeAnswer(decided);
      return ephemeral(200, `${title}: ${message}`);
    } catch (err) {
      if (err instanceof SlackRefusedError) {
        logger.warn('slack request refused', {
          sourceIp: event.requestContext.http.sourceIp,
          error: describeError(err),
        });
        return ephemeral(401, 'not a valid Slack request');
      }
      if (!(err instanceof GateError) || !REFUSALS.has(err.code)) {
        logger.error('slack approval failed', { error: describeError(err) });
        return ephemeral(500, 'the gate could not record this answer; try again or use the approval link');
      }
      logger.warn('approval refused', { identityKind: 'slack', error: describeError(err) });
      // Slack shows only 200 answers to the user: the refusal and its reason go in the text.
      return ephemeral(200, `Not done: ${describeError(err)}`);
    }
  };

export const handler = makeHandler(awsDeps);
