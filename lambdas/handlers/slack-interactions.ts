import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { isSlackWorkEvent, SLACK_WORKER_SOURCE } from '../adapters/slack/lambda-work-queue.js';
import { SLACK_MAX_BODY_BYTES, SlackRefusedError } from '../domain/approval/slack.js';
import { describeError } from '../domain/errors.js';
import type { SlackWork } from '../domain/ports.js';
import {
  acknowledgeSlackInteraction,
  doSlackWork,
  type SlackAck,
  verifySlackInteraction,
} from '../domain/workflow/slack-answer.js';
import * as z from '../domain/zod.js';
import type { HandlerDeps } from './aws-deps.js';
import { logger } from './logger.js';

const json = (statusCode: number, body: Readonly<Record<string, unknown>> | null): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: body === null ? '' : JSON.stringify(body),
});

/** Slack shows this text to the clicking user only (`ephemeral`), under the approval message. */
const ephemeral = (statusCode: number, text: string): APIGatewayProxyResultV2 =>
  json(statusCode, { response_type: 'ephemeral', replace_original: false, text });

const answer = (ack: SlackAck): APIGatewayProxyResultV2 =>
  ack.kind === 'ephemeral'
    ? ephemeral(200, ack.text)
    : ack.kind === 'errors'
      ? json(200, { response_action: 'errors', errors: ack.errors })
      : json(200, null);

/**
 * `POST /slack/interactions`, the Slack app's interactivity request URL. A request without Slack's
 * valid signature or with a stale timestamp is answered 401 and changes nothing. A verified
 * interaction is answered at once (Slack wants it within 3 s): a Reject click opens the reason
 * modal, an empty reason is sent back to the modal, and an Approve click or a reason is queued
 * (SlackWorkQueue) and decided after the answer; the outcome updates the message and is told to
 * the clicker through the interaction's response_url.
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
    const origin = { sourceIp: event.requestContext.http.sourceIp, userAgent: event.requestContext.http.userAgent };
    try {
      const interaction = await verifySlackInteraction(deps.gate, {
        timestamp: header('x-slack-request-timestamp'),
        signature: header('x-slack-signature'),
        rawBody: raw,
        origin,
      });
      const ack = await acknowledgeSlackInteraction(deps.gate, interaction, origin);
      logger.info('slack interaction acknowledged', {
        approvalId: interaction.approvalId,
        interaction: interaction.kind,
        decision: interaction.decision,
        ack: ack.kind,
      });
      return answer(ack);
    } catch (err) {
      if (err instanceof SlackRefusedError) {
        logger.warn('slack request refused', { sourceIp: origin.sourceIp, error: describeError(err) });
        return ephemeral(401, 'not a valid Slack request');
      }
      logger.error('slack interaction failed', { error: describeError(err) });
      return ephemeral(500, 'the gate could not take this answer; try again or use the approval link');
    }
  };

const SlackWorkEventSchema = z.strictObject({
  source: z.literal(SLACK_WORKER_SOURCE),
  work: z.object({
    answer: z.object({
      userId: z.string().check(z.maxLength(40)),
      decision: z.enum(['approve', 'reject']),
      approvalId: z.string().check(z.regex(/^[A-Za-z0-9_-]{16,64}$/)),
      evidenceSetDigest: z.string().check(z.maxLength(200)),
      comment: z.optional(z.string().check(z.maxLength(3000))),
      responseUrl: z.optional(z.url().check(z.maxLength(500))),
      messageTs: z.optional(z.string().check(z.maxLength(40))),
      channelId: z.optional(z.string().check(z.maxLength(40))),
    }),
    origin: z.optional(
      z.object({
        sourceIp: z.optional(z.string().check(z.maxLength(64))),
        userAgent: z.optional(z.string().check(z.maxLength(8192))),
      }),
    ),
  }),
});

/** The work of a worker event (every field checked), or undefined for anything else. */
export function parseSlackWorkEvent(event: unknown): SlackWork | undefined {
  const parsed = SlackWorkEventSchema.safeParse(event);
  return parsed.success ? parsed.data.work : undefined;
}

/**
 * Decides a queued Slack answer. A refusal is told to the clicker and ends the invocation; any
 * other failure throws, and Lambda retries the asynchronous invocation (up to twice): the
 * decision is idempotent, so a retry completes what a crash interrupted.
 */
export const makeWorker =
  (getDeps: () => Promise<HandlerDeps>) =>
  async (event: unknown): Promise<void> => {
    const work = parseSlackWorkEvent(event);
    if (work === undefined) {
      // Malformed: a retry would not help; nothing is decided.
      logger.error('slack work event malformed');
      return;
    }
    const decided = await doSlackWork((await getDeps()).gate, work);
    logger.info('slack answer decided', {
      approvalId: work.answer.approvalId,
      state: decided?.state ?? 'refused',
      identityKind: 'slack',
    });
  };

export { isSlackWorkEvent };
