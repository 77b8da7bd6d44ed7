import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pae } from '../../lambdas/domain/attest/dsse.js';
import type { CollectContext } from '../../lambdas/domain/evidence/context.js';
import { collectEval, type EvalPredicate } from '../../lambdas/domain/evidence/eval.js';
import { type Descriptor, digestToTag, MediaTypes } from '../../lambdas/domain/oci.js';
import { RepositoryPolicySchema } from '../../lambdas/domain/policy/schema.js';
import type { PromotionEntry, StoredEvidence } from '../../lambdas/domain/ports.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { pushArtifact, pushImage } from '../support/images.js';
import { MemoryRegistry } from '../support/memory-registry.js';

const REPO = 'app/x';
const PREVIOUS: Digest = `sha256:${'7'.repeat(64)}`;

interface Signer {
  readonly privateKey: KeyObject;
  readonly trusted: { id: string; publicKey: string };
}

function signer(id: string): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, trusted: { id, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() } };
}

function predicate(metrics: EvalPredicate['metrics']): EvalPredicate {
  return {
    suite: { name: 'support-bot', version: '3' },
    dataset: { name: 'tickets-2026q3', digest: { sha256: '1'.repeat(64) } },
    model: { name: 'small-llm', digest: { sha256: '2'.repeat(64) } },
    promptTemplate: { name: 'answer', digest: { sha256: '3'.repeat(64) } },
    metrics,
    evaluatedAt: '2026-11-24T10:00:00Z',
  };
}

const accuracy = (value: number): EvalPredicate['metrics'][number] => ({
  name: 'accuracy',
  value,
  threshold: 0.8,
  direction: 'higher-is-better',
});
const toxicity = (value: number): EvalPredicate['metrics'][number] => ({
  name: 'toxicity',
  value,
  threshold: 0.05,
  direction: 'lower-is-better',
});

function envelope(by: Signer, subjectDigest: string, body: unknown): Uint8Array {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: REPO, digest: { sha256: subjectDigest.replace('sha256:', '') } }],
    predicateType: PredicateTypes.evalResultsV1,
    predicate: body,
  };
  const payload = new Uint8Array(Buffer.from(JSON.stringify(statement)));
  const sig = sign('sha256', pae(MediaTypes.inTotoPayload, payload), by.privateKey);
  return new Uint8Array(
    Buffer.from(
      JSON.stringify({
        payloadType: MediaTypes.inTotoPayload,
        payload: Buffer.from(payload).toString('base64'),
        signatures: [{ sig: sig.toString('base64') }],
      }),
    ),
  );
}

interface Previous {
  readonly promotion: PromotionEntry | null;
  readonly evidence: StoredEvidence | null;
}

function previousRelease(metrics: Record<string, number> | undefined): Previous {
  return {
    promotion: {
      repository: REPO,
      digest: PREVIOUS,
      promotedAt: '2026-11-01T00:00:00Z',
      targetRepository: `prod/${REPO}`,
      tag: '0.9',
    },
    evidence:
      metrics === undefined
        ? null
        : {
            repository: REPO,
            digest: PREVIOUS,
            kind: 'eval',
            status: 'PASS',
            reasons: [],
            facts: { metrics },
            documents: [],
            collectedAt: '2026-11-01T00:00:00Z',
          },
  };
}

async function setup(
  policy: Record<string, unknown>,
  previous: Previous = { promotion: null, evidence: null },
): Promise<{ registry: MemoryRegistry; image: Descriptor; ctx: CollectContext; asked: string[] }> {
  const registry = new MemoryRegistry();
  const image = await pushImage(registry, REPO, '1.0');
  const asked: string[] = [];
  const ctx: CollectContext = {
    subject: { repository: REPO, digest: image.digest },
    registry,
    policy: RepositoryPolicySchema.parse({ repositories: ['app/*'], ...policy }),
    now: new Date('2026-11-25T00:00:00Z'),
    releases: {
      lastPromotion: async (repository, exclude) => {
        asked.push(`lastPromotion ${repository} ${exclude}`);
        return previous.promotion;
      },
      getEvidence: async (repository, digest, kind) => {
        asked.push(`getEvidence ${repository} ${digest} ${kind}`);
        return previous.evidence;
      },
    },
    documents: { get: async () => Promise.reject(new Error('not used')) },
    scans: { getFindings: async () => Promise.reject(new Error('not used')) },
  };
  return { registry, image, ctx, asked };
}

async function attach(registry: MemoryRegistry, image: Descriptor, bytes: Uint8Array): Promise<void> {
  await pushArtifact(registry, REPO, {
    layers: [
      { mediaType: MediaTypes.dsseEnvelope, bytes, annotations: { predicateType: PredicateTypes.evalResultsV1 } },
    ],
    tag: `${digestToTag(image.digest)}.att`,
  });
}

