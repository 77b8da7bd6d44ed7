import { CollectedKindSchema, DigestSchema, RepositoryNameSchema } from '../types.js';
import * as z from '../zod.js';

/** The execution input the starter builds: deterministic (no event id or time), so duplicates are no-ops. */
export const ExecutionInputSchema = z.object({
  repository: RepositoryNameSchema,
  digest: DigestSchema,
  tag: z.nullable(z.string().check(z.maxLength(128))),
  stage: z.string().check(z.minLength(1)),
  timeouts: z.object({ scanSeconds: z.number().check(z.int(), z.gte(1)) }),
});
export type ExecutionInput = z.infer<typeof ExecutionInputSchema>;

export const ReleaseRefSchema = z.object({
  repository: RepositoryNameSchema,
  digest: DigestSchema,
  stage: z.string().check(z.minLength(1)),
});
export type ReleaseRef = z.infer<typeof ReleaseRefSchema>;

/** A Step Functions Catch result (`ResultPath` of a caught error). */
export const StatesErrorSchema = z.object({ Error: z.string(), Cause: z.optional(z.string()) });
export type StatesError = z.infer<typeof StatesErrorSchema>;

export const CollectRequestSchema = z.extend(ReleaseRefSchema, {
  kind: CollectedKindSchema,
  /** WaitForScan's outcome (the scan completion, or a caught States error). */
  scanWait: z.optional(z.unknown()),
  /** Set by the ASL's Catch: record ERROR evidence for this kind instead of collecting. */
  error: z.optional(StatesErrorSchema),
});
export type CollectRequest = z.infer<typeof CollectRequestSchema>;

export const RecordReleaseRequestSchema = z.extend(ReleaseRefSchema, {
  tag: z.optional(z.nullable(z.string().check(z.maxLength(128)))),
});

export const TaskTokenRequestSchema = z.extend(ReleaseRefSchema, {
  taskToken: z.string().check(z.minLength(1), z.maxLength(2048)),
});

export const RequestApprovalSchema = z.extend(TaskTokenRequestSchema, {
  reasons: z.array(z.string()),
  policyDigest: DigestSchema,
  timeoutSeconds: z.number().check(z.int(), z.gte(1)),
});

export const QuarantineRequestSchema = z.extend(ReleaseRefSchema, {
  /** Absent when the policy blocked; a caught States error when a step failed. */
  failure: z.optional(StatesErrorSchema),
});

/**
 * Step Functions execution names: 1–80 chars of `0-9A-Za-z-_` (the CloudWatch-safe subset).
 * `<repo slug ≤14>-<12 hex of the digest>-<52 hex of sha256(repository@digest)>` is ≤ 80
 * characters and readable in the console (repository and digest prefix). Uniqueness per
 * (repository, digest) rests on 208 bits of the hash of both: a shorter hash of the repository
 * alone (32 bits) let a pusher find two colliding repository names in under a second, and the
 * second repository's push then silently reused the first one's execution.
 */
export function executionNameFor(
  repository: string,
  digest: string,
  hash: (s: string) => string,
  gateRound = 1,
): string {
  const slug = repository
    .replace(/[^0-9A-Za-z]+/g, '-')
    .slice(0, 14)
    .replace(/-+$/, '');
  const readable = digest.replace(/^sha256:/, '').slice(0, 12);
  const hex = hash(`${repository}@${digest}`);
  // A later gate round (release from quarantine) needs a name of its own: Step Functions keeps a
  // finished execution's name for 90 days. `-r<n>` takes 3 characters from the hash (196 bits left).
  if (gateRound > 1) return `${slug}-${readable}-${hex.slice(0, 49)}-r${gateRound}`;
  return `${slug}-${readable}-${hex.slice(0, 52)}`;
}
