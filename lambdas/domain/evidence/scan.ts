/**
 * Vulnerability-scan evidence: the image's scan (ECR basic/enhanced on AWS, the local OSV scanner
 * elsewhere) must have completed, and after the policy's unexpired ignores, no severity may have
 * more findings than `policy.scan.maxFindings` allows. A scan that timed out, failed, is missing,
 * or could not evaluate some components never passes.
 */
import { parseJsonDocument } from '../document.js';
import { describeError, NotFoundError } from '../errors.js';
import { Limits } from '../limits.js';
import type { ScanReport, VulnerabilityFinding } from '../ports.js';
import { type EvidenceResult, evidenceResult } from '../types.js';
import { applyVex } from '../vex/apply.js';
import { parseCycloneDxVex } from '../vex/cyclonedx-vex.js';
import { OPENVEX_PREDICATE_TYPES, parseOpenVex } from '../vex/openvex.js';
import { statementsFromPolicy, type VexStatement, withMaxAge } from '../vex/statement.js';
import * as z from '../zod.js';
import type { CollectContext } from './context.js';
import { SCAN_REPORT_DOCUMENT, VEX_APPLIED_DOCUMENT } from './document-names.js';
import { collectPerPlatform, type MergePlatforms } from './per-platform.js';
import { SEVERITIES, SEVERITY_RANK, type Severity } from './scan-policy.js';
import { gatherSignedStatements } from './signed-statements.js';

export { SCAN_REPORT_DOCUMENT, VEX_APPLIED_DOCUMENT } from './document-names.js';
export { SEVERITY_RANK } from './scan-policy.js';

/** The outcome of the WaitForScan state when the ASL caught an error (`{Error, Cause}`). */
export interface ScanWaitOutcome {
  readonly error?: string;
  readonly cause?: string;
}

/** ECR reports COMPLETE, Inspector (enhanced scanning) ACTIVE; anything else is not a finished scan. */
const COMPLETED_STATUSES = new Set(['COMPLETE', 'ACTIVE']);
const FACT_FINDING_IDS = 20;
const REASON_EXAMPLES = 5;

/** The local scanner's report adds components it could not evaluate (local-scanner.ts). */
const CountsFactSchema = z.partialRecord(z.enum(SEVERITIES), z.number());

/** The findings of a stored report, as the merge reads them back. */
const ReportFindingsSchema = z.object({
  scanner: z.string(),
  findings: z.array(
    z.object({
      id: z.string(),
      aliases: z.array(z.string()),
      severity: z.enum(SEVERITIES),
      packageName: z.string(),
      packageVersion: z.string(),
      purl: z.optional(z.string()),
      fixedIn: z.optional(z.string()),
      title: z.optional(z.string()),
    }),
  ),
});

const UnevaluatedSchema = z.object({
  unevaluated: z.array(z.object({ name: z.string(), version: z.string(), reason: z.string() })),
});

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function describeFinding(f: VulnerabilityFinding): string {
  const pkg = f.packageName === '' ? 'an unnamed package' : `${f.packageName} ${f.packageVersion}`.trim();
  return f.note === undefined ? `${f.id} in ${pkg}` : `${f.id} in ${pkg} (${f.note})`;
}

function examples<T>(items: readonly T[], render: (item: T) => string): string {
  const shown = items.slice(0, REASON_EXAMPLES).map(render).join(', ');
  return items.length > REASON_EXAMPLES ? `${shown}, and ${items.length - REASON_EXAMPLES} more` : shown;
}

function reportDocument(report: ScanReport) {
  return {
    name: SCAN_REPORT_DOCUMENT,
    mediaType: 'application/json',
    bytes: new TextEncoder().encode(JSON.stringify(report)),
  };
}

