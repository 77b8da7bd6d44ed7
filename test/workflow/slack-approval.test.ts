/**
 * The approval's Slack message on the embedded stack (issue 8 §5): RequestApproval posts it to the
 * policy's channel through the real Web API adapter to the local Slack receiver; a correctly signed
 * Approve click answers it; the message is then replaced with the outcome (chat.update). A retried
 * request does not post twice, and a request that posts nothing (no channel, a refused post) says
 * why in its notification.
 */
import { describe, expect, it } from 'vitest';
import type { SlackCall } from '../../cli/local/slack-receiver.js';
import { parseSlackInteraction } from '../../lambdas/domain/approval/slack.js';
import type { PolicyDocument } from '../../lambdas/domain/policy/schema.js';
import { requestApproval } from '../../lambdas/domain/workflow/request-approval.js';
import { clickBody, postSlackInteraction, reasonBody } from '../support/slack-clicks.js';
import { buildGoodRelease, type LocalWorld, lastState, postApproval, useLocalWorld } from '../support/world.js';

const CHANNELS = ['#releases'];

/** Every rule's approvers answer in Slack too; each repository prefix its own channel or none. */
function withSlackRules(policy: PolicyDocument): PolicyDocument {
  const [demo] = policy.rules;
  if (demo === undefined) throw new Error('the demo policy has no rule');
  const people = [
    { email: 'alice@example.com', slack: 'U0ALICE', iam: [] },
    { email: 'bob@example.com', slack: 'U0BOB', iam: [] },
  ];
  const rule = (glob: string, approval: Record<string, unknown>) => ({
    ...demo,
    repositories: [glob],
    approval: { ...demo.approval, people, ...approval },
  });
  const { slackChannel: _, ...noChannel } = demo.approval;
  return {
    ...policy,
    rules: [
      rule('chat/posted/**', { slackChannel: '#releases' }),
      rule('chat/expiry/**', { slackChannel: '#releases', timeoutSeconds: 1 }),
      rule('chat/lost/**', { slackChannel: '#gone' }),
      rule('chat/quorum/**', { slackChannel: '#releases', quorum: 2 }),
      { ...demo, repositories: ['chat/quiet/**'], approval: { ...noChannel, people } },
      ...policy.rules,
    ],
  };
}

/** Pushes a good release and waits for its approval request's notification detail. */
async function requested(w: LocalWorld, repository: string) {
  const built = await buildGoodRelease(w, repository);
  const detail = new Promise<Readonly<Record<string, unknown>>>((resolve) =>
    w.gate.onOutcome((e) => {
      if (e.type === 'Approval Requested' && e.detail.repository === repository) resolve(e.detail);
    }),
  );
  const pushed = await w.gate.push(repository, built.subject.tag);
  const d = await detail;
  return {
    detail: d,
    approvalId: String(d.approvalId),
    digest: pushed.digest,
    finished: () => w.gate.waitForExecution(pushed.executionName ?? ''),
  };
}

const bodyOf = (call: SlackCall | undefined) => (call?.body ?? {}) as Record<string, unknown>;
/** The value of a button of a posted request message. */
const buttonOf = (post: SlackCall | undefined, action: 'approve' | 'reject'): string => {
  const blocks = bodyOf(post).blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
  return blocks.find((b) => b.type === 'actions')?.elements?.find((e) => e.action_id === action)?.value ?? '';
};
const postsFor = (w: LocalWorld, approvalId: string) =>
  (w.gate.slack?.callsOf('chat.postMessage') ?? []).filter((c) => JSON.stringify(c.body).includes(approvalId));

