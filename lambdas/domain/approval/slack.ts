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
 * the approval for the evidence the message showed, and nothing else. A Reject click opens a modal
 * asking for the reason (`views.open`); its `view_submission` (signed the same way, same URL)
 * carries the value back in `private_metadata` and decides the rejection.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError, GateError } from '../errors.js';
import * as z from '../zod.js';

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

const ButtonValue = z.string().check(z.maxLength(2000), z.regex(/^[A-Za-z0-9_-]{16,64}:[^\s]{0,200}$/));

const UserSchema = z.object({ id: z.string().check(z.regex(/^[UW][A-Z0-9]{2,30}$/)) });
/** Slack's own hooks (https://docs.slack.dev/interactivity/handling-user-interaction#message_responses). */
const ResponseUrl = z.url().check(z.maxLength(500));

const BlockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: UserSchema,
  actions: z
    .array(z.object({ action_id: z.enum(['approve', 'reject']), value: ButtonValue }))
    .check(z.minLength(1), z.maxLength(1)),
  trigger_id: z.optional(z.string().check(z.maxLength(200))),
  response_url: z.optional(ResponseUrl),
  container: z.optional(z.object({ message_ts: z.optional(z.string()), channel_id: z.optional(z.string()) })),
});

/** The reject modal's `callback_id`, and the block and action ids of its reason input. */
export const REJECT_MODAL = { callbackId: 'release-gate-reject', block: 'reason', action: 'reason' } as const;

/** What our reject modal carries through Slack (`private_metadata`, at most 3000 characters). */
const ModalMetadataSchema = z.object({
  value: ButtonValue,
  responseUrl: z.optional(ResponseUrl),
  channelId: z.optional(z.string().check(z.maxLength(40))),
  messageTs: z.optional(z.string().check(z.maxLength(40))),
});

/**
 * A modal submitted (https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload):
 * `view.callback_id`, `view.private_metadata` as we set it in views.open, and the inputs under
 * `view.state.values[block_id][action_id].value` (null when left empty).
 */
const ViewSubmissionSchema = z.object({
  type: z.literal('view_submission'),
  user: UserSchema,
  view: z.object({
    callback_id: z.literal(REJECT_MODAL.callbackId),
    private_metadata: z.string().check(z.maxLength(3000)),
    state: z.object({
      values: z.object({
        [REJECT_MODAL.block]: z.object({
          [REJECT_MODAL.action]: z.object({ value: z.optional(z.nullable(z.string().check(z.maxLength(3000)))) }),
        }),
      }),
    }),
  }),
});

export interface SlackAnswer {
  readonly userId: string;
  readonly decision: 'approve' | 'reject';
  readonly approvalId: string;
  readonly evidenceSetDigest: string;
  /** A rejection's reason (from the reject modal). */
  readonly comment?: string;
  /** Where to tell the clicker what happened (Slack's response_url, 30 minutes, 5 uses). */
  readonly responseUrl?: string;
  readonly messageTs?: string;
  readonly channelId?: string;
}

/** A verified interaction: a button click (with its trigger for a modal) or the reject modal's submission. */
export type SlackInteraction =
  | ({ readonly kind: 'click'; readonly triggerId?: string } & SlackAnswer)
  | ({ readonly kind: 'reject-reason' } & SlackAnswer & { readonly decision: 'reject'; readonly comment: string });

const splitValue = (value: string) => {
  const at = value.indexOf(':');
  return { approvalId: value.slice(0, at), evidenceSetDigest: value.slice(at + 1) };
};
const opt = <K extends string, V>(key: K, v: V | undefined) => (v === undefined ? {} : ({ [key]: v } as Record<K, V>));

/** Parses the `payload` field of a verified interaction body; throws SlackRefusedError('MALFORMED'). */
export function parseSlackInteraction(rawBody: string): SlackInteraction {
  let json: unknown;
  try {
    json = JSON.parse(new URLSearchParams(rawBody).get('payload') ?? '');
  } catch {
    throw new SlackRefusedError('MALFORMED', 'the Slack interaction has no JSON payload');
  }
  const submitted = ViewSubmissionSchema.safeParse(json);
  if (submitted.success) return reasonOf(submitted.data);
  const parsed = BlockActionsSchema.safeParse(json);
  const action = parsed.data?.actions[0];
  if (!parsed.success || action === undefined) {
    throw new SlackRefusedError('MALFORMED', 'the Slack interaction is not an approve/reject button click');
  }
  const p = parsed.data;
  return {
    kind: 'click',
    userId: p.user.id,
    decision: action.action_id,
    ...splitValue(action.value),
    ...opt('triggerId', p.trigger_id),
    ...opt('responseUrl', p.response_url),
    ...opt('messageTs', p.container?.message_ts),
    ...opt('channelId', p.container?.channel_id),
  };
}

function reasonOf(p: z.infer<typeof ViewSubmissionSchema>): SlackInteraction {
  let meta: z.infer<typeof ModalMetadataSchema>;
  try {
    meta = ModalMetadataSchema.parse(JSON.parse(p.view.private_metadata));
  } catch {
    throw new SlackRefusedError('MALFORMED', 'the reject modal carries no approval');
  }
  const reason = p.view.state.values[REJECT_MODAL.block]?.[REJECT_MODAL.action]?.value ?? '';
  return {
    kind: 'reject-reason',
    userId: p.user.id,
    decision: 'reject',
    comment: reason.trim(),
    ...splitValue(meta.value),
    ...opt('responseUrl', meta.responseUrl),
    ...opt('messageTs', meta.messageTs),
    ...opt('channelId', meta.channelId),
  };
}

/** The longest rejection reason kept (the page's comment field takes as much). */
export const REJECT_REASON_MAX = 1000;

/**
 * The reject modal (https://docs.slack.dev/reference/views/modal-views) opened on a Reject click:
 * a required multi-line reason. Its `private_metadata` carries the button's value (approval id and
 * evidence-set digest) and where the click came from, so the submission answers exactly that.
 */
export function rejectModal(click: SlackAnswer): Readonly<Record<string, unknown>> {
  const plain = (text: string) => ({ type: 'plain_text', text });
  return {
    type: 'modal',
    callback_id: REJECT_MODAL.callbackId,
    title: plain('Reject this release'),
    submit: plain('Reject'),
    close: plain('Cancel'),
    private_metadata: JSON.stringify({
      value: slackButtonValue(click.approvalId, click.evidenceSetDigest),
      ...opt('responseUrl', click.responseUrl),
      ...opt('channelId', click.channelId),
      ...opt('messageTs', click.messageTs),
    }),
    blocks: [
      {
        type: 'input',
        block_id: REJECT_MODAL.block,
        label: plain('Why is it rejected?'),
        element: {
          type: 'plain_text_input',
          action_id: REJECT_MODAL.action,
          multiline: true,
          min_length: 1,
          max_length: REJECT_REASON_MAX,
        },
      },
      {
        type: 'context',
        elements: [plain('One rejection is final: the release is quarantined, with your reason in its record.')],
      },
    ],
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
