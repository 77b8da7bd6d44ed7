/**
 * Re-verification of a release before it goes live again (rollback.ts): the artifact is judged as
 * it is today, not as it was when it was gated. Its signature and attestations are collected again
 * from the registry with today's policy and trust material (a signer key removed from the policy no
 * longer verifies); its stored SBOM components are matched against today's advisories with the
 * scan's own matcher and thresholds; and today's policy is evaluated over the fresh evidence plus
 * the stored rest (approval, lockfile, eval…). Nothing is written: the gate-time evidence stays as
 * the record of what was decided then.
 *
 * The release is re-verified in the repository it was gated in, where the gate verified it: a
 * cosign signature names that repository (`docker-reference`), and the production copy is the same
 * digest, so the same content.
 */
import { parseJsonDocument } from '../document.js';
import { ConfigError, isRetryable } from '../errors.js';
import { loadStoredComponents } from '../evidence/components-document.js';
import { SCAN_REPORT_DOCUMENT } from '../evidence/document-names.js';
import { Limits } from '../limits.js';
import type { AdvisorySource } from '../osv/advisory-index.js';
import type { OsvRecord } from '../osv/schema.js';
import { evaluatePolicy } from '../policy/evaluate.js';
import { policyFor } from '../policy/rules.js';
import type { ReleaseRecord, StoredEvidence } from '../ports.js';
import { scanComponents } from '../scan/local-scanner.js';
import type { CollectedKind, EvidenceKind, EvidenceStatus } from '../types.js';
import type { CollectDeps } from '../workflow/collect-evidence.js';
import * as z from '../zod.js';
import type { AdvisoryScan, Recollected, Recollector } from './recollection.js';

/** What re-verification needs: the collectors' ports, and today's advisories where there is a folder. */
export type ReverifyDeps = CollectDeps & {
  /**
   * Collects the kinds again (recollection.ts): the collect-evidence function on AWS, in process
   * locally. Without one, re-verification refuses with a ConfigError (nothing is judged unverified).
   */
  readonly recollector?: Recollector;
  /**
   * Today's OSV advisories (the advisories folder locally), or the source that gives those that
   * may affect the stored components (the bucket's `advisories/` prefix through its index on AWS,
   * osv/advisory-index.ts). The stored SBOM components are matched against them.
   * @default - the scan source (`scans`: ECR/Inspector's current findings on AWS) is asked again
   */
  readonly advisories?: readonly OsvRecord[] | AdvisorySource;
  /**
   * Ask the scan source (`scans`) too, and add the matches of `advisories` to its findings: on AWS,
   * where Inspector's findings are current and the bucket's `advisories/` prefix adds records
   * Inspector does not have. Locally the scan source's report dates from the push, so the
   * advisories alone are today's.
   * @default false - `advisories`, when given, take the place of the scan source
   */
  readonly advisoriesWithScans?: boolean;
};

export interface Reverification {
  /** True when nothing stands in the way: no reasons. */
  readonly ok: boolean;
  /** Why the release may not go live again (empty when `ok`). */
  readonly reasons: readonly string[];
  /** Today's evidence of the kinds collected again. */
  readonly evidence: readonly { kind: EvidenceKind; status: EvidenceStatus; reasons: readonly string[] }[];
}

/** Collected again from the registry with today's trust material (rollback). */
export const RECOLLECTED: readonly CollectedKind[] = ['signature', 'provenance'];

/**
 * Re-verifies `release` (the record of the gated repository). Transient store and registry errors
 * are thrown (the caller retries); everything else is a reason.
 */
