/**
 * Evaluation evidence: the gate's own in-toto predicate `https://release-gate.dev/eval-results/v1`,
 * signed by a trusted attestation key, about this digest. Each metric must be on the right side of
 * its threshold, required metrics must be present, and no metric may regress by more than
 * `policy.eval.maxRegression` against the last promoted release of the same repository.
 */
import { z } from 'zod';
import { discoverAttestations } from '../attest/discover.js';
import type { VerifiedAttestation } from '../attest/types.js';
import { formatIssues } from '../document.js';
import { MediaTypes } from '../oci.js';
import { PredicateTypes } from '../predicate-types.js';
import { type EvidenceResult, evidenceResult } from '../types.js';
import type { CollectContext } from './context.js';

const Sha256Hex = z.string().regex(/^[a-f0-9]{64}$/, 'expected 64 lowercase hex digits');
const NamedDigest = z.object({ name: z.string().min(1), digest: z.object({ sha256: Sha256Hex }) });

export const METRIC_DIRECTIONS = ['higher-is-better', 'lower-is-better'] as const;
export type MetricDirection = (typeof METRIC_DIRECTIONS)[number];

export const EvalMetricSchema = z.object({
  name: z.string().min(1),
  value: z.number().finite(),
  threshold: z.number().finite(),
  direction: z.enum(METRIC_DIRECTIONS),
});
export type EvalMetric = z.infer<typeof EvalMetricSchema>;

/** Predicate of `PredicateTypes.evalResultsV1`. */
export const EvalPredicateSchema = z.object({
  suite: z.object({ name: z.string().min(1), version: z.string().optional() }),
  dataset: NamedDigest,
  model: NamedDigest,
  promptTemplate: NamedDigest,
  metrics: z
    .array(EvalMetricSchema)
    .min(1)
    .refine((metrics) => new Set(metrics.map((m) => m.name)).size === metrics.length, 'metric names must be unique'),
  evaluatedAt: z.iso.datetime({ offset: true }),
});
export type EvalPredicate = z.infer<typeof EvalPredicateSchema>;

/** What an earlier release stored as `facts.metrics`. */
const PreviousFacts = z.object({ metrics: z.record(z.string(), z.number()) });

/** Absorbs binary floating-point noise (0.85 - 0.83 = 0.02000000000000002). */
const EPSILON = 1e-9;

/** Collects the evaluation results of `ctx.subject` and checks thresholds and regressions. */
export async function collectEval(ctx: CollectContext): Promise<EvidenceResult> {
  const { repository, digest } = ctx.subject;
  const keys = ctx.policy.attestations.keys;
  const scan = await discoverAttestations(ctx.registry, ctx.subject, keys, [PredicateTypes.evalResultsV1]);
  const rejectedReasons = scan.rejected.map((r) => `${r.source}: ${r.reason}`);
  const noKeys = keys.length === 0 ? [`policy trusts no attestation key for ${repository}`] : [];

  if (scan.verified.length === 0) {
    if (rejectedReasons.length === 0) {
      return evidenceResult('eval', 'MISSING', [
        `no evaluation results attestation found for ${repository}@${digest}`,
        ...noKeys,
      ]);
    }
    return evidenceResult('eval', 'FAIL', [...noKeys, ...rejectedReasons]);
  }

  const parsed: { attestation: VerifiedAttestation; predicate: EvalPredicate }[] = [];
  const invalid: string[] = [];
  for (const attestation of scan.verified) {
    const result = EvalPredicateSchema.safeParse(attestation.statement.predicate);
    if (result.success) {
      parsed.push({ attestation, predicate: result.data });
    } else {
      invalid.push(`${attestation.source}: eval results predicate is invalid: ${formatIssues(result.error.issues)}`);
    }
  }
  // The most recent evaluation of this digest is the one that counts.
  const latest = parsed.sort((a, b) => Date.parse(b.predicate.evaluatedAt) - Date.parse(a.predicate.evaluatedAt))[0];
  if (latest === undefined) {
    return evidenceResult('eval', 'FAIL', [...invalid, ...rejectedReasons]);
  }
  const { attestation, predicate } = latest;
  const document = { name: 'eval.dsse.json', mediaType: MediaTypes.dsseEnvelope, bytes: attestation.envelope };

  const failures: string[] = [];
  for (const m of predicate.metrics) {
    const ok = m.direction === 'higher-is-better' ? m.value >= m.threshold : m.value <= m.threshold;
    if (!ok) {
      const side = m.direction === 'higher-is-better' ? 'below' : 'above';
      failures.push(`metric ${m.name} = ${m.value} is ${side} its threshold ${m.threshold} (${m.direction})`);
    }
  }
  const present = new Set(predicate.metrics.map((m) => m.name));
  for (const required of ctx.policy.eval.requiredMetrics) {
    if (!present.has(required)) failures.push(`required metric ${required} is absent`);
  }

  const notes: string[] = [];
  const previous = await ctx.releases.lastPromotion(repository, digest);
  let previousDigest: string | undefined;
  if (previous === null) {
    notes.push('no previous promoted release to compare with');
  } else {
    previousDigest = previous.digest;
    const evidence = await ctx.releases.getEvidence(previous.repository, previous.digest, 'eval');
    const previousFacts = PreviousFacts.safeParse(evidence?.facts);
    if (!previousFacts.success) {
      notes.push(`previous promoted release ${previous.digest} has no eval metrics to compare with`);
    } else {
      failures.push(
        ...regressions(predicate, previousFacts.data.metrics, previous.digest, ctx.policy.eval.maxRegression),
      );
    }
  }

  const facts = {
    suite: predicate.suite,
    dataset: { name: predicate.dataset.name, sha256: predicate.dataset.digest.sha256 },
    model: { name: predicate.model.name, sha256: predicate.model.digest.sha256 },
    promptTemplate: { name: predicate.promptTemplate.name, sha256: predicate.promptTemplate.digest.sha256 },
    metrics: Object.fromEntries(predicate.metrics.map((m) => [m.name, m.value])),
    thresholds: Object.fromEntries(predicate.metrics.map((m) => [m.name, m.threshold])),
    directions: Object.fromEntries(predicate.metrics.map((m) => [m.name, m.direction])),
    evaluatedAt: predicate.evaluatedAt,
    signer: attestation.signer,
    ...(previousDigest !== undefined ? { comparedWith: previousDigest } : {}),
  };
  if (failures.length > 0) {
    return evidenceResult('eval', 'FAIL', failures, facts, [document]);
  }
  return evidenceResult(
    'eval',
    'PASS',
    [`${predicate.metrics.length} metric(s) of suite ${predicate.suite.name} within thresholds`, ...notes],
    facts,
    [document],
  );
}

function regressions(
  predicate: EvalPredicate,
  previous: Readonly<Record<string, number>>,
  previousDigest: string,
  maxRegression: number,
): string[] {
  const reasons: string[] = [];
  const current = new Map(predicate.metrics.map((m) => [m.name, m]));
  for (const [name, before] of Object.entries(previous)) {
    const m = current.get(name);
    if (m === undefined) {
      // A metric that silently disappears could hide a regression.
      reasons.push(`metric ${name} was reported for the previous promoted release ${previousDigest} but is absent`);
      continue;
    }
    const regression = m.direction === 'higher-is-better' ? before - m.value : m.value - before;
    if (regression > maxRegression + EPSILON) {
      reasons.push(
        `metric ${name} regressed from ${before} to ${m.value} vs the previous promoted release ${previousDigest} (more than ${maxRegression})`,
      );
    }
  }
  return reasons;
}
