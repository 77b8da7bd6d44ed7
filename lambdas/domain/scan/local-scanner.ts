/**
 * The local scanner: matches SBOM components against OSV advisories with each ecosystem's own
 * version ordering. It is the scan source where no ECR scan exists (local demo, CI), so it must
 * fail closed: a component it cannot evaluate is listed in `unevaluated`, never silently passed.
 */
import { PackageURL } from 'packageurl-js';
import { type MatchResult, matchRecord, NotEvaluableError, severityOf } from '../osv/match.js';
import type { OsvRecord } from '../osv/schema.js';
import type { ScanReport, VulnerabilityFinding } from '../ports.js';
import type { Component, ComponentSource } from '../sbom/component.js';
import { parseSourceRpm } from '../sbom/source.js';
import { baseEcosystem, hasComparator } from '../versions/index.js';

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

/** What the matcher needs to know about a component. */
export interface ComponentCoordinates {
  readonly ecosystem: string;
  readonly name: string;
  readonly version: string;
  readonly purl?: string;
}

// ---------------------------------------------------------------------------------------------
// purl → OSV ecosystem

/** Debian release codenames (https://www.debian.org/releases/) to version numbers. */
const DEBIAN_CODENAMES: Readonly<Record<string, string>> = {
  etch: '4',
  lenny: '5',
  squeeze: '6',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
};

/** Ubuntu release codenames (https://wiki.ubuntu.com/Releases) to version numbers. */
const UBUNTU_CODENAMES: Readonly<Record<string, string>> = {
  precise: '12.04',
  trusty: '14.04',
  xenial: '16.04',
  bionic: '18.04',
  focal: '20.04',
  jammy: '22.04',
  kinetic: '22.10',
  lunar: '23.04',
  mantic: '23.10',
  noble: '24.04',
  oracular: '24.10',
  plucky: '25.04',
  questing: '25.10',
};

function releaseFromDistro(distro: string, codenames: Readonly<Record<string, string>>, numbered: RegExp) {
  const lower = distro.toLowerCase();
  for (const [codename, version] of Object.entries(codenames)) {
    if (new RegExp(`(^|[^a-z])${codename}($|[^a-z])`).test(lower)) return version;
  }
  return numbered.exec(lower)?.[1];
}

/**
 * Distribution namespaces of `deb`, `apk` and `rpm` purls (purl-spec PURL-TYPES; the names Syft
 * and Trivy write) to OSV ecosystem names (osv-schema "Defined ecosystems"). CentOS is a rebuild
 * of Red Hat Enterprise Linux from the same source RPMs, so Red Hat's advisories are its own.
 */
export const DISTRO_ECOSYSTEMS: Readonly<Record<string, string>> = {
  debian: 'Debian',
  ubuntu: 'Ubuntu',
  alpine: 'Alpine',
  wolfi: 'Wolfi',
  chainguard: 'Chainguard',
  redhat: 'Red Hat',
  rhel: 'Red Hat',
  centos: 'Red Hat',
  almalinux: 'AlmaLinux',
  rocky: 'Rocky Linux',
  rockylinux: 'Rocky Linux',
  openeuler: 'openEuler',
  suse: 'SUSE',
  sles: 'SUSE',
  opensuse: 'openSUSE',
  mageia: 'Mageia',
  azurelinux: 'Azure Linux',
  mariner: 'Azure Linux',
  photon: 'Photon OS',
};

/**
 * RPM distributions OSV defines no ecosystem for (osv-schema "Defined ecosystems"): their packages
 * cannot be matched locally, so they are reported unevaluated (the scan fails) rather than passed.
 */
const NO_OSV_ECOSYSTEM: ReadonlySet<string> = new Set(['amzn', 'amazon', 'fedora', 'oracle', 'ol']);

/** RPM ecosystems whose advisories name the major release (`AlmaLinux:9`, `Red Hat:enterprise_linux:9…`). */
const MAJOR_RELEASE_ECOSYSTEMS: ReadonlySet<string> = new Set(['Red Hat', 'AlmaLinux', 'Rocky Linux', 'Mageia']);

