/**
 * Slack interactions (the Approve / Reject buttons of an approval message), verified.
 *
 * Signature (https://api.slack.com/authentication/verifying-requests-from-slack): Slack sends
 * `X-Slack-Request-Timestamp` (seconds since the epoch) and `X-Slack-Signature`
 * = `v0=` + hex(HMAC-SHA256(signing secret, `v0:<timestamp>:<raw body>`)). A request whose
 * timestamp is more than five minutes from now is refused (replays). Hand-written on node:crypto:
 * it is a few lines, and @slack/bolt would bring a whole app framework for one check.
 *
 * Payload (https://api.slack.com/reference/interaction-payloads/block-actions): the body is a form
 * whose `payload` field is JSON with `type: "block_actions"`, `user.id`, `actions[].action_id` and
 * `.value`, `response_url`, and the message's `container.message_ts` / `container.channel_id`.
 * Our buttons carry `<approval id>:<evidence-set digest>` as their value, so that a click answers
 * the approval for the evidence the message showed, and nothing else.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, GateError } from '../errors.js';

/**
 * A click's payload carries the whole message it was on (its blocks), form-encoded: a few kilobytes
 * for an approval message; a body far larger is not one of ours.
 */
export const SLACK_MAX_BODY_BYTES = 65_536;

/** Slack's replay window, in seconds (either direction, for clock skew). */
export const SLACK_MAX_AGE_SECONDS = 5 * 60;

export type SlackRefusal = 'MALFORMED' | 'BAD_SIGNATURE' | 'STALE';

/** A request that does not come from Slack; the handler answers 401 and stores nothing. */
export class SlackRefusedError extends GateError<SlackRefusal> {
  public constructor(detail: SlackRefusal, message: string) {
    super('UNTRUSTED', message, { detail });
  }
}

export function slackSignature(secret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/**
 * Throws SlackRefusedError unless `signature` is Slack's v0 signature of `rawBody` at `timestamp`
 * with `secret`, and `timestamp` is within five minutes of `now`.
 */
export function verifySlackRequest(
  secret: string,
  request: { readonly timestamp: string | undefined; readonly signature: string | undefined; readonly rawBody: string },
  now: Date,
): void {
  const { timestamp, signature, rawBody } = request;
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    throw new SlackRefusedError('MALFORMED', 'X-Slack-Request-Timestamp is missing or malformed');
  }
  if (signature === undefined || !/^v0=[0-9a-f]{64}$/.test(signature)) {
    throw new SlackRefusedError('MALFORMED', 'X-Slack-Signature is missing or malformed');
  }
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SLACK_MAX_AGE_SECONDS) {
    throw new SlackRefusedError('STALE', 'the Slack request timestamp is more than 5 minutes from now');
  }
  const given = Buffer.from(signature);
  const want = Buffer.from(slackSignature(secret, timestamp, rawBody));
  if (given.byteLength !== want.byteLength || !timingSafeEqual(given, want)) {
    throw new SlackRefusedError('BAD_SIGNATURE', 'the Slack request signature does not verify');
  }
}

/** The value of our buttons: approval id (no colon in it), then the evidence-set digest. */
export const slackButtonValue = (approvalId: string, evidenceSetDigest: string): string =>
  `${approvalId}:${evidenceSetDigest}`;

const ButtonValue = z
  .string()
  .max(2000)
  .regex(/^[A-Za-z0-9_-]{16,64}:[^\s]{0,200}$/);

const BlockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().regex(/^[UW][A-Z0-9]{2,30}$/) }),
  actions: z
    .array(z.object({ action_id: z.enum(['approve', 'reject']), value: ButtonValue }))
    .min(1)
    .max(1),
  response_url: z.string().url().optional(),
  container: z.object({ message_ts: z.string().optional(), channel_id: z.string().optional() }).optional(),
});

export interface SlackAnswer {
  readonly userId: string;
  readonly decision: 'approve' | 'reject';
  readonly approvalId: string;
  readonly evidenceSetDigest: string;
  readonly responseUrl?: string;
  readonly messageTs?: string;
  readonly channelId?: string;
}

/** Parses the `payload` field of a verified interaction body; throws SlackRefusedError('MALFORMED'). */
export function parseSlackInteraction(rawBody: string): SlackAnswer {
  let json: unknown;
  try {
    json = JSON.parse(new URLSearchParams(rawBody).get('payload') ?? '');
  } catch {
    throw new SlackRefusedError('MALFORMED', 'the Slack interaction has no JSON payload');
  }
  const parsed = BlockActionsSchema.safeParse(json);
  const action = parsed.data?.actions[0];
  if (!parsed.success || action === undefined) {
    throw new SlackRefusedError('MALFORMED', 'the Slack interaction is not an approve/reject button click');
  }
  const at = action.value.indexOf(':');
  const p = parsed.data;
  return {
    userId: p.user.id,
    decision: action.action_id,
    approvalId: action.value.slice(0, at),
    evidenceSetDigest: action.value.slice(at + 1),
    ...(p.response_url === undefined ? {} : { responseUrl: p.response_url }),
    ...(p.container?.message_ts === undefined ? {} : { messageTs: p.container.message_ts }),
    ...(p.container?.channel_id === undefined ? {} : { channelId: p.container.channel_id }),
  };
}

/** Slack's signing secrets are 32 hex characters; anything much shorter is not one (fail closed). */
export function parseSlackSigningSecret(secret: string, where: string): string {
  const s = secret.trim();
  if (!/^[0-9A-Za-z]{32,128}$/.test(s)) {
    throw new ConfigError(`${where} is not a Slack signing secret (32+ letters and digits)`);
  }
  return s;
}
