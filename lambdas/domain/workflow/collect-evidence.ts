import { parseJsonDocument } from '../document.js';
import { describeError, GateError, InvalidInputError, isRetryable } from '../errors.js';
import type { CollectContext } from '../evidence/context.js';
import { EVIDENCE_REGISTRY } from '../evidence/registry.js';
import { COMPONENTS_DOCUMENT, parseComponentsDocument } from '../evidence/sbom.js';
import { SCAN_REPORT_DOCUMENT } from '../evidence/scan.js';
import { Limits } from '../limits.js';
import { indexPackages, type SourcePackage, sourcePackagesOf } from '../package-index.js';
import { policyFor } from '../policy/rules.js';
import type { StoredEvidence } from '../ports.js';
import type { KnownPurlParts } from '../purl.js';
import { knownPurlPartsOf } from '../sbom/parse.js';
import { type EvidenceResult, type EvidenceSummary, evidenceResult } from '../types.js';
import * as z from '../zod.js';
import type { GateDeps } from './deps.js';
import type { CollectRequest } from './inputs.js';

const ReportIdsSchema = z.object({ findings: z.array(z.object({ id: z.string(), aliases: z.array(z.string()) })) });

const CaughtSchema = z.object({ Error: z.string(), Cause: z.optional(z.string()) });

/** WaitForScan stores either the scan completion or, when caught, `{Error, Cause}`. */
function scanWaitOutcome(scanWait: unknown): { error?: string; cause?: string } | undefined {
  const caught = CaughtSchema.safeParse(scanWait);
  if (caught.success) return { error: caught.data.Error, cause: caught.data.Cause };
  return undefined;
}

/** What collecting needs: no tokens, notifier or outcomes (the preflight has none). */
export type CollectDeps = Pick<GateDeps, 'registry' | 'policy' | 'store' | 'documents' | 'scans' | 'clock'> &
  Partial<Pick<GateDeps, 'revocation' | 'inspectorSboms'>>;

/** Build the collector context for one release. */
export function collectContext(deps: CollectDeps, req: Pick<CollectRequest, 'repository' | 'digest'>): CollectContext {
  return {
    subject: {
      repository: req.repository,
      digest: req.digest,
      ...(deps.registry.host !== undefined && { registry: deps.registry.host }),
    },
    registry: deps.registry,
    policy: policyFor(deps.policy.document, req.repository),
    now: deps.clock.now(),
    releases: deps.store,
    documents: deps.documents,
    scans: deps.scans,
    trustedRoots: deps.policy.trustedRoots,
    ...(deps.revocation === undefined ? {} : { revocation: deps.revocation }),
    ...(deps.inspectorSboms === undefined ? {} : { inspectorSboms: deps.inspectorSboms }),
  };
}

/** Run one collector (or record the ASL-caught error), store the evidence, return its summary. */
export async function collectEvidence(deps: CollectDeps, req: CollectRequest): Promise<EvidenceSummary> {
  // A later gate round (a release from quarantine) collects again: the stored record of an
  // earlier round is archived and replaced; one of this round is a retry's, and stays.
  const round = (await deps.store.getRelease(req.repository, req.digest))?.approvalRound ?? 0;
  const existing = await deps.store.getEvidence(req.repository, req.digest, req.kind);
  if (existing !== null && (existing.round ?? 0) >= round) return summary(existing);

  let result: EvidenceResult;
  if (req.error !== undefined) {
    result = evidenceResult(req.kind, 'ERROR', [
      `collector failed after retries: ${req.error.Error}${req.error.Cause ? `: ${truncate(req.error.Cause, 500)}` : ''}`,
    ]);
  } else {
    try {
      result = await EVIDENCE_REGISTRY[req.kind].collect(collectContext(deps, req), scanWaitOutcome(req.scanWait));
    } catch (err) {
      // Transient infrastructure errors go back to the ASL's Retry; everything else becomes evidence.
      if (isRetryable(err)) throw err;
      const status = err instanceof GateError && err.code !== 'CONFIG_ERROR' ? 'FAIL' : 'ERROR';
      result = evidenceResult(req.kind, status, [`${req.kind} could not be collected: ${describeError(err)}`]);
    }
  }
  // The documents are stored first, then only what the index reads is taken from them and they
  // are let go: the index is built without the raw SBOM (60 MB at the component limit) or the
  // inventory held. They are content-addressed: a retry stores the same objects again.
  const documents = await storeDocuments(deps, result.documents);
  const entries = incidentEntries(req, result);
  result = { ...result, documents: [] };
  // The incident index is written before the evidence: evidence is first-write-wins, so an index
  // written after it would be skipped by a retry that finds the evidence stored, and lost silently.
  result = await indexForIncidents(deps, req, result, entries);
  const stored = await storeEvidence(deps, req, result, round, documents);
  return summary(stored);
}

