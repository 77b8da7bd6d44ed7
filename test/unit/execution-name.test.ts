import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { executionNameFor } from '../../lambdas/domain/workflow/inputs.js';

const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');
const DIGEST = `sha256:${'7f5b2640'.repeat(8)}`;

/**
 * Two repository names with the same 14-character slug whose sha256 agree on the first 8 hex
 * digits: a birthday search over 32 bits, as an attacker with push rights would run it.
 */
function collidingRepositories(): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; ; i++) {
    const repository = `platform/servic-${i.toString(36)}`;
    const prefix = sha256Hex(repository).slice(0, 8);
    const earlier = seen.get(prefix);
    if (earlier !== undefined) return [earlier, repository];
    seen.set(prefix, repository);
  }
}

describe('Function: executionNameFor (red-team finding 5: execution-name collision)', () => {
  describe('when two repository names collide on 32 bits of their hash and share a slug', () => {
    it('still gives the same digest two different executions', () => {
      // Prepare
      const [a, b] = collidingRepositories();
      const slugOf = (r: string) => r.replace(/[^0-9A-Za-z]+/g, '-').slice(0, 14);

      // Act
      const first = executionNameFor(a, DIGEST, sha256Hex);
      const second = executionNameFor(b, DIGEST, sha256Hex);

      // Assess: the pair defeats a 32-bit repository hash with a shared slug (the old scheme) …
      expect(sha256Hex(a).slice(0, 8)).toBe(sha256Hex(b).slice(0, 8));
      expect(slugOf(a)).toBe(slugOf(b));
      // … and not the name, which hashes repository and digest together.
      expect(first).not.toBe(second);
      expect(first.length).toBeLessThanOrEqual(80);
      expect(first).toMatch(/^[0-9A-Za-z_-]+$/);
    });
  });

  describe('when the same repository pushes two digests', () => {
    it('names each after its digest, readably', () => {
      // Act
      const first = executionNameFor('team/app', DIGEST, sha256Hex);
      const second = executionNameFor('team/app', `sha256:${'1'.repeat(64)}`, sha256Hex);

      // Assess
      expect(first).not.toBe(second);
      expect(first.startsWith('team-app-7f5b2640')).toBe(true);
    });
  });
});

describe('Function: executionNameFor (gate rounds: release from quarantine)', () => {
  describe('when a release runs in a later gate round', () => {
    it.each([2, 3])('names round %i apart from every other round, within 80 allowed characters', (round) => {
      // Prepare
      const repository = 'a-very-long-organisation/with-a-very-long-repository-name';

      // Act
      const names = [1, 2, 3].map((r) => executionNameFor(repository, DIGEST, sha256Hex, r));
      const name = executionNameFor(repository, DIGEST, sha256Hex, round);

      // Assess
      expect(new Set(names).size).toBe(3);
      expect(name.endsWith(`-r${round}`)).toBe(true);
      expect(name.length).toBeLessThanOrEqual(80);
      expect(name).toMatch(/^[0-9A-Za-z_-]{1,80}$/);
    });
  });
});
