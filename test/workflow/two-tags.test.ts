import { describe, expect, it } from 'vitest';
import { buildGoodRelease, lastState, useLocalWorld } from '../support/world.js';

describe('Workflow: one digest pushed under two tags (red-team finding 18)', () => {
  const world = useLocalWorld({ approvals: { decision: 'approve', by: 'alice@example.com' } });

  describe('when the same digest is pushed as 1.4.0 and latest at once', () => {
    it('runs one release and promotes it under both tags', async () => {
      // Prepare
      const w = world();
      const repository = 'demo/two-tags';
      const built = await buildGoodRelease(w, repository);
      const image = await w.registry.getManifest(repository, built.digest);
      await w.registry.putManifest(repository, image.bytes, image.mediaType, 'latest');

      // Act
      const [first, second] = await Promise.all([w.gate.push(repository, '1.4.0'), w.gate.push(repository, 'latest')]);
      const exec = await w.gate.waitForExecution(first.executionName ?? '');

      // Assess
      expect(second.executionName).toBe(first.executionName);
      expect(lastState(exec)).toBe('Promoted');
      for (const tag of ['1.4.0', 'latest']) {
        expect((await w.registry.getManifest(`prod/${repository}`, tag)).digest, tag).toBe(built.digest);
      }
    });
  });
});
