/**
 * Applies VEX statements (statement.ts) to an image's scan findings, fail closed: a statement
 * suppresses a finding only when every rule below holds, and each statement that suppresses
 * nothing is returned with the reason why.
 *
 * A statement suppresses a finding when
 * 1. its status suppresses: `not_affected` or `fixed` (CycloneDX not_affected, false_positive,
 *    resolved); `affected` and `under_investigation` never do;
 * 2. it names an author (and, when the policy lists trusted authors, one of them);
 * 3. it has a valid issue time that is not in the future, and an expiry that has not passed
 *    (the policy requires one: statement.ts "Expiry");
 * 4. a `not_affected` statement says why: a justification or an impact statement (OpenVEX
 *    v0.2.0 §"Status Justifications": MUST);
 * 5. its vulnerability or an alias equals the finding's id or an alias (either direction,
 *    case-insensitive);
 * 6. a product covers the finding: either a product is this image (by digest, as
 *    `pkg:oci/<name>@sha256%3A<hex>` or `<repository>@sha256:<hex>`) and the statement has no
 *    subcomponents or one covers the finding's purl, or a product itself covers the finding's purl
 *    (an unversioned purl covers every version; qualifiers it states must match, as go-vex
 *    `PurlMatches`). A `pkg:oci` product without this image's digest covers nothing;
 * 7. no later (or equally recent) non-suppressing statement matches the same finding: VEX is a
 *    sequence in which later statements override earlier ones (OpenVEX spec §"The VEX
 *    Statement"), and a tie between contradicting statements is resolved against suppression.
 */
import { PackageURL } from 'packageurl-js';
import type { VulnerabilityFinding } from '../ports.js';
import { SUPPRESSING_STATUSES, type VexStatement } from './statement.js';

/** Tolerated clock skew before an issue time counts as "in the future". */
export const VEX_FUTURE_SKEW_MS = 5 * 60 * 1000;

export interface VexContext {
  /** The digest of the image whose findings these are (`sha256:<hex>`). */
  readonly imageDigest: string;
  /**
   * The index the image was gated as a platform of, if any: a statement about the index speaks
   * about each platform it pins by digest, as a signature over the index does.
   * @default - none
   */
  readonly indexDigest?: string;
  /** The image's repository, e.g. `team/app`; `pkg:oci` products must carry its last segment as name. */
  readonly repository: string;
  readonly now: Date;
  /**
   * Authors whose statements may apply.
   * @default - any statement that names an author
   */
  readonly trustedAuthors?: readonly string[];
}

export const VEX_NOT_APPLIED_CODES = [
  'STATUS_DOES_NOT_SUPPRESS',
  'NO_AUTHOR',
  'UNTRUSTED_AUTHOR',
  'INVALID_TIME',
  'ISSUED_IN_FUTURE',
  'NO_EXPIRY',
  'EXPIRED',
  'NO_JUSTIFICATION',
  'NO_PRODUCT',
  'NO_MATCHING_VULNERABILITY',
  'NO_MATCHING_PRODUCT',
  'SUPERSEDED',
  'REDUNDANT',
] as const;
export type VexNotAppliedCode = (typeof VEX_NOT_APPLIED_CODES)[number];

export interface VexSuppression {
  readonly finding: VulnerabilityFinding;
  readonly statement: VexStatement;
  readonly reason: string;
}

export interface VexNotApplied {
  readonly statement: VexStatement;
  readonly code: VexNotAppliedCode;
  readonly reason: string;
}

