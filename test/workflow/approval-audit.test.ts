/**
 * The approval audit trail on the embedded stack (issue 8 §6): every request, view, counted answer,
 * refusal and expiry is an audit record with its identity, channel, time, origin, evidence-set
 * digest and outcome; the final approval record is written to the evidence bucket and referenced
 * by the approval evidence; `Approval Decided` and `Approval Expired` are announced.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signLink } from '../../lambdas/domain/approval/link.js';
import type { PolicyDocument } from '../../lambdas/domain/policy/schema.js';
import type { ApprovalAuditRecord } from '../../lambdas/domain/records.js';
import { APPROVAL_RECORD_MEDIA_TYPE, APPROVAL_RECORD_NAME } from '../../lambdas/domain/workflow/approval-audit.js';
import {
  answerLink,
  buildGoodRelease,
  type LocalWorld,
  lastState,
  mailedLinks,
  postApproval,
  useLocalWorld,
} from '../support/world.js';

/** Quorum of two for `audit/quorum/**`, a one-second timeout for `audit/expiry/**`, the demo's for `audit/final/**`. */
function withRules(policy: PolicyDocument): PolicyDocument {
  const [demo] = policy.rules;
  if (demo === undefined) throw new Error('the demo policy has no rule');
  const rule = (glob: string, approval: Partial<typeof demo.approval>) => ({
    ...demo,
    repositories: [glob],
    approval: { ...demo.approval, ...approval },
  });
  return {
    ...policy,
    rules: [
      rule('audit/quorum/**', { quorum: 2 }),
      rule('audit/expiry/**', { timeoutSeconds: 1 }),
      rule('audit/final/**', {}),
      ...policy.rules,
    ],
  };
}

async function untilApprovalRequested(w: LocalWorld, repository: string) {
  const built = await buildGoodRelease(w, repository);
  const requested = new Promise<Readonly<Record<string, unknown>>>((resolve) => {
    w.gate.onOutcome((e) => {
      if (e.type === 'Approval Requested' && e.detail.repository === repository) resolve(e.detail);
    });
  });
  const pushed = await w.gate.push(repository, built.subject.tag);
  const detail = await requested;
  const approvalId = String(detail.approvalId);
  const links = mailedLinks(w, approvalId);
  const link = (to: string) => links.get(to) ?? '';
  const finished = () => w.gate.waitForExecution(pushed.executionName ?? '');
  const trail = () => w.deps.gate.store.listApprovalAudit(repository, pushed.digest);
  return { digest: pushed.digest, detail, approvalId, url: String(detail.url), link, finished, trail };
}

/** The fields every record of this approval shares. */
const about = (repository: string, digest: string, approvalId: string, evidenceSetDigest: unknown) => ({
  approvalId,
  repository,
  digest,
  evidenceSetDigest,
  id: expect.stringMatching(/^[a-f0-9]{32}$/),
  at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
});

/** The final approval record the approval evidence references, read back from the bucket. */
async function finalRecord(w: LocalWorld, repository: string, digest: string) {
  const evidence = await w.deps.gate.store.getEvidence(repository, digest, 'approval');
  const ref = evidence?.documents.find((d) => d.name === APPROVAL_RECORD_NAME);
  if (ref === undefined) throw new Error('the approval evidence references no final approval record');
  const bytes = await w.deps.gate.documents.get(ref.digest);
  return { ref, bytes, record: JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown> };
}

