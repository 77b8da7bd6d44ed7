/**
 * Package coordinates: a component's purl → its OSV ecosystem, name and version, and the source
 * packages a distribution binary is built from. The local scanner matches advisories by them and
 * the package index is keyed by them; they live apart from the matcher so that the package index
 * (and so every function with the release store) does not bundle the matcher and its CVSS scoring.
 */
import { PackageURL } from 'packageurl-js';
import type { Component, ComponentSource } from '../sbom/component.js';
import { parseSourceRpm } from '../sbom/source.js';

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
