/**
 * Evaluating an OSV record against one package version, as specified in osv-schema
 * "Evaluation" (https://ossf.github.io/osv-schema/#evaluation): an `affected[]` entry applies when
 * its package matches, and the version is affected when it is listed in `versions` or falls in one
 * of the SEMVER/ECOSYSTEM `ranges`. GIT ranges name commits and cannot be evaluated against a
 * release version; they are ignored (OSV producers also enumerate those releases in `versions`).
 */
import { ErrorName, GateError } from '../errors.js';
import {
  baseEcosystem,
  Comparators,
  comparatorFor,
  compareEventVersions,
  type VersionComparator,
} from '../versions/index.js';
import { ratingOfVectors } from './cvss.js';
import type { OsvAffected, OsvEvent, OsvRange, OsvRecord } from './schema.js';

export interface PackageQuery {
  /** OSV ecosystem, optionally with its release: `npm`, `PyPI`, `Debian:12`, `Alpine:v3.18`. */
  readonly ecosystem: string;
  readonly name: string;
  readonly version: string;
}

/**
 * A record applies to the package, but its version cannot be ordered (unknown ecosystem or a
 * version the ecosystem's ordering refuses). Callers must report the component as not evaluable.
 */
export class NotEvaluableError extends GateError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_INPUT', message, options);
    this.name = ErrorName.NotEvaluable;
  }
}

export interface MatchResult {
  readonly affected: boolean;
  /** The lowest `fixed` event above the version, when the version is affected and a fix exists. */
  readonly fixedIn?: string;
  /** The component's version is empty or missing, so it was taken as affected. */
  readonly versionUnknown?: true;
}

// ---------------------------------------------------------------------------------------------
// Ecosystem and package name matching

interface ParsedEcosystem {
  readonly base: string;
  readonly release?: string;
}

/**
 * RPM distributions whose advisories apply per major release: `Red Hat:enterprise_linux:9::appstream`,
 * `AlmaLinux:9`, `Rocky Linux:9`, `Mageia:9` all name release 9.
 */
const MAJOR_RELEASE_ECOSYSTEMS: ReadonlySet<string> = new Set(['red hat', 'almalinux', 'rocky linux', 'mageia']);

/**
 * `Debian:7` → {debian, 7}; `Alpine:v3.18` → {alpine, 3.18}; `Ubuntu:Pro:14.04:LTS` → {ubuntu,
 * 14.04}. Releases are reduced to the part that names the release, so a component ecosystem made
 * from a purl `distro=` qualifier (`debian-7`, `alpine-3.18.4`, `ubuntu-22.04`) compares equal.
 */
function parseEcosystem(ecosystem: string): ParsedEcosystem {
  const base = baseEcosystem(ecosystem).toLowerCase();
  const rest = ecosystem.slice(base.length + 1);
  if (rest === '') return { base };
  let release = rest.toLowerCase();
  if (base === 'debian' || MAJOR_RELEASE_ECOSYSTEMS.has(base)) release = /(\d+)/.exec(rest)?.[1] ?? release;
  else if (base === 'alpine' || base === 'ubuntu') release = /(\d+\.\d+)/.exec(rest)?.[1] ?? release;
  return { base, release };
}

/**
 * `Debian:7` matches only Debian 7 components; plain `Debian` matches every release. A component
 * whose release is unknown matches every release of its distribution: an unknown release must
 * not hide an advisory (fail closed, at the cost of a possible false positive).
 */
export function ecosystemMatches(recordEcosystem: string, componentEcosystem: string): boolean {
  const r = parseEcosystem(recordEcosystem);
  const c = parseEcosystem(componentEcosystem);
  if (r.base !== c.base) return false;
  if (r.release === undefined || c.release === undefined) return true;
  return r.release === c.release;
}

