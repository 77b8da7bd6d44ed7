/**
 * What an approver sees (issue 8 §4), gathered once from the store and handed to every channel:
 * the confirmation page, the email (HTML and text) and the Slack message render this same plain
 * data object. Everything read back from the store is parsed again here (zod) and fails soft: a
 * section that cannot be read says why, and the rest of the view still renders. Every list is
 * bounded (the first entries plus the total), so a release with ten thousand packages cannot
 * blow up a page, a mail or a Slack message.
 */
import { safeParseJsonDocument } from '../document.js';
import { describeError } from '../errors.js';
import { DIFF_DOCUMENT, SCAN_REPORT_DOCUMENT, VEX_APPLIED_DOCUMENT } from '../evidence/document-names.js';
import { SEVERITIES, SEVERITY_RANK, type Severity } from '../evidence/scan-policy.js';
import { Limits } from '../limits.js';
import { policyFor } from '../policy/rules.js';
import type { RepositoryPolicy } from '../policy/schema.js';
import type { ApprovalRecord, DecisionRecord, StoredEvidence } from '../ports.js';
import type { EvidenceKind, EvidenceStatus } from '../types.js';
import { EVIDENCE_KINDS } from '../types.js';
import * as z from '../zod.js';
import type { GateDeps } from './deps.js';

/** Entries kept per list: enough for the whole diff of an ordinary release on the page. */
export const VIEW_LIST_LIMIT = 200;
/** Reasons kept per evidence kind. */
const REASONS_LIMIT = 20;
/** Longest string kept anywhere in the view; longer ones end with an ellipsis. */
const MAX_STRING = 300;

/** The first entries of a list and how many there were in all. */
export interface Bounded<T> {
  readonly items: readonly T[];
  readonly total: number;
}

/** A section of the view: its content, or why it could not be read (never a crash). */
export type ViewSection<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly unavailable: string };

export interface ViewPackage {
  readonly name: string;
  readonly version: string;
  readonly licenses: readonly string[];
}

