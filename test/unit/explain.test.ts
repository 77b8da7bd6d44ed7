import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { DigestMismatchError } from '../../lambdas/domain/errors.js';
import { MediaTypes, sha256Digest } from '../../lambdas/domain/oci.js';
import type { Digest, EvidenceKind } from '../../lambdas/domain/types.js';
import { evaluateRelease } from '../../lambdas/domain/workflow/evaluate-policy.js';
import { explainDecision } from '../../lambdas/domain/workflow/explain.js';
import { handlerWorld, policyOf, WORLD_NOW } from '../support/world.js';

const REPO = 'team/app';
const DIGEST = `sha256:${'1'.repeat(64)}` as Digest;
const STAGING: readonly EvidenceKind[] = ['sbom', 'provenance', 'dependency-diff'];

/** A release of the staging stage with every kind it requires PASS, evaluated by the real EvaluatePolicy. */
async function decided() {
  const store = new MemoryStore();
  const w = handlerWorld({ store });
  await store.recordRelease({
    repository: REPO,
    digest: DIGEST,
    mediaType: MediaTypes.ociManifest,
    stage: 'staging',
    platforms: [],
    state: 'RECORDED',
    executionName: 'test-execution',
    recordedAt: WORLD_NOW.toISOString(),
  });
  for (const kind of STAGING) {
    await store.putEvidence({
      repository: REPO,
      digest: DIGEST,
      kind,
      status: 'PASS',
      reasons: [`${kind} ok`],
      facts: {},
      documents: [],
      collectedAt: WORLD_NOW.toISOString(),
    });
  }
  await evaluateRelease(w.deps.gate, { repository: REPO, digest: DIGEST, stage: 'staging' });
  return { w, store };
}

describe('Function: explainDecision', () => {
  describe('when nothing changed since the decision', () => {
    it('replays the identical outcome and reasons from the stored policy text', async () => {
      // Prepare
      const { store } = await decided();

      // Act
      const x = await explainDecision({ store, documents: store }, REPO, DIGEST);

      // Assess
      expect(x.identical).toBe(true);
      expect(x.changedInputs).toEqual([]);
      expect(x.replayed).toEqual(x.stored);
      expect(x.stored.decision).toBe('PASS');
    });
  });

  describe('when an evidence record changed after the decision', () => {
    it('still replays the snapshot identically, and names the evidence that changed', async () => {
      // Prepare: a later round's provenance record replaces the one judged.
      const { store } = await decided();
      await store.putEvidence({
        repository: REPO,
        digest: DIGEST,
        kind: 'provenance',
        status: 'FAIL',
        reasons: ['provenance: builder not allowed'],
        facts: {},
        documents: [],
        collectedAt: WORLD_NOW.toISOString(),
        round: 1,
      });

      // Act
      const x = await explainDecision({ store, documents: store }, REPO, DIGEST);

      // Assess
      expect(x.identical).toBe(true);
      expect(x.changedInputs).toEqual(['evidence']);
      expect(x.evidenceChanges).toEqual([{ kind: 'provenance', change: 'status PASS → FAIL' }]);
    });
  });

  describe('when replayed against another policy', () => {
    it('shows the new reason and that the policy changed', async () => {
      // Prepare: staging now also requires a signature, which was never collected.
      const { store } = await decided();
      const other = policyOf({
        rules: [{ repositories: ['**'], stages: { staging: { require: [...STAGING, 'signature'] } } }],
      });

      // Act
      const x = await explainDecision({ store, documents: store }, REPO, DIGEST, other.bytes);

      // Assess
      expect(x.identical).toBe(false);
      expect(x.replayed.decision).toBe('BLOCK');
      expect(x.reasons.onlyReplayed.join('\n')).toMatch(/signature/);
      expect(x.changedInputs).toEqual(['policy']);
      expect(x.policy.replayed).toBe(sha256Digest(other.bytes));
    });
  });

  describe('when the stored policy text does not hash to its digest', () => {
    it('throws instead of replaying another policy', async () => {
      // Prepare: a decision document whose policy text was altered.
      const { store } = await decided();
      const record = await store.getDecision(REPO, DIGEST);
      if (record === null) throw new Error('no decision');
      const doc = JSON.parse(new TextDecoder().decode(await store.get(record.documentDigest)));
      doc.policy.text = `${doc.policy.text}\n# altered`;
      const altered = await store.put(new TextEncoder().encode(JSON.stringify(doc)), 'application/json');
      const tampered = new MemoryStore();
      await tampered.putDecision({ ...record, documentDigest: altered });

      // Act
      const act = explainDecision({ store: tampered, documents: store }, REPO, DIGEST);

      // Assess
      await expect(act).rejects.toThrowWithCode(DigestMismatchError, 'DIGEST_MISMATCH', /does not hash/);
    });
  });
});