/** Collects the scan evidence of `ctx.subject`; `wait` is the WaitForScan outcome when it failed. */
export async function collectScan(ctx: CollectContext, wait?: ScanWaitOutcome): Promise<EvidenceResult> {
  if (wait?.error !== undefined) {
    const facts = { waitError: wait.error, ...(wait.cause !== undefined && { waitCause: wait.cause.slice(0, 500) }) };
    if (/timeout/i.test(wait.error)) {
      return evidenceResult('scan', 'MISSING', [`scan did not complete within the wait time (${wait.error})`], facts);
    }
    // Any other caught error (e.g. a failed scan reported through the task token) is no scan either.
    const cause = wait.cause !== undefined && wait.cause !== '' ? `: ${wait.cause.slice(0, 500)}` : '';
    return evidenceResult(
      'scan',
      'MISSING',
      [`scan did not complete: waiting for it failed (${wait.error})${cause}`],
      facts,
    );
  }

  return collectPerPlatform(ctx, 'scan', collectImageScan, mergePlatformScans);
}

/** One report for the release from its platforms' reports: every finding (the CVE index reads them). */
const mergePlatformScans: MergePlatforms = (outcomes) => {
  const findings: VulnerabilityFinding[] = [];
  const scanners = new Set<string>();
  const counts: Record<Severity, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 };
  for (const o of outcomes) {
    const doc = o.result.documents.find((d) => d.name === SCAN_REPORT_DOCUMENT);
    if (doc === undefined) continue;
    const report = parseJsonDocument(doc.bytes, ReportFindingsSchema, {
      what: `${SCAN_REPORT_DOCUMENT} of ${o.platform.platform}`,
      maxBytes: Limits.scanReportBytes,
    });
    scanners.add(report.scanner);
    findings.push(...report.findings);
    const platformCounts = CountsFactSchema.safeParse(o.result.facts.counts);
    if (platformCounts.success) for (const sev of SEVERITIES) counts[sev] += platformCounts.data[sev] ?? 0;
  }
  const report: ScanReport = { scanner: [...scanners].join(', '), status: 'COMPLETE', findings };
  return { facts: { scanner: report.scanner, status: report.status, counts }, documents: [reportDocument(report)] };
};