/** Distribution package types whose purl namespace names the distribution. */
export const DISTRO_PURL_TYPES: ReadonlySet<string> = new Set(['deb', 'apk', 'rpm']);

/** Language purl types to OSV ecosystem names (osv-schema "Defined ecosystems"). */
export const PURL_ECOSYSTEMS: Readonly<Record<string, string>> = {
  npm: 'npm',
  pypi: 'PyPI',
  maven: 'Maven',
  golang: 'Go',
  cargo: 'crates.io',
  gem: 'RubyGems',
  nuget: 'NuGet',
  composer: 'Packagist',
  hex: 'Hex',
  pub: 'Pub',
  swift: 'SwiftURL',
  cran: 'CRAN',
  hackage: 'Hackage',
  conan: 'ConanCenter',
};

function distroEcosystem(p: PackageURL): string | { readonly reason: string } {
  const namespace = (p.namespace ?? '').toLowerCase();
  const ecosystem = DISTRO_ECOSYSTEMS[namespace];
  if (ecosystem === undefined) {
    const what = NO_OSV_ECOSYSTEM.has(namespace) ? 'has no OSV ecosystem to match' : 'is not a known distribution';
    return { reason: `purl ${p.type} namespace ${JSON.stringify(p.namespace ?? '')} ${what}` };
  }
  const distro = p.qualifiers?.distro;
  if (distro === undefined || distro === '') return ecosystem;
  let release: string | undefined;
  if (ecosystem === 'Debian') release = releaseFromDistro(distro, DEBIAN_CODENAMES, /(\d+)/);
  else if (ecosystem === 'Ubuntu') release = releaseFromDistro(distro, UBUNTU_CODENAMES, /(\d+\.\d+)/);
  else if (ecosystem === 'Alpine') {
    const v = /(\d+\.\d+)/.exec(distro)?.[1];
    release = v === undefined ? undefined : `v${v}`;
  } else if (MAJOR_RELEASE_ECOSYSTEMS.has(ecosystem)) release = /(\d+)/.exec(distro)?.[1];
  // Other RPM distributions name releases in ways a distro qualifier does not spell alike
  // (`SUSE:Linux Enterprise Server 15 SP5`, `sles-15.5`): without a release the component is
  // matched against every release's advisories, which can only add findings.
  return release === undefined ? ecosystem : `${ecosystem}:${release}`;
}

/**
 * The OSV coordinates of a component, from its purl: ecosystem (with the distribution release
 * from the `distro` qualifier: `pkg:deb/debian/curl@…?distro=debian-12` → `Debian:12`), the
 * package name as OSV spells it (`group:artifact` for Maven, `@scope/name` for npm, the module
 * path for Go) and the version. Returns a reason when that cannot be determined.
 */
export function componentCoordinates(component: Component): ComponentCoordinates | { readonly reason: string } {
  if (component.purl === undefined) return { reason: 'component has no purl, so its ecosystem is unknown' };
  let p: PackageURL;
  try {
    p = PackageURL.fromString(component.purl);
  } catch (err) {
    return { reason: `purl ${JSON.stringify(component.purl)} does not parse: ${String(err)}` };
  }
  // An empty or missing version stays empty: the matcher reads it as affected (osv/match.ts).
  const version = (p.version ?? component.version ?? '').trim();
  let ecosystem: string;
  let name = p.name;
  if (DISTRO_PURL_TYPES.has(p.type)) {
    const e = distroEcosystem(p);
    if (typeof e !== 'string') return e;
    ecosystem = e;
  } else {
    const e = PURL_ECOSYSTEMS[p.type];
    if (e === undefined) return { reason: `purl type ${p.type} has no OSV ecosystem` };
    ecosystem = e;
    if (p.namespace !== undefined && p.namespace !== '') {
      if (p.type === 'maven') name = `${p.namespace}:${p.name}`;
      else if (p.type === 'npm' || p.type === 'golang' || p.type === 'composer' || p.type === 'swift') {
        name = `${p.namespace}/${p.name}`;
      }
    }
  }
  return { ecosystem, name, version: withRpmEpoch(p, version), purl: component.purl };
}

