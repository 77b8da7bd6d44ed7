/**
 * Re-verification's port to the collectors (reverify.ts): one evidence kind of a release collected
 * again with today's policy and trust material, storing nothing. On AWS the collect-evidence
 * function does it (ops-write invokes it with a recollect request), so that the ops function does
 * not bundle every collector and verifier; locally and in tests it runs in process (recollect.ts).
 */
import type { ScanReport } from '../ports.js';
import { CollectedKindSchema, DigestSchema, EvidenceStatusSchema, RepositoryNameSchema } from '../types.js';
import type { CollectDeps } from '../workflow/collect-evidence.js';
import * as z from '../zod.js';

const FindingSchema = z.object({
  id: z.string(),
  aliases: z.readonly(z.array(z.string())),
  severity: z.enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED']),
  packageName: z.string(),
  packageVersion: z.string(),
  purl: z.optional(z.string()),
  fixedIn: z.optional(z.string()),
  title: z.optional(z.string()),
  note: z.optional(z.string()),
});

/**
 * The stored SBOM's components matched against today's advisories (scan/local-scanner.ts), as the
 * scan collector reads a report: with the scan source's own findings (`withScans`, on AWS:
 * Inspector's are current) or in their place (locally: the scanner's report dates from the push).
 */
export const AdvisoryScanSchema = z.object({
  report: z.object({
    status: z.string(),
    scanner: z.string(),
    completedAt: z.optional(z.string()),
    findings: z.readonly(z.array(FindingSchema)),
    unevaluated: z.readonly(z.array(z.object({ name: z.string(), version: z.string(), reason: z.string() }))),
    advisoryCount: z.number(),
  }),
  withScans: z.boolean(),
});
export type AdvisoryScan = z.infer<typeof AdvisoryScanSchema>;

/** One kind of one release to collect again; `recollect: true` tells it from the workflow's input. */
export const RecollectRequestSchema = z.strictObject({
  recollect: z.literal(true),
  repository: RepositoryNameSchema,
  digest: DigestSchema,
  kind: CollectedKindSchema,
  /** Only with kind `scan`. */
  advisoryScan: z.optional(AdvisoryScanSchema),
});
export type RecollectRequest = z.infer<typeof RecollectRequestSchema>;

/** What re-verification reads of a fresh result: its status and reasons, and a scan report's ids. */
export const RecollectedSchema = z.object({
  kind: CollectedKindSchema,
  status: EvidenceStatusSchema,
  reasons: z.array(z.string()),
  /** The vulnerability ids (and aliases) of the scan report the scan collector wrote. */
  reportFindings: z.optional(z.array(z.object({ id: z.string(), aliases: z.array(z.string()) }))),
});
export type Recollected = z.infer<typeof RecollectedSchema>;

/** Collects one kind of a release again, storing nothing. */
export interface Recollector {
  /**
   * `local` are the caller's ports: the in-process recollector collects with them; the
   * collect-evidence function collects with its own wiring, which has the same configuration.
   * Throws what the collector throws on a transient error (the caller retries); any other
   * failure is a result with its reasons.
   */
  recollect(request: RecollectRequest, local: CollectDeps): Promise<Recollected>;
}

/** A scan report as the scan collector reads it (ScanReport plus the local scanner's extras). */
export type AdvisoryScanReport = AdvisoryScan['report'] & ScanReport;