/** Collects the scan evidence of one image manifest (the scan wait is judged by the caller). */
async function collectImageScan(ctx: CollectContext): Promise<EvidenceResult> {
  const { repository, digest } = ctx.subject;
  let report: ScanReport;
  try {
    report = await ctx.scans.getFindings(ctx.subject);
  } catch (err) {
    if (err instanceof NotFoundError) {
      return evidenceResult('scan', 'MISSING', [
        `no vulnerability scan found for ${repository}@${digest}: ${describeError(err)}`,
      ]);
    }
    throw err;
  }
  const documents = [reportDocument(report)];
  const baseFacts = {
    scanner: report.scanner,
    status: report.status,
    ...(report.completedAt !== undefined && { completedAt: report.completedAt }),
  };

  if (!COMPLETED_STATUSES.has(report.status)) {
    return evidenceResult(
      'scan',
      'FAIL',
      [`scan status ${report.status} is not a completed scan`],
      { ...baseFacts, findings: report.findings.length },
      documents,
    );
  }

  // Ignores apply by id or alias until they expire; an expired ignore is reported, not applied.
  const now = ctx.now.getTime();
  const reasons: string[] = [];
  const ignoredIds = new Set<string>();
  const expiredNoted = new Set<string>();
  const remaining: VulnerabilityFinding[] = [];
  for (const finding of report.findings) {
    const ids = [finding.id, ...finding.aliases];
    const ignore = ctx.policy.scan.ignore.find((i) => ids.includes(i.id));
    if (ignore === undefined) {
      remaining.push(finding);
    } else if (Date.parse(ignore.expires) > now) {
      ignoredIds.add(finding.id);
    } else {
      remaining.push(finding);
      if (!expiredNoted.has(ignore.id)) {
        expiredNoted.add(ignore.id);
        reasons.push(`ignore of ${ignore.id} expired at ${ignore.expires} and does not apply`);
      }
    }
  }

  // VEX: the policy's own exceptions and signed OpenVEX attestations on the image. A statement
  // applies only to its products and vulnerabilities, and only until it expires.
  const vexStatements = [
    ...statementsFromPolicy(ctx.policy.scan.vex.exceptions, 'policy'),
    ...(await attestedVex(ctx, reasons)),
  ];
  const vex = applyVex(remaining, vexStatements, {
    imageDigest: digest,
    ...(ctx.index !== undefined && { indexDigest: ctx.index }),
    repository,
    now: ctx.now,
    trustedAuthors: ctx.policy.scan.vex.trustedAuthors,
  });
  remaining.splice(0, remaining.length, ...vex.remaining);
  for (const s of vex.suppressed) {
    ignoredIds.add(s.finding.id);
    reasons.push(`${s.finding.id} in ${s.finding.packageName} accepted by VEX (${s.statement.source}): ${s.reason}`);
  }
  for (const n of vex.notApplied) {
    if (n.code !== 'NO_MATCHING_VULNERABILITY') reasons.push(`VEX ${n.statement.source} not applied: ${n.reason}`);
  }
  if (vex.suppressed.length > 0) {
    documents.push({
      name: VEX_APPLIED_DOCUMENT,
      mediaType: 'application/json',
      bytes: new TextEncoder().encode(JSON.stringify({ suppressed: vex.suppressed, notApplied: vex.notApplied })),
    });
  }

  const counts: Record<Severity, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 };
  for (const f of remaining) counts[f.severity] += 1;

  const failures: string[] = [];
  for (const severity of SEVERITIES) {
    const max = ctx.policy.scan.maxFindings[severity];
    if (max === undefined || counts[severity] <= max) continue;
    const these = remaining.filter((f) => f.severity === severity);
    failures.push(
      `${plural(counts[severity], `${severity} finding`)} (max ${max}): ${examples(these, describeFinding)}`,
    );
  }

  const unevaluated = UnevaluatedSchema.safeParse(report);
  if (unevaluated.success && unevaluated.data.unevaluated.length > 0) {
    const list = unevaluated.data.unevaluated;
    failures.push(
      `${plural(list.length, 'component')} could not be evaluated by ${report.scanner}: ${examples(list, (u) =>
        `${u.name} ${u.version} (${u.reason})`.replace(/ {2}/g, ' '),
      )}`,
    );
  }

  const topIds = [
    ...new Set([...remaining].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]).map((f) => f.id)),
  ];
  const facts = {
    ...baseFacts,
    counts,
    findings: remaining.length,
    ignored: [...ignoredIds].sort(),
    topFindings: topIds.slice(0, FACT_FINDING_IDS),
    ...(unevaluated.success && { unevaluated: unevaluated.data.unevaluated.length }),
  };

  if (failures.length > 0) return evidenceResult('scan', 'FAIL', [...failures, ...reasons], facts, documents);
  const ignoredNote = ignoredIds.size > 0 ? ` (${plural(ignoredIds.size, 'vulnerability')} ignored by policy)` : '';
  return evidenceResult(
    'scan',
    'PASS',
    [
      `${report.scanner} scan ${report.status}: ${plural(remaining.length, 'finding')} within policy${ignoredNote}`,
      ...reasons,
    ],
    facts,
    documents,
  );
}

/** CycloneDX documents carrying VEX (`vulnerabilities[].analysis`), attested like an SBOM or as VEX. */
const CYCLONEDX_VEX_PREDICATE_TYPES = ['https://cyclonedx.org/vex', 'https://cyclonedx.org/bom'] as const;
const VEX_PREDICATE_TYPES: readonly string[] = [...OPENVEX_PREDICATE_TYPES, ...CYCLONEDX_VEX_PREDICATE_TYPES];

const VULNERABILITIES_MEMBER = Buffer.from('"vulnerabilities"');

/**
 * A CycloneDX attestation (an SBOM, most of the time: the same predicate type) whose payload does
 * not even hold the text `"vulnerabilities"` is skipped before it is verified and parsed: only its
 * `vulnerabilities` could be VEX, and an SBOM is megabytes. Fail closed: a skipped attestation
 * suppresses nothing, so at worst a VEX statement (one that spells the name with a JSON escape, or
 * whose claimed type lies) is not applied and its findings stay; skipping never hides a finding.
 * The sbom collector verifies SBOM attestations and reports their rejections itself.
 */
