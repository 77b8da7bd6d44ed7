/**
 * The collectors run again for re-verification, in this process (recollection.ts says where
 * else): the collect-evidence function answers a recollect request with this, and the embedded
 * stack's and the tests' re-verification call it directly.
 */
import { parseJsonDocument } from '../document.js';
import { describeError, GateError, isRetryable } from '../errors.js';
import type { CollectContext } from '../evidence/context.js';
import { SCAN_REPORT_DOCUMENT } from '../evidence/document-names.js';
import { EVIDENCE_REGISTRY } from '../evidence/registry.js';
import { Limits } from '../limits.js';
import type { ScanFindingsSource, ScanReport, VulnerabilityFinding } from '../ports.js';
import { type EvidenceResult, evidenceResult } from '../types.js';
import { type CollectDeps, collectContext } from '../workflow/collect-evidence.js';
import * as z from '../zod.js';
import type { AdvisoryScan, Recollected, Recollector, RecollectRequest } from './recollection.js';

/** Collects `request.kind` again with `deps`: nothing is stored. */
export async function recollect(deps: CollectDeps, request: RecollectRequest): Promise<Recollected> {
  const ctx = collectContext(deps, request);
  const scanCtx: CollectContext =
    request.advisoryScan === undefined
      ? ctx
      : {
          ...ctx,
          scans: advisoryScanSource(request.advisoryScan, request.advisoryScan.withScans ? ctx.scans : undefined),
        };
  const result = await collect(request.kind, request.kind === 'scan' ? scanCtx : ctx);
  const report = result.documents.find((d) => d.name === SCAN_REPORT_DOCUMENT);
  return {
    kind: request.kind,
    status: result.status,
    reasons: [...result.reasons],
    ...(report === undefined ? {} : { reportFindings: readIds(report.bytes) }),
  };
}

/** Re-verification in this process, with the caller's ports. */
export const IN_PROCESS_RECOLLECTOR: Recollector = {
  recollect: (request, local) => recollect(local, request),
};

/** One collector, as collect-evidence.ts runs it: a transient error is thrown, any other one is evidence. */
async function collect(kind: RecollectRequest['kind'], ctx: CollectContext): Promise<EvidenceResult> {
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
function advisoryScanSource(advisory: AdvisoryScan, alongside?: ScanFindingsSource): ScanFindingsSource {
  let reported = false;
  return {
    getFindings: async (subject): Promise<ScanReport> => {
      const { scanner } = advisory.report;
      // The scanner's own report of this platform, as it is today; its failure fails the scan.
      const base = alongside === undefined ? undefined : await alongside.getFindings(subject);
      const ours = reported ? { status: 'COMPLETE', scanner, findings: [] } : advisory.report;
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

function readIds(bytes: Uint8Array): { id: string; aliases: string[] }[] {
  return parseJsonDocument(bytes, ReportIdsSchema, {
    what: 'scan report of the re-verification',
    maxBytes: Limits.scanReportBytes,
  }).findings;
}
