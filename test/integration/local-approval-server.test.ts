import { describe, expect, it } from 'vitest';
import { useLocalWorld } from '../support/world.js';

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
});