export interface ViewChangedPackage {
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

export interface ViewDiff {
  /** The release diffed against; null for the repository's first release. */
  readonly previousDigest: string | null;
  readonly added: Bounded<ViewPackage>;
  readonly removed: Bounded<ViewPackage>;
  readonly changed: Bounded<ViewChangedPackage>;
  readonly newLicenses: Bounded<string>;
}

export interface ViewFinding {
  readonly id: string;
  readonly severity: Severity;
  readonly packageName: string;
  readonly packageVersion: string;
  readonly fixedIn?: string;
  readonly title?: string;
}

/** A finding an exception takes out of the count: who owns the exception, why, until when. */
export interface ViewExceptedFinding extends ViewFinding {
  readonly via: 'vex' | 'policy-ignore';
  readonly owner: string;
  readonly justification: string;
  readonly expires: string;
  readonly source: string;
}

export interface ViewFindings {
  readonly scanner: string;
  /** Counted findings per severity (after exceptions). */
  readonly counts: Readonly<Partial<Record<Severity, number>>>;
  /** Max allowed per severity, from the policy; absent means unlimited. */
  readonly maxFindings: Readonly<Partial<Record<Severity, number>>>;
  readonly open: Bounded<ViewFinding>;
  readonly excepted: Bounded<ViewExceptedFinding>;
}

export interface ViewMetric {
  readonly name: string;
  readonly value: number;
  readonly previous: number | null;
  readonly delta: number | null;
  readonly threshold: number | null;
  readonly direction: 'higher-is-better' | 'lower-is-better' | null;
  /** Against the previous release, in the policy's direction; null when either is unknown or equal. */
  readonly trend: 'better' | 'worse' | null;
}

export interface ViewEval {
  readonly previousDigest: string | null;
  readonly maxRegression: number;
  readonly metrics: Bounded<ViewMetric>;
}

export interface ViewBuild {
  readonly sourceRepository: string | null;
  readonly sourceRef: string | null;
  readonly commit: string | null;
  readonly builderId: string | null;
  readonly triggeredBy: readonly string[];
}

export interface ApprovalView {
  readonly approvalId: string;
  readonly repository: string;
  readonly digest: string;
  /** `sha256:` and the first 12 hex digits. */
  readonly shortDigest: string;
  readonly tags: Bounded<string>;
  readonly stage: string;
  readonly state: ApprovalRecord['state'];
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly decidedBy: string | null;
  readonly policyDecision: string;
  readonly policyDigest: string | null;
  readonly evidenceSetDigest: string | null;
  readonly pushers: readonly string[];
  readonly build: ViewSection<ViewBuild>;
  readonly evidence: readonly {
    readonly kind: EvidenceKind;
    readonly status: EvidenceStatus | 'NONE';
    readonly reasons: Bounded<string>;
  }[];
  readonly diff: ViewSection<ViewDiff>;
  readonly findings: ViewSection<ViewFindings>;
  readonly eval: ViewSection<ViewEval>;
  readonly quorum: {
    readonly required: number;
    readonly reasons: readonly string[];
    readonly approvals: readonly {
      readonly by: string;
      readonly via: string;
      readonly at: string;
      readonly comment?: string;
    }[];
  };
}

const clip = (s: string): string => (s.length > MAX_STRING ? `${s.slice(0, MAX_STRING - 1)}…` : s);
const bounded = <T>(all: readonly T[], limit = VIEW_LIST_LIMIT): Bounded<T> => ({
  items: all.slice(0, limit),
  total: all.length,
});
const unavailable = <T>(why: string): ViewSection<T> => ({ ok: false, unavailable: clip(why) });

/**
 * Gathers the view of one approval from the store and the document store. Never throws for
 * unreadable or malformed evidence: that section says it could not be read.
 */
export async function buildApprovalView(deps: GateDeps, approval: ApprovalRecord): Promise<ApprovalView> {
  const { repository, digest } = approval;
  const [release, tags, decision, evidence] = await Promise.all([
    deps.store.getRelease(repository, digest),
    deps.store.listPushedTags(repository, digest),
    deps.store.getDecision(repository, digest),
    deps.store.listEvidence(repository, digest),
  ]);
  const sections = await buildReleaseSections(
    deps,
    { repository, digest },
    policyFor(deps.policy.document, repository),
    decision,
    evidence,
  );
  return {
    approvalId: approval.approvalId,
    repository,
    digest,
    shortDigest: digest.slice(0, 19),
    tags: bounded([...tags, ...(release?.tag !== undefined && !tags.includes(release.tag) ? [release.tag] : [])], 20),
    stage: release?.stage ?? deps.config.stage,
    state: approval.state,
    requestedAt: approval.requestedAt,
    expiresAt: approval.expiresAt,
    decidedBy: approval.decidedBy ?? null,
    policyDecision: decision?.decision ?? 'unknown',
    policyDigest: decision?.policyDigest ?? null,
    evidenceSetDigest: approval.evidenceSetDigest ?? null,
    pushers: approval.pushers.slice(0, 20).map(clip),
    ...sections,
    quorum: {
      required: approval.required,
      reasons: approval.requiredReasons.map(clip),
      approvals: approval.approvals.map((a) => ({
        by: clip(a.by),
        via: a.via ?? 'unknown',
        at: a.at,
        ...(a.comment !== undefined && { comment: clip(a.comment) }),
      })),
    },
  };
}

/** What the store and the document store hold about a release, as the view needs it. */
export type ViewPorts = Pick<GateDeps, 'store' | 'documents'>;

/** The sections of a view that describe the release itself (the approval page and the evidence report). */
export type ReleaseSections = Pick<ApprovalView, 'build' | 'evidence' | 'diff' | 'findings' | 'eval'>;

/**
 * The release's sections, judged against `policy` (its scan maximums and eval thresholds). Never
 * throws for unreadable or malformed evidence: that section says it could not be read.
 */
export async function buildReleaseSections(
  deps: ViewPorts,
  release: { readonly repository: string; readonly digest: string },
  policy: RepositoryPolicy,
  decision: DecisionRecord | null,
  evidence: readonly StoredEvidence[],
): Promise<ReleaseSections> {
  const byKind = new Map(evidence.map((e) => [e.kind, e]));
  const [diff, findings, evalView] = await Promise.all([
    softly(() => diffSection(deps, byKind.get('dependency-diff'))),
    softly(() => findingsSection(deps, byKind.get('scan'), policy.scan)),
    softly(() => evalSection(deps, release, byKind.get('eval'), policy.eval)),
  ]);
  return {
    build: buildSection(byKind.get('provenance')),
    // What the policy judged (the decision), else what is stored: the approval is for the former.
    evidence: EVIDENCE_KINDS.filter((k) => k !== 'approval').map((kind) => {
      const e = decision?.evidence.find((d) => d.kind === kind) ?? byKind.get(kind);
      return {
        kind,
        status: e?.status ?? 'NONE',
        reasons: bounded((e?.reasons ?? ['no evidence recorded']).map(clip), REASONS_LIMIT),
      };
    }),
    diff,
    findings,
    eval: evalView,
  };
}

async function softly<T>(read: () => Promise<ViewSection<T>>): Promise<ViewSection<T>> {
  try {
    return await read();
  } catch (err) {
    return unavailable(`could not be read: ${describeError(err)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Build (provenance facts)

const ProvenanceFactsSchema = z.object({
  builderId: z.optional(z.string()),
  sourceRepository: z.optional(z.string()),
  sourceRef: z.optional(z.string()),
  sourceDigest: z.optional(z.string()),
  triggeredBy: z.optional(z.array(z.string())),
});

function buildSection(provenance: StoredEvidence | undefined): ViewSection<ViewBuild> {
  if (provenance === undefined) return unavailable('no provenance evidence recorded');
  const facts = ProvenanceFactsSchema.safeParse(provenance.facts);
  if (!facts.success) return unavailable('the provenance facts are malformed');
  const f = facts.data;
  if (f.builderId === undefined) return unavailable(`provenance is ${provenance.status}: no builder recorded`);
  return {
    ok: true,
    value: {
      sourceRepository: f.sourceRepository === undefined ? null : clip(f.sourceRepository),
      sourceRef: f.sourceRef === undefined ? null : clip(f.sourceRef),
      commit: f.sourceDigest === undefined ? null : clip(f.sourceDigest),
      builderId: clip(f.builderId),
      triggeredBy: (f.triggeredBy ?? []).slice(0, 10).map(clip),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Dependency diff (the full diff document of the dependency-diff evidence)

const DiffComponentSchema = z.object({
  name: z.string(),
  version: z.optional(z.string()),
  licenses: z._default(z.array(z.string()), []),
});
const DiffDocumentSchema = z.object({
  previousDigest: z.nullable(z.string()),
  added: z.array(DiffComponentSchema),
  removed: z.array(DiffComponentSchema),
  changed: z.array(z.object({ name: z.string(), from: z.string(), to: z.string() })),
  newLicenses: z.array(z.string()),
});

const pkg = (c: z.infer<typeof DiffComponentSchema>): ViewPackage => ({
  name: clip(c.name),
  version: clip(c.version ?? ''),
  licenses: c.licenses.slice(0, 5).map(clip),
});

async function diffSection(deps: ViewPorts, evidence: StoredEvidence | undefined): Promise<ViewSection<ViewDiff>> {
  if (evidence === undefined) return unavailable('no dependency-diff evidence recorded');
  // A first release has nothing to diff, so its evidence stores no diff document.
  if (evidence.facts.firstRelease === true && !evidence.documents.some((d) => d.name === DIFF_DOCUMENT)) {
    const none = bounded([]);
    return {
      ok: true,
      value: { previousDigest: null, added: none, removed: none, changed: none, newLicenses: none },
    };
  }
  const doc = await readDocument(deps, evidence, DIFF_DOCUMENT, DiffDocumentSchema, Limits.sbomBytes);
  if (!doc.ok) return doc;
  const d = doc.value;
  return {
    ok: true,
    value: {
      previousDigest: d.previousDigest,
      added: bounded(d.added.map(pkg)),
      removed: bounded(d.removed.map(pkg)),
      changed: bounded(d.changed.map((c) => ({ name: clip(c.name), from: clip(c.from), to: clip(c.to) }))),
      newLicenses: bounded(d.newLicenses.map(clip)),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Findings (the stored scan report, the VEX statements applied, the policy's ignores)

const FindingSchema = z.object({
  id: z.string(),
  aliases: z._default(z.array(z.string()), []),
  severity: z.enum(SEVERITIES),
  packageName: z.string(),
  packageVersion: z.string(),
  fixedIn: z.optional(z.string()),
  title: z.optional(z.string()),
});
const ScanReportSchema = z.object({ scanner: z.string(), findings: z.array(FindingSchema) });
const VexAppliedSchema = z.object({
  suppressed: z.array(
    z.object({
      finding: z.object({ id: z.string() }),
      statement: z.object({
        author: z.string(),
        justification: z.optional(z.string()),
        impactStatement: z.optional(z.string()),
        sourceStatus: z.string(),
        expires: z.optional(z.string()),
        source: z.string(),
      }),
    }),
  ),
});
const ScanFactsSchema = z.object({
  ignored: z._default(z.array(z.string()), []),
  counts: z._default(z.partialRecord(z.enum(SEVERITIES), z.number()), {}),
});

const viewFinding = (f: z.infer<typeof FindingSchema>): ViewFinding => ({
  id: clip(f.id),
  severity: f.severity,
  packageName: clip(f.packageName),
  packageVersion: clip(f.packageVersion),
  ...(f.fixedIn !== undefined && { fixedIn: clip(f.fixedIn) }),
  ...(f.title !== undefined && { title: clip(f.title) }),
});

async function findingsSection(
  deps: ViewPorts,
  evidence: StoredEvidence | undefined,
  policy: RepositoryPolicy['scan'],
): Promise<ViewSection<ViewFindings>> {
  if (evidence === undefined) return unavailable('no scan evidence recorded');
  const facts = ScanFactsSchema.safeParse(evidence.facts);
  if (!facts.success) return unavailable('the scan facts are malformed');
  const report = await readDocument(deps, evidence, SCAN_REPORT_DOCUMENT, ScanReportSchema, Limits.scanReportBytes);
  if (!report.ok) return report;
  const vex = evidence.documents.some((d) => d.name === VEX_APPLIED_DOCUMENT)
    ? await readDocument(deps, evidence, VEX_APPLIED_DOCUMENT, VexAppliedSchema, Limits.scanReportBytes)
    : ({ ok: true, value: { suppressed: [] } } as const);
  if (!vex.ok) return vex;
  const ignored = new Set(facts.data.ignored);
  const sorted = [...report.value.findings].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  const open: ViewFinding[] = [];
  const excepted: ViewExceptedFinding[] = [];
  for (const f of sorted) {
    if (!ignored.has(f.id)) {
      open.push(viewFinding(f));
      continue;
    }
    const statement = vex.value.suppressed.find((s) => s.finding.id === f.id)?.statement;
    if (statement !== undefined) {
      excepted.push({
        ...viewFinding(f),
        via: 'vex',
        owner: clip(statement.author),
        justification: clip(statement.justification ?? statement.impactStatement ?? statement.sourceStatus),
        expires: clip(statement.expires ?? 'never (not applied without an expiry)'),
        source: clip(statement.source),
      });
      continue;
    }
    const ignore = policy.ignore.find((i) => [f.id, ...f.aliases].includes(i.id));
    excepted.push({
      ...viewFinding(f),
      via: 'policy-ignore',
      owner: 'policy',
      justification: clip(ignore?.reason ?? '(the ignore is no longer in the policy)'),
      expires: ignore?.expires ?? 'unknown',
      source: 'policy scan.ignore',
    });
  }
  return {
    ok: true,
    value: {
      scanner: clip(report.value.scanner),
      counts: facts.data.counts,
      maxFindings: policy.maxFindings,
      open: bounded(open),
      excepted: bounded(excepted),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Eval metrics against the last promoted release

const EvalFactsSchema = z.object({ metrics: z.record(z.string(), z.number()) });

async function evalSection(
  deps: ViewPorts,
  approval: { readonly repository: string; readonly digest: string },
  evidence: StoredEvidence | undefined,
  policy: RepositoryPolicy['eval'],
): Promise<ViewSection<ViewEval>> {
  if (evidence === undefined) return unavailable('no eval evidence recorded');
  const facts = EvalFactsSchema.safeParse(evidence.facts);
  if (!facts.success) return unavailable(`eval is ${evidence.status}: no metrics recorded`);
  const previous = await deps.store.lastPromotion(approval.repository, approval.digest);
  const previousEvidence =
    previous === null ? null : await deps.store.getEvidence(previous.repository, previous.digest, 'eval');
  const before = EvalFactsSchema.safeParse(previousEvidence?.facts).data?.metrics ?? {};
  const metrics = Object.entries(facts.data.metrics)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]): ViewMetric => {
      const judged = policy.metrics.find((m) => m.name === name);
      const prior = before[name];
      const delta = prior === undefined ? null : value - prior;
      const up = delta !== null && Math.abs(delta) > 1e-9 ? delta > 0 : null;
      const trend =
        up === null || judged === undefined
          ? null
          : up === (judged.direction === 'higher-is-better')
            ? 'better'
            : 'worse';
      return {
        name: clip(name),
        value,
        previous: prior ?? null,
        delta,
        threshold: judged?.threshold ?? null,
        direction: judged?.direction ?? null,
        trend,
      };
    });
  return {
    ok: true,
    value: {
      previousDigest: previous?.digest ?? null,
      maxRegression: policy.maxRegression,
      metrics: bounded(metrics, 50),
    },
  };
}

// ---------------------------------------------------------------------------------------------

async function readDocument<S extends z.ZodMiniType>(
  deps: ViewPorts,
  evidence: StoredEvidence,
  name: string,
  schema: S,
  maxBytes: number,
): Promise<ViewSection<z.output<S>>> {
  const ref = evidence.documents.find((d) => d.name === name);
  if (ref === undefined) return unavailable(`${evidence.kind} is ${evidence.status}: no ${name} stored`);
  if (ref.size > maxBytes) return unavailable(`${name} is too large to show (${ref.size} bytes)`);
  const bytes = await deps.documents.get(ref.digest);
  const parsed = safeParseJsonDocument(bytes, schema, { what: name, maxBytes });
  return parsed.success ? { ok: true, value: parsed.data } : unavailable(parsed.error.message);
}

// ---------------------------------------------------------------------------------------------
// Plain-text phrasing shared by the renderers (page, email, Slack), so every channel words a fact
// the same way. The results are unescaped text: each renderer escapes for its own format.

/** `name@version`, or the name alone. */
export const packageLabel = (p: { readonly name: string; readonly version: string }): string =>
  p.version === '' ? p.name : `${p.name}@${p.version}`;

/** A metric value with at most 4 decimals (0.8100000001 → 0.81). */
export const formatNumber = (n: number): string => String(Number(n.toFixed(4)));

/** `+0.03` / `-0.01` / `±0`; `n/a` without a previous value. */
export function formatDelta(delta: number | null): string {
  if (delta === null) return 'n/a';
  const rounded = Number(delta.toFixed(4));
  if (rounded === 0) return '±0';
  return rounded > 0 ? `+${rounded}` : String(rounded);
}

/** `≥ 0.75` (higher is better) or `≤ 0.01` (lower is better); `not judged` when the policy does not name it. */
export function thresholdLabel(m: ViewMetric): string {
  if (m.threshold === null || m.direction === null) return 'not judged';
  return `${m.direction === 'higher-is-better' ? '≥' : '≤'} ${formatNumber(m.threshold)}`;
}

/** `12 of 340` when a list was cut, else nothing. */
export const moreLabel = (b: Bounded<unknown>): string =>
  b.total > b.items.length ? `${b.total - b.items.length} more not shown` : '';

/** Severity counts with the policy's maximum: `CRITICAL 0/0, HIGH 1/2, MEDIUM 3`. */
export function countsLabel(f: ViewFindings): string {
  const parts = SEVERITIES.filter((s) => (f.counts[s] ?? 0) > 0 || f.maxFindings[s] !== undefined).map((s) => {
    const max = f.maxFindings[s];
    return `${s} ${f.counts[s] ?? 0}${max === undefined ? '' : `/${max}`}`;
  });
  return parts.length === 0 ? 'no findings' : parts.join(', ');
}

/** The source line: `https://github.com/acme/app@refs/heads/main`, or `(no source recorded)`. */
export const sourceLabel = (b: ViewBuild): string =>
  b.sourceRepository === null
    ? '(no source recorded)'
    : `${b.sourceRepository}${b.sourceRef === null ? '' : `@${b.sourceRef}`}`;
