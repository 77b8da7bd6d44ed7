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

  describe('when a later release is pushed as 1.5.0 and latest, and latest already names the earlier one', () => {
    it('promotes it under 1.5.0, leaves the immutable latest where it is, and says so', async () => {
      // Prepare: the release of the test above holds prod latest.
      const w = world();
      const repository = 'demo/two-tags';
      const earlier = await w.registry.getManifest(`prod/${repository}`, 'latest');
      const built = await buildGoodRelease(w, repository, '1.5.0');
      const image = await w.registry.getManifest(repository, built.digest);
      // The layout's tags are immutable, so the source cannot move latest either: the push event of
      // latest is recorded as the starter records it.
      const pushedLatest = await w.registry
        .putManifest(repository, image.bytes, image.mediaType, 'latest')
        .catch((e) => e);
      await w.deps.gate.store.recordPushedTag(repository, built.digest, 'latest');

      // Act
      const pushed = await w.gate.push(repository, '1.5.0');
      const exec = await w.gate.waitForExecution(pushed.executionName ?? '');

      // Assess
      expect(pushedLatest).toBeInstanceOf(Error);
      expect(lastState(exec)).toBe('Promoted');
      expect((await w.registry.getManifest(`prod/${repository}`, '1.5.0')).digest).toBe(built.digest);
      expect((await w.registry.getManifest(`prod/${repository}`, 'latest')).digest).toBe(earlier.digest);
      const release = await w.deps.gate.store.getRelease(repository, built.digest);
      expect(release?.outcomeReasons).toContain(
        `tag latest already names another image in prod/${repository}; not moved`,
      );
    });
  });
});
