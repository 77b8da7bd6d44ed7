import { PackageURL } from 'packageurl-js';

/** `pkg:npm/express@4.21.2` → `pkg:npm/express` (the package index key); null when not a purl. */
export function purlWithoutVersion(purl: string): { base: string; version: string } | null {
  try {
    const p = PackageURL.fromString(purl);
    const base = new PackageURL(p.type, p.namespace, p.name, undefined, undefined, undefined).toString();
    return { base, version: p.version ?? '' };
  } catch {
    return null;
  }
}
