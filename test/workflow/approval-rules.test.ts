/**
 * The approval rules on the embedded stack (issue 8 §2, §3): separation of duties, quorum, the
 * allowlist, one final reject, expiry, and the binding of an approval to the evidence set it was
 * requested for. Each repository prefix has its own rule, so one local world serves every case.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { LOCAL_PUSHER } from '../../cli/local/gate.js';
import { awsClients } from '../../lambdas/adapters/aws/clients.js';
import { itemKeys } from '../../lambdas/adapters/store/table-schema.js';
import type { ApprovalPolicy } from '../../lambdas/domain/evidence/approval-policy.js';
import type { PolicyDocument } from '../../lambdas/domain/policy/schema.js';
import { buildGoodRelease, type LocalWorld, lastState, postApproval, useLocalWorld } from '../support/world.js';

const ALICE_IAM = 'arn:aws:iam::000000000000:user/alice';

/** One list of people: alice pushes with her IAM user and answers with her email or Slack id. */
const PEOPLE = [
  { email: 'alice@example.com', slack: 'U0ALICE', iam: [ALICE_IAM] },
  { email: 'bob@example.com', slack: 'U0BOB', iam: [] },
  { email: 'carol@example.com', iam: [] },
];

/** The approval rules of each repository prefix (the rest of the rule is the demo's). */
const RULES: Readonly<Record<string, Partial<ApprovalPolicy>>> = {
  'rules/sod/**': { people: PEOPLE },
  'rules/quorum/**': { people: PEOPLE, quorum: 2 },
  'rules/allow/**': { people: PEOPLE, approvers: ['bob@example.com'] },
  'rules/reject/**': { people: PEOPLE },
  'rules/expiry/**': { people: PEOPLE, timeoutSeconds: 1 },
  'rules/changed/**': { people: PEOPLE },
  'rules/unknown/**': { people: PEOPLE },
};

function withRules(policy: PolicyDocument): PolicyDocument {
  const [demo] = policy.rules;
  if (demo === undefined) throw new Error('the demo policy has no rule');
  const own = Object.entries(RULES).map(([glob, approval]) => ({
    ...demo,
    repositories: [glob],
    approval: { ...demo.approval, ...approval },
  }));
  return { ...policy, rules: [...own, ...policy.rules] };
}

/** Builds a good release, pushes it and waits until its approval is requested. */
async function untilApprovalRequested(w: LocalWorld, repository: string, pusher: string | null = LOCAL_PUSHER) {
  const built = await buildGoodRelease(w, repository);
  const requested = new Promise<Readonly<Record<string, unknown>>>((resolve) => {
    w.gate.onOutcome((e) => {
      if (e.type === 'Approval Requested' && e.detail.repository === repository) resolve(e.detail);
    });
  });
  const pushed = await w.gate.push(repository, built.subject.tag, { pusher });
  const detail = await requested;
  const url = String(detail.url);
  const approvalId = String(detail.approvalId);
  const answer = (decision: 'approve' | 'reject', by: string) =>
    postApproval(url, { decision, by, comment: `${decision} by ${by}` });
  const finished = () => w.gate.waitForExecution(pushed.executionName ?? '');
  const store = w.deps.gate.store;
  return { digest: pushed.digest, detail, approvalId, answer, finished, store };
}