describe('Workflow: the approval audit trail', () => {
  const world = useLocalWorld({ tweak: withRules });

  describe('when approvers view the page, a forged link is refused, and two approvers approve', () => {
    it('records each request, view, refusal and answer with its identity, channel and origin, in order', async () => {
      // Prepare
      const w = world();
      const repository = 'audit/quorum/app';
      const r = await untilApprovalRequested(w, repository);
      const alice = r.link('alice@example.com');
      const claims = JSON.parse(
        Buffer.from(new URL(alice).searchParams.get('t')?.split('.')[0] ?? '', 'base64url').toString(),
      );
      const forged = signLink({ current: randomBytes(32) }, claims);

      // Act
      const anonymous = await fetch(r.url, { headers: { 'user-agent': 'curious/1.0' } });
      const aliceView = await fetch(alice, { headers: { 'user-agent': 'Mail\tClient/2.0' } });
      const before = { approval: await w.deps.gate.store.getApproval(r.approvalId), trail: await r.trail() };
      const forgedPost = await fetch(r.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'forger/6.6' },
        body: new URLSearchParams({ decision: 'approve', token: forged }).toString(),
      });
      const afterForged = { approval: await w.deps.gate.store.getApproval(r.approvalId), trail: await r.trail() };
      const aliceAnswer = await answerLink(alice, 'approve', { comment: 'looks right' });
      const aliceAgain = await answerLink(alice, 'approve');
      const bob = await postApproval(r.url, { decision: 'approve', by: 'bob@example.com' });
      const exec = await r.finished();

      // Assess
      expect([anonymous.status, aliceView.status, forgedPost.status]).toEqual([200, 200, 403]);
      expect([aliceAnswer.status, aliceAgain.status, bob.status]).toEqual([200, 409, 200]);
      expect(lastState(exec)).toBe('Promoted');
      // The forged link added its refusal and changed nothing else.
      expect(afterForged.approval).toEqual(before.approval);
      expect(afterForged.trail.slice(0, -1)).toEqual(before.trail);
      const base = about(repository, r.digest, r.approvalId, r.detail.evidenceSetDigest);
      const trail = await r.trail();
      expect(trail).toEqual([
        {
          ...base,
          kind: 'requested',
          identity: 'release-gate',
          channel: 'workflow',
          state: 'PENDING',
          outcome: expect.stringContaining('requested: 2 distinct approver(s) needed'),
        },
        {
          ...base,
          kind: 'viewed',
          identity: 'anonymous',
          channel: 'anonymous',
          sourceIp: '127.0.0.1',
          userAgent: 'curious/1.0',
          state: 'PENDING',
          outcome: 'approval page shown read-only (no link)',
        },
        {
          ...base,
          kind: 'viewed',
          identity: 'alice@example.com',
          channel: 'email-link',
          sourceIp: '127.0.0.1',
          // The control character (a tab: fetch sends no other) is stripped, never stored.
          userAgent: 'MailClient/2.0',
          state: 'PENDING',
          outcome: 'approval page shown with the decision form',
        },
        {
          ...base,
          kind: 'refused',
          identity: 'anonymous',
          channel: 'email-link',
          sourceIp: '127.0.0.1',
          userAgent: 'forger/6.6',
          state: 'PENDING',
          code: 'BAD_SIGNATURE',
          outcome: 'the approval link was not signed by this gate (tampered or forged)',
        },
        {
          ...base,
          kind: 'decided',
          identity: 'alice@example.com',
          channel: 'email-link',
          sourceIp: '127.0.0.1',
          userAgent: expect.any(String),
          state: 'PENDING',
          outcome: 'approved: 1 of 2 approvals: looks right',
        },
        {
          ...base,
          kind: 'refused',
          identity: 'alice@example.com',
          channel: 'email-link',
          sourceIp: '127.0.0.1',
          userAgent: expect.any(String),
          state: 'PENDING',
          code: 'ALREADY_DECIDED',
          outcome: expect.stringContaining('already used'),
        },
        {
          ...base,
          kind: 'decided',
          identity: 'bob@example.com',
          channel: 'cli-local',
          sourceIp: '127.0.0.1',
          userAgent: expect.any(String),
          state: 'APPROVED',
          outcome: 'approved: 2 of 2 approvals',
        },
      ] satisfies unknown[]);
      const decided = w.gate.outcomes.filter(
        (o) => o.type === 'Approval Decided' && o.detail.repository === repository,
      );
      expect(decided.map((o) => o.detail)).toEqual([
        expect.objectContaining({
          approvalId: r.approvalId,
          digest: r.digest,
          state: 'APPROVED',
          by: 'alice@example.com, bob@example.com',
          via: ['email-link', 'cli-local'],
          evidenceSetDigest: r.detail.evidenceSetDigest,
        }),
      ]);
    });
  });

  describe('when the approval is decided (approved, or rejected)', () => {
    it.each([
      ['approve', 'audit/final/approved', 'APPROVED', 'Promoted'],
      ['reject', 'audit/final/rejected', 'REJECTED', 'Quarantined'],
    ] as const)(
      'on %s writes the final record to the evidence bucket once, referenced by the approval evidence',
      async (decision, repository, state, end) => {
        // Prepare
        const w = world();
        const r = await untilApprovalRequested(w, repository);

        // Act
        const answer = await answerLink(r.link('bob@example.com'), decision, { comment: 'checked' });
        const exec = await r.finished();
        const again = await answerLink(r.link('bob@example.com'), decision, { comment: 'changed my mind' });
        const { ref, bytes, record } = await finalRecord(w, repository, r.digest);
        const rewritten = await w.deps.gate.documents.put(bytes, APPROVAL_RECORD_MEDIA_TYPE);

        // Assess
        expect([answer.status, again.status, lastState(exec)]).toEqual([200, 409, end]);
        expect(ref).toMatchObject({ mediaType: APPROVAL_RECORD_MEDIA_TYPE, size: bytes.length });
        expect(record).toMatchObject({
          type: 'release-gate approval record',
          approval: { approvalId: r.approvalId, repository, digest: r.digest, state, decidedBy: 'bob@example.com' },
          evidenceSetDigest: r.detail.evidenceSetDigest,
        });
        // The task token is a capability: it never leaves the table.
        expect(JSON.stringify(record)).not.toContain('taskToken');
        const kinds = (record.audit as ApprovalAuditRecord[]).map((a) => `${a.kind}:${a.state}`);
        expect(kinds).toEqual(['requested:PENDING', `decided:${state}`]);
        // Content-addressed and never overwritten: the same record again is the same object, and the
        // evidence (first write wins) still references the first one after the refused second answer.
        expect(rewritten).toBe(ref.digest);
        expect((await finalRecord(w, repository, r.digest)).ref).toEqual(ref);
        // Announced before the workflow is answered, so the second use of the link (which completes
        // whatever the first left undone) announces the same decision again: at-least-once.
        const announced = w.gate.outcomes.filter(
          (o) => o.type === 'Approval Decided' && o.detail.repository === repository,
        );
        expect(new Set(announced.map((o) => JSON.stringify(o.detail))).size).toBe(1);
        expect(announced[0]?.detail).toMatchObject({
          state,
          by: 'bob@example.com',
          via: ['email-link'],
          evidenceSetDigest: r.detail.evidenceSetDigest,
          approvalRecord: ref.digest,
        });
      },
    );
  });

  describe('when nobody answers before the approval timeout', () => {
    it('records the expiry, announces Approval Expired and writes the final record', async () => {
      // Prepare
      const w = world();
      const repository = 'audit/expiry/app';
      const r = await untilApprovalRequested(w, repository);

      // Act
      const exec = await r.finished();

      // Assess
      expect(lastState(exec)).toBe('Quarantined');
      const trail = await r.trail();
      expect(trail.map((a) => a.kind)).toEqual(['requested', 'expired']);
      expect(trail[1]).toMatchObject({
        identity: 'release-gate',
        channel: 'workflow',
        state: 'EXPIRED',
        evidenceSetDigest: r.detail.evidenceSetDigest,
        outcome: expect.stringContaining('with 0 of 1 approvals'),
      });
      const { ref, record } = await finalRecord(w, repository, r.digest);
      expect(record).toMatchObject({ approval: { state: 'EXPIRED' } });
      const expired = w.gate.outcomes.filter(
        (o) => o.type === 'Approval Expired' && o.detail.repository === repository,
      );
      expect(expired.map((o) => [o.detail.approvalId, o.detail.approvalRecord])).toEqual([[r.approvalId, ref.digest]]);
    });
  });
});
