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
import { describeError, GateError, isRetryable } from '../errors.js';
import type { CollectContext } from '../evidence/context.js';
import { EVIDENCE_REGISTRY } from '../evidence/registry.js';
import { loadStoredComponents } from '../evidence/sbom.js';
import { SCAN_REPORT_DOCUMENT } from '../evidence/scan.js';
import { Limits } from '../limits.js';
import type { OsvRecord } from '../osv/schema.js';
import { evaluatePolicy } from '../policy/evaluate.js';
import { policyFor } from '../policy/rules.js';
import type { ReleaseRecord, ScanFindingsSource, ScanReport, StoredEvidence, VulnerabilityFinding } from '../ports.js';
import { scanComponents } from '../scan/local-scanner.js';
import {
  type CollectedKind,
  type EvidenceKind,
  type EvidenceResult,
  type EvidenceStatus,
  evidenceResult,
} from '../types.js';
import { type CollectDeps, collectContext } from '../workflow/collect-evidence.js';
import * as z from '../zod.js';

/** What re-verification needs: the collectors' ports, and today's advisories where there is a folder. */
export type ReverifyDeps = CollectDeps & {
  /**
   * Today's OSV advisories (the advisories folder locally). The stored SBOM components are matched
   * against them.
   * @default - the scan source (`scans`: ECR/Inspector's current findings on AWS) is asked again
   */
  readonly advisories?: readonly OsvRecord[];
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

  const ctx = collectContext(deps, release);
  const scanCtx: CollectContext =
    deps.advisories === undefined
      ? ctx
      : {
          ...ctx,
          scans: storedComponentsScan(
            components.sbom.components,
            deps.advisories,
            ctx.now,
            deps.advisoriesWithScans === true ? ctx.scans : undefined,
          ),
        };
  const fresh: EvidenceResult[] = [];
  for (const kind of recollect) fresh.push(await collect(kind, ctx));
  const scan = await collect('scan', scanCtx);
  fresh.push(scan);

  const reasons: string[] = [];
  const newly = await newlyAffected(
    deps.documents,
    stored.find((e) => e.kind === 'scan'),
    scan,
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

/** One collector, as collect-evidence.ts runs it: a transient error is thrown, any other one is evidence. */
async function collect(kind: CollectedKind, ctx: CollectContext): Promise<EvidenceResult> {
  try {
    return await EVIDENCE_REGISTRY[kind].collect(ctx, undefined);
  } catch (err) {
    if (isRetryable(err)) throw err;
    const status = err instanceof GateError && err.code !== 'CONFIG_ERROR' ? 'FAIL' : 'ERROR';
    return evidenceResult(kind, status, [`${kind} could not be collected: ${describeError(err)}`]);
  }
}

/**
 * The scan source of re-verification: the stored components matched against today's advisories.
 * The stored inventory of an index is its platforms' union, so it is reported once, for the first
 * platform asked, and the others report no findings (counting it per platform would multiply
 * every finding against the policy's thresholds).
 */
function storedComponentsScan(
  components: Parameters<typeof scanComponents>[0],
  advisories: readonly OsvRecord[],
  now: Date,
  alongside?: ScanFindingsSource,
): ScanFindingsSource {
  let reported = false;
  return {
    getFindings: async (subject): Promise<ScanReport> => {
      const scanner = 'release-gate-osv (re-verification of the stored SBOM)';
      // The scanner's own report of this platform, as it is today; its failure fails the scan.
      const base = alongside === undefined ? undefined : await alongside.getFindings(subject);
      const ours = reported
        ? { status: 'COMPLETE', scanner, findings: [] }
        : scanComponents(components, advisories, { now, scanner });
      reported = true;
      if (base === undefined) return ours;
      return {
        ...base,
        scanner: `${base.scanner} + ${scanner}`,
        findings: unionOfFindings(base.findings, ours.findings),
      };
    },
  };
}

/** Findings of both reports, each (vulnerability, package, version) once: the first report's wins. */
function unionOfFindings(
  first: readonly VulnerabilityFinding[],
  second: readonly VulnerabilityFinding[],
): VulnerabilityFinding[] {
  const keys = (f: VulnerabilityFinding) =>
    [f.id, ...f.aliases].map((id) => `${id.toUpperCase()}\u0000${f.packageName}\u0000${f.packageVersion}`);
  const seen = new Set(first.flatMap(keys));
  return [...first, ...second.filter((f) => !keys(f).some((k) => seen.has(k)))];
}

const ReportIdsSchema = z.object({ findings: z.array(z.object({ id: z.string(), aliases: z.array(z.string()) })) });

/**
 * Vulnerability ids today's scan reports that the gate-time scan did not (by id or alias). A
 * gate-time report that cannot be read counts as none: every finding today is then new.
 */
async function newlyAffected(
  documents: ReverifyDeps['documents'],
  storedScan: StoredEvidence | undefined,
  scan: EvidenceResult,
): Promise<string[]> {
  const todayDoc = scan.documents.find((d) => d.name === SCAN_REPORT_DOCUMENT);
  if (todayDoc === undefined) return [];
  const today = readIds(todayDoc.bytes, 'scan report of the re-verification');
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
