/**
 * The answers of the ops API (lambdas/handlers/cli-ops.ts) as the CLI reads them: every answer is
 * parsed before it is printed, with the same formatters as the local commands. An outcome this
 * CLI does not know yet (a newer gate) is printed generically, with its outcome and reasons.
 */
import { z } from 'zod';
import {
  ApprovalAuditRecordSchema,
  BreakGlassSchema,
  PromotionEntrySchema,
  ReleaseRecordSchema,
  ReleaseStateSchema,
  RevocationRecordSchema,
  StoredDocumentRefSchema,
} from '../../lambdas/domain/records.js';
import { DigestSchema, EvidenceKindSchema, EvidenceStatusSchema } from '../../lambdas/domain/types.js';

const Strings = z.array(z.string());

export const TriageAnswerSchema = z.object({
  question: z.string(),
  queries: z.number(),
  releases: z.array(
    z.object({
      repository: z.string(),
      digest: DigestSchema,
      status: z.union([z.enum(['LIVE', 'REVOKED', 'PROMOTED', 'UNKNOWN']), ReleaseStateSchema]),
      revoked: z.object({ at: z.string(), by: z.string(), reason: z.string() }).optional(),
      state: z.union([ReleaseStateSchema, z.literal('UNKNOWN')]),
      liveNow: z.boolean(),
      windows: z.array(
        z.object({ targetRepository: z.string(), tag: z.string(), from: z.string(), to: z.string().nullable() }),
      ),
      platforms: z.array(DigestSchema),
      matches: z.array(
        z.object({
          package: z.string(),
          version: z.string(),
          components: Strings,
          by: z.string(),
          fixedIn: z.string().optional(),
          notEvaluable: z.string().optional(),
        }),
      ),
    }),
  ),
  unqueried: z.array(z.object({ ecosystem: z.string(), name: z.string(), reason: z.string() })),
});

export const ExplanationSchema = z.object({
  repository: z.string(),
  digest: z.string(),
  stage: z.string(),
  decidedAt: z.string(),
  decisionDocument: z.string(),
  policy: z.object({ stored: z.string(), replayed: z.string() }),
  stored: z.object({ decision: z.string(), reasons: Strings }),
  replayed: z.object({ decision: z.string(), reasons: Strings }),
  identical: z.boolean(),
  reasons: z.object({ onlyStored: Strings, onlyReplayed: Strings }),
  changedInputs: z.array(z.enum(['policy', 'evidence'])),
  evidenceChanges: z.array(z.object({ kind: z.string(), change: z.string() })),
  gateRound: z.number().int().min(1),
});

/** Production's channel tag as the registry has it, next to the track (incident/track.ts). */
const LiveTagSchema = z.object({
  channelTag: z.string(),
  digest: z.nullable(DigestSchema),
  mismatch: z.string().optional(),
});

export const ReportAnswerSchema = z.object({
  repository: z.string(),
  digest: DigestSchema,
  document: DigestSchema,
  uri: z.string(),
  html: z.string().optional(),
});

export const RevokeAnswerSchema = z.object({
  repository: z.string(),
  record: RevocationRecordSchema,
  created: z.boolean(),
  liveNow: z.boolean(),
  rollback: z.object({ live: z.nullable(PromotionEntrySchema), target: z.nullable(PromotionEntrySchema) }),
  liveTag: LiveTagSchema.optional(),
});

const ReverificationSchema = z.object({
  ok: z.boolean(),
  reasons: Strings,
  evidence: z.array(z.object({ kind: EvidenceKindSchema, status: EvidenceStatusSchema, reasons: Strings })),
});

const RefusedSchema = z.object({
  outcome: z.literal('REFUSED'),
  repository: z.string(),
  reasons: Strings,
  reverification: ReverificationSchema.optional(),
});

export const RollbackAnswerSchema = z.union([
  RefusedSchema.extend({ digest: z.nullable(DigestSchema), seconds: z.number(), liveTag: LiveTagSchema.optional() }),
  z.object({
    outcome: z.literal('ROLLED_BACK'),
    repository: z.string(),
    digest: DigestSchema,
    from: DigestSchema,
    targetRepository: z.string(),
    channelTag: z.string(),
    entry: PromotionEntrySchema,
    reverification: ReverificationSchema,
    reasons: Strings,
    liveTag: LiveTagSchema,
    breakGlass: z.optional(BreakGlassSchema),
    seconds: z.number(),
  }),
]);

export const ReleaseAnswerSchema = z.union([
  RefusedSchema.extend({ digest: DigestSchema }),
  z.object({
    outcome: z.literal('PROMOTED'),
    repository: z.string(),
    digest: DigestSchema,
    targetRepository: z.string(),
    channelTag: z.string(),
    entry: PromotionEntrySchema,
    reverification: ReverificationSchema,
    breakGlass: BreakGlassSchema,
  }),
  z.object({
    outcome: z.literal('RESUBMITTED'),
    repository: z.string(),
    digest: DigestSchema,
    round: z.number().int().min(2),
    executionName: z.string(),
    executionArn: z.string(),
    reverification: ReverificationSchema,
  }),
]);

/** Any outcome, known or not: what is printed of one this CLI has no formatter for. */
export const OtherOutcomeSchema = z
  .object({ outcome: z.string(), repository: z.string().optional(), digest: z.string().nullable().optional() })
  .passthrough()
  .and(z.object({ reasons: Strings.optional() }));

/** `rollback|release --break-glass --aws`: the pending request (202) and what the confirmer runs. */
export const PendingBreakGlassSchema = z.object({
  outcome: z.literal('PENDING'),
  id: z.string(),
  action: z.enum(['rollback', 'release']),
  repository: z.string(),
  digest: z.string().optional(),
  reason: z.string(),
  operator: z.string(),
  expiresAt: z.string(),
  confirm: z.object({ route: z.string(), command: z.string() }),
});

/** `break-glass confirm --aws`: the used request and the action's outcome (printed as the action's). */
export const ConfirmedBreakGlassSchema = z.object({
  action: z.enum(['rollback', 'release']),
  request: z.object({ id: z.string(), operator: z.string(), usedBy: z.string() }),
  outcome: z.unknown(),
});

/** `status [<digest>] --aws`: the releases (lambdas/domain/workflow/release-status.ts), each document with its URI. */
export const StatusAnswerSchema = z.object({
  releases: z.array(
    z.object({
      ...ReleaseRecordSchema.shape,
      revocation: z.nullable(RevocationRecordSchema),
      evidence: z.array(
        z.object({
          kind: EvidenceKindSchema,
          status: EvidenceStatusSchema,
          reasons: Strings,
          documents: z.array(z.object({ ...StoredDocumentRefSchema.shape, uri: z.string() })),
        }),
      ),
      approvalTrail: z.array(ApprovalAuditRecordSchema),
      promotions: z.array(PromotionEntrySchema),
    }),
  ),
});
export type StatusAnswer = z.infer<typeof StatusAnswerSchema>;
