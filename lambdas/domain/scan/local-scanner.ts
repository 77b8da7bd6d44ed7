/**
 * The local scanner: matches SBOM components against OSV advisories with each ecosystem's own
 * version ordering. It is the scan source where no ECR scan exists (local demo, CI), so it must
 * fail closed: a component it cannot evaluate is listed in `unevaluated`, never silently passed.
 */
import { type MatchResult, matchRecord, NotEvaluableError, severityOf } from '../osv/match.js';
import type { OsvRecord } from '../osv/schema.js';
import type { ScanReport, VulnerabilityFinding } from '../ports.js';
import type { Component } from '../sbom/component.js';
import { baseEcosystem, hasComparator } from '../versions/index.js';
import { type ComponentCoordinates, componentCoordinates, sourceCoordinates } from './coordinates.js';

export {
  type ComponentCoordinates,
  componentCoordinates,
  DISTRO_ECOSYSTEMS,
  DISTRO_PURL_TYPES,
  PURL_ECOSYSTEMS,
  sourceCoordinates,
} from './coordinates.js';

/** A component the scanner could not evaluate, and why. */
export interface UnevaluatedComponent {
  readonly name: string;
  readonly version: string;
  readonly reason: string;
}

/** `ScanReport` plus what the local scanner could not evaluate. */
export interface LocalScanReport extends ScanReport {
  readonly unevaluated: readonly UnevaluatedComponent[];
  /** Number of advisories the components were matched against. */
  readonly advisoryCount: number;
}

export interface ScanOptions {
  /** Stamped as `completedAt`. @default - no `completedAt` */
  readonly now?: Date;
  /** @default 'release-gate-osv' */
  readonly scanner?: string;
}

// ---------------------------------------------------------------------------------------------
// Matching

function normalisedName(ecosystem: string, name: string): string {
  return baseEcosystem(ecosystem).toLowerCase() === 'pypi' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}

function indexKey(ecosystem: string, name: string): string {
  return `${baseEcosystem(ecosystem).toLowerCase()}\u0000${normalisedName(ecosystem, name)}`;
}

/**
 * The (base ecosystem, package name) keys an advisory is looked up by: the only way the matcher
 * reaches a record, so a record none of whose keys a component has is never matched for it. The
 * advisory index (osv/advisory-index.ts) stores these, so a rollback reads only the records
 * `componentMatchKeys` of its target meet. A withdrawn record has none.
 */
export function advisoryMatchKeys(record: OsvRecord): string[] {
  if (record.withdrawn !== undefined) return [];
  const keys = new Set<string>();
  for (const entry of record.affected) {
    if (entry.package !== undefined) keys.add(indexKey(entry.package.ecosystem, entry.package.name));
  }
  return [...keys];
}

/**
 * Every key `scanComponents` looks advisories up by for `components` (each component and its
 * source packages), sorted and distinct.
 */
export function componentMatchKeys(components: readonly Component[]): string[] {
  const keys = new Set<string>();
  for (const component of components) {
    const coords = componentCoordinates(component);
    if ('reason' in coords) continue;
    for (const query of lookupQueries(coords, component)) keys.add(indexKey(query.ecosystem, query.name));
  }
  return [...keys].sort();
}

/**
 * What a component is looked up by: itself and its source packages. One function for the matcher
 * and for `componentMatchKeys`, so the advisory index can never ask for less than the matcher reads.
 */
function lookupQueries(coords: ComponentCoordinates, component: Component): ComponentCoordinates[] {
  return [coords, ...sourceCoordinates(coords, component)];
}

/** Advisories by (base ecosystem, package name), so each component looks at its candidates only. */
function indexAdvisories(advisories: readonly OsvRecord[]): Map<string, OsvRecord[]> {
  const index = new Map<string, OsvRecord[]>();
  for (const record of advisories) {
    for (const key of advisoryMatchKeys(record)) {
      const list = index.get(key);
      if (list === undefined) index.set(key, [record]);
      else list.push(record);
    }
  }
  return index;
}

/** The CVE among an advisory's ids when there is one (GHSA/PYSEC twins then collapse), else its id. */
function primaryId(record: OsvRecord): string {
  const cves = [record.id, ...record.aliases].filter((id) => id.startsWith('CVE-')).sort();
  return cves[0] ?? record.id;
}

const SEVERITY_RANK: Readonly<Record<VulnerabilityFinding['severity'], number>> = {
  UNDEFINED: 0,
  INFORMATIONAL: 1,
  LOW: 2,
  MEDIUM: 3,
  HIGH: 4,
  CRITICAL: 5,
};

