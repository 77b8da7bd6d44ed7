/**
 * Slack buttons on the local approval server (issue 8): `POST /slack/interactions` with
 * `block_actions` payloads signed as Slack signs them (HMAC-SHA256 with the app's signing secret),
 * sent over HTTP. Only a correctly signed, fresh click by an allowed Slack user who did not push the
 * release, for the evidence set the approval is for, counts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { rejectModal, slackButtonValue } from '../../lambdas/domain/approval/slack.js';
import type { PolicyDocument } from '../../lambdas/domain/policy/schema.js';
import { clickBody, postSlackInteraction, reasonBody } from '../support/slack-clicks.js';
import { buildGoodRelease, type LocalWorld, lastState, useLocalWorld } from '../support/world.js';

const ALICE_IAM = 'arn:aws:iam::000000000000:user/alice';
const REPOSITORY = 'slack/app';

/** alice pushes (IAM) and has a Slack id; bob answers in Slack; carol is a person but not allowed. */
function withSlackRule(policy: PolicyDocument): PolicyDocument {
  const [demo] = policy.rules;
  if (demo === undefined) throw new Error('the demo policy has no rule');
  const people = [
    { email: 'alice@example.com', slack: 'U0ALICE', iam: [ALICE_IAM] },
    { email: 'bob@example.com', slack: 'U0BOB', iam: [] },
    { email: 'carol@example.com', slack: 'U0CAROL', iam: [] },
  ];
  const approval = { ...demo.approval, people, approvers: ['alice@example.com', 'bob@example.com'], quorum: 1 };
  return { ...policy, rules: [{ ...demo, repositories: ['slack/**'], approval }, ...policy.rules] };
}

/** The ephemeral text Slack would show the clicking user. */
const textOf = async (res: Response): Promise<string> => ((await res.json()) as { text: string }).text;

let told = 0;

