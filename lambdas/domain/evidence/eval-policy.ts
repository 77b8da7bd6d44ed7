/**
 * The `eval` slice of a policy rule: which metrics the gate judges, with the threshold and
 * direction the policy sets (never the attestation being judged), and the allowed regression.
 */
import * as z from '../zod.js';

export const METRIC_DIRECTIONS = ['higher-is-better', 'lower-is-better'] as const;
export type MetricDirection = (typeof METRIC_DIRECTIONS)[number];

export const PolicyMetricSchema = z.object({
  name: z.string().check(z.minLength(1)),
  threshold: z.number(),
  direction: z.enum(METRIC_DIRECTIONS),
});
export type PolicyMetric = z.infer<typeof PolicyMetricSchema>;

export const EvalPolicySchema = z._default(
  z
    .object({
      /**
       * The metrics the gate judges. Each must be in the evaluation results; its value is held to
       * this threshold and direction, and an attestation that declares another threshold or direction
       * fails. Metrics not listed are recorded but not judged. @default - none: eval evidence fails
       * until the policy names its metrics
       */
      metrics: z
        ._default(z.array(PolicyMetricSchema), [])
        .check(
          z.refine(
            (metrics) => new Set(metrics.map((m) => m.name)).size === metrics.length,
            'metric names must be unique',
          ),
        ),
      /** Largest allowed regression per metric vs the last promoted release, in metric units. */
      maxRegression: z._default(z.number().check(z.gte(0)), 0.02),
      /** Metrics that must be present; each must also be in `metrics`, which gives its threshold. */
      requiredMetrics: z._default(z.array(z.string()), []),
    })
    .check(
      z.refine((p) => p.requiredMetrics.every((name) => p.metrics.some((m) => m.name === name)), {
        message: 'every requiredMetrics name needs its threshold and direction in eval.metrics',
        path: ['requiredMetrics'],
      }),
    ),
  { metrics: [], maxRegression: 0.02, requiredMetrics: [] },
);
export type EvalPolicy = z.infer<typeof EvalPolicySchema>;
