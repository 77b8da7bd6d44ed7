/**
 * Slack interactions as Slack sends them to the interactivity request URL: a `block_actions`
 * payload (a button click) or a `view_submission` (the reject modal), form-encoded, signed with the
 * app's signing secret (X-Slack-Signature v0).
 */
import { slackSignature } from '../../lambdas/domain/approval/slack.js';

/** A Slack `block_actions` body for one button click, as Slack form-encodes it. */
export function clickBody(
  user: string,
  action: 'approve' | 'reject',
  value: string,
  message: { readonly channel: string; readonly ts: string } = { channel: 'C0RELEASES', ts: '1765000000.000100' },
  responseUrl = 'https://hooks.slack.com/actions/T0GATE/1/abc',
): string {
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0GATE' },
    api_app_id: 'A0GATE',
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel },
    channel: { id: message.channel, name: 'releases' },
    response_url: responseUrl,
    trigger_id: `1765000001.${user}.0123456789abcdef`,
    // Slack sends the whole message back: here eight sections of 3000 characters (Slack's limit
    // for a section's text), so the form-encoded body is well above an approval form's 16 KiB.
    message: {
      type: 'message',
      ts: message.ts,
      blocks: Array.from({ length: 8 }, (_, i) => ({
        type: 'section',
        block_id: `evidence-${i}`,
        text: { type: 'mrkdwn', text: `*evidence ${i}* ${'x'.repeat(2980)}` },
      })),
    },
    actions: [{ type: 'button', action_id: action, block_id: 'decide', value, action_ts: '1765000001.000200' }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/**
 * A `view_submission` of the reject modal as Slack form-encodes it: the `view` Slack opened (its
 * `private_metadata` as the gate set it) with the reason typed in (null when left empty).
 */
export function reasonBody(user: string, view: { readonly private_metadata?: unknown }, reason: string | null): string {
  const payload = {
    type: 'view_submission',
    team: { id: 'T0GATE', domain: 'gate' },
    user: { id: user, username: user.toLowerCase(), team_id: 'T0GATE' },
    api_app_id: 'A0GATE',
    trigger_id: `1765000002.${user}.fedcba9876543210`,
    view: {
      id: 'V00000001',
      type: 'modal',
      callback_id: 'release-gate-reject',
      private_metadata: view.private_metadata,
      state: { values: { reason: { reason: { type: 'plain_text_input', value: reason } } } },
      hash: '1765000002.abcdef',
    },
    response_urls: [],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Posts `body` to `<base>/slack/interactions`, signed with `secret` at `timestamp` (seconds). */
export function postSlackInteraction(
  base: string,
  secret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): Promise<Response> {
  const ts = String(timestamp);
  return fetch(new URL('/slack/interactions', base), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': slackSignature(secret, ts, body),
    },
    body,
  });
}
