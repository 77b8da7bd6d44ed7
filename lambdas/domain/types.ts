import * as z from './zod.js';

/** The eight kinds of release evidence, in the order reports show them. */
export const EVIDENCE_KINDS = [
  'lockfile',
  'dependency-diff',
  'sbom',
  'provenance',
  'signature',
  'scan',
  'eval',
  'approval',
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];
export const EvidenceKindSchema = z.enum(EVIDENCE_KINDS);

/** Kinds that a collector gathers from the registry/scanner (approval comes from a human). */
export type CollectedKind = Exclude<EvidenceKind, 'approval'>;
export const CollectedKindSchema = z.enum(EVIDENCE_KINDS.filter((k): k is CollectedKind => k !== 'approval'));
/** The collected kinds, in report order (their collectors: `evidence/registry.ts`). */
export const COLLECTED_KINDS: readonly CollectedKind[] = CollectedKindSchema.options;

/**
 * PASS: verified and within policy. FAIL: present but invalid, untrusted or over a threshold.
 * MISSING: not found at all. ERROR: could not be evaluated (infrastructure, timeout, bug).
 * Only PASS ever counts towards promotion.
 */
export const EVIDENCE_STATUSES = ['PASS', 'FAIL', 'MISSING', 'ERROR'] as const;
export type EvidenceStatus = (typeof EVIDENCE_STATUSES)[number];
export const EvidenceStatusSchema = z.enum(EVIDENCE_STATUSES);

export const DigestSchema = z.string().check(z.regex(/^sha256:[a-f0-9]{64}$/, 'expected sha256:<64 lowercase hex>'));
export type Digest = z.infer<typeof DigestSchema>;

/** A repository name as in OCI distribution-spec (path components, lowercase). */
export const RepositoryNameSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(256),
    z.regex(
      /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/,
      'invalid repository name',
    ),
  );

/** The image a release is about: one repository and one manifest (or index) digest. */
export const ImageSubjectSchema = z.object({
  repository: RepositoryNameSchema,
  digest: DigestSchema,
  /** Registry host, when not the default one of the deployment. */
  registry: z.optional(z.string()),
  mediaType: z.optional(z.string()),
  tag: z.optional(z.string()),
});
export type ImageSubject = z.infer<typeof ImageSubjectSchema>;

/** A raw document an evidence collector wants stored (content-addressed in S3). */
export interface EvidenceDocument {
  readonly name: string;
  readonly mediaType: string;
  readonly bytes: Uint8Array;
}

/**
 * What a collector returns. `reasons` is never empty unless the status is PASS (and even then it may
 * explain what passed, e.g. "no previous release"). `facts` is a small JSON summary (stays in the
 * DynamoDB record and state payload: keep it under 2 KB); `documents` go to S3.
 */
export interface EvidenceResult {
  readonly kind: EvidenceKind;
  readonly status: EvidenceStatus;
  readonly reasons: readonly string[];
  readonly facts: Readonly<Record<string, unknown>>;
  readonly documents: readonly EvidenceDocument[];
}

/** The summary of one evidence record as it travels through the state machine and the CLI JSON. */
export const EvidenceSummarySchema = z.object({
  kind: EvidenceKindSchema,
  status: EvidenceStatusSchema,
  reasons: z.array(z.string()),
});
export type EvidenceSummary = z.infer<typeof EvidenceSummarySchema>;

export const DECISIONS = ['PASS', 'BLOCK'] as const;
export type Decision = (typeof DECISIONS)[number];

export const OUTCOMES = ['PROMOTED', 'QUARANTINED'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export function evidenceResult(
  kind: EvidenceKind,
  status: EvidenceStatus,
  reasons: readonly string[],
  facts: Record<string, unknown> = {},
  documents: readonly EvidenceDocument[] = [],
): EvidenceResult {
  return { kind, status, reasons, facts, documents };
}
