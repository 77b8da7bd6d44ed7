/**
 * Deterministic synthetic inputs for the benchmark: package sets, a CycloneDX SBOM of any size and
 * SBOM components aimed at the advisories of a corpus. Seeded, so two runs measure the same work.
 */
import { PackageURL } from 'packageurl-js';
import type { OsvRecord } from '../lambdas/domain/osv/schema.js';
import type { Component } from '../lambdas/domain/sbom/component.js';

/** mulberry32: a tiny seeded PRNG, plenty for picking names and versions. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type SyntheticType = 'npm' | 'pypi' | 'deb';

export interface SyntheticPackage {
  readonly type: SyntheticType;
  readonly namespace?: string;
  readonly name: string;
  readonly version: string;
  readonly license: string;
  /** `distro` qualifier of deb purls (`debian-12`). */
  readonly distro?: string;
}

const LICENSES = ['MIT', 'Apache-2.0', 'BSD-3-Clause', 'ISC', 'GPL-2.0-only', 'LGPL-2.1-or-later', 'MPL-2.0'];

function pick<T>(rnd: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rnd() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function int(rnd: () => number, max: number): number {
  return Math.floor(rnd() * max);
}

/** A version in the ecosystem's usual shape (semver, PEP 440, dpkg with epoch and revision). */
export function syntheticVersion(type: SyntheticType, rnd: () => number): string {
  const [a, b, c] = [int(rnd, 12), int(rnd, 30), int(rnd, 40)];
  switch (type) {
    case 'npm':
      return rnd() < 0.1 ? `${a}.${b}.${c}-rc.${int(rnd, 5)}` : `${a}.${b}.${c}`;
    case 'pypi':
      return rnd() < 0.1 ? `${a}.${b}.post${c}` : `${a}.${b}.${c}`;
    case 'deb':
      return `${rnd() < 0.2 ? '1:' : ''}${a}.${b}.${c}-${int(rnd, 9) + 1}+deb12u${int(rnd, 9)}`;
  }
}

/** Canonical purl of a synthetic package (packageurl-js encodes the npm scope's `@`). */
export function purlOf(p: SyntheticPackage): string {
  const qualifiers =
    p.type === 'deb' ? { arch: 'amd64', ...(p.distro === undefined ? {} : { distro: p.distro }) } : undefined;
  return new PackageURL(p.type, p.namespace, p.name, p.version, qualifiers, undefined).toString();
}

/**
 * `count` distinct packages: half npm (a fifth of them scoped), 30 % PyPI, 20 % Debian
 * (`distro=debian-12`), the mix of a typical Node or Python service image.
 */
export function syntheticPackages(count: number, seed = 1): SyntheticPackage[] {
  const rnd = seededRandom(seed);
  const out: SyntheticPackage[] = [];
  for (let i = 0; i < count; i++) {
    const r = rnd();
    const type: SyntheticType = r < 0.5 ? 'npm' : r < 0.8 ? 'pypi' : 'deb';
    const scoped = type === 'npm' && rnd() < 0.2;
    out.push({
      type,
      ...(scoped ? { namespace: `@scope-${int(rnd, 200)}` } : type === 'deb' ? { namespace: 'debian' } : {}),
      name: `${type === 'deb' ? 'lib' : ''}pkg-${i.toString(36)}`,
      version: syntheticVersion(type, rnd),
      license: pick(rnd, LICENSES),
      ...(type === 'deb' ? { distro: 'debian-12' } : {}),
    });
  }
  return out;
}

/** A CycloneDX 1.6 JSON SBOM of a container image listing `packages`, as Trivy or cdxgen write one. */
export function syntheticCycloneDx(packages: readonly SyntheticPackage[]): Uint8Array {
  const components = packages.map((p, i) => {
    const purl = purlOf(p);
    return {
      type: 'library',
      'bom-ref': `${purl}#${i}`,
      ...(p.namespace !== undefined && p.type !== 'deb' ? { group: p.namespace } : {}),
      name: p.name,
      version: p.version,
      purl,
      licenses: [{ license: { id: p.license } }],
      properties: [{ name: 'aquasecurity:trivy:PkgType', value: p.type === 'deb' ? 'debian' : p.type }],
    };
  });
  const bom = {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
    version: 1,
    metadata: {
      timestamp: '2026-11-20T09:00:00Z',
      component: { type: 'container', 'bom-ref': 'bench-image', name: 'bench/synthetic', version: '1.0.0' },
    },
    components: [{ type: 'operating-system', 'bom-ref': 'os:debian@12', name: 'debian', version: '12' }, ...components],
  };
  return new TextEncoder().encode(JSON.stringify(bom));
}

/** A package an advisory names, in the synthetic types. */
interface AdvisoryTarget {
  readonly type: SyntheticType;
  readonly namespace?: string;
  readonly name: string;
  readonly distro?: string;
}

/** npm/PyPI/Debian packages the advisories name, so that some components hit candidates. */
export function advisoryTargets(advisories: readonly OsvRecord[]): AdvisoryTarget[] {
  const targets = new Map<string, AdvisoryTarget>();
  for (const record of advisories) {
    for (const entry of record.affected) {
      const pkg = entry.package;
      if (pkg === undefined) continue;
      const [base, release] = pkg.ecosystem.split(':');
      let target: AdvisoryTarget | undefined;
      if (base === 'npm') {
        const scoped = /^(@[^/]+)\/(.+)$/.exec(pkg.name);
        target =
          scoped?.[1] !== undefined && scoped[2] !== undefined
            ? { type: 'npm', namespace: scoped[1], name: scoped[2] }
            : { type: 'npm', name: pkg.name };
      } else if (base === 'PyPI') {
        target = { type: 'pypi', name: pkg.name };
      } else if (base === 'Debian') {
        target = { type: 'deb', namespace: 'debian', name: pkg.name, distro: `debian-${release ?? '12'}` };
      }
      if (target !== undefined) targets.set(`${target.type}/${target.namespace ?? ''}/${target.name}`, target);
    }
  }
  return [...targets.values()];
}

function componentOf(p: SyntheticPackage): Component {
  return {
    name: p.namespace !== undefined && p.type === 'npm' ? `${p.namespace}/${p.name}` : p.name,
    version: p.version,
    purl: purlOf(p),
    ecosystem: p.type,
    licenses: [p.license],
    scope: p.type === 'deb' ? 'os' : 'application',
  };
}

/**
 * `count` distinct components; a share `hitRatio` of them are packages the advisories name (at
 * random versions, so the range checks run and some are affected), the rest are unknown packages
 * that only cost an index lookup, as in a real image.
 */
export function syntheticComponents(
  count: number,
  advisories: readonly OsvRecord[],
  hitRatio: number,
  seed = 2,
): Component[] {
  const rnd = seededRandom(seed);
  const targets = advisoryTargets(advisories);
  const hits = targets.length === 0 ? 0 : Math.round(count * hitRatio);
  const out: Component[] = [];
  const seen = new Set<string>();
  for (let i = 0; out.length < hits && i < hits * 20; i++) {
    const t = pick(rnd, targets);
    const p: SyntheticPackage = { ...t, version: syntheticVersion(t.type, rnd), license: 'MIT' };
    const c = componentOf(p);
    if (c.purl === undefined || seen.has(c.purl)) continue;
    seen.add(c.purl);
    out.push(c);
  }
  for (const p of syntheticPackages(count - out.length, seed + 1)) out.push(componentOf(p));
  return out;
}