/**
 * An rpm purl carries the epoch as a qualifier (`pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?epoch=1`,
 * purl-spec "rpm"); OSV advisories write it in the version (`1:1.0.2k-19.el7`).
 */
function withRpmEpoch(p: PackageURL, version: string): string {
  const epoch = p.qualifiers?.epoch?.trim();
  if (p.type !== 'rpm' || version === '' || version.includes(':') || epoch === undefined || !/^\d+$/.test(epoch)) {
    return version;
  }
  return `${epoch}:${version}`;
}

/** The epoch of an RPM `epoch:version-release`, with its colon, or ''. */
function epochPrefix(version: string): string {
  const m = /^(\d+):/.exec(version);
  return m === null ? '' : m[0];
}

/**
 * The purl-spec `upstream` qualifier as Syft writes it: the source name, optionally with its
 * version (`openssl@3.0.11-1`), for deb and apk; the source RPM file name for rpm
 * (`openssl-3.0.7-27.el9.src.rpm`, whose epoch is the binary's: an SRPM file name has none).
 */
function sourceFromUpstream(p: PackageURL, binaryVersion: string): ComponentSource | undefined {
  const upstream = p.qualifiers?.upstream?.trim();
  if (upstream === undefined || upstream === '') return undefined;
  if (p.type === 'rpm') {
    const srpm = parseSourceRpm(upstream);
    if (srpm !== undefined) return { name: srpm.name, version: `${epochPrefix(binaryVersion)}${srpm.version}` };
  }
  const at = upstream.indexOf('@');
  if (at < 0) return { name: upstream };
  const name = upstream.slice(0, at);
  const version = upstream.slice(at + 1);
  if (name === '') return undefined;
  return version === '' ? { name } : { name, version };
}

/**
 * The coordinates of a distribution package's source packages, when its purl or its SBOM entry
 * names one: Debian, Alpine and RPM advisories are keyed by source package (`openssl`), not by the
 * binary packages built from it (`libssl3`, `openssl-libs`), so a binary whose name differs from
 * its source must be matched by the source too, or it is silently missed. Both the purl `upstream`
 * qualifier and the SBOM's own source fields (`component.source`) are read; when they disagree,
 * both are matched. A source without a version has the binary's version.
 */
export function sourceCoordinates(
  coords: ComponentCoordinates,
  component?: Pick<Component, 'source'>,
): ComponentCoordinates[] {
  if (coords.purl === undefined) return [];
  let p: PackageURL;
  try {
    p = PackageURL.fromString(coords.purl);
  } catch {
    return [];
  }
  if (!DISTRO_PURL_TYPES.has(p.type)) return [];
  const sources = [sourceFromUpstream(p, coords.version), component?.source];
  const found = new Map<string, ComponentCoordinates>();
  for (const source of sources) {
    if (source === undefined) continue;
    const version = source.version ?? coords.version;
    if (source.name === coords.name && version === coords.version) continue;
    found.set(`${source.name}\u0000${version}`, { ...coords, name: source.name, version });
  }
  return [...found.values()];
}

// ---------------------------------------------------------------------------------------------
// Matching

function normalisedName(ecosystem: string, name: string): string {
  return baseEcosystem(ecosystem).toLowerCase() === 'pypi' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}

function indexKey(ecosystem: string, name: string): string {
  return `${baseEcosystem(ecosystem).toLowerCase()}\u0000${normalisedName(ecosystem, name)}`;
}

/** Advisories by (base ecosystem, package name), so each component looks at its candidates only. */
function indexAdvisories(advisories: readonly OsvRecord[]): Map<string, OsvRecord[]> {
  const index = new Map<string, OsvRecord[]>();
  for (const record of advisories) {
    if (record.withdrawn !== undefined) continue;
    const keys = new Set<string>();
    for (const entry of record.affected) {
      if (entry.package !== undefined) keys.add(indexKey(entry.package.ecosystem, entry.package.name));
    }
    for (const key of keys) {
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
    const candidates = [coords, ...sourceCoordinates(coords, component)].flatMap((query) =>
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
