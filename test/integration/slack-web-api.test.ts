/**
 * The Slack Web API adapter (chat.postMessage, chat.update) over HTTP against the local Slack
 * receiver of the embedded stack, which answers as Slack does and records each call; and against
 * a small server that rate-limits, for `Retry-After`.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackReceiver } from '../../cli/local/slack-receiver.js';
import { SlackWebApi } from '../../lambdas/adapters/slack/web-api.js';
import { approvalRequestMessage } from '../../lambdas/domain/approval/slack-message.js';
import { ConfigError, NotificationError } from '../../lambdas/domain/errors.js';
import { sampleView } from '../support/approval-views.js';

const TOKEN = 'xoxb-local-0123456789abcdef0123456789abcdef';
const token = (t: string) => ({ getSlackBotToken: async () => t });

const message = approvalRequestMessage({
  view: sampleView(),
  pageUrl: 'http://127.0.0.1/approvals/0123456789abcdef0123456789abcdef',
});

describe('Class: SlackWebApi, against the local Slack receiver', () => {
  let dir: string;
  let receiver: SlackReceiver;
  let slack: SlackWebApi;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rg-slack-'));
    receiver = await SlackReceiver.start({ dir: join(dir, 'slack'), token: TOKEN, channels: ['#releases'] });
    slack = new SlackWebApi({ token: token(TOKEN), baseUrl: receiver.baseUrl });
  });
  afterAll(async () => {
    await receiver.stop();
    await rm(dir, { recursive: true, force: true });
  });

  describe('Method: postMessage', () => {
    it('posts the blocks as a JSON body with the bearer token and returns the channel id and ts', async () => {
      // Act
      const posted = await slack.postMessage('#releases', message.blocks, message.text);

      // Assess
      expect(posted.channel).toMatch(/^C[0-9A-F]{10}$/);
      expect(posted.ts).toMatch(/^\d+\.\d{6}$/);
      const call = receiver.callsOf('chat.postMessage').at(-1);
      expect(call?.headers).toMatchObject({
        authorization: 'Bearer [redacted]',
        'content-type': 'application/json; charset=utf-8',
      });
      expect(call?.body).toMatchObject({ channel: '#releases', text: message.text, blocks: message.blocks });
      // The recorded file is the request without the token.
      const file = await readFile(call?.file ?? '', 'utf8');
      expect(JSON.parse(file)).toMatchObject({ method: 'chat.postMessage', response: { ok: true, ...posted } });
      expect(file).not.toContain(TOKEN);
    });

    it('throws ConfigError invalid_auth for a wrong token and channel_not_found for an unknown channel', async () => {
      // Act
      const wrongToken = new SlackWebApi({ token: token('xoxb-other-token-000000'), baseUrl: receiver.baseUrl });
      const badAuth = wrongToken.postMessage('#releases', message.blocks, message.text);
      const noChannel = slack.postMessage('#nowhere', message.blocks, message.text);

      // Assess
      await Promise.all([
        expect(badAuth).rejects.toThrow(ConfigError),
        expect(badAuth).rejects.toThrow(/invalid_auth/),
        expect(noChannel).rejects.toThrow(/channel_not_found/),
      ]);
    });
  });

  describe('Method: update', () => {
    it('updates a posted message, and throws message_not_found for one that was never posted', async () => {
      // Prepare
      const posted = await slack.postMessage('#releases', message.blocks, message.text);

      // Act
      await slack.update(posted.channel, posted.ts, [], 'Approved');
      const missing = slack.update(posted.channel, '1.000001', [], 'Approved');

      // Assess
      expect(receiver.callsOf('chat.update')[0]?.body).toEqual({
        channel: posted.channel,
        ts: posted.ts,
        blocks: [],
        text: 'Approved',
      });
      await expect(missing).rejects.toThrow(NotificationError);
      await expect(missing).rejects.toThrow(/message_not_found/);
      expect((await readdir(receiver.dir)).filter((f) => f.endsWith('-chat.update.json'))).toHaveLength(2);
    });
  });

  describe('Method: openView', () => {
    it('opens the modal with the bot token and the trigger, and throws for a call Slack refuses', async () => {
      // Prepare
      const view = { type: 'modal', title: { type: 'plain_text', text: 'Reject' }, blocks: [] };
      const wrongToken = new SlackWebApi({ token: token('xoxb-other-token-000000'), baseUrl: receiver.baseUrl });

      // Act
      await slack.openView('1765000001.T0.abc', view);
      const refused = wrongToken.openView('1765000001.T0.abc', view);

      // Assess
      await expect(refused).rejects.toThrow(/invalid_auth/);
      const [call] = receiver.callsOf('views.open');
      expect(call?.body).toEqual({ trigger_id: '1765000001.T0.abc', view });
      expect(call?.response).toMatchObject({ ok: true, view: { type: 'modal' } });
    });
  });

  describe('Method: respond', () => {
    it('posts an ephemeral answer to a response_url under the allowed prefix, and nowhere else', async () => {
      // Prepare
      const local = new SlackWebApi({
        token: token(TOKEN),
        baseUrl: receiver.baseUrl,
        responseUrlPrefix: receiver.responsePrefix,
      });

      // Act
      await local.respond(receiver.responseUrl('click-1'), 'Not done: separation of duties');
      const elsewhere = local.respond('https://evil.example/collect', 'Not done');
      const byDefault = slack.respond(receiver.responseUrl('click-2'), 'Not done');

      // Assess
      expect(receiver.callsOf('response_url').map((c) => c.body)).toEqual([
        { response_type: 'ephemeral', replace_original: false, text: 'Not done: separation of duties' },
      ]);
      await expect(elsewhere).rejects.toThrow(NotificationError);
      // Without a prefix, only Slack's own hooks (https://hooks.slack.com/) are answered.
      await expect(byDefault).rejects.toThrow(/hooks\.slack\.com/);
    });
  });
});

describe('Class: SlackWebApi, when Slack rate-limits (HTTP 429, Retry-After)', () => {
  let server: Server;
  let base: string;
  /** The answers still to give, in order; then `ok`. */
  let plan: { status: number; retryAfter?: string }[] = [];
  let requests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests += 1;
      req.resume();
      const next = plan.shift();
      if (next !== undefined && next.status === 429) {
        res.writeHead(429, { 'retry-after': next.retryAfter ?? '1', 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, channel: 'C0RELEASES', ts: '1765000000.000100' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${address !== null && typeof address === 'object' ? address.port : 0}/api/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const slackWith = (waits: number[]) =>
    new SlackWebApi({
      token: token(TOKEN),
      baseUrl: base,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });

  it('waits Retry-After once and retries', async () => {
    // Prepare
    plan = [{ status: 429, retryAfter: '2' }];
    requests = 0;
    const waits: number[] = [];

    // Act
    const posted = await slackWith(waits).postMessage('C0RELEASES', [], 'hi');

    // Assess
    expect(posted).toEqual({ channel: 'C0RELEASES', ts: '1765000000.000100' });
    expect(waits).toEqual([2000]);
    expect(requests).toBe(2);
  });

  it('gives up after a second 429, and at once when Retry-After is longer than it waits', async () => {
    // Prepare
    const waits: number[] = [];

    // Act
    plan = [{ status: 429 }, { status: 429 }];
    const twice = slackWith(waits).postMessage('C0RELEASES', [], 'hi');
    await expect(twice).rejects.toThrow(/still rate limited/);
    plan = [{ status: 429, retryAfter: '60' }];
    const long = slackWith(waits).update('C0RELEASES', '1765000000.000100', [], 'hi');

    // Assess
    await expect(long).rejects.toThrow(NotificationError);
    await expect(long).rejects.toThrow(/rate limited \(Retry-After 60\)/);
    expect(waits).toEqual([1000]);
  });
});
