import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { PromotionBlockedError } from '../../lambdas/domain/errors.js';
import { digestToTag, MediaTypes } from '../../lambdas/domain/oci.js';
import type { RegistryWriter } from '../../lambdas/domain/ports.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { makeHandler as promote } from '../../lambdas/handlers/promote.js';
import { makeHandler as quarantine } from '../../lambdas/handlers/quarantine.js';
import { pushImage } from '../support/images.js';
import { type HandlerWorld, handlerWorld, STAGE, WORLD_NOW } from '../support/world.js';

const REPO = 'team/app';

/** A release that was evaluated with `decision`, for the image `digest`. */
async function evaluated(w: HandlerWorld, digest: Digest, decision: 'PASS' | 'BLOCK', stage = STAGE) {
  await w.store.recordRelease({
    repository: REPO,
    digest,
    mediaType: MediaTypes.ociManifest,
    stage,
    platforms: [],
    state: 'EVALUATED',
    executionName: 'test-execution',
    recordedAt: WORLD_NOW.toISOString(),
  });
  await w.store.putDecision({
    repository: REPO,
    digest,
    decision,
    reasons: decision === 'PASS' ? ['awaiting human approval'] : ['signature: MISSING: no signature'],
    policyDigest: w.deps.gate.policy.digest,
    evidence: [],
    decidedAt: WORLD_NOW.toISOString(),
    documentDigest: `sha256:${'d'.repeat(64)}`,
  });
}

/** The world's registry, but serving every manifest under another media type than its body says. */
function servingAnotherMediaType(registry: RegistryWriter): RegistryWriter {
  return {
    location: registry.location,
    getManifest: async (repository, reference) => ({
      ...(await registry.getManifest(repository, reference)),
      mediaType: MediaTypes.dockerManifest,
    }),
    getBlob: (...args) => registry.getBlob(...args),
    listReferrers: (...args) => registry.listReferrers(...args),
    hasBlob: (...args) => registry.hasBlob(...args),
    putBlob: (...args) => registry.putBlob(...args),
    mountBlob: (...args) => registry.mountBlob(...args),
    putManifest: (...args) => registry.putManifest(...args),
    listTags: (...args) => registry.listTags(...args),
    moveTag: (...args) => registry.moveTag(...args),
  };
}

describe('Function: quarantine handler', () => {
  describe('when a quarantine tag for this digest already points at another image (red-team finding 15)', () => {
    it('quarantines without advertising that tag, and says why', async () => {
      // Prepare
      const w = handlerWorld();
      const registry = w.deps.gate.registry;
      const image = await pushImage(registry, REPO, 'v1', 'image');
      const planted = await pushImage(registry, REPO, `quarantine-${digestToTag(image.digest)}`, 'other');
      await evaluated(w, image.digest, 'BLOCK');

      // Act
      const out = await quarantine(w.getDeps)({ repository: REPO, digest: image.digest, stage: STAGE });

      // Assess
      expect(out.quarantineTag).toBeNull();
      const release = await w.store.getRelease(REPO, image.digest);
      expect(release?.state).toBe('QUARANTINED');
      expect(release?.outcomeReasons).toContain(
        `quarantine-${digestToTag(image.digest)} already points at ${planted.digest}, not at this image`,
      );
      expect(w.outcomes.events).toEqual([
        expect.objectContaining({
          type: 'Release Quarantined',
          detail: expect.objectContaining({ quarantineTag: null }),
        }),
      ]);
    });
  });

  describe('when the registry serves the manifest under another media type than its body (red-team finding 8)', () => {
    it('still quarantines the release, with the reason the tag could not be written', async () => {
      // Prepare
      const w = handlerWorld();
      const image = await pushImage(w.deps.gate.registry, REPO, 'v1');
      await evaluated(w, image.digest, 'BLOCK');
      const deps = { ...w.deps, gate: { ...w.deps.gate, registry: servingAnotherMediaType(w.deps.gate.registry) } };

      // Act
      const out = await quarantine(async () => deps)({ repository: REPO, digest: image.digest, stage: STAGE });

      // Assess
      expect(out.quarantineTag).toBeNull();
      const release = await w.store.getRelease(REPO, image.digest);
      expect(release?.state).toBe('QUARANTINED');
      expect(release?.outcomeReasons?.at(-1)).toMatch(/^the quarantine tag could not be written: /);
    });
  });

  describe('when the quarantine tag is free', () => {
    it('tags this image and advertises the tag', async () => {
      // Prepare
      const w = handlerWorld();
      const image = await pushImage(w.deps.gate.registry, REPO, 'v1');
      await evaluated(w, image.digest, 'BLOCK');

      // Act
      const out = await quarantine(w.getDeps)({ repository: REPO, digest: image.digest, stage: STAGE });

      // Assess
      const tag = `quarantine-${digestToTag(image.digest)}`;
      expect(out.quarantineTag).toBe(tag);
      expect((await w.deps.gate.registry.getManifest(REPO, tag)).digest).toBe(image.digest);
    });
  });
});

