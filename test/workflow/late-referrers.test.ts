import { describe, expect, it } from 'vitest';
import { pushArtifact } from '../support/images.js';
import { buildGoodRelease, lastState, postApproval, useLocalWorld } from '../support/world.js';

describe('Workflow: attachments that arrive after the evaluation (red-team finding 6)', () => {
  const world = useLocalWorld();

  describe('when a referrer is attached while the release waits for its approval', () => {
    it('promotes the image with what was evaluated and approved, and leaves the late referrer behind', async () => {
      // Prepare
      const w = world();
      const repository = 'demo/late-referrer';
      const built = await buildGoodRelease(w, repository);
      let late: string | undefined;
      w.gate.onOutcome((e) => {
        if (e.type !== 'Approval Requested' || e.detail.repository !== repository) return;
        void (async () => {
          const image = await w.registry.getManifest(repository, built.digest);
          const pushed = await pushArtifact(w.registry, repository, {
            artifactType: 'application/vnd.example.late+json',
            layers: [
              { mediaType: 'application/vnd.example.late+json', bytes: new TextEncoder().encode('{"late":true}') },
            ],
            subject: { mediaType: image.mediaType, digest: image.digest, size: image.bytes.byteLength },
          });
          late = pushed.digest;
          await postApproval(String(e.detail.url), { decision: 'approve', by: 'alice@example.com' });
        })();
      });

      // Act
      const pushed = await w.gate.push(repository, '1.4.0');
      const exec = await w.gate.waitForExecution(pushed.executionName ?? '');

      // Assess
      expect(lastState(exec)).toBe('Promoted');
      const decision = await w.deps.gate.store.getDecision(repository, built.digest);
      const promoted = (await w.registry.listReferrers(`prod/${repository}`, built.digest)).map((d) => d.digest);
      expect(late).toBeDefined();
      expect(decision?.attachments?.referrers).not.toContain(late);
      expect(promoted).not.toContain(late);
      expect(promoted).toEqual(expect.arrayContaining([...(decision?.attachments?.referrers ?? [])]));
      expect(promoted.length).toBeGreaterThan(0);
      expect(await w.registry.listReferrers(repository, built.digest)).toContainEqual(
        expect.objectContaining({ digest: late, artifactType: 'application/vnd.example.late+json' }),
      );
    });
  });
});
