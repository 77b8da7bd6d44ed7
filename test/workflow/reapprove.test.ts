/**
 * `approval.onEvidenceChange: reapprove` on the embedded stack (issue 8 §3): when the evidence
 * changes after the approval was requested, Promote supersedes the approval (its record stays,
 * with both evidence-set digests), the policy is evaluated again on the evidence as it is now, and
 * a new approval is requested with new links; the old links are refused. A change that now fails
 * the policy quarantines, and after MAX_REAPPROVALS rounds the next change quarantines too.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { awsClients } from '../../lambdas/adapters/aws/clients.js';
import { itemKeys } from '../../lambdas/adapters/store/table-schema.js';
import { MAX_REAPPROVALS } from '../../lambdas/domain/evidence/approval-policy.js';
import type { PolicyDocument } from '../../lambdas/domain/policy/schema.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { pushArtifact } from '../support/images.js';
import {
  answerLink,
  buildGoodRelease,
  type LocalWorld,
  lastState,
  mailedLinks,
  useLocalWorld,
} from '../support/world.js';

/** The demo rule, with `onEvidenceChange: reapprove` for `reapprove/**`. */
function withReapprove(policy: PolicyDocument): PolicyDocument {
  const [demo] = policy.rules;
  if (demo === undefined) throw new Error('the demo policy has no rule');
  const own = {
    ...demo,
    repositories: ['reapprove/**'],
    approval: { ...demo.approval, onEvidenceChange: 'reapprove' as const },
  };
  return { ...policy, rules: [own, ...policy.rules] };
}

/** Attaches a referrer nobody collected to the image (as in late-referrers.test.ts); returns its digest. */
async function lateReferrer(w: LocalWorld, repository: string, digest: Digest): Promise<Digest> {
  const image = await w.registry.getManifest(repository, digest);
  const pushed = await pushArtifact(w.registry, repository, {
    artifactType: 'application/vnd.example.late+json',
    layers: [{ mediaType: 'application/vnd.example.late+json', bytes: new TextEncoder().encode('{"late":true}') }],
    subject: { mediaType: image.mediaType, digest: image.digest, size: image.bytes.byteLength },
  });
  return pushed.digest;
}

/** A late scan result lands on the stored scan evidence (as in approval-rules.test.ts). */
async function lateFinding(w: LocalWorld, repository: string, digest: Digest, finding: string, status?: 'FAIL') {
  const { dynamoDocument } = awsClients({ endpoints: { dynamodb: w.gate.standIns.dynamoEndpoint } });
  await dynamoDocument.send(
    new UpdateCommand({
      TableName: w.gate.standIns.tableName,
      Key: itemKeys.evidence(repository, digest, 'scan'),
      UpdateExpression: `SET reasons = list_append(reasons, :finding)${status === undefined ? '' : ', #status = :status'}`,
      ExpressionAttributeNames: status === undefined ? undefined : { '#status': 'status' },
      ExpressionAttributeValues: { ':finding': [finding], ...(status === undefined ? {} : { ':status': status }) },
    }),
  );
}

interface Request {
  readonly approvalId: string;
  readonly evidenceSetDigest: string;
  /** bob's and alice's links as mailed, and bob's answer through his. */
  readonly links: Map<string, string>;
  readonly answer: Response;
}

/**
 * Pushes a good release; on each approval request, `change(n)` runs first (n = 0, 1, …), then bob
 * approves through his mailed link. Resolves when the execution ends.
 */
async function gateWithChanges(
  w: LocalWorld,
  repository: string,
  change: (n: number, digest: Digest) => Promise<void>,
) {
  const built = await buildGoodRelease(w, repository);
  const requests: Promise<Request>[] = [];
  w.gate.onOutcome((e) => {
    if (e.type !== 'Approval Requested' || e.detail.repository !== repository) return;
    const n = requests.length;
    requests.push(
      (async () => {
        const approvalId = String(e.detail.approvalId);
        const links = mailedLinks(w, approvalId);
        await change(n, built.digest);
        const answer = await answerLink(links.get('bob@example.com') ?? '', 'approve', { comment: `round ${n}` });
        return { approvalId, evidenceSetDigest: String(e.detail.evidenceSetDigest), links, answer };
      })(),
    );
  });
  const pushed = await w.gate.push(repository, built.subject.tag);
  const exec = await w.gate.waitForExecution(pushed.executionName ?? '');
  return { digest: built.digest, exec, requests: await Promise.all(requests), store: w.deps.gate.store };
}

