/**
 * Evaluation evidence: the gate's own in-toto predicate `https://release-gate.dev/eval-results/v1`,
 * signed by a trusted attestation key or keyless identity (a DSSE envelope, a Sigstore bundle or a
 * keyless `.att` layer: signed-statements.ts), about this digest. Every metric the policy names
 * (`eval.metrics`) must be reported and on the right side of the policy's threshold, in the
 * policy's direction, and must not regress by more than `eval.maxRegression` against the last
 * promoted release of the same repository. Thresholds and directions are the policy's: the
 * producer of the results does not get to choose them, and results that declare others fail.
 */
import { formatIssues } from '../document.js';
import { PredicateTypes } from '../predicate-types.js';
import { type EvidenceResult, evidenceResult } from '../types.js';
import * as z from '../zod.js';
import type { CollectContext } from './context.js';
import { METRIC_DIRECTIONS, type PolicyMetric } from './eval-policy.js';
import { attestationTrustOf, gatherSignedStatements, type SignedStatement } from './signed-statements.js';

const Sha256Hex = z.string().check(z.regex(/^[a-f0-9]{64}$/, 'expected 64 lowercase hex digits'));
const NamedDigest = z.object({ name: z.string().check(z.minLength(1)), digest: z.object({ sha256: Sha256Hex }) });

export { METRIC_DIRECTIONS, type MetricDirection } from './eval-policy.js';

/** A reported metric. `threshold` and `direction` are the producer's claim, checked against the policy. */
export const EvalMetricSchema = z.object({
  name: z.string().check(z.minLength(1)),
  value: z.number(),
  threshold: z.optional(z.number()),
  direction: z.optional(z.enum(METRIC_DIRECTIONS)),
});
export type EvalMetric = z.infer<typeof EvalMetricSchema>;