describe('Server: Slack interactions on the local approval server (issue 8)', () => {
  const world = useLocalWorld({ tweak: withSlackRule });
  let w: LocalWorld;
  let approvalId: string;
  let evidenceSetDigest: string;
  let finished: () => ReturnType<LocalWorld['gate']['waitForExecution']>;
  let secret: string;

  /** Posts `body` to the Slack route, signed with `key` at `timestamp` (seconds), as Slack would. */
  const post = (body: string, opts: { key?: string; timestamp?: number } = {}) =>
    postSlackInteraction(w.gate.approvalBaseUrl, opts.key ?? secret, body, opts.timestamp);
  const click = (user: string, action: 'approve' | 'reject' = 'approve', esd = evidenceSetDigest) =>
    post(clickBody(user, action, slackButtonValue(approvalId, esd), undefined, w.gate.slack?.responseUrl(user)));
  /** Clicks, waits for the queued decision, and returns what the clicker was told (response_url). */
  const clickAndHear = async (user: string, esd = evidenceSetDigest): Promise<string> => {
    const res = await click(user, 'approve', esd);
    expect(res.status).toBe(200);
    await w.gate.slackWork?.settled();
    const calls = w.gate.slack?.callsOf('response_url') ?? [];
    const fresh = calls.slice(told);
    told = calls.length;
    expect(fresh).toHaveLength(1);
    expect(fresh[0]?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    return String(((fresh[0]?.body ?? {}) as { text?: unknown }).text);
  };
  const state = async () => (await w.deps.gate.store.getApproval(approvalId))?.state;

  beforeAll(async () => {
    w = world();
    const built = await buildGoodRelease(w, REPOSITORY);
    const requested = new Promise<Readonly<Record<string, unknown>>>((resolve) =>
      w.gate.onOutcome((e) => {
        if (e.type === 'Approval Requested' && e.detail.repository === REPOSITORY) resolve(e.detail);
      }),
    );
    const pushed = await w.gate.push(REPOSITORY, built.subject.tag, { pusher: ALICE_IAM });
    const detail = await requested;
    approvalId = String(detail.approvalId);
    evidenceSetDigest = String(detail.evidenceSetDigest);
    finished = () => w.gate.waitForExecution(pushed.executionName ?? '');
    // The local gate generated the secret file (0600); a real app's secret is pasted there.
    secret = (await w.deps.gate.slackSigningSecret?.getSlackSigningSecret()) ?? '';
  });

  it('answers 401 to a click signed with another secret, and stores nothing', async () => {
    const res = await post(clickBody('U0BOB', 'approve', slackButtonValue(approvalId, evidenceSetDigest)), {
      key: 'ffffffffffffffffffffffffffffffff',
    });

    expect(res.status).toBe(401);
    expect(await state()).toBe('PENDING');
    expect((await w.deps.gate.store.getApproval(approvalId))?.approvals).toEqual([]);
  });

  it('answers 401 to a correctly signed click whose timestamp is more than 5 minutes old', async () => {
    const res = await post(clickBody('U0BOB', 'approve', slackButtonValue(approvalId, evidenceSetDigest)), {
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });

    expect(res.status).toBe(401);
    expect(await state()).toBe('PENDING');
  });

  it('refuses Slack users who are not allowed (unknown, listed but not an approver), telling them through response_url', async () => {
    const unknown = await clickAndHear('U0MALLORY');
    const carol = await clickAndHear('U0CAROL');

    expect(unknown).toContain('U0MALLORY is not an allowed approver');
    expect(carol).toContain('U0CAROL is not an allowed approver');
    expect(await state()).toBe('PENDING');
  });

  it('refuses the pusher’s Slack id (separation of duties), telling them through response_url', async () => {
    const heard = await clickAndHear('U0ALICE');

    expect(heard).toContain('separation of duties');
    expect(await state()).toBe('PENDING');
  });

  it('refuses a button for another evidence set', async () => {
    const heard = await clickAndHear('U0BOB', `sha256:${'0'.repeat(64)}`);

    expect(heard).toContain('is for evidence set');
    expect(await state()).toBe('PENDING');
  });

  it('answers with an ephemeral error (a modal: an error at its input), and decides nothing, when the answer cannot be queued', async () => {
    // Prepare: the queue refuses, as a failed Lambda Invoke does.
    const queue = w.deps.gate.slackWork;
    Object.assign(w.deps.gate, {
      slackWork: {
        enqueue: async () => {
          throw new Error('Lambda Invoke failed');
        },
      },
    });

    const modal = rejectModal({ userId: 'U0BOB', decision: 'reject', approvalId, evidenceSetDigest });

    // Act
    const res = await click('U0BOB');
    const reason = await post(reasonBody('U0BOB', modal, 'not ready')).finally(() =>
      Object.assign(w.deps.gate, { slackWork: queue }),
    );

    // Assess
    expect(res.status).toBe(200);
    expect(await textOf(res)).toMatch(/^Not recorded: .*Lambda Invoke failed/);
    // The modal stays open and says so next to the reason.
    expect(await reason.json()).toEqual({
      response_action: 'errors',
      errors: { reason: expect.stringMatching(/^Not recorded: .*Lambda Invoke failed/) },
    });
    expect(await state()).toBe('PENDING');
  });

  it('takes a correctly signed click by an allowed Slack user, records it as Slack, and promotes', async () => {
    const heard = await clickAndHear('U0BOB');
    const exec = await finished();

    expect(heard).toContain('approved');
    expect(lastState(exec)).toBe('Promoted');
    const approval = await w.deps.gate.store.getApproval(approvalId);
    expect(approval).toMatchObject({ state: 'APPROVED', approvals: [{ by: 'U0BOB', via: 'slack' }] });
    const evidence = await w.deps.gate.store.getEvidence(REPOSITORY, approval?.digest ?? '', 'approval');
    expect(evidence?.reasons).toContain('identities: U0BOB (Slack button, signed request)');
  });
});