/** PEP 503 normalisation: case-insensitive, runs of `-`, `_`, `.` are equal. */
function pep503(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function packageNameMatches(ecosystem: string, recordName: string, componentName: string): boolean {
  if (baseEcosystem(ecosystem).toLowerCase() === 'pypi') return pep503(recordName) === pep503(componentName);
  return recordName === componentName;
}

// ---------------------------------------------------------------------------------------------
// Range evaluation

type EventKind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

interface Event {
  readonly kind: EventKind;
  readonly version: string;
}

function toEvent(e: OsvEvent): Event {
  if (e.introduced !== undefined) return { kind: 'introduced', version: e.introduced };
  if (e.fixed !== undefined) return { kind: 'fixed', version: e.fixed };
  if (e.last_affected !== undefined) return { kind: 'last_affected', version: e.last_affected };
  return { kind: 'limit', version: e.limit ?? '*' };
}

/** At equal versions an introduction is applied before the event that ends it. */
const KIND_ORDER: Readonly<Record<EventKind, number>> = { introduced: 0, last_affected: 1, fixed: 2, limit: 3 };

/**
 * `introduced: "0"` is "before every version" (osv-schema "Evaluation"). Only an `introduced`
 * event has that meaning: `fixed: "0"` or `last_affected: "0"` is an ordinary version string
 * (dpkg's `0~rc1` is below it), so a range that ends there still closes where the ecosystem says.
 * An introduction the ecosystem cannot order is read the same way: placed above every version (as
 * `compareEventVersions` places an unorderable end) it would never open the range, which is a
 * guess of "not affected".
 */
function isSentinel(cmp: VersionComparator, e: Event): boolean {
  return e.kind === 'introduced' && (e.version === '0' || !cmp.isOrderable(e.version));
}

/** `limit: "*"` is "no limit" (osv-schema "limit"). */
function isOpenLimit(e: Event): boolean {
  return e.kind === 'limit' && e.version === '*';
}

function compareEvents(cmp: VersionComparator, a: Event, b: Event): number {
  const aFirst = isSentinel(cmp, a);
  const bFirst = isSentinel(cmp, b);
  if (aFirst || bFirst) return Number(bFirst) - Number(aFirst);
  return compareEventVersions(cmp, a.version, b.version) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
}

/** The component version against one event: negative below it, 0 at it, positive above it. */
function compareToEvent(cmp: VersionComparator, version: string, e: Event): number {
  if (isSentinel(cmp, e)) return 1;
  if (isOpenLimit(e)) return -1;
  return compareEventVersions(cmp, version, e.version);
}

/**
 * osv-schema's evaluation over the range's events sorted by the ecosystem's order (real records
 * are not always sorted: GHSA converters emit `introduced 0, introduced 4.0.1, fixed 4.0.5,
 * fixed 3.0.21`): an `introduced` at or below the version opens the range, a `fixed` at or below
 * it closes it, a `last_affected` below it closes it; with `limit` events the version must also be
 * below one of them.
 */
function evaluateRange(cmp: VersionComparator, version: string, range: OsvRange): MatchResult {
  const events = range.events.map(toEvent);
  const limits = events.filter((e) => e.kind === 'limit');
  const ordered = events.filter((e) => e.kind !== 'limit').sort((a, b) => compareEvents(cmp, a, b));
  let affected = false;
  for (const e of ordered) {
    const c = compareToEvent(cmp, version, e);
    if (e.kind === 'introduced' && c >= 0) affected = true;
    else if (e.kind === 'fixed' && c >= 0) affected = false;
    else if (e.kind === 'last_affected' && c > 0) affected = false;
  }
  if (affected && limits.length > 0) affected = limits.some((l) => compareToEvent(cmp, version, l) < 0);
  if (!affected) return { affected };
  const fixes = ordered.filter((e) => e.kind === 'fixed' && compareToEvent(cmp, version, e) < 0);
  const fixedIn = fixes[0]?.version;
  return fixedIn === undefined ? { affected } : { affected, fixedIn };
}

function versionListed(cmp: VersionComparator | undefined, version: string, versions: readonly string[]): boolean {
  if (versions.includes(version)) return true;
  if (cmp === undefined || !cmp.isOrderable(version)) return false;
  // Equal under the ecosystem's order (`1.0` and `1.0.0` in PyPI) counts as listed.
  return versions.some((v) => cmp.isOrderable(v) && cmp.compare(v, version) === 0);
}

interface RangeHit {
  readonly cmp: VersionComparator;
  readonly fixedIn?: string;
}

interface EntryEvaluation {
  readonly listed: boolean;
  readonly hits: readonly RangeHit[];
}

function evaluateAffected(entry: OsvAffected, ecosystem: string, version: string, recordId: string): EntryEvaluation {
  let comparator: VersionComparator | undefined;
  try {
    comparator = comparatorFor(ecosystem);
  } catch {
    comparator = undefined;
  }
  const listed = versionListed(comparator, version, entry.versions);
  const hits: RangeHit[] = [];
  // GIT ranges name commits, which say nothing about a release version. Producers enumerate the
  // releases they affect in `versions`; an entry with neither that nor a SEMVER/ECOSYSTEM range
  // cannot be decided, and "not affected" would be a guess.
  const gitOnly = entry.ranges.length > 0 && entry.ranges.every((r) => r.type === 'GIT');
  if (gitOnly && entry.versions.length === 0) {
    throw new NotEvaluableError(`${recordId}: only GIT ranges, which cannot be evaluated against version ${version}`);
  }
  for (const range of entry.ranges) {
    if (range.type === 'GIT') continue;
    // SEMVER ranges use SemVer precedence whatever the ecosystem (osv-schema "SEMVER").
    const cmp = range.type === 'SEMVER' ? Comparators.semver : comparator;
    if (cmp === undefined) {
      if (listed) continue;
      throw new NotEvaluableError(`${recordId}: no version ordering is known for ecosystem ${ecosystem}`);
    }
    if (!cmp.isOrderable(version)) {
      if (listed) continue;
      throw new NotEvaluableError(`${recordId}: version ${JSON.stringify(version)} is not a valid ${cmp.name} version`);
    }
    const r = evaluateRange(cmp, version, range);
    if (r.affected) hits.push(r.fixedIn === undefined ? { cmp } : { cmp, fixedIn: r.fixedIn });
  }
  return { listed, hits };
}

/**
 * Match a record against a package version. Withdrawn records never match. Throws
 * `NotEvaluableError` when an entry names the package but its ranges cannot be evaluated for
 * this version: the caller must not read that as "not affected".
 *
 * `fixedIn` is the version that leaves every affecting range (the highest of their fixes); it is
 * absent when any affecting range has no fix.
 */
export function matchRecord(record: OsvRecord, query: PackageQuery): MatchResult {
  if (record.withdrawn !== undefined) return { affected: false };
  let listed = false;
  const hits: RangeHit[] = [];
  for (const entry of record.affected) {
    const pkg = entry.package;
    if (pkg === undefined) continue;
    if (!ecosystemMatches(pkg.ecosystem, query.ecosystem)) continue;
    if (!packageNameMatches(pkg.ecosystem, pkg.name, query.name)) continue;
    // An unknown version may be any version, the affected ones included: the safe reading is
    // affected (the scanner says the version was unknown).
    if (query.version.trim() === '') return { affected: true, versionUnknown: true };
    const e = evaluateAffected(entry, query.ecosystem, query.version, record.id);
    listed ||= e.listed;
    hits.push(...e.hits);
  }
  if (hits.length === 0) return { affected: listed };
  let fixedIn: string | undefined;
  for (const h of hits) {
    if (h.fixedIn === undefined) return { affected: true };
    if (fixedIn === undefined || compareEventVersions(h.cmp, h.fixedIn, fixedIn) > 0) fixedIn = h.fixedIn;
  }
  return fixedIn === undefined ? { affected: true } : { affected: true, fixedIn };
}

/** Whether `record` affects the package version (see `matchRecord`). */
export function affects(record: OsvRecord, query: PackageQuery): boolean {
  return matchRecord(record, query).affected;
}

// ---------------------------------------------------------------------------------------------
// Severity

export type OsvSeverityLevel = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'UNDEFINED';

const RANK: Readonly<Record<OsvSeverityLevel, number>> = { UNDEFINED: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 };

/** GHSA's `database_specific.severity` and distribution words (Ubuntu priorities) to levels. */
function levelOfWord(word: string): OsvSeverityLevel | undefined {
  switch (word.trim().toUpperCase()) {
    case 'CRITICAL':
      return 'CRITICAL';
    case 'HIGH':
    case 'IMPORTANT':
      return 'HIGH';
    case 'MODERATE':
    case 'MEDIUM':
      return 'MEDIUM';
    case 'LOW':
    case 'NEGLIGIBLE':
      return 'LOW';
    default:
      return undefined;
  }
}

/**
 * The severity of a record: GHSA's `database_specific.severity` when present (MODERATE → MEDIUM),
 * else the higher of its CVSS rating (osv/cvss.ts: the newest CVSS version among the record's and
 * its `affected[]` vectors decides) and its distribution priorities (Ubuntu), else UNDEFINED.
 */
export function severityOf(record: OsvRecord): OsvSeverityLevel {
  const dbSeverity = record.database_specific?.severity;
  if (typeof dbSeverity === 'string') {
    const level = levelOfWord(dbSeverity);
    if (level !== undefined) return level;
  }
  const all = [...record.severity, ...record.affected.flatMap((a) => a.severity ?? [])];
  let best: OsvSeverityLevel = ratingOfVectors(all) ?? 'UNDEFINED';
  for (const s of all) {
    const level = s.type === 'Ubuntu' ? levelOfWord(s.score) : undefined;
    if (level !== undefined && RANK[level] > RANK[best]) best = level;
  }
  return best;
}
