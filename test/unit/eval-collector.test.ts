import { describe, expect, it } from 'vitest';
import type { CollectContext } from '../../lambdas/domain/evidence/context.js';
import { collectEval, type EvalPredicate } from '../../lambdas/domain/evidence/eval.js';
import { EvalPolicySchema } from '../../lambdas/domain/evidence/eval-policy.js';
import { MediaTypes } from '../../lambdas/domain/oci.js';
import type { PromotionEntry, StoredEvidence } from '../../lambdas/domain/ports.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { pushArtifact } from '../support/images.js';
import { type ExpectedEvidence, expectEvidence } from '../support/matchers.js';
import { attachAttestation, attTag, imageContext } from '../support/memory-evidence.js';
import { dsseEnvelope, statementAbout, type TestSigner, testSigner } from '../support/signers.js';

const REPO = 'app/x';
const PREVIOUS: Digest = `sha256:${'7'.repeat(64)}`;

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

/** The promoted release before this one, with its eval metrics (none: it has no eval evidence). */
function previousRelease(metrics?: Record<string, number>): Previous {
  const evidence: StoredEvidence | null =
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
        };
  const promotion: PromotionEntry = {
    repository: REPO,
    digest: PREVIOUS,
    promotedAt: '2026-11-01T00:00:00Z',
    targetRepository: `prod/${REPO}`,
    tag: '0.9',
  };
  return { promotion, evidence };
}

interface Previous {
  readonly promotion: PromotionEntry | null;
  readonly evidence: StoredEvidence | null;
}

/** Release records that answer with `previous` and write down what the collector asked. */
function recordingReleases(previous: Previous, asked: string[]): CollectContext['releases'] {
  return {
    lastPromotion: async (repository, exclude) => {
      asked.push(`lastPromotion ${repository} ${exclude}`);
      return previous.promotion;
    },
    getEvidence: async (repository, digest, kind) => {
      asked.push(`getEvidence ${repository} ${digest} ${kind}`);
      return previous.evidence;
    },
  };
}

/** Eval results signed by `by` about `about` (the image unless given), under the image's `.att` tag. */
interface Signed {
  readonly by: TestSigner;
  readonly body: unknown;
  readonly about?: Digest;
}

async function setup(policy: Record<string, unknown>, previous: Previous, signed?: Signed) {
  const asked: string[] = [];
  const { registry, image, ctx } = await imageContext(REPO, policy, { releases: recordingReleases(previous, asked) });
  if (signed !== undefined) {
    const statement = statementAbout(
      { name: REPO, digest: signed.about ?? image.digest },
      PredicateTypes.evalResultsV1,
      signed.body,
    );
    const bytes = dsseEnvelope(signed.by, statement);
    await attachAttestation(registry, REPO, image, bytes, PredicateTypes.evalResultsV1);
  }
  return { image, ctx, asked };
}

const FIRST_RELEASE: Previous = { promotion: null, evidence: null };