describe('Function: collectEval', () => {
  const ci = signer('ci');
  const stranger = signer('stranger');
  const trusting = { attestations: { keys: [ci.trusted] } };

  describe('when trusted results are within thresholds and this is the first release', () => {
    it('passes, saying there was nothing to compare with', async () => {
      // Prepare
      const { registry, image, ctx, asked } = await setup(trusting);
      await attach(registry, image, envelope(ci, image.digest, predicate([accuracy(0.9), toxicity(0.01)])));

      // Act
      const result = await collectEval(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.reasons).toContain('no previous promoted release to compare with');
      expect(asked).toEqual([`lastPromotion ${REPO} ${image.digest}`]);
      expect(result.facts).toMatchObject({
        suite: { name: 'support-bot', version: '3' },
        dataset: { name: 'tickets-2026q3', sha256: '1'.repeat(64) },
        model: { name: 'small-llm', sha256: '2'.repeat(64) },
        promptTemplate: { name: 'answer', sha256: '3'.repeat(64) },
        metrics: { accuracy: 0.9, toxicity: 0.01 },
        directions: { accuracy: 'higher-is-better', toxicity: 'lower-is-better' },
      });
      expect(result.documents).toHaveLength(1);
    });
  });

  describe('when there are no evaluation results', () => {
    it('is MISSING', async () => {
      // Prepare
      const { ctx } = await setup(trusting);

      // Act
      const result = await collectEval(ctx);

      // Assess
      expect(result.status).toBe('MISSING');
    });
  });

  describe('when the results are signed by an untrusted key', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(trusting);
      await attach(registry, image, envelope(stranger, image.digest, predicate([accuracy(0.9)])));

      // Act
      const result = await collectEval(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('DSSE signature not verified by a trusted key');
    });
  });

  describe('when a higher-is-better metric is below its threshold', () => {
    it('fails naming the metric', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(trusting);
      await attach(registry, image, envelope(ci, image.digest, predicate([accuracy(0.75)])));

      // Act
      const result = await collectEval(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual(['metric accuracy = 0.75 is below its threshold 0.8 (higher-is-better)']);
    });
  });

  describe('when a lower-is-better metric is above its threshold', () => {
    it('fails naming the metric', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(trusting);
      await attach(registry, image, envelope(ci, image.digest, predicate([toxicity(0.2)])));

      // Act
      const result = await collectEval(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual(['metric toxicity = 0.2 is above its threshold 0.05 (lower-is-better)']);
    });
  });

  describe('when a required metric is absent', () => {
    it('fails naming the metric', async () => {
      // Prepare
      const { registry, image, ctx } = await setup({
        ...trusting,
        eval: { requiredMetrics: ['accuracy', 'toxicity'] },
      });
      await attach(registry, image, envelope(ci, image.digest, predicate([accuracy(0.9)])));

      // Act
      const result = await collectEval(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual(['required metric toxicity is absent']);
    });
  });

  describe('when a metric regresses beyond maxRegression vs the last promoted release', () => {
    it('fails naming the metric and the previous release', async () => {
      // Prepare
      const { registry, image, ctx, asked } = await setup(
        trusting,
        previousRelease({ accuracy: 0.95, toxicity: 0.01 }),
      );
      await attach(registry, image, envelope(ci, image.digest, predicate([accuracy(0.9), toxicity(0.04)])));

      // Act
      const result = await collectEval(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `metric accuracy regressed from 0.95 to 0.9 vs the previous promoted release ${PREVIOUS} (more than 0.02)`,
        `metric toxicity regressed from 0.01 to 0.04 vs the previous promoted release ${PREVIOUS} (more than 0.02)`,
      ]);
      expect(asked).toContain(`getEvidence ${REPO} ${PREVIOUS} eval`);
    });
  });

  describe('when a metric regresses by exactly maxRegression', () => {
    it('passes (floating-point noise is not a regression)', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(trusting, previousRelease({ accuracy: 0.85 }));
      await attach(registry, image, envelope(ci, image.digest, predicate([accuracy(0.83)])));

      // Act
      const result = await collectEval(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.facts).toMatchObject({ comparedWith: PREVIOUS });
    });
  });

  describe('when a metric of the previous release is no longer reported', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(trusting, previousRelease({ accuracy: 0.9, toxicity: 0.01 }));
      await attach(registry, image, envelope(ci, image.digest, predicate([accuracy(0.9)])));

      // Act
      const result = await collectEval(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toEqual([
        `metric toxicity was reported for the previous promoted release ${PREVIOUS} but is absent`,
      ]);
    });
  });

  describe('when the previous promoted release has no eval evidence', () => {
    it('passes, saying so', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(trusting, previousRelease(undefined));
      await attach(registry, image, envelope(ci, image.digest, predicate([accuracy(0.9)])));

      // Act
      const result = await collectEval(ctx);

      // Assess
      expect(result.status).toBe('PASS');
      expect(result.reasons).toContain(`previous promoted release ${PREVIOUS} has no eval metrics to compare with`);
    });
  });

  describe('when the signed predicate does not match the schema', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(trusting);
      await attach(registry, image, envelope(ci, image.digest, { ...predicate([accuracy(0.9)]), metrics: [] }));

      // Act
      const result = await collectEval(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain('eval results predicate is invalid');
    });
  });

  describe('when the results are about another image', () => {
    it('fails', async () => {
      // Prepare
      const { registry, image, ctx } = await setup(trusting);
      await attach(registry, image, envelope(ci, `sha256:${'8'.repeat(64)}`, predicate([accuracy(0.9)])));

      // Act
      const result = await collectEval(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons[0]).toContain(`does not cover ${image.digest}`);
    });
  });
});
