/** The `lockfile` slice of a policy rule. */
import * as z from 'zod';

export const LockfilePolicySchema = z
  .object({
    /** Block when the base image is not identified by digest. */
    requirePinnedBase: z.boolean().default(true),
  })
  .default({ requirePinnedBase: true });
export type LockfilePolicy = z.infer<typeof LockfilePolicySchema>;