describe('Function: promote handler', () => {
  describe('when handed another stage than the release was gated for (red-team finding 10)', () => {
    it('refuses: a stage without approval cannot stand in for one that requires it', async () => {
      // Prepare: gated for production (which requires approval), no approval given.
      const w = handlerWorld();
      const image = await pushImage(w.deps.gate.registry, REPO, 'v1');
      await evaluated(w, image.digest, 'PASS', 'production');

      // Act
      const act = promote(w.getDeps)({ repository: REPO, digest: image.digest, stage: 'staging' });

      // Assess
      await expect(act).rejects.toThrowWithCode(PromotionBlockedError, 'VERIFICATION_FAILED', /gated for production/);
      expect(await w.store.listPromotions(REPO)).toEqual([]);
    });
  });

  describe('when retried after the promotion was recorded but before it was announced', () => {
    it('announces it again, with the same event, instead of losing it (issue 10, crash and retry)', async () => {
      // Prepare: the first attempt copied the image and recorded PROMOTED, then its Lambda died.
      const store = new MemoryStore();
      const w = handlerWorld({ store });
      const image = await pushImage(w.deps.gate.registry, REPO, 'v1');
      await evaluated(w, image.digest, 'PASS', 'staging');
      const lost = handlerWorld({ store });
      await promote(async () => ({ ...lost.deps, gate: { ...lost.deps.gate, registry: w.deps.gate.registry } }))({
        repository: REPO,
        digest: image.digest,
        stage: 'staging',
      });

      // Act
      const out = await promote(w.getDeps)({ repository: REPO, digest: image.digest, stage: 'staging' });

      // Assess
      expect(out.alreadyPromoted).toBe(true);
      expect(w.outcomes.events).toEqual(lost.outcomes.events);
      expect(w.notifier.messages).toEqual(lost.notifier.messages);
      expect(w.outcomes.events.map((e) => e.type)).toEqual(['Release Promoted']);
      expect(await store.listPromotions(REPO)).toHaveLength(1);
    });
  });

  describe('when the release requires an approval nobody gave', () => {
    it('refuses to copy anything', async () => {
      // Prepare
      const w = handlerWorld();
      const image = await pushImage(w.deps.gate.registry, REPO, 'v1');
      await evaluated(w, image.digest, 'PASS', 'production');

      // Act
      const act = promote(w.getDeps)({ repository: REPO, digest: image.digest, stage: 'production' });

      // Assess
      await expect(act).rejects.toThrowWithCode(
        PromotionBlockedError,
        'VERIFICATION_FAILED',
        'approval evidence is not PASS',
      );
      expect(await w.deps.gate.registry.listTags(`prod/${REPO}`).catch(() => [])).toEqual([]);
    });
  });
});
