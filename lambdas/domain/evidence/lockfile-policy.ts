/** The `lockfile` slice of a policy rule. */
import * as z from '../zod.js';

export const LockfilePolicySchema = z._default(
  z.object({
    /** Block when the base image is not identified by digest. */
    requirePinnedBase: z._default(z.boolean(), true),
  }),
  { requirePinnedBase: true },
);
export type LockfilePolicy = z.infer<typeof LockfilePolicySchema>;