async function storeDocuments(
  deps: CollectDeps,
  docs: EvidenceResult['documents'],
): Promise<StoredEvidence['documents']> {
  const documents = [];
  for (const doc of docs) {
    const digest = await deps.documents.put(doc.bytes, doc.mediaType);
    documents.push({ name: doc.name, mediaType: doc.mediaType, digest, size: doc.bytes.byteLength });
  }
  return documents;
}

async function storeEvidence(
  deps: CollectDeps,
  req: CollectRequest,
  result: EvidenceResult,
  round: number,
  documents: StoredEvidence['documents'],
): Promise<StoredEvidence> {
  return deps.store.putEvidence({
    repository: req.repository,
    digest: req.digest,
    kind: result.kind,
    status: result.status,
    reasons: result.reasons.map((r) => truncate(r, 1000)).slice(0, 50),
    facts: result.facts,
    documents,
    collectedAt: deps.clock.now().toISOString(),
    ...(round > 0 && { round }),
  });
}

/** What the incident indexes take from a result's documents, or why they cannot be fed. */
interface IncidentEntries {
  /** The inventory's purls and source packages (sbom). */
  readonly packages?: {
    readonly purls: readonly string[];
    readonly sources: readonly SourcePackage[];
    /** The purls' parts as this process's normalisation split them (each purl is split once). */
    readonly known?: KnownPurlParts;
  };
  /** The scan report's vulnerability ids and aliases (scan). */
  readonly vulnerabilities?: readonly string[];
  readonly error?: unknown;
}

/**
 * The entries of the incident indexes in the collected documents: every release whose SBOM parsed
 * is indexed, passing or not (a quarantined release is asked about too); a passing one without an
 * inventory is an error.
 */
function incidentEntries(req: CollectRequest, result: EvidenceResult): IncidentEntries {
  try {
    const doc = result.kind === 'sbom' ? result.documents.find((d) => d.name === COMPONENTS_DOCUMENT) : undefined;
    if (result.kind === 'sbom' && result.status === 'PASS' && doc === undefined) {
      throw new InvalidInputError(`the SBOM evidence has no ${COMPONENTS_DOCUMENT} to index`);
    }
    if (doc !== undefined) {
      // Bytes this step just built from the validated SBOM: read, not validated again.
      const sbom = parseComponentsDocument(doc.bytes);
      if (sbom === undefined) {
        throw new InvalidInputError(`${COMPONENTS_DOCUMENT} of ${req.repository}@${req.digest} is not an inventory`);
      }
      const purls = sbom.components.flatMap((c) => (c.purl !== undefined ? [c.purl] : []));
      return { packages: { purls, sources: sourcePackagesOf(sbom.components), known: knownPurlPartsOf(sbom) } };
    }
    const report = result.kind === 'scan' ? result.documents.find((d) => d.name === SCAN_REPORT_DOCUMENT) : undefined;
    if (report !== undefined) {
      const { findings } = parseJsonDocument(report.bytes, ReportIdsSchema, {
        what: `${SCAN_REPORT_DOCUMENT} of ${req.repository}@${req.digest}`,
        maxBytes: Limits.scanReportBytes,
      });
      return { vulnerabilities: [...new Set(findings.flatMap((f) => [f.id, ...f.aliases]))] };
    }
    return {};
  } catch (error) {
    return { error };
  }
}

/**
 * Feed the incident indexes (which releases contain a package / are hit by a CVE) with `entries`.
 * Idempotent, so a retried step writes the same items again. A transient store failure is
 * rethrown for the ASL to retry; anything else that keeps the index from being written fails the
 * evidence with the reason, because a release missing from the index would be invisible to triage.
 */
async function indexForIncidents(
  deps: CollectDeps,
  req: CollectRequest,
  result: EvidenceResult,
  entries: IncidentEntries,
): Promise<EvidenceResult> {
  try {
    if (entries.error !== undefined) throw entries.error;
    if (entries.packages !== undefined) {
      await indexPackages(
        { store: deps.store, documents: deps.documents, now: () => deps.clock.now().toISOString() },
        req.repository,
        req.digest,
        entries.packages.purls,
        entries.packages.sources,
        entries.packages.known,
      );
    }
    const ids = entries.vulnerabilities ?? [];
    if (ids.length > 0) await deps.store.indexVulnerabilities(req.repository, req.digest, ids);
    return result;
  } catch (err) {
    if (isRetryable(err)) throw err;
    return evidenceResult(
      result.kind,
      result.status === 'PASS' ? 'FAIL' : result.status,
      [`the incident index could not be written: ${describeError(err)}`, ...result.reasons],
      result.facts,
      result.documents,
    );
  }
}

export function summary(ev: Pick<StoredEvidence, 'kind' | 'status' | 'reasons'>): EvidenceSummary {
  return { kind: ev.kind, status: ev.status, reasons: [...ev.reasons] };
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