describe('Workflow: onEvidenceChange reapprove (issue 8 §3)', () => {
  const world = useLocalWorld({ tweak: withReapprove });

  describe('when a late finding arrives after the request and the policy still passes', () => {
    it('supersedes the approval (audited, its Slack message updated), refuses its links, mails a new request, and promotes on its approval', async () => {
      // Prepare
      const w = world();
      const repository = 'reapprove/late-finding';
      let late: Digest | undefined;

      // Act
      const r = await gateWithChanges(w, repository, async (n, digest) => {
        if (n !== 0) return;
        late = await lateReferrer(w, repository, digest);
        await lateFinding(w, repository, digest, '1 LOW finding: CVE-2026-0002 in left-pad 1.3.0');
      });
      const [first, second] = r.requests;
      if (first === undefined || second === undefined) throw new Error('expected two approval requests');
      const oldLink = await answerLink(first.links.get('alice@example.com') ?? '', 'approve');
      const oldLinkText = await oldLink.text();
      const oldPage = await (await fetch(first.links.get('alice@example.com') ?? '')).text();

      // Assess: promoted on the second approval
      expect(lastState(r.exec)).toBe('Promoted');
      expect(r.requests).toHaveLength(2);
      expect([first.answer.status, second.answer.status]).toEqual([200, 200]);
      await expect(w.registry.getManifest(`prod/${repository}`, r.digest)).resolves.toBeDefined();
      // a new approval: new id, new evidence set, new links for each approver
      expect(second.approvalId).not.toBe(first.approvalId);
      expect(second.evidenceSetDigest).not.toBe(first.evidenceSetDigest);
      expect([...second.links.keys()].sort()).toEqual(['alice@example.com', 'bob@example.com']);
      expect(second.links.get('alice@example.com')).not.toBe(first.links.get('alice@example.com'));
      // the old approval stays readable, voided with the reason and both digests
      const old = await r.store.getApproval(first.approvalId);
      expect(old).toMatchObject({
        state: 'SUPERSEDED',
        evidenceSetDigest: first.evidenceSetDigest,
        approvals: [expect.objectContaining({ by: 'bob@example.com', comment: 'round 0' })],
        supersession: {
          approvedEvidenceSetDigest: first.evidenceSetDigest,
          reason: expect.stringMatching(/^evidence-changed-after-approval: /),
        },
      });
      expect(old?.supersession?.currentEvidenceSetDigest).not.toBe(first.evidenceSetDigest);
      // its own audit record, with both evidence sets, once
      const audit = await r.store.listApprovalAudit(repository, r.digest);
      expect(audit.filter((a) => a.kind === 'superseded')).toEqual([
        expect.objectContaining({
          approvalId: first.approvalId,
          identity: 'release-gate',
          channel: 'workflow',
          state: 'SUPERSEDED',
          evidenceSetDigest: first.evidenceSetDigest,
          currentEvidenceSetDigest: old?.supersession?.currentEvidenceSetDigest,
          outcome: expect.stringMatching(
            /^superseded: evidence-changed-after-approval: .*a new approval is requested$/,
          ),
        }),
      ]);
      // its Slack message says so, without buttons; the new approval has a message of its own
      const updates = (w.gate.slack?.callsOf('chat.update') ?? []).filter(
        (c) => (c.body as { ts?: string }).ts === old?.slackMessage?.ts,
      );
      expect(old?.slackMessage).toBeDefined();
      expect(updates.map((c) => (c.body as { text?: string }).text)).toEqual([
        `Approved: ${repository}@${r.digest.slice(0, 19)}`,
        `Superseded: ${repository}@${r.digest.slice(0, 19)}`,
      ]);
      expect(JSON.stringify((updates[1]?.body as { blocks?: unknown } | undefined)?.blocks)).toContain(
        String(old?.supersession?.currentEvidenceSetDigest),
      );
      expect(JSON.stringify((updates[1]?.body as { blocks?: unknown } | undefined)?.blocks)).not.toContain('"actions"');
      expect((await r.store.getApproval(second.approvalId))?.slackMessage?.ts).not.toBe(old?.slackMessage?.ts);
      expect(await r.store.getApproval(second.approvalId)).toMatchObject({ state: 'APPROVED', round: 1 });
      // the old links are refused, saying why
      expect(oldLink.status).toBe(409);
      expect(oldLinkText).toContain('superseded by an evidence change');
      expect(oldPage).toContain('This approval was superseded by an evidence change');
      expect(oldPage).not.toContain('<form');
      // the second evaluation wrote its own decision over the late finding, and the answer its evidence
      const decision = await r.store.getDecision(repository, r.digest);
      expect(decision).toMatchObject({ decision: 'PASS', round: 1 });
      expect(JSON.stringify(decision?.evidence)).toContain('CVE-2026-0002');
      expect(decision?.evidence.find((e) => e.kind === 'approval')).toMatchObject({ status: 'MISSING', reasons: [] });
      expect(await r.store.getEvidence(repository, r.digest, 'approval')).toMatchObject({
        status: 'PASS',
        round: 1,
        facts: { approvalId: second.approvalId },
      });
      expect((await r.store.getRelease(repository, r.digest))?.approvalRound).toBe(1);
      // a referrer attached since the first evaluation was never collected: not listed, not promoted
      const promoted = (await w.registry.listReferrers(`prod/${repository}`, r.digest)).map((d) => d.digest);
      expect(late).toBeDefined();
      expect(decision?.attachments?.referrers).not.toContain(late);
      expect(promoted).not.toContain(late);
      expect(promoted).toEqual(expect.arrayContaining([...(decision?.attachments?.referrers ?? [])]));
    });
  });

  describe('when the late finding fails the policy', () => {
    it('supersedes the approval, evaluates again and quarantines on the finding without asking again', async () => {
      // Prepare
      const w = world();
      const repository = 'reapprove/blocking-finding';

      // Act
      const r = await gateWithChanges(w, repository, async (n, digest) => {
        if (n === 0) {
          await lateFinding(
            w,
            repository,
            digest,
            '1 CRITICAL finding (max 0): CVE-2026-0003 in left-pad 1.3.0',
            'FAIL',
          );
        }
      });

      // Assess
      expect(lastState(r.exec)).toBe('Quarantined');
      expect(r.requests).toHaveLength(1);
      const [first] = r.requests;
      expect((await r.store.getApproval(first?.approvalId ?? ''))?.state).toBe('SUPERSEDED');
      const release = await r.store.getRelease(repository, r.digest);
      expect(release?.state).toBe('QUARANTINED');
      expect(release?.outcomeReasons?.join('\n')).toContain('scan: FAIL');
      expect(release?.outcomeReasons?.join('\n')).toContain('CVE-2026-0003');
      expect(await r.store.getDecision(repository, r.digest)).toMatchObject({ decision: 'BLOCK', round: 1 });
      // the approval evidence is this round's: nothing approved it (not the superseded approval's PASS)
      expect(await r.store.getEvidence(repository, r.digest, 'approval')).toMatchObject({
        status: 'MISSING',
        round: 1,
        facts: { supersededApprovalId: first?.approvalId },
      });
      await expect(w.registry.getManifest(`prod/${repository}`, r.digest)).rejects.toThrow();
    });
  });

  describe('when the evidence changes again after every new request', () => {
    it(`asks ${MAX_REAPPROVALS} more times, then quarantines with evidence-changed-after-approval`, async () => {
      // Prepare
      const w = world();
      const repository = 'reapprove/endless';

      // Act
      const r = await gateWithChanges(w, repository, (n, digest) =>
        lateFinding(w, repository, digest, `1 LOW finding: CVE-2026-10${n} in left-pad 1.3.0`),
      );

      // Assess
      expect(lastState(r.exec)).toBe('Quarantined');
      expect(r.requests).toHaveLength(MAX_REAPPROVALS + 1);
      const states = await Promise.all(r.requests.map(async (q) => (await r.store.getApproval(q.approvalId))?.state));
      expect(states).toEqual([...Array<string>(MAX_REAPPROVALS).fill('SUPERSEDED'), 'APPROVED']);
      const release = await r.store.getRelease(repository, r.digest);
      expect(release?.outcomeReasons?.[0]).toBe('evidence-changed-after-approval');
      expect(release?.outcomeReasons?.[1]).toContain(`${MAX_REAPPROVALS} new approvals were already requested`);
      await expect(w.registry.getManifest(`prod/${repository}`, r.digest)).rejects.toThrow();
    });
  });
});