describe('Workflow: approval rules on the local stack', () => {
  const world = useLocalWorld({ tweak: withRules });

  describe('when the pusher approves their own release (separation of duties)', () => {
    it('refuses the pusher under any of their identities and promotes on another person’s approval', async () => {
      // Prepare
      const w = world();
      const r = await untilApprovalRequested(w, 'rules/sod/app', ALICE_IAM);

      // Act
      const byEmail = await r.answer('approve', 'alice@example.com');
      const bySlack = await r.answer('approve', 'U0ALICE');
      const stillPending = await r.store.getApproval(r.approvalId);
      const byBob = await r.answer('approve', 'bob@example.com');
      const exec = await r.finished();

      // Assess
      expect([byEmail.status, bySlack.status]).toEqual([403, 403]);
      expect(await byEmail.text()).toContain('separation of duties');
      expect(stillPending).toMatchObject({ state: 'PENDING', approvals: [], pushers: [ALICE_IAM] });
      expect(byBob.status).toBe(200);
      expect(lastState(exec)).toBe('Promoted');
    });
  });

  describe('when the rule asks for a quorum of two', () => {
    it('waits after one approval and after the same person again, and promotes on the second person', async () => {
      // Prepare
      const w = world();
      const r = await untilApprovalRequested(w, 'rules/quorum/app');

      // Act
      const first = await r.answer('approve', 'alice@example.com');
      const afterOne = await r.store.getApproval(r.approvalId);
      const sameAgain = await r.answer('approve', 'U0ALICE');
      const afterSame = await r.store.getApproval(r.approvalId);
      const releaseWhileWaiting = await r.store.getRelease('rules/quorum/app', r.digest);
      const second = await r.answer('approve', 'bob@example.com');
      const exec = await r.finished();

      // Assess
      expect([first.status, sameAgain.status, second.status]).toEqual([200, 200, 200]);
      expect(await first.text()).toContain('1 of 2 approvals; waiting for 1 more');
      expect(afterOne).toMatchObject({ state: 'PENDING', required: 2 });
      expect(afterOne?.approvals.map((a) => a.by)).toEqual(['alice@example.com']);
      expect(afterSame).toMatchObject({ state: 'PENDING' });
      expect(afterSame?.approvals.map((a) => a.person)).toEqual(['alice@example.com']);
      expect(releaseWhileWaiting?.state).toBe('AWAITING_APPROVAL');
      expect(lastState(exec)).toBe('Promoted');
      const evidence = await r.store.getEvidence('rules/quorum/app', r.digest, 'approval');
      expect(evidence?.facts).toMatchObject({
        required: 2,
        approvals: [{ by: 'alice@example.com' }, { by: 'bob@example.com' }],
        evidenceSetDigest: r.detail.evidenceSetDigest,
      });
    });
  });

  describe('when someone not on the allowlist answers', () => {
    it('refuses them with 403, leaves the approval pending, and takes the listed approver', async () => {
      // Prepare
      const w = world();
      const r = await untilApprovalRequested(w, 'rules/allow/app');

      // Act
      const carol = await r.answer('approve', 'carol@example.com');
      const pending = await r.store.getApproval(r.approvalId);
      const bob = await r.answer('approve', 'U0BOB');
      const exec = await r.finished();

      // Assess
      expect(carol.status).toBe(403);
      expect(await carol.text()).toContain('not an allowed approver');
      expect(pending).toMatchObject({ state: 'PENDING', approvals: [] });
      expect(bob.status).toBe(200);
      expect(lastState(exec)).toBe('Promoted');
    });
  });

  describe('when an approval follows a reject', () => {
    it('refuses it with 409: one reject is final, and the release is quarantined', async () => {
      // Prepare
      const w = world();
      const r = await untilApprovalRequested(w, 'rules/reject/app');

      // Act
      const reject = await r.answer('reject', 'bob@example.com');
      const approve = await r.answer('approve', 'carol@example.com');
      const exec = await r.finished();

      // Assess
      expect([reject.status, approve.status]).toEqual([200, 409]);
      expect(lastState(exec)).toBe('Quarantined');
      expect(await r.store.getApproval(r.approvalId)).toMatchObject({ state: 'REJECTED', approvals: [] });
    });
  });

  describe('when nobody approves before the timeout', () => {
    it('quarantines with the reason approval-expired', async () => {
      // Prepare
      const w = world();
      const r = await untilApprovalRequested(w, 'rules/expiry/app');

      // Act
      const exec = await r.finished();

      // Assess
      expect(lastState(exec)).toBe('Quarantined');
      const release = await r.store.getRelease('rules/expiry/app', r.digest);
      expect(release?.outcomeReasons?.[0]).toBe('approval-expired');
      expect((await r.store.getEvidence('rules/expiry/app', r.digest, 'approval'))?.status).toBe('MISSING');
    });
  });

  describe('when the evidence changes between the request and the approval', () => {
    it('voids the approval: not promoted, quarantined with evidence-changed-after-approval', async () => {
      // Prepare
      const w = world();
      const r = await untilApprovalRequested(w, 'rules/changed/app');
      const { dynamoDocument } = awsClients({ endpoints: { dynamodb: w.gate.standIns.dynamoEndpoint } });
      // A new finding lands on the stored scan evidence after the approver was asked.
      await dynamoDocument.send(
        new UpdateCommand({
          TableName: w.gate.standIns.tableName,
          Key: itemKeys.evidence('rules/changed/app', r.digest, 'scan'),
          UpdateExpression: 'SET reasons = list_append(reasons, :finding)',
          ExpressionAttributeValues: { ':finding': ['1 HIGH finding: CVE-2026-0001 in left-pad 1.3.0'] },
        }),
      );

      // Act
      const approve = await r.answer('approve', 'bob@example.com');
      const exec = await r.finished();

      // Assess
      expect(approve.status).toBe(200);
      expect(lastState(exec)).toBe('Quarantined');
      const release = await r.store.getRelease('rules/changed/app', r.digest);
      expect(release?.outcomeReasons?.[0]).toBe('evidence-changed-after-approval');
      expect(release?.outcomeReasons?.[1]).toContain(String(r.detail.evidenceSetDigest));
      await expect(w.registry.getManifest('prod/rules/changed/app', r.digest)).rejects.toThrow();
    });
  });

  describe('when the pusher is unknown and separation of duties applies', () => {
    it('requires one approver more than the quorum and says why', async () => {
      // Prepare
      const w = world();
      const r = await untilApprovalRequested(w, 'rules/unknown/app', null);

      // Act
      const first = await r.answer('approve', 'alice@example.com');
      const afterOne = await r.store.getApproval(r.approvalId);
      const second = await r.answer('approve', 'bob@example.com');
      const exec = await r.finished();

      // Assess
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(r.detail.required).toBe(2);
      expect(JSON.stringify(r.detail.requiredReasons)).toContain('the pusher of this image is unknown');
      expect(afterOne).toMatchObject({ state: 'PENDING', required: 2, pushers: [] });
      expect(lastState(exec)).toBe('Promoted');
    });
  });
});
