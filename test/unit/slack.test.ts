import { describe, expect, it } from 'vitest';
import {
  parseSlackInteraction,
  parseSlackSigningSecret,
  rejectModal,
  SlackRefusedError,
  slackButtonValue,
  slackSignature,
  verifySlackRequest,
} from '../../lambdas/domain/approval/slack.js';
import { ConfigError } from '../../lambdas/domain/errors.js';

// Our own vector (no public one is copied), cross-checked with OpenSSL:
//   printf 'v0:1765000000:payload=%7B%7D' | openssl dgst -sha256 -hmac e6b2a0f1c3d4e5f60718293a4b5c6d7e
const SECRET = 'e6b2a0f1c3d4e5f60718293a4b5c6d7e';
const TIMESTAMP = '1765000000';
const BODY = 'payload=%7B%7D';
const SIGNATURE = 'v0=947f6205eeb4cc60b5b7cd817afe18f9b2670b8a693ac695330efd9ff03c9ed0';
const AT = (offsetSeconds: number) => new Date((Number(TIMESTAMP) + offsetSeconds) * 1000);

const refusal = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    if (err instanceof SlackRefusedError) return err.detail;
    throw err;
  }
  return undefined;
};

describe('Function: slackSignature', () => {
  it('is v0= and the hex HMAC-SHA256 of "v0:<timestamp>:<body>" under the signing secret', () => {
    expect(slackSignature(SECRET, TIMESTAMP, BODY)).toBe(SIGNATURE);
  });
});

describe('Function: verifySlackRequest', () => {
  const request = { timestamp: TIMESTAMP, signature: SIGNATURE, rawBody: BODY };

  it('accepts the signature within five minutes either side of the timestamp', () => {
    expect([
      refusal(() => verifySlackRequest(SECRET, request, AT(300))),
      refusal(() => verifySlackRequest(SECRET, request, AT(-300))),
    ]).toEqual([undefined, undefined]);
  });

  it.each([
    ['another body', { ...request, rawBody: `${BODY}&x=1` }, AT(0), 'BAD_SIGNATURE'],
    ['another timestamp', { ...request, timestamp: String(Number(TIMESTAMP) + 1) }, AT(0), 'BAD_SIGNATURE'],
    ['a signature in upper case', { ...request, signature: SIGNATURE.toUpperCase() }, AT(0), 'MALFORMED'],
    ['a v1 signature', { ...request, signature: SIGNATURE.replace('v0=', 'v1=') }, AT(0), 'MALFORMED'],
    ['no signature', { ...request, signature: undefined }, AT(0), 'MALFORMED'],
    ['no timestamp', { ...request, timestamp: undefined }, AT(0), 'MALFORMED'],
    ['a timestamp that is not a number', { ...request, timestamp: '1765000000.5' }, AT(0), 'MALFORMED'],
    ['a timestamp over five minutes old', request, AT(301), 'STALE'],
    ['a timestamp over five minutes ahead', request, AT(-301), 'STALE'],
  ] as const)('refuses %s', (_, req, now, detail) => {
    expect(refusal(() => verifySlackRequest(SECRET, req, now))).toBe(detail);
  });

  it('refuses a signature made with another secret', () => {
    const forged = slackSignature('0'.repeat(32), TIMESTAMP, BODY);
    expect(refusal(() => verifySlackRequest(SECRET, { ...request, signature: forged }, AT(0)))).toBe('BAD_SIGNATURE');
  });
});

describe('Function: parseSlackInteraction', () => {
  const APPROVAL = '0123456789abcdef0123456789abcdef';
  const ESD = `sha256:${'ab'.repeat(32)}`;
  const body = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const click = {
    type: 'block_actions',
    user: { id: 'U0BOB' },
    response_url: 'https://hooks.slack.com/actions/T0/1/x',
    container: { type: 'message', message_ts: '1765000000.000100', channel_id: 'C0REL' },
    trigger_id: '1765000001.T0.abc',
    actions: [{ type: 'button', action_id: 'reject', value: slackButtonValue(APPROVAL, ESD) }],
  };

  it('reads who clicked which button, for which approval and evidence set', () => {
    expect(parseSlackInteraction(body(click))).toEqual({
      kind: 'click',
      triggerId: '1765000001.T0.abc',
      userId: 'U0BOB',
      decision: 'reject',
      approvalId: APPROVAL,
      evidenceSetDigest: ESD,
      responseUrl: click.response_url,
      messageTs: '1765000000.000100',
      channelId: 'C0REL',
    });
  });

  it.each([
    ['no payload field', 'x=1'],
    ['a payload that is not JSON', 'payload=%7B'],
    ['another interaction type', body({ ...click, type: 'view_submission' })],
    ['another action', body({ ...click, actions: [{ ...click.actions[0], action_id: 'delete' }] })],
    ['a value without an evidence set', body({ ...click, actions: [{ ...click.actions[0], value: APPROVAL }] })],
    ['two actions', body({ ...click, actions: [click.actions[0], click.actions[0]] })],
    ['a user id that is not a Slack one', body({ ...click, user: { id: 'alice@example.com' } })],
  ])('refuses %s', (_, raw) => {
    expect(refusal(() => parseSlackInteraction(raw))).toBe('MALFORMED');
  });

  describe('when the reject modal is submitted', () => {
    const parsedClick = parseSlackInteraction(body(click));
    const submission = (over: { metadata?: string; callback?: string; reason?: string | null } = {}) =>
      body({
        type: 'view_submission',
        user: { id: 'U0CAROL' },
        view: {
          callback_id: over.callback ?? 'release-gate-reject',
          private_metadata: over.metadata ?? String(rejectModal(parsedClick).private_metadata),
          state: {
            values: {
              reason: { reason: { type: 'plain_text_input', value: 'reason' in over ? over.reason : ' not ready ' } },
            },
          },
        },
      });

    it('reads the reason, the submitter, and the approval and evidence set the modal was opened for', () => {
      expect(parseSlackInteraction(submission())).toEqual({
        kind: 'reject-reason',
        userId: 'U0CAROL',
        decision: 'reject',
        comment: 'not ready',
        approvalId: APPROVAL,
        evidenceSetDigest: ESD,
        responseUrl: click.response_url,
        messageTs: '1765000000.000100',
        channelId: 'C0REL',
      });
    });

    it('reads an empty reason as empty (the handler asks again)', () => {
      expect(parseSlackInteraction(submission({ reason: null }))).toMatchObject({ comment: '' });
    });

    it.each([
      ['another modal', submission({ callback: 'other' })],
      ['metadata that is not ours', submission({ metadata: '{"value":"x"}' })],
      ['metadata that is not JSON', submission({ metadata: 'approve me' })],
    ])('refuses %s', (_, raw) => {
      expect(refusal(() => parseSlackInteraction(raw))).toBe('MALFORMED');
    });
  });
});

describe('Function: parseSlackSigningSecret', () => {
  it('takes a Slack-style secret, trimmed, and refuses a short one', () => {
    expect(parseSlackSigningSecret(`${SECRET}\n`, 'file')).toBe(SECRET);
    expect(() => parseSlackSigningSecret('short', 'file')).toThrow(ConfigError);
  });
});