describe('Function: collectEval', () => {
  const ci = testSigner('ci');
  const stranger = testSigner('stranger');
  /** The metrics the policy judges: the thresholds and directions come from here, not the results. */
  const POLICY_METRICS = [
    { name: 'accuracy', threshold: 0.8, direction: 'higher-is-better' },
    { name: 'toxicity', threshold: 0.05, direction: 'lower-is-better' },
  ];
  const trusting = { attestations: { keys: [ci.trusted] }, eval: { metrics: POLICY_METRICS } };

  describe('when trusted results are within thresholds and this is the first release', () => {
    it('passes, saying there was nothing to compare with', async () => {
      // Prepare
      const signed = { by: ci, body: predicate([accuracy(0.9), toxicity(0.01)]) };
      const { image, ctx, asked } = await setup(trusting, FIRST_RELEASE, signed);

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

  /** One attached result (or none) and what the collector makes of it. */
  interface EvalCase extends Omit<ExpectedEvidence, 'firstReason'> {
    readonly when: string;
    readonly it: string;
    readonly signed?: Signed;
    readonly policy?: Record<string, unknown>;
    readonly previous?: Previous;
    /** A piece of the first reason (a function of the image digest where it names it). */
    readonly firstReason?: string | ((image: Digest) => string);
    /** One of the questions the collector must have asked the release records. */
    readonly asked?: string;
  }

  const CASES: readonly EvalCase[] = [
    { when: 'there are no evaluation results', it: 'is MISSING', status: 'MISSING' },
    {
      when: 'the results are signed by an untrusted key',
      it: 'fails',
      signed: { by: stranger, body: predicate([accuracy(0.9)]) },
      status: 'FAIL',
      firstReason: 'DSSE signature not verified by a trusted key',
    },
    {
      when: 'a higher-is-better metric is below its threshold',
      it: 'fails naming the metric',
      signed: { by: ci, body: predicate([accuracy(0.75), toxicity(0.01)]) },
      status: 'FAIL',
      reasons: ['metric accuracy = 0.75 is below its threshold 0.8 (higher-is-better)'],
    },
    {
      when: 'a lower-is-better metric is above its threshold',
      it: 'fails naming the metric',
      signed: { by: ci, body: predicate([accuracy(0.9), toxicity(0.2)]) },
      status: 'FAIL',
      reasons: ['metric toxicity = 0.2 is above its threshold 0.05 (lower-is-better)'],
    },
    {
      when: 'a required metric is absent',
      it: 'fails naming the metric',
      policy: { ...trusting, eval: { metrics: POLICY_METRICS, requiredMetrics: ['accuracy', 'toxicity'] } },
      signed: { by: ci, body: predicate([accuracy(0.9)]) },
      status: 'FAIL',
      reasons: ['required metric toxicity is absent'],
    },
    {
      when: 'a metric regresses beyond maxRegression vs the last promoted release',
      it: 'fails naming the metric and the previous release',
      previous: previousRelease({ accuracy: 0.95, toxicity: 0.01 }),
      signed: { by: ci, body: predicate([accuracy(0.9), toxicity(0.04)]) },
      status: 'FAIL',
      reasons: [
        `metric accuracy regressed from 0.95 to 0.9 vs the previous promoted release ${PREVIOUS} (more than 0.02)`,
        `metric toxicity regressed from 0.01 to 0.04 vs the previous promoted release ${PREVIOUS} (more than 0.02)`,
      ],
      asked: `getEvidence ${REPO} ${PREVIOUS} eval`,
    },
    {
      when: 'a metric regresses by exactly maxRegression',
      it: 'passes (floating-point noise is not a regression)',
      previous: previousRelease({ accuracy: 0.85 }),
      signed: { by: ci, body: predicate([accuracy(0.83), toxicity(0.01)]) },
      status: 'PASS',
      facts: { comparedWith: PREVIOUS },
    },
    {
      when: 'a metric of the previous release is no longer reported',
      it: 'fails',
      previous: previousRelease({ accuracy: 0.9, toxicity: 0.01 }),
      signed: { by: ci, body: predicate([accuracy(0.9)]) },
      status: 'FAIL',
      reasons: [
        'required metric toxicity is absent',
        `metric toxicity was reported for the previous promoted release ${PREVIOUS} but is absent`,
      ],
    },
    {
      when: 'the previous promoted release has no eval evidence',
      it: 'passes, saying so',
      previous: previousRelease(),
      signed: { by: ci, body: predicate([accuracy(0.9), toxicity(0.01)]) },
      status: 'PASS',
      reason: `previous promoted release ${PREVIOUS} has no eval metrics to compare with`,
    },
    {
      when: 'the policy names no metrics',
      it: 'fails: a threshold is never taken from the results being judged',
      policy: { attestations: { keys: [ci.trusted] } },
      signed: { by: ci, body: predicate([accuracy(0.9), toxicity(0.01)]) },
      status: 'FAIL',
      firstReason: 'the policy names no eval metrics (eval.metrics)',
    },
    {
      when: 'the results declare their own direction and threshold for a metric (red-team finding 2)',
      it: 'fails: the policy says lower-is-better with 0.05, whatever the results claim',
      signed: {
        by: ci,
        body: predicate([
          accuracy(0.9),
          { name: 'toxicity', value: 0.5, threshold: 0.9, direction: 'higher-is-better' },
        ]),
      },
      status: 'FAIL',
      reasons: [
        'metric toxicity: the results declare higher-is-better with threshold 0.9; the policy says lower-is-better with threshold 0.05',
        'metric toxicity = 0.5 is above its threshold 0.05 (lower-is-better)',
      ],
    },
    {
      when: 'the results turn a regression into an improvement by declaring the direction (red-team finding 2)',
      it: 'fails: the regression is measured in the direction of the policy',
      previous: previousRelease({ accuracy: 0.84, toxicity: 0.01 }),
      signed: {
        by: ci,
        body: predicate([
          { name: 'accuracy', value: 0.5, threshold: 0.4, direction: 'lower-is-better' },
          toxicity(0.01),
        ]),
      },
      status: 'FAIL',
      reasonsText: `metric accuracy regressed from 0.84 to 0.5 vs the previous promoted release ${PREVIOUS}`,
    },
    {
      when: 'the results give no threshold or direction',
      it: 'judges them by the policy alone, and records what it did not judge',
      signed: {
        by: ci,
        body: predicate([
          { name: 'accuracy', value: 0.9 },
          { name: 'toxicity', value: 0.01 },
          { name: 'latency_ms', value: 120 },
        ]),
      },
      status: 'PASS',
      reason: "not judged (not in the policy's eval.metrics): latency_ms",
      facts: { thresholds: { accuracy: 0.8, toxicity: 0.05 } },
    },
    {
      when: 'the signed predicate does not match the schema',
      it: 'fails',
      signed: { by: ci, body: { ...predicate([accuracy(0.9)]), metrics: [] } },
      status: 'FAIL',
      firstReason: 'eval results predicate is invalid',
    },
    {
      when: 'the results are about another image',
      it: 'fails',
      signed: { by: ci, body: predicate([accuracy(0.9)]), about: `sha256:${'8'.repeat(64)}` },
      status: 'FAIL',
      firstReason: (image) => `does not cover ${image}`,
    },
  ];

  describe.each(CASES.map((c) => [c.when, c] as const))('when %s', (_when, c) => {
    it(c.it, async () => {
      // Prepare
      const { image, ctx, asked } = await setup(c.policy ?? trusting, c.previous ?? FIRST_RELEASE, c.signed);

      // Act
      const result = await collectEval(ctx);

      // Assess
      const firstReason = typeof c.firstReason === 'function' ? c.firstReason(image.digest) : c.firstReason;
      expectEvidence(result, { ...c, firstReason });
      if (c.asked !== undefined) expect(asked).toContain(c.asked);
    });
  });
});

describe('Schema: the eval slice of the policy', () => {
  describe('when requiredMetrics names a metric without a threshold in metrics', () => {
    it('refuses the policy, saying where the threshold goes', () => {
      // Act
      const parsed = EvalPolicySchema.safeParse({ metrics: [], requiredMetrics: ['accuracy'] });

      // Assess
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toContain('eval.metrics');
    });
  });
});

describe('Function: collectEval, two trusted evaluations of one digest', () => {
  const ci = testSigner('ci');
  const trusting = {
    attestations: { keys: [ci.trusted] },
    eval: {
      metrics: [
        { name: 'accuracy', threshold: 0.8, direction: 'higher-is-better' },
        { name: 'toxicity', threshold: 0.05, direction: 'lower-is-better' },
      ],
    },
  };

  describe('when an older one fails and a newer one passes', () => {
    it('fails: re-running the evaluation until it passes does not outvote the failing run', async () => {
      // Prepare: cosign appends each attestation as a layer of the one `.att` manifest.
      const { registry, image, ctx } = await imageContext(REPO, trusting, {
        releases: recordingReleases(FIRST_RELEASE, []),
      });
      const layerOf = (metrics: EvalPredicate['metrics'], evaluatedAt: string) => ({
        mediaType: MediaTypes.dsseEnvelope,
        bytes: dsseEnvelope(
          ci,
          statementAbout({ name: REPO, digest: image.digest }, PredicateTypes.evalResultsV1, {
            ...predicate(metrics),
            evaluatedAt,
          }),
        ),
        annotations: { predicateType: PredicateTypes.evalResultsV1 },
      });
      await pushArtifact(registry, REPO, {
        layers: [
          layerOf([accuracy(0.9), toxicity(0.2)], '2026-11-24T10:00:00Z'),
          layerOf([accuracy(0.9), toxicity(0.01)], '2026-11-24T11:00:00Z'),
        ],
        tag: attTag(image.digest),
      });

      // Act
      const result = await collectEval(ctx);

      // Assess
      expect(result.status).toBe('FAIL');
      expect(result.reasons).toContainEqual(
        expect.stringMatching(/^signed evaluations of this digest disagree: 1 of 2 do not pass$/),
      );
      expect(result.reasons.join('\n')).toMatch(/evaluated 2026-11-24T10:00:00Z\): metric toxicity = 0.2 is above/);
      expect(result.facts).toMatchObject({ metrics: { toxicity: 0.01 }, evaluatedAt: '2026-11-24T11:00:00Z' });
    });
  });
});