/** Predicate of `PredicateTypes.evalResultsV1`. */
export const EvalPredicateSchema = z.object({
  suite: z.object({ name: z.string().check(z.minLength(1)), version: z.optional(z.string()) }),
  dataset: NamedDigest,
  model: NamedDigest,
  promptTemplate: NamedDigest,
  metrics: z.array(EvalMetricSchema).check(
    z.minLength(1),
    z.refine((metrics) => new Set(metrics.map((m) => m.name)).size === metrics.length, 'metric names must be unique'),
  ),
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
  const scan = await gatherSignedStatements(ctx, { predicateTypes: [PredicateTypes.evalResultsV1] });
  const rejectedReasons = scan.rejected;
  const noSigners = attestationTrustOf(ctx).any ? [] : [`policy trusts no attestation key for ${repository}`];

  if (scan.trusted.length === 0) {
    if (rejectedReasons.length === 0) {
      return evidenceResult('eval', 'MISSING', [
        `no evaluation results attestation found for ${repository}@${digest}`,
        ...noSigners,
      ]);
    }
    return evidenceResult('eval', 'FAIL', [...noSigners, ...rejectedReasons]);
  }

  const parsed: { attestation: SignedStatement; predicate: EvalPredicate }[] = [];
  const invalid: string[] = [];
  for (const attestation of scan.trusted) {
    const result = EvalPredicateSchema.safeParse(attestation.statement.predicate);
    if (result.success) {
      parsed.push({ attestation, predicate: result.data });
    } else {
      invalid.push(`${attestation.source}: eval results predicate is invalid: ${formatIssues(result.error.issues)}`);
    }
  }
  // The most recent evaluation of this digest is the one reported; every other trusted one must
  // agree with the policy too, so a failing run cannot be outvoted by re-running until one passes.
  const latest = parsed.sort((a, b) => Date.parse(b.predicate.evaluatedAt) - Date.parse(a.predicate.evaluatedAt))[0];
  if (latest === undefined) {
    return evidenceResult('eval', 'FAIL', [...invalid, ...rejectedReasons]);
  }
  const { attestation, predicate } = latest;
  const document = {
    name: `eval.${attestation.document.extension}`,
    mediaType: attestation.document.mediaType,
    bytes: attestation.document.bytes,
  };

  const judged = ctx.policy.eval.metrics;
  const failures: string[] = [];
  if (judged.length === 0) {
    failures.push(
      `the policy names no eval metrics (eval.metrics) for ${repository}: thresholds and directions are never taken from the results being judged`,
    );
  }
  const unjudged = predicate.metrics.filter((m) => !judged.some((p) => p.name === m.name)).map((m) => m.name);
  const notes: string[] =
    unjudged.length > 0 ? [`not judged (not in the policy's eval.metrics): ${unjudged.join(', ')}`] : [];
  const previous = await previousMetrics(ctx, notes);
  const judge = (p: EvalPredicate): string[] => [
    ...thresholdFailures(p, judged),
    ...(previous === undefined
      ? []
      : regressions(p, judged, previous.metrics, previous.digest, ctx.policy.eval.maxRegression)),
  ];
  failures.push(...judge(predicate));
  const disagreeing = parsed
    .filter((p) => p !== latest)
    .map((p) => ({ p, why: judge(p.predicate) }))
    .filter((v) => v.why.length > 0);
  if (disagreeing.length > 0 || invalid.length > 0) {
    failures.push(
      `signed evaluations of this digest disagree: ${disagreeing.length + invalid.length} of ${parsed.length + invalid.length} do not pass`,
      ...disagreeing.map(
        ({ p, why }) => `${p.attestation.source} (evaluated ${p.predicate.evaluatedAt}): ${why.join('; ')}`,
      ),
      ...invalid,
    );
  }
  const previousDigest = previous?.digest;

  const facts = {
    suite: predicate.suite,
    dataset: { name: predicate.dataset.name, sha256: predicate.dataset.digest.sha256 },
    model: { name: predicate.model.name, sha256: predicate.model.digest.sha256 },
    promptTemplate: { name: predicate.promptTemplate.name, sha256: predicate.promptTemplate.digest.sha256 },
    metrics: Object.fromEntries(predicate.metrics.map((m) => [m.name, m.value])),
    thresholds: Object.fromEntries(judged.map((m) => [m.name, m.threshold])),
    directions: Object.fromEntries(judged.map((m) => [m.name, m.direction])),
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
    [`${judged.length} metric(s) of suite ${predicate.suite.name} within the policy's thresholds`, ...notes],
    facts,
    [document],
  );
}

/** Metrics absent, reported with another threshold or direction than the policy's, or past the threshold. */
function thresholdFailures(predicate: EvalPredicate, judged: readonly PolicyMetric[]): string[] {
  const failures: string[] = [];
  const reported = new Map(predicate.metrics.map((m) => [m.name, m]));
  for (const policy of judged) {
    const m = reported.get(policy.name);
    if (m === undefined) {
      failures.push(`required metric ${policy.name} is absent`);
      continue;
    }
    if (
      (m.direction !== undefined && m.direction !== policy.direction) ||
      (m.threshold !== undefined && m.threshold !== policy.threshold)
    ) {
      failures.push(
        `metric ${m.name}: the results declare ${m.direction ?? 'no direction'} with threshold ${m.threshold ?? 'none'}; the policy says ${policy.direction} with threshold ${policy.threshold}`,
      );
    }
    const ok = policy.direction === 'higher-is-better' ? m.value >= policy.threshold : m.value <= policy.threshold;
    if (!ok) {
      const side = policy.direction === 'higher-is-better' ? 'below' : 'above';
      failures.push(`metric ${m.name} = ${m.value} is ${side} its threshold ${policy.threshold} (${policy.direction})`);
    }
  }
  return failures;
}

/** The last promoted release's eval metrics, or undefined with a note saying why there are none. */
async function previousMetrics(
  ctx: CollectContext,
  notes: string[],
): Promise<{ digest: string; metrics: Readonly<Record<string, number>> } | undefined> {
  const { repository, digest } = ctx.subject;
  const previous = await ctx.releases.lastPromotion(repository, digest);
  if (previous === null) {
    notes.push('no previous promoted release to compare with');
    return undefined;
  }
  const evidence = await ctx.releases.getEvidence(previous.repository, previous.digest, 'eval');
  const previousFacts = PreviousFacts.safeParse(evidence?.facts);
  if (!previousFacts.success) {
    notes.push(`previous promoted release ${previous.digest} has no eval metrics to compare with`);
    return { digest: previous.digest, metrics: {} };
  }
  return { digest: previous.digest, metrics: previousFacts.data.metrics };
}

/** Regressions of the judged metrics against the previous promoted release, in the policy's directions. */
function regressions(
  predicate: EvalPredicate,
  judged: readonly PolicyMetric[],
  previous: Readonly<Record<string, number>>,
  previousDigest: string,
  maxRegression: number,
): string[] {
  const reasons: string[] = [];
  const current = new Map(predicate.metrics.map((m) => [m.name, m]));
  for (const policy of judged) {
    const before = previous[policy.name];
    if (before === undefined) continue;
    const m = current.get(policy.name);
    if (m === undefined) {
      // A metric that silently disappears could hide a regression.
      reasons.push(
        `metric ${policy.name} was reported for the previous promoted release ${previousDigest} but is absent`,
      );
      continue;
    }
    const regression = policy.direction === 'higher-is-better' ? before - m.value : m.value - before;
    if (regression > maxRegression + EPSILON) {
      reasons.push(
        `metric ${policy.name} regressed from ${before} to ${m.value} vs the previous promoted release ${previousDigest} (more than ${maxRegression})`,
      );
    }
  }
  return reasons;
}
