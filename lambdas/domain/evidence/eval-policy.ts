/** The `eval` slice of a policy rule: the allowed regression and the metrics that must be present. */
import { z } from 'zod';

export const EvalPolicySchema = z
  .object({
    /** Largest allowed regression per metric vs the last promoted release, in metric units. */
    maxRegression: z.number().min(0).default(0.02),
    /** Metrics that must be present. */
    requiredMetrics: z.array(z.string()).default([]),
  })
  .default({ maxRegression: 0.02, requiredMetrics: [] });
export type EvalPolicy = z.infer<typeof EvalPolicySchema>;