interface Accumulated {
  id: string;
  ids: Set<string>;
  severity: VulnerabilityFinding['severity'];
  coords: ComponentCoordinates;
  fixedIn?: string;
  title?: string;
  note?: string;
}

const VERSION_UNKNOWN_NOTE = 'the SBOM gives no version for this package, so it is taken as affected';

/**
 * Match every component against every advisory. Findings are deduplicated per component by
 * vulnerability: an advisory and its aliases (a GHSA and a PYSEC record for the same CVE) count
 * once, under the CVE id, with the highest severity any of them states.
 */
export function scanComponents(
  components: readonly Component[],
  advisories: readonly OsvRecord[],
  options: ScanOptions = {},
): LocalScanReport {
  const index = indexAdvisories(advisories);
  const unevaluated = new Map<string, UnevaluatedComponent>();
  const findings = new Map<string, Accumulated>();
  const seenComponents = new Set<string>();

  for (const component of components) {
    // The distribution record itself (e.g. "debian 12") is not a package; its packages are listed
    // and scanned on their own, as ECR and Trivy do.
    if (component.operatingSystem === true && component.purl === undefined) continue;
    const coords = componentCoordinates(component);
    if ('reason' in coords) {
      const key = `${component.name}\u0000${component.version ?? ''}\u0000${coords.reason}`;
      unevaluated.set(key, { name: component.name, version: component.version ?? '', reason: coords.reason });
      continue;
    }
    const componentKey = `${coords.ecosystem}\u0000${coords.name}\u0000${coords.version}`;
    const seenKey = `${componentKey}\u0000${component.source?.name ?? ''}\u0000${component.source?.version ?? ''}`;
    if (seenComponents.has(seenKey)) continue;
    seenComponents.add(seenKey);
    if (coords.version !== '' && !hasComparator(coords.ecosystem)) {
      unevaluated.set(componentKey, {
        name: coords.name,
        version: coords.version,
        reason: `no version ordering is known for ecosystem ${coords.ecosystem}`,
      });
      continue;
    }
    const candidates = lookupQueries(coords, component).flatMap((query) =>
      (index.get(indexKey(query.ecosystem, query.name)) ?? []).map((record) => ({ record, query })),
    );
    for (const { record, query } of candidates) {
      let match: MatchResult;
      try {
        match = matchRecord(record, query);
      } catch (err) {
        if (!(err instanceof NotEvaluableError)) throw err;
        unevaluated.set(componentKey, { name: coords.name, version: coords.version, reason: err.message });
        continue;
      }
      if (!match.affected) continue;
      const id = primaryId(record);
      const key = `${componentKey}\u0000${id}`;
      const severity = severityOf(record);
      const existing = findings.get(key);
      if (existing === undefined) {
        findings.set(key, {
          id,
          ids: new Set([record.id, ...record.aliases]),
          severity,
          coords,
          ...(match.fixedIn !== undefined && { fixedIn: match.fixedIn }),
          ...(record.summary !== undefined && { title: record.summary }),
          ...(match.versionUnknown === true && { note: VERSION_UNKNOWN_NOTE }),
        });
      } else {
        for (const alias of [record.id, ...record.aliases]) existing.ids.add(alias);
        if (SEVERITY_RANK[severity] > SEVERITY_RANK[existing.severity]) existing.severity = severity;
        existing.fixedIn ??= match.fixedIn;
        existing.title ??= record.summary;
      }
    }
  }

  const vulnerabilities: VulnerabilityFinding[] = [...findings.values()].map((f) => ({
    id: f.id,
    aliases: [...f.ids].filter((a) => a !== f.id).sort(),
    severity: f.severity,
    packageName: f.coords.name,
    packageVersion: f.coords.version,
    ...(f.coords.purl !== undefined && { purl: f.coords.purl }),
    ...(f.fixedIn !== undefined && { fixedIn: f.fixedIn }),
    ...(f.title !== undefined && { title: f.title }),
    ...(f.note !== undefined && { note: f.note }),
  }));
  vulnerabilities.sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      a.id.localeCompare(b.id) ||
      a.packageName.localeCompare(b.packageName),
  );

  return {
    status: 'COMPLETE',
    scanner: options.scanner ?? 'release-gate-osv',
    ...(options.now !== undefined && { completedAt: options.now.toISOString() }),
    findings: vulnerabilities,
    unevaluated: [...unevaluated.values()],
    advisoryCount: advisories.length,
  };
}
