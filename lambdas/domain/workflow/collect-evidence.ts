import * as z from 'zod';
import { parseJsonDocument } from '../document.js';
import { describeError, GateError, InvalidInputError, isRetryable } from '../errors.js';
import type { CollectContext } from '../evidence/context.js';
import { EVIDENCE_REGISTRY } from '../evidence/registry.js';
import { COMPONENTS_DOCUMENT, parseComponentsDocument } from '../evidence/sbom.js';
import { SCAN_REPORT_DOCUMENT } from '../evidence/scan.js';
import { Limits } from '../limits.js';
import { indexPackages, sourcePackagesOf } from '../package-index.js';
import { policyFor } from '../policy/rules.js';
import type { StoredEvidence } from '../ports.js';
import { knownPurlPartsOf } from '../sbom/parse.js';
import { type EvidenceResult, type EvidenceSummary, evidenceResult } from '../types.js';
import type { GateDeps } from './deps.js';
import type { CollectRequest } from './inputs.js';

const ReportIdsSchema = z.object({ findings: z.array(z.object({ id: z.string(), aliases: z.array(z.string()) })) });

const CaughtSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

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
  // The incident index is written before the evidence: evidence is first-write-wins, so an index
  // written after it would be skipped by a retry that finds the evidence stored, and lost silently.
  result = await indexForIncidents(deps, req, result);
  const stored = await storeEvidence(deps, req, result, round);
  return summary(stored);
}

async function storeEvidence(
  deps: CollectDeps,
  req: CollectRequest,
  result: EvidenceResult,
  round: number,
): Promise<StoredEvidence> {
  const documents = [];
  for (const doc of result.documents) {
    const digest = await deps.documents.put(doc.bytes, doc.mediaType);
    documents.push({ name: doc.name, mediaType: doc.mediaType, digest, size: doc.bytes.byteLength });
  }
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

/**
 * Feed the incident indexes (which releases contain a package / are hit by a CVE) from the
 * collected documents. Idempotent, so a retried step writes the same items again. A transient store
 * failure is rethrown for the ASL to retry; anything else that keeps the index from being written
 * fails the evidence with the reason, because a release missing from the index would be invisible
 * to triage.
 */
async function indexForIncidents(
  deps: CollectDeps,
  req: CollectRequest,
  result: EvidenceResult,
): Promise<EvidenceResult> {
  try {
    // Every release whose SBOM parsed is indexed, passing or not (a quarantined release is asked
    // about too); a passing one without an inventory is an error.
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
      await indexPackages(
        { store: deps.store, documents: deps.documents, now: () => deps.clock.now().toISOString() },
        req.repository,
        req.digest,
        purls,
        sourcePackagesOf(sbom.components),
        knownPurlPartsOf(sbom),
      );
    }
    if (result.kind === 'scan') {
      const doc = result.documents.find((d) => d.name === SCAN_REPORT_DOCUMENT);
      if (doc !== undefined) {
        const report = parseJsonDocument(doc.bytes, ReportIdsSchema, {
          what: `${SCAN_REPORT_DOCUMENT} of ${req.repository}@${req.digest}`,
          maxBytes: Limits.scanReportBytes,
        });
        const ids = [...new Set(report.findings.flatMap((f) => [f.id, ...f.aliases]))];
        if (ids.length > 0) await deps.store.indexVulnerabilities(req.repository, req.digest, ids);
      }
    }
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