export interface VexOutcome {
  /** Findings no statement suppresses, in input order. */
  readonly remaining: VulnerabilityFinding[];
  /** One entry per suppressed finding, naming the statement that suppresses it. */
  readonly suppressed: VexSuppression[];
  /** Every statement that suppressed no finding, with the reason. */
  readonly notApplied: VexNotApplied[];
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const IMAGE_REFERENCE = /^(.+)@(sha256:[a-fA-F0-9]{64})$/;

function describeStatement(s: VexStatement): string {
  return `VEX ${s.sourceStatus} statement on ${s.vulnerability} from ${s.source}`;
}

function describeFinding(f: VulnerabilityFinding): string {
  const pkg = f.purl ?? (`${f.packageName} ${f.packageVersion}`.trim() || 'an unnamed package');
  return `${f.id} in ${pkg}`;
}

function ids(primary: string, aliases: readonly string[]): Set<string> {
  return new Set([primary, ...aliases].map((id) => id.trim().toUpperCase()).filter((id) => id !== ''));
}

function parsePurl(purl: string): PackageURL | null {
  try {
    return PackageURL.fromString(purl);
  } catch {
    return null;
  }
}

/**
 * Whether the `general` purl covers the `specific` one (go-vex `PurlMatches`): same type,
 * namespace, name and subpath; a version in `general` must equal `specific`'s; every qualifier
 * of `general` must be on `specific` with the same value. Anything unparseable covers nothing.
 */
export function purlCovers(general: string, specific: string): boolean {
  const g = parsePurl(general);
  const s = parsePurl(specific);
  if (g === null || s === null) return false;
  if (g.type.toLowerCase() !== s.type.toLowerCase()) return false;
  if ((g.namespace ?? '') !== (s.namespace ?? '') || g.name !== s.name) return false;
  if (g.version !== undefined && g.version !== '' && g.version !== s.version) return false;
  if (g.subpath !== undefined && g.subpath !== '' && g.subpath !== s.subpath) return false;
  const sq = s.qualifiers ?? {};
  return Object.entries(g.qualifiers ?? {}).every(([k, v]) => sq[k] === v);
}

/** `<registry>/<repository>` or `<repository>` names `repository`. */
function namesRepository(path: string, repository: string): boolean {
  const p = path.replace(/^[a-z]+:\/\//i, '').toLowerCase();
  const r = repository.toLowerCase();
  return p === r || p.endsWith(`/${r}`);
}

/**
 * Whether `product` identifies the image: its digest, `<repository>@<digest>`, or
 * `pkg:oci/<last segment of repository>@<digest>` (purl-spec `oci` type: the name is the last
 * fragment of the repository; `repository_url`, when given, must name this repository).
 */
export function identifiesImage(
  product: string,
  ctx: Pick<VexContext, 'imageDigest' | 'indexDigest' | 'repository'>,
): boolean {
  if (
    ctx.indexDigest !== undefined &&
    identifiesImage(product, { ...ctx, imageDigest: ctx.indexDigest, indexDigest: undefined })
  ) {
    return true;
  }
  const digest = ctx.imageDigest.toLowerCase();
  if (DIGEST.test(product)) return product === digest;
  if (product.startsWith('pkg:')) {
    const p = parsePurl(product);
    if (p === null || p.type.toLowerCase() !== 'oci') return false;
    if (p.version?.toLowerCase() !== digest) return false;
    const name = ctx.repository.split('/').pop() ?? '';
    if (p.name.toLowerCase() !== name.toLowerCase()) return false;
    const url = p.qualifiers?.repository_url;
    return url === undefined || namesRepository(url, ctx.repository);
  }
  const ref = IMAGE_REFERENCE.exec(product);
  if (ref === null) return false;
  const [, path = '', refDigest = ''] = ref;
  return refDigest.toLowerCase() === digest && namesRepository(path, ctx.repository);
}

/** Whether statement `s` speaks about `finding` (rules 5 and 6), ignoring status and validity. */
function covers(s: VexStatement, finding: VulnerabilityFinding, ctx: VexContext): boolean {
  const statementIds = ids(s.vulnerability, s.aliases);
  if (![...ids(finding.id, finding.aliases)].some((id) => statementIds.has(id))) return false;
  const purl = finding.purl;
  if (s.products.some((p) => identifiesImage(p, ctx))) {
    if (s.subcomponents.length === 0) return true;
    if (purl !== undefined && s.subcomponents.some((sc) => purlCovers(sc, purl))) return true;
  }
  return purl !== undefined && s.products.some((p) => p.startsWith('pkg:') && purlCovers(p, purl));
}

/** Why `s` may not suppress anything at all (rules 1 – 4), or null when it may. */
function defect(s: VexStatement, ctx: VexContext): { code: VexNotAppliedCode; reason: string } | null {
  const what = describeStatement(s);
  if (!SUPPRESSING_STATUSES.has(s.status)) {
    return {
      code: 'STATUS_DOES_NOT_SUPPRESS',
      reason: `${what} does not apply: status ${s.status} never suppresses a finding`,
    };
  }
  if (s.author.trim() === '') return { code: 'NO_AUTHOR', reason: `${what} does not apply: it has no author` };
  const trusted = ctx.trustedAuthors ?? [];
  if (trusted.length > 0 && !trusted.includes(s.author)) {
    return {
      code: 'UNTRUSTED_AUTHOR',
      reason: `${what} does not apply: author ${s.author} is not a trusted VEX author`,
    };
  }
  const issued = Date.parse(s.issued);
  if (Number.isNaN(issued)) {
    return {
      code: 'INVALID_TIME',
      reason: `${what} does not apply: issue time ${JSON.stringify(s.issued)} is not a date`,
    };
  }
  const now = ctx.now.getTime();
  if (issued > now + VEX_FUTURE_SKEW_MS) {
    return { code: 'ISSUED_IN_FUTURE', reason: `${what} does not apply: issued at ${s.issued}, in the future` };
  }
  if (s.expires === undefined) {
    return { code: 'NO_EXPIRY', reason: `${what} does not apply: it has no expiry and the policy requires one` };
  }
  const expires = Date.parse(s.expires);
  if (Number.isNaN(expires)) {
    return {
      code: 'INVALID_TIME',
      reason: `${what} does not apply: expiry ${JSON.stringify(s.expires)} is not a date`,
    };
  }
  if (expires <= now) return { code: 'EXPIRED', reason: `${what} expired at ${s.expires} and does not apply` };
  if (s.status === 'not_affected' && (s.justification ?? '') === '' && (s.impactStatement ?? '').trim() === '') {
    return {
      code: 'NO_JUSTIFICATION',
      reason: `${what} does not apply: a not_affected statement needs a justification or an impact statement`,
    };
  }
  if (s.products.length === 0) return { code: 'NO_PRODUCT', reason: `${what} does not apply: it names no product` };
  return null;
}

function suppressionReason(s: VexStatement, f: VulnerabilityFinding): string {
  const why = s.justification ?? s.impactStatement;
  return `${describeFinding(f)} suppressed by ${describeStatement(s)}: ${s.sourceStatus}${
    why !== undefined ? ` (${why})` : ''
  }, by ${s.author}, issued ${s.issued}, expires ${s.expires ?? 'never'}`;
}

/**
 * Splits `findings` into those that remain and those VEX `statements` suppress (rules above).
 * Pure: the same inputs (including `ctx.now`) always give the same outcome.
 */
export function applyVex(
  findings: readonly VulnerabilityFinding[],
  statements: readonly VexStatement[],
  ctx: VexContext,
): VexOutcome {
  const defects = new Map(statements.map((s) => [s, defect(s, ctx)]));
  // Non-suppressing statements with a valid time override earlier suppressing ones (rule 7),
  // whatever else is wrong with them: that only ever keeps a finding.
  const overriding = statements.filter(
    (s) => !SUPPRESSING_STATUSES.has(s.status) && !Number.isNaN(Date.parse(s.issued)),
  );
  const usable = statements.filter((s) => defects.get(s) === null);

  const remaining: VulnerabilityFinding[] = [];
  const suppressed: VexSuppression[] = [];
  const used = new Set<VexStatement>();
  const superseded = new Map<VexStatement, string>();
  const redundant = new Map<VexStatement, string>();

  for (const finding of findings) {
    const candidates = usable.filter((s) => covers(s, finding, ctx));
    const blockers = overriding.filter((o) => covers(o, finding, ctx));
    const standing = candidates.filter((s) => {
      const issued = Date.parse(s.issued);
      const blocker = blockers.find((o) => Date.parse(o.issued) >= issued);
      if (blocker !== undefined && !superseded.has(s)) {
        superseded.set(
          s,
          `${describeStatement(s)} does not apply to ${describeFinding(finding)}: superseded by ${describeStatement(
            blocker,
          )} issued ${blocker.issued}`,
        );
      }
      return blocker === undefined;
    });
    // Latest statement first; among equals, the one that lasts longest.
    const chosen = [...standing].sort(
      (a, b) =>
        Date.parse(b.issued) - Date.parse(a.issued) || Date.parse(b.expires ?? '') - Date.parse(a.expires ?? ''),
    )[0];
    if (chosen === undefined) {
      remaining.push(finding);
      continue;
    }
    used.add(chosen);
    suppressed.push({ finding, statement: chosen, reason: suppressionReason(chosen, finding) });
    for (const other of standing) {
      if (other !== chosen && !redundant.has(other)) {
        redundant.set(
          other,
          `${describeStatement(other)} also covers ${describeFinding(finding)}, already suppressed by ${chosen.source}`,
        );
      }
    }
  }

  const notApplied: VexNotApplied[] = [];
  for (const s of statements) {
    if (used.has(s)) continue;
    const d = defects.get(s) ?? null;
    if (d !== null) {
      notApplied.push({ statement: s, ...d });
      continue;
    }
    const supersededReason = superseded.get(s);
    const redundantReason = redundant.get(s);
    if (supersededReason !== undefined) {
      notApplied.push({ statement: s, code: 'SUPERSEDED', reason: supersededReason });
    } else if (redundantReason !== undefined) {
      notApplied.push({ statement: s, code: 'REDUNDANT', reason: redundantReason });
    } else {
      notApplied.push({ statement: s, ...unmatched(s, findings) });
    }
  }
  return { remaining, suppressed, notApplied };
}

function unmatched(
  s: VexStatement,
  findings: readonly VulnerabilityFinding[],
): { code: VexNotAppliedCode; reason: string } {
  const statementIds = ids(s.vulnerability, s.aliases);
  const sameVulnerability = findings.filter((f) => [...ids(f.id, f.aliases)].some((id) => statementIds.has(id)));
  if (sameVulnerability.length === 0) {
    return {
      code: 'NO_MATCHING_VULNERABILITY',
      reason: `${describeStatement(s)} does not apply: no finding is for ${[...statementIds].join(' / ')}`,
    };
  }
  const products = [...s.products, ...s.subcomponents.map((sc) => `subcomponent ${sc}`)].join(', ');
  return {
    code: 'NO_MATCHING_PRODUCT',
    reason: `${describeStatement(s)} does not apply: its products (${products}) are neither this image nor the package of ${sameVulnerability
      .slice(0, 3)
      .map(describeFinding)
      .join(', ')}`,
  };
}