describe('Workflow: the approval message in Slack (issue 8 §5)', () => {
  const world = useLocalWorld({ tweak: withSlackRules, slackChannels: CHANNELS });

  it('posts the request, takes a signed Approve click, promotes, and replaces the message with the outcome', async () => {
    // Prepare
    const w = world();
    const r = await requested(w, 'chat/posted/app');
    const approval = await w.deps.gate.store.getApproval(r.approvalId);
    const [post] = postsFor(w, r.approvalId);
    const blocks = bodyOf(post).blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
    const approve = blocks.find((b) => b.type === 'actions')?.elements?.find((e) => e.action_id === 'approve');
    const secret = (await w.deps.gate.slackSigningSecret?.getSlackSigningSecret()) ?? '';
    const message = approval?.slackMessage ?? { channel: '', ts: '' };

    // Act: bob clicks Approve on the posted message, as Slack sends it.
    const res = await postSlackInteraction(
      w.gate.approvalBaseUrl,
      secret,
      clickBody('U0BOB', 'approve', approve?.value ?? '', message),
    );
    const exec = await r.finished();

    // Assess
    expect(bodyOf(post)).toMatchObject({ channel: '#releases', text: expect.stringContaining('chat/posted/app') });
    expect(post?.response).toMatchObject({ ok: true, channel: message.channel, ts: message.ts });
    expect(r.detail.slackChannel).toBe(`slack: posted to ${message.channel} (ts ${message.ts})`);
    // The button carries what a click is checked against: this approval and its evidence set.
    const clicked = parseSlackInteraction(clickBody('U0BOB', 'approve', approve?.value ?? ''));
    expect([clicked.approvalId, clicked.evidenceSetDigest]).toEqual([r.approvalId, approval?.evidenceSetDigest]);
    expect(res.status).toBe(200);
    expect(lastState(exec)).toBe('Promoted');
    const updates = (w.gate.slack?.callsOf('chat.update') ?? []).filter((c) => bodyOf(c).ts === message.ts);
    expect(updates).toHaveLength(1);
    expect(bodyOf(updates[0])).toMatchObject({ channel: message.channel, text: expect.stringMatching(/^Approved: /) });
    expect(JSON.stringify(bodyOf(updates[0]).blocks)).toContain('U0BOB (Slack button, signed request)');
    expect(JSON.stringify(bodyOf(updates[0]).blocks)).not.toContain('"actions"');
    expect(updates[0]?.response).toMatchObject({ ok: true });
  });

  it('acknowledges a click before deciding it, then decides, updates the message and tells the clicker', async () => {
    // Prepare
    const w = world();
    const r = await requested(w, 'chat/posted/acked');
    const approval = await w.deps.gate.store.getApproval(r.approvalId);
    const value = buttonOf(postsFor(w, r.approvalId)[0], 'approve');
    const secret = (await w.deps.gate.slackSigningSecret?.getSlackSigningSecret()) ?? '';
    const message = approval?.slackMessage ?? { channel: '', ts: '' };
    const hook = w.gate.slack?.responseUrl('acked') ?? '';
    // The work waits until released: what the answer said is seen before anything is decided.
    w.gate.slackWork?.hold();

    // Act
    const res = await postSlackInteraction(
      w.gate.approvalBaseUrl,
      secret,
      clickBody('U0BOB', 'approve', value, message, hook),
    );
    const acked = {
      status: res.status,
      body: await res.json(),
      state: (await w.deps.gate.store.getApproval(r.approvalId))?.state,
    };
    w.gate.slackWork?.release();
    await w.gate.slackWork?.settled();
    const exec = await r.finished();

    // Assess
    expect(acked).toEqual({
      status: 200,
      body: { response_type: 'ephemeral', replace_original: false, text: 'Recording your approval…' },
      state: 'PENDING',
    });
    expect(lastState(exec)).toBe('Promoted');
    const updates = (w.gate.slack?.callsOf('chat.update') ?? []).filter((c) => bodyOf(c).ts === message.ts);
    expect(bodyOf(updates.at(-1)).text).toMatch(/^Approved: /);
    const told = w.gate.slack?.callsOf('response_url') ?? [];
    expect(told.map((c) => bodyOf(c).text)).toContainEqual(
      expect.stringMatching(/^Release approved: chat\/posted\/acked@/),
    );
  });

  it('opens a reason modal on Reject, refuses an empty reason, and rejects with the reason given', async () => {
    // Prepare
    const w = world();
    const r = await requested(w, 'chat/posted/rejected');
    const approval = await w.deps.gate.store.getApproval(r.approvalId);
    const value = buttonOf(postsFor(w, r.approvalId)[0], 'reject');
    const secret = (await w.deps.gate.slackSigningSecret?.getSlackSigningSecret()) ?? '';
    const message = approval?.slackMessage ?? { channel: '', ts: '' };
    const post = (body: string) => postSlackInteraction(w.gate.approvalBaseUrl, secret, body);
    const click = clickBody('U0BOB', 'reject', value, message, w.gate.slack?.responseUrl('rejected'));

    // Act 1: the Reject click opens the modal, and decides nothing.
    const clicked = await post(click);
    const [opened] = (w.gate.slack?.callsOf('views.open') ?? []).filter((c) =>
      JSON.stringify(c.body).includes(r.approvalId),
    );
    const view = (bodyOf(opened).view ?? {}) as { private_metadata?: string; blocks?: unknown[] };

    // Assess 1
    expect(clicked.status).toBe(200);
    expect(await clicked.text()).toBe('');
    expect(bodyOf(opened).trigger_id).toBe(JSON.parse(new URLSearchParams(click).get('payload') ?? '{}').trigger_id);
    expect(opened?.response).toMatchObject({ ok: true });
    expect(JSON.stringify(view.blocks)).toContain('"type":"plain_text_input"');
    expect(JSON.parse(view.private_metadata ?? '{}')).toMatchObject({
      value: `${r.approvalId}:${approval?.evidenceSetDigest}`,
    });

    // Act 2: an empty (blank) reason.
    const empty = await post(reasonBody('U0BOB', view, '   '));

    // Assess 2
    expect(empty.status).toBe(200);
    expect(await empty.json()).toEqual({
      response_action: 'errors',
      errors: { reason: expect.stringContaining('reason') },
    });
    expect(w.gate.slackWork?.pending).toBe(0);
    expect((await w.deps.gate.store.getApproval(r.approvalId))?.state).toBe('PENDING');

    // Act 3: the reason.
    const submitted = await post(reasonBody('U0BOB', view, 'libfoo 2.0 changes its licence to AGPL'));
    await w.gate.slackWork?.settled();
    const exec = await r.finished();

    // Assess 3
    expect(submitted.status).toBe(200);
    expect(await submitted.text()).toBe('');
    expect(lastState(exec)).toBe('Quarantined');
    expect(await w.deps.gate.store.getApproval(r.approvalId)).toMatchObject({
      state: 'REJECTED',
      decidedBy: 'U0BOB',
      comment: 'libfoo 2.0 changes its licence to AGPL',
    });
    const updates = (w.gate.slack?.callsOf('chat.update') ?? []).filter((c) => bodyOf(c).ts === message.ts);
    expect(bodyOf(updates.at(-1)).text).toMatch(/^Rejected: /);
    expect(JSON.stringify(bodyOf(updates.at(-1)).blocks)).toContain('libfoo 2.0 changes its licence to AGPL');
  });

  it('posts once when RequestApproval is retried, and the retry still answers to the first message', async () => {
    // Prepare
    const w = world();
    const r = await requested(w, 'chat/posted/retried');
    const first = await w.deps.gate.store.getApproval(r.approvalId);
    if (first === null) throw new Error('no approval was stored');

    // Act: the task again, as Step Functions retries it after a crash (a new task token).
    await requestApproval(w.deps.gate, {
      repository: 'chat/posted/retried',
      digest: r.digest,
      stage: 'production',
      taskToken: 'token-of-the-retry',
      reasons: [],
      timeoutSeconds: 3600,
    });
    // The workflow still waits on the first attempt's token: point the approval back at it.
    await w.deps.gate.store.rebindApproval(r.approvalId, first.taskToken, first.tokenHash);
    const answered = await postApproval(String(r.detail.url), {
      decision: 'reject',
      by: 'bob@example.com',
      comment: 'not this one',
    });
    await r.finished();

    // Assess
    expect(postsFor(w, r.approvalId)).toHaveLength(1);
    expect((await w.deps.gate.store.getApproval(r.approvalId))?.slackMessage).toEqual(first.slackMessage);
    expect(answered.status).toBe(200);
    const updates = (w.gate.slack?.callsOf('chat.update') ?? []).filter((c) => bodyOf(c).ts === first.slackMessage?.ts);
    expect(bodyOf(updates.at(-1)).text).toMatch(/^Rejected: /);
  });

  it('replaces the message of an approval that expires with the expiry', async () => {
    // Prepare
    const w = world();
    const r = await requested(w, 'chat/expiry/app');

    // Act
    const exec = await r.finished();

    // Assess
    const message = (await w.deps.gate.store.getApproval(r.approvalId))?.slackMessage;
    expect(lastState(exec)).toBe('Quarantined');
    const updates = (w.gate.slack?.callsOf('chat.update') ?? []).filter((c) => bodyOf(c).ts === message?.ts);
    expect(bodyOf(updates.at(-1)).text).toMatch(/^Expired: /);
    expect(JSON.stringify(bodyOf(updates.at(-1)).blocks)).toContain('approval-expired');
  });

  it('shows the quorum progress after each approval short of the quorum, buttons kept', async () => {
    // Prepare
    const w = world();
    const r = await requested(w, 'chat/quorum/app');
    const message = (await w.deps.gate.store.getApproval(r.approvalId))?.slackMessage;
    const updates = () => (w.gate.slack?.callsOf('chat.update') ?? []).filter((c) => bodyOf(c).ts === message?.ts);

    // Act
    await postApproval(String(r.detail.url), { decision: 'approve', by: 'bob@example.com' });
    const progress = updates().map((c) => JSON.stringify(bodyOf(c).blocks));
    await postApproval(String(r.detail.url), { decision: 'approve', by: 'alice@example.com' });
    const exec = await r.finished();

    // Assess
    expect(progress).toHaveLength(1);
    expect(progress[0]).toContain('1 of 2 (bob@example.com)');
    expect(progress[0]).toContain('"action_id":"approve"');
    expect(lastState(exec)).toBe('Promoted');
    expect(bodyOf(updates().at(-1)).text).toMatch(/^Approved: /);
  });

  it('promotes all the same when Slack refuses the update, and reports it on the topic', async () => {
    // Prepare: a message Slack no longer has (deleted from the channel).
    const w = world();
    const r = await requested(w, 'chat/quiet/deleted');
    await w.deps.gate.store.recordApprovalMessage(r.approvalId, { channel: 'C0RELEASES', ts: '1765000000.999999' });

    // Act
    const answered = await postApproval(String(r.detail.url), { decision: 'approve', by: 'bob@example.com' });
    const exec = await r.finished();

    // Assess
    expect(answered.status).toBe(200);
    expect(lastState(exec)).toBe('Promoted');
    const refused = (w.gate.slack?.callsOf('chat.update') ?? []).filter((c) => bodyOf(c).ts === '1765000000.999999');
    expect(refused.map((c) => c.response)).toEqual([{ ok: false, error: 'message_not_found' }]);
    const report = w.gate.notifications.find(
      (n) => n.message.approvalId === r.approvalId && n.subject.startsWith('Slack'),
    );
    expect(report?.subject).toBe(`Slack message not updated: chat/quiet/deleted@sha256:${r.digest.slice(7, 19)}`);
    expect(String(report?.message.error)).toContain('message_not_found');
  });

  it('posts nothing without a channel, and reports a refused post, in the request detail', async () => {
    // Prepare
    const w = world();

    // Act
    const [quiet, lost] = await Promise.all([requested(w, 'chat/quiet/app'), requested(w, 'chat/lost/app')]);
    await Promise.all(
      [quiet, lost].map((r) =>
        postApproval(String(r.detail.url), { decision: 'reject', by: 'bob@example.com', comment: 'not this one' }),
      ),
    );
    await Promise.all([quiet.finished(), lost.finished()]);

    // Assess
    expect(quiet.detail.slackChannel).toBe('none: the policy names no approval.slackChannel; nothing posted');
    expect(lost.detail.slackChannel).toMatch(/^failed: the Slack message to #gone was not posted: .*channel_not_found/);
    expect(postsFor(w, quiet.approvalId)).toEqual([]);
    expect(postsFor(w, lost.approvalId).map((c) => c.response)).toEqual([{ ok: false, error: 'channel_not_found' }]);
    expect((await w.deps.gate.store.getApproval(lost.approvalId))?.slackMessage).toBeUndefined();
  });
});