export async function reverify(
  deps: ReverifyDeps,
  release: ReleaseRecord,
  recollect: readonly CollectedKind[] = RECOLLECTED,
): Promise<Reverification> {
  const { repository, digest } = release;
  const stored = await deps.store.listEvidence(repository, digest);
  const decision = await deps.store.getDecision(repository, digest);
  const sbom = stored.find((e) => e.kind === 'sbom');
  if (stored.length === 0 || decision === null || sbom === undefined) {
    return {
      ok: false,
      reasons: [
        `no stored evidence for ${repository}@${digest}: ${stored.length === 0 ? 'no evidence records' : decision === null ? 'no decision' : 'no SBOM evidence'}; it cannot be re-verified`,
      ],
      evidence: [],
    };
  }
  const components = await loadStoredComponents(deps.documents, sbom);
  if (!components.ok) {
    return { ok: false, reasons: [`no stored evidence to re-verify: ${components.reason}`], evidence: [] };
  }

  const { recollector } = deps;
  if (recollector === undefined) throw new ConfigError('re-verification needs a recollector (none is wired)');
  const now = deps.clock.now();
  const scanner = 'release-gate-osv (re-verification of the stored SBOM)';
  const { advisories } = deps;
  const records = typeof advisories === 'function' ? await advisories(components.sbom.components) : advisories;
  const advisoryScan: AdvisoryScan | undefined =
    records === undefined
      ? undefined
      : {
          report: scanComponents(components.sbom.components, records, { now, scanner }),
          withScans: deps.advisoriesWithScans === true,
        };
  const ref = { recollect: true as const, repository, digest };
  // Every kind at once, as the workflow's Parallel state collects them: on AWS each is a
  // synchronous invocation of collect-evidence, and the ops route has 29 s for all of them.
  const asked = recollect.map((kind) => recollector.recollect({ ...ref, kind }, deps));
  const scanAsked = recollector.recollect(
    { ...ref, kind: 'scan', ...(advisoryScan === undefined ? {} : { advisoryScan }) },
    deps,
  );
  const [scan, ...others] = await Promise.all([scanAsked, ...asked]);
  const fresh: Recollected[] = [...others, scan];

  const reasons: string[] = [];
  const newly = await newlyAffected(
    deps.documents,
    stored.find((e) => e.kind === 'scan'),
    scan.reportFindings,
  );
  if (newly.length > 0) reasons.push(`newly affected: ${newly.join(', ')} (not reported when it was gated)`);
  const byKind = new Map<string, Pick<StoredEvidence, 'kind' | 'status' | 'reasons'>>(stored.map((e) => [e.kind, e]));
  for (const e of fresh) byKind.set(e.kind, e);
  const today = evaluatePolicy(policyFor(deps.policy.document, repository), release.stage, [...byKind.values()]);
  const required = new Set<string>(today.evidence.filter((e) => e.required).map((e) => e.kind));
  for (const e of fresh) {
    // A kind today's stage requires must pass; one it does not require counts when it passed at
    // gate time and no longer does (a signature that no longer verifies is news either way).
    const then = stored.find((s) => s.kind === e.kind)?.status;
    if (e.status !== 'PASS' && (required.has(e.kind) || then === 'PASS')) {
      reasons.push(`${e.kind} ${e.status} today: ${e.reasons.join('; ')}`);
    }
  }
  if (today.decision !== 'PASS') {
    // The fresh kinds' reasons are listed above; the policy adds the stored kinds that fail it now.
    const freshKinds = new Set<string>(fresh.map((e) => e.kind));
    // Approval is not evidence the artifact fails on: a quarantined release was never asked for one.
    const others = today.evidence.filter(
      (e) => e.required && e.status !== 'PASS' && !freshKinds.has(e.kind) && e.kind !== 'approval',
    );
    reasons.push(
      `today's policy blocks it${others.length === 0 ? '' : `: ${others.map((e) => `${e.kind} ${e.status}`).join(', ')}`}`,
    );
  }
  return {
    ok: reasons.length === 0,
    reasons,
    evidence: fresh.map((e) => ({ kind: e.kind, status: e.status, reasons: e.reasons })),
  };
}

const ReportIdsSchema = z.object({ findings: z.array(z.object({ id: z.string(), aliases: z.array(z.string()) })) });

/**
 * Vulnerability ids today's scan reports that the gate-time scan did not (by id or alias). A
 * gate-time report that cannot be read counts as none: every finding today is then new.
 */
async function newlyAffected(
  documents: ReverifyDeps['documents'],
  storedScan: StoredEvidence | undefined,
  today: Recollected['reportFindings'],
): Promise<string[]> {
  if (today === undefined) return [];
  const ref = storedScan?.documents.find((d) => d.name === SCAN_REPORT_DOCUMENT);
  let known: { id: string; aliases: string[] }[] = [];
  if (ref !== undefined && ref.size <= Limits.scanReportBytes) {
    try {
      known = readIds(await documents.get(ref.digest), `stored ${SCAN_REPORT_DOCUMENT}`);
    } catch (err) {
      if (isRetryable(err)) throw err;
    }
  }
  const knownIds = new Set(known.flatMap((f) => [f.id, ...f.aliases]));
  const fresh = today.filter((f) => ![f.id, ...f.aliases].some((a) => knownIds.has(a))).map((f) => f.id);
  return [...new Set(fresh)].sort();
}

function readIds(bytes: Uint8Array, what: string): { id: string; aliases: string[] }[] {
  return parseJsonDocument(bytes, ReportIdsSchema, { what, maxBytes: Limits.scanReportBytes }).findings;
}
