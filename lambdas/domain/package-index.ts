/**
 * What the package index (`PKG#<purl without version>`, table-schema.ts) holds for one release:
 * one entry per package identity and version, naming the release's components it stands for.
 * Both stores build their items here, so they agree on every entry.
 *
 * Distribution advisories are keyed by source package (Debian `Source`, Alpine `origin`, RPM
 * `SOURCERPM`): a release with `libssl3` built from `openssl` gets an extra entry under
 * `pkg:deb/debian/openssl` at the source version, pointing to `libssl3`. Triage for `openssl`
 * then finds it with one query.
 */
import { PackageURL } from 'packageurl-js';
import { Limits } from './limits.js';
import { type PurlParts, splitIndexablePurls, splitPurls } from './purl.js';
import type { Component } from './sbom/component.js';
import { componentCoordinates, DISTRO_PURL_TYPES, sourceCoordinates } from './scan/coordinates.js';

/** A source package of a release's binary component. */
export interface SourcePackage {
  /** The source package as a purl with its version: `pkg:deb/debian/openssl@3.0.11-1~deb12u2`. */
  readonly purl: string;
  /** The binary component's full purl: `pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12`. */
  readonly binary: string;
}

/** One index entry of one release, before the store adds the release. */
export interface PackageIndexItem {
  /** The partition's identity, `pkg:type/namespace/name`. */
  readonly base: string;
  readonly version: string;
  /** Sorted, distinct, at most `Limits.indexedComponentsPerEntry`. */
  readonly components: readonly string[];
}

/**
 * The entries for a release's purls and source packages, one per (identity, version). Throws
 * InvalidInputError before anything is built when a purl is not indexable (`splitIndexablePurls`).
 */
export function packageIndexItems(
  purls: readonly string[],
  sources: readonly SourcePackage[] = [],
): PackageIndexItem[] {
  const direct = splitIndexablePurls(purls);
  const sourceParts = splitIndexablePurls(sources.map((s) => s.purl));
  splitPurls(sources.map((s) => s.binary));
  const byKey = new Map<string, { base: string; version: string; components: Set<string> }>();
  const add = (parts: PurlParts, component: string) => {
    const key = `${parts.base}\u0000${parts.version}`;
    const entry = byKey.get(key) ?? { base: parts.base, version: parts.version, components: new Set<string>() };
    entry.components.add(keptComponent(component, parts));
    byKey.set(key, entry);
  };
  for (const [i, parts] of direct.entries()) add(parts, purls[i] ?? parts.base);
  for (const [i, parts] of sourceParts.entries()) {
    const binary = sources[i]?.binary;
    if (binary !== undefined) add(parts, binary);
  }
  return [...byKey.values()].map((e) => ({
    base: e.base,
    version: e.version,
    components: [...e.components].sort().slice(0, Limits.indexedComponentsPerEntry),
  }));
}

/**
 * A component purl as an entry keeps it: canonical (packageurl-js) and whole, or its identity and
 * version when too long (its `distro` is then unknown, which matches every release: fail closed).
 */
function keptComponent(component: string, parts: PurlParts): string {
  let canonical: string;
  try {
    canonical = PackageURL.fromString(component).toString();
  } catch {
    return `${parts.base}@${parts.version}`;
  }
  if (Buffer.byteLength(canonical, 'utf8') <= Limits.indexedComponentBytes) return canonical;
  const split = splitPurls([canonical])[0];
  return split === undefined ? parts.base : `${split.base}@${split.version}`;
}

/**
 * The source packages of an SBOM's distribution components, read the way the scanner reads them
 * (`sourceCoordinates`: the purl `upstream` qualifier and the SBOM's own source fields), so that
 * triage finds exactly what the scan matches.
 */
export function sourcePackagesOf(components: readonly Component[]): SourcePackage[] {
  const out = new Map<string, SourcePackage>();
  for (const component of components) {
    if (component.purl === undefined) continue;
    const coords = componentCoordinates(component);
    if ('reason' in coords) continue;
    let binary: PackageURL;
    try {
      binary = PackageURL.fromString(component.purl);
    } catch {
      continue;
    }
    if (!DISTRO_PURL_TYPES.has(binary.type)) continue;
    for (const source of sourceCoordinates(coords, component)) {
      // rpm versions carry the epoch in the version for matching; a purl carries it as a qualifier.
      const epoch = /^(\d+):(.*)$/.exec(source.version);
      const version = epoch?.[2] ?? source.version;
      const qualifiers = epoch?.[1] === undefined ? undefined : { epoch: epoch[1] };
      const purl = new PackageURL(binary.type, binary.namespace, source.name, version, qualifiers).toString();
      out.set(`${purl}\u0000${component.purl}`, { purl, binary: component.purl });
    }
  }
  return [...out.values()];
}
