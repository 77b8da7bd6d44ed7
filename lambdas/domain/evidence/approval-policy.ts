/** The `approval` slice of a policy rule: who may answer, and how long the workflow waits. */
import { z } from 'zod';

export const ApprovalPolicySchema = z
  .object({
    /**
     * Approver addresses: each is mailed its own signed link, whose address is the identity. Empty:
     * no link is sent or accepted (fail closed); only the CLI can answer.
     */
    approvers: z.array(z.string()).default([]),
    /** How long RequestApproval waits (Step Functions `TimeoutSecondsPath`); then the release is quarantined. */
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .default(24 * 3600),
  })
  .default({ approvers: [], timeoutSeconds: 24 * 3600 });
export type ApprovalPolicy = z.infer<typeof ApprovalPolicySchema>;
