/**
 * The Slack Web API's `chat.postMessage`, `chat.update` and `views.open`
 * (https://docs.slack.dev/reference/methods/chat.postMessage, …/chat.update, …/views.open), and
 * interaction answers to a `response_url`, over Node's fetch.
 * Two JSON POSTs do not justify @slack/web-api (axios, p-queue, retry policies) in every Lambda
 * bundle that may update a message.
 *
 * Slack answers HTTP 200 with `{"ok": false, "error": "<code>"}` for most failures, so `ok` is
 * what counts; HTTP 429 carries `Retry-After` (seconds), honoured once when it is short.
 */
import { ConfigError, NotificationError } from '../../domain/errors.js';
import type { SlackBotToken, SlackMessageRef, SlackPoster } from '../../domain/ports.js';
import { SlackMessageRefSchema } from '../../domain/records.js';
import * as z from '../../domain/zod.js';

export const SLACK_API_BASE_URL = 'https://slack.com/api/';
/** Where Slack's `response_url`s are (https://docs.slack.dev/interactivity/handling-user-interaction). */
export const SLACK_RESPONSE_URL_PREFIX = 'https://hooks.slack.com/';

export interface SlackWebApiProps {
  readonly token: SlackBotToken;
  /**
   * Where the Web API is (the local Slack receiver's `…/api/` locally).
   * @default SLACK_API_BASE_URL
   */
  readonly baseUrl?: string;
  /**
   * Per call. Short: a click's answer updates the message before Slack's 3-second acknowledgement
   * budget runs out, and Slack's own answers take well under a second.
   * @default 2500
   */
  readonly timeoutMillis?: number;
  /**
   * The longest `Retry-After` waited for before the one retry; a longer one fails the call.
   * @default 5
   */
  readonly maxRetryAfterSeconds?: number;
  /**
   * The only place interaction answers (`response_url`) are posted to: Slack's hooks on AWS, the
   * local receiver's locally. A signed payload names the URL, but the gate still never posts a
   * message elsewhere.
   * @default SLACK_RESPONSE_URL_PREFIX
   */
  readonly responseUrlPrefix?: string;
  /** @default setTimeout */
  readonly sleep?: (millis: number) => Promise<void>;
}

/** Slack's answers are small JSON objects; anything far larger is not Slack. */
const MAX_RESPONSE_BYTES = 256 * 1024;

const SlackAnswerSchema = z.object({
  ok: z.boolean(),
  error: z.optional(z.string().check(z.maxLength(200))),
  channel: z.optional(z.string()),
  ts: z.optional(z.string()),
});

/**
 * Slack error codes that mean the configuration is wrong (token, scopes, channel): an operator
 * must fix them, a retry will not.
 */
const CONFIG_ERRORS: Readonly<Record<string, string>> = {
  not_authed: 'no bot token was sent',
  invalid_auth: 'the bot token is not valid',
  token_revoked: 'the bot token was revoked',
  token_expired: 'the bot token expired',
  account_inactive: 'the bot token belongs to a deleted user or workspace',
  missing_scope: 'the bot token lacks the chat:write scope',
  channel_not_found: 'the channel does not exist, or the bot cannot see it (invite it, or add chat:write.public)',
  not_in_channel: 'the bot is not in the channel (invite it, or add chat:write.public)',
  is_archived: 'the channel is archived',
  restricted_action: 'the workspace does not let the bot post in this channel',
};

export class SlackWebApi implements SlackPoster {
  private readonly baseUrl: string;

  public constructor(private readonly props: SlackWebApiProps) {
    this.baseUrl = (props.baseUrl ?? SLACK_API_BASE_URL).replace(/\/*$/, '/');
  }

  public async postMessage(
    channel: string,
    blocks: readonly Readonly<Record<string, unknown>>[],
    text: string,
  ): Promise<SlackMessageRef> {
    const answer = await this.call('chat.postMessage', {
      channel,
      blocks,
      text,
      unfurl_links: false,
      unfurl_media: false,
    });
    const ref = SlackMessageRefSchema.safeParse({ channel: answer.channel, ts: answer.ts });
    if (!ref.success) throw new NotificationError('Slack chat.postMessage answered ok without a channel id and ts');
    return ref.data;
  }

  public async update(
    channel: string,
    ts: string,
    blocks: readonly Readonly<Record<string, unknown>>[],
    text: string,
  ): Promise<void> {
    await this.call('chat.update', { channel, ts, blocks, text });
  }

  /** `views.open` (https://docs.slack.dev/reference/methods/views.open): the bot token, no extra scope. */
  public async openView(triggerId: string, view: Readonly<Record<string, unknown>>): Promise<void> {
    await this.call('views.open', { trigger_id: triggerId, view });
  }

  /** An ephemeral answer to the user of an interaction, through its `response_url` (no token). */
  public async respond(responseUrl: string, text: string): Promise<void> {
    const prefix = this.props.responseUrlPrefix ?? SLACK_RESPONSE_URL_PREFIX;
    if (!responseUrl.startsWith(prefix)) {
      throw new NotificationError(`the interaction's response_url is not under ${prefix}; nothing posted`);
    }
    const res = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
      signal: AbortSignal.timeout(this.props.timeoutMillis ?? 2500),
    }).catch((err: unknown) => {
      throw new NotificationError('Slack response_url could not be reached', { cause: err });
    });
    await res.body?.cancel();
    if (!res.ok) throw new NotificationError(`Slack response_url answered HTTP ${res.status}`);
  }

  private async call(method: string, body: Readonly<Record<string, unknown>>) {
    const token = await this.props.token.getSlackBotToken();
    const send = () =>
      fetch(`${this.baseUrl}${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.props.timeoutMillis ?? 2500),
      }).catch((err: unknown) => {
        throw new NotificationError(`Slack ${method} could not be reached`, { cause: err });
      });
    let res = await send();
    if (res.status === 429) {
      const wait = Number(res.headers.get('retry-after') ?? '1');
      const max = this.props.maxRetryAfterSeconds ?? 5;
      await res.body?.cancel();
      if (!Number.isFinite(wait) || wait < 0 || wait > max) {
        throw new NotificationError(`Slack ${method} is rate limited (Retry-After ${res.headers.get('retry-after')})`);
      }
      await (this.props.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(wait * 1000);
      res = await send();
      if (res.status === 429) {
        await res.body?.cancel();
        throw new NotificationError(`Slack ${method} is still rate limited after waiting ${wait} s`);
      }
    }
    const raw = await res.text();
    if (Buffer.byteLength(raw) > MAX_RESPONSE_BYTES) {
      throw new NotificationError(`Slack ${method} answered ${Buffer.byteLength(raw)} bytes; not a Slack answer`);
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new NotificationError(`Slack ${method} answered HTTP ${res.status} without JSON`);
    }
    const answer = SlackAnswerSchema.safeParse(json);
    if (!answer.success) throw new NotificationError(`Slack ${method} answered HTTP ${res.status} without an ok field`);
    if (!answer.data.ok) {
      const code = answer.data.error ?? 'unknown_error';
      const why = CONFIG_ERRORS[code];
      if (why !== undefined) throw new ConfigError(`Slack ${method} refused: ${code} (${why})`);
      throw new NotificationError(`Slack ${method} failed: ${code}`);
    }
    return answer.data;
  }
}