function withoutVulnerabilities(predicateType: string | undefined, payload: Uint8Array): boolean {
  if (!(CYCLONEDX_VEX_PREDICATE_TYPES as readonly (string | undefined)[]).includes(predicateType)) return false;
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).indexOf(VULNERABILITIES_MEMBER) < 0;
}

/**
 * The base64 forms `"vulnerabilities"` takes inside a longer base64 text, whatever its offset
 * there: for each offset modulo 3, the encoding of the whole 3-byte groups the name spans, in
 * either alphabet (DSSE allows both).
 */
const VULNERABILITIES_IN_BASE64: readonly Buffer[] = [
  ...new Set(
    [0, 1, 2].flatMap((offset) => {
      const skip = (3 - offset) % 3;
      const whole = 3 * Math.floor((VULNERABILITIES_MEMBER.length - skip) / 3);
      const groups = VULNERABILITIES_MEMBER.subarray(skip, skip + whole);
      return [groups.toString('base64'), groups.toString('base64url')];
    }),
  ),
].map((form) => Buffer.from(form));

/**
 * `withoutVulnerabilities` on the envelope as read, before it is parsed or its payload decoded:
 * the payload's base64 (in the envelope's bytes) holds none of the forms `"vulnerabilities"`
 * takes there, so the decoded payload cannot hold it (three forms: none has a `+` or `/`, so the
 * two alphabets agree on them). The same fail-closed skip: a payload written with JSON escapes in
 * its base64 or mixing the alphabets is skipped, and suppresses nothing.
 */
function envelopeWithoutVulnerabilities(annotatedPredicateType: string | undefined, envelope: Uint8Array): boolean {
  if (!(CYCLONEDX_VEX_PREDICATE_TYPES as readonly (string | undefined)[]).includes(annotatedPredicateType)) {
    return false;
  }
  const bytes = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  return VULNERABILITIES_IN_BASE64.every((form) => bytes.indexOf(form) < 0);
}

/**
 * VEX documents attested on the image by a trusted signer (`attestations`: a DSSE envelope by a key,
 * a Sigstore bundle or a keyless `.att` layer, signed-statements.ts): OpenVEX, or CycloneDX with
 * `vulnerabilities`; for a platform manifest, also those attested on its index (which pins it).
 * Rejected VEX attestations become reasons; they never suppress anything.
 */
async function attestedVex(ctx: CollectContext, reasons: string[]): Promise<VexStatement[]> {
  const digests = [ctx.subject.digest, ...(ctx.index === undefined ? [] : [ctx.index])];
  const scan = await gatherSignedStatements(ctx, {
    predicateTypes: VEX_PREDICATE_TYPES,
    digests,
    skipPayload: withoutVulnerabilities,
    skipEnvelope: envelopeWithoutVulnerabilities,
  });
  for (const r of scan.rejected) reasons.push(`VEX attestation rejected: ${r}`);
  const statements: VexStatement[] = [];
  for (const a of scan.trusted) {
    const isCycloneDx = (CYCLONEDX_VEX_PREDICATE_TYPES as readonly string[]).includes(a.predicateType);
    // An SBOM attestation without vulnerabilities is not VEX; it is the sbom collector's business
    // (checked before it is serialised: a whole SBOM is large).
    if (isCycloneDx && !Array.isArray(a.statement.predicate.vulnerabilities)) continue;
    const bytes = new TextEncoder().encode(JSON.stringify(a.statement.predicate));
    try {
      const parsed = isCycloneDx
        ? parseCycloneDxVex(bytes, { source: a.source })
        : parseOpenVex(bytes, { source: a.source });
      statements.push(...withMaxAge(parsed.statements, ctx.policy.scan.vex.maxAgeDays));
    } catch (err) {
      reasons.push(
        `VEX attestation ${a.source} is not valid ${isCycloneDx ? 'CycloneDX VEX' : 'OpenVEX'}: ${describeError(err)}`,
      );
    }
  }
  return statements;
}
