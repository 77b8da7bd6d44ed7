/**
 * Which package index partitions an OSV advisory's `affected[]` entries name: the inverse of the
 * scanner's purl → OSV ecosystem mapping (scan/local-scanner.ts), so a package the scan would
 * match is one the index is asked about. One partition per (purl type, namespace, name): an
 * advisory with N affected packages costs N queries (a distribution several purl namespaces
 * spell, like Red Hat's `redhat`/`rhel`/`centos`, costs one per namespace).
 */
import { PackageURL } from 'packageurl-js';
import type { OsvRecord } from '../osv/schema.js';
import { splitPurl } from '../purl.js';
import { DISTRO_ECOSYSTEMS, PURL_ECOSYSTEMS } from '../scan/local-scanner.js';
import { baseEcosystem } from '../versions/index.js';

/** An `affected[]` entry the index cannot be asked about, and why (reported, never dropped). */
export interface UnqueriedPackage {
  readonly ecosystem: string;
  readonly name: string;
  readonly reason: string;
}

export interface AdvisoryPackages {
  /** Distinct package identities (`pkg:type/namespace/name`), sorted. */
  readonly bases: readonly string[];
  readonly unqueried: readonly UnqueriedPackage[];
}

const DEB_ECOSYSTEMS: ReadonlySet<string> = new Set(['Debian', 'Ubuntu']);
const APK_ECOSYSTEMS: ReadonlySet<string> = new Set(['Alpine', 'Wolfi', 'Chainguard']);

/** Language packages: OSV's name to purl namespace and name (purl-spec PURL-TYPES). */
function languageIdentity(type: string, name: string): { namespace?: string; name: string } {
  const split = (sep: string) => {
    const at = name.lastIndexOf(sep);
    return at <= 0 ? { name } : { namespace: name.slice(0, at), name: name.slice(at + 1) };
  };
  if (type === 'maven') return split(':');
  if (type === 'npm' || type === 'golang' || type === 'composer' || type === 'swift') return split('/');
  return { name };
}

function identities(ecosystem: string, name: string): string[] | string {
  const base = baseEcosystem(ecosystem);
  const namespaces = Object.entries(DISTRO_ECOSYSTEMS)
    .filter(([, e]) => e.toLowerCase() === base.toLowerCase())
    .map(([namespace]) => namespace);
  if (namespaces.length > 0) {
    const type = DEB_ECOSYSTEMS.has(base) ? 'deb' : APK_ECOSYSTEMS.has(base) ? 'apk' : 'rpm';
    return namespaces.map((ns) => new PackageURL(type, ns, name, undefined, undefined, undefined).toString());
  }
  const type = Object.entries(PURL_ECOSYSTEMS).find(([, e]) => e.toLowerCase() === base.toLowerCase())?.[0];
  if (type === undefined) return `ecosystem ${JSON.stringify(ecosystem)} has no package URL type the index knows`;
  const id = languageIdentity(type, name);
  return [new PackageURL(type, id.namespace, id.name, undefined, undefined, undefined).toString()];
}

/** The partitions to query for `record`; a withdrawn record names none. */
export function advisoryPackages(record: OsvRecord): AdvisoryPackages {
  const bases = new Set<string>();
  const unqueried: UnqueriedPackage[] = [];
  if (record.withdrawn !== undefined) return { bases: [], unqueried };
  for (const entry of record.affected) {
    const pkg = entry.package;
    if (pkg === undefined) continue;
    const fromPurl = pkg.purl === undefined ? null : splitPurl(pkg.purl);
    if (fromPurl !== null) bases.add(fromPurl.base);
    let found: string[] | string;
    try {
      found = identities(pkg.ecosystem, pkg.name);
    } catch (err) {
      found = `not a package name a purl can hold: ${String(err)}`;
    }
    if (typeof found === 'string') {
      if (fromPurl === null) unqueried.push({ ecosystem: pkg.ecosystem, name: pkg.name, reason: found });
      continue;
    }
    for (const b of found) {
      const split = splitPurl(b);
      if (split !== null) bases.add(split.base);
    }
  }
  return { bases: [...bases].sort(), unqueried };
}
