import { describe, expect, it } from 'vitest';
import { localDecisionBase } from '../../cli/local/state.js';
import { answerLink, buildGoodRelease, mailedLinks, postApproval, useLocalWorld } from '../support/world.js';

describe('Server: the local approval server (red-team finding 19)', () => {
  const world = useLocalWorld();

  describe('when the approval id in the path is not valid percent-encoding', () => {
    it('answers 400, not 413', async () => {
      // Act
      const res = await fetch(`${world().gate.approvalBaseUrl}/%E0%A4%A`);

      // Assess
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('not valid percent-encoding');
    });
  });

  describe('when the body is larger than an approval form can be', () => {
    it('answers 413 with the limit, instead of resetting the connection', async () => {
      // Act
      const res = await fetch(`${world().gate.approvalBaseUrl}/0123456789abcdef0123456789abcdef`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `decision=approve&by=${'x'.repeat(40_000)}`,
      });

      // Assess
      expect(res.status).toBe(413);
      expect(await res.text()).toContain('above the limit of 16384 bytes');
    });
  });

  describe('when the approval does not exist', () => {
    it('answers 404 from the approval handler', async () => {
      // Act
      const res = await fetch(`${world().gate.approvalBaseUrl}/0123456789abcdef0123456789abcdef`);

      // Assess
      expect(res.status).toBe(404);
    });
  });

  describe('when a release waits for its approval (issue 8)', () => {
    it('refuses a typed identity and a cross-site post to the local route, then takes the local CLI answer as local and unauthenticated', async () => {
      // Prepare
      const w = world();
      const repository = 'demo/local-route';
      const built = await buildGoodRelease(w, repository);
      const requested = new Promise<{ approvalId: string; url: string }>((resolve) =>
        w.gate.onOutcome((e) => {
          if (e.type === 'Approval Requested' && e.detail.repository === repository) {
            resolve({ approvalId: String(e.detail.approvalId), url: String(e.detail.url) });
          }
        }),
      );
      const pushed = await w.gate.push(repository, '1.4.0');
      const { approvalId, url } = await requested;
      const bob = mailedLinks(w, approvalId).get('bob@example.com') ?? '';

      // Act
      const typed = await answerLink(bob, 'approve', { by: 'alice@example.com' });
      const noToken = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'decision=approve&by=alice%40example.com',
      });
      const crossSite = await fetch(`${localDecisionBase(url)}/${approvalId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
        body: 'decision=approve&by=mallory',
      });
      const pendingAfterRefusals = await w.deps.gate.store.getApproval(approvalId);
      const cli = await postApproval(url, { decision: 'approve', by: 'alice@example.com' });
      const exec = await w.gate.waitForExecution(pushed.executionName ?? '');

      // Assess
      expect([typed.status, noToken.status, crossSite.status]).toEqual([400, 400, 403]);
      expect(await typed.text()).toContain('a typed identity is not accepted');
      expect(pendingAfterRefusals?.state).toBe('PENDING');
      expect(cli.status, await cli.text()).toBe(200);
      expect(exec.status).toBe('SUCCEEDED');
      const evidence = await w.deps.gate.store.getEvidence(repository, built.digest, 'approval');
      expect(evidence?.facts).toMatchObject({
        decidedBy: 'alice@example.com',
        approvals: [expect.objectContaining({ via: 'cli-local' })],
      });
      expect(evidence?.reasons.join(' ')).toContain('identities: alice@example.com (local, unauthenticated)');
    });
  });
});
