/**
 * Where SBOM generators write the source package of a distribution binary package. Debian, Alpine
 * and RPM advisories are keyed by source package (`openssl`), not by the binaries built from it
 * (`libssl3`, `openssl-libs`), so the scanner matches both.
 *
 * - Trivy, CycloneDX: properties `aquasecurity:trivy:SrcName`, `…:SrcVersion`, `…:SrcRelease`,
 *   `…:SrcEpoch` (the release is separate for deb and rpm; apk's version includes `-rN`).
 * - Trivy, SPDX: `sourceInfo: "built package from: openssl 1.1.1w-r1"`.
 * - Syft, CycloneDX: properties `syft:metadata:source` + `syft:metadata:sourceVersion` (dpkg),
 *   `syft:metadata:originPackage` (apk), `syft:metadata:sourceRpm` (rpm, a file name).
 * - Syft, purl: the `upstream` qualifier (local-scanner.ts reads it).
 */
import type { ComponentSource } from './component.js';

interface Property {
  readonly name: string;
  readonly value?: string | undefined;
}

/** `1`, `1.1.1k`, `16.el7` → `1:1.1.1k-16.el7`; the epoch is left out when absent or 0. */
function evr(epoch: string | undefined, version: string, release: string | undefined): string {
  const e = epoch !== undefined && epoch !== '' && epoch !== '0' ? `${epoch}:` : '';
  const r = release !== undefined && release !== '' ? `-${release}` : '';
  return `${e}${version}${r}`;
}

/**
 * A source RPM file name (`openssl-3.0.7-27.el9.src.rpm`, rpm's `SOURCERPM` tag) as name and
 * `version-release`: the release follows the last hyphen and the version the one before it.
 * Returns undefined for anything else.
 */
export function parseSourceRpm(fileName: string): ComponentSource | undefined {
  const m = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(fileName.trim());
  if (m === null || m[1] === undefined || m[2] === undefined || m[3] === undefined) return undefined;
  return { name: m[1], version: `${m[2]}-${m[3]}` };
}

/** The source package named by a CycloneDX component's properties (Trivy or Syft), if any. */
export function sourceFromProperties(properties: readonly Property[] | undefined): ComponentSource | undefined {
  const get = (name: string): string | undefined => {
    const value = properties?.find((p) => p.name === name)?.value?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const trivyName = get('aquasecurity:trivy:SrcName');
  if (trivyName !== undefined) {
    const version = get('aquasecurity:trivy:SrcVersion');
    return version === undefined
      ? { name: trivyName }
      : {
          name: trivyName,
          version: evr(get('aquasecurity:trivy:SrcEpoch'), version, get('aquasecurity:trivy:SrcRelease')),
        };
  }
  const sourceRpm = get('syft:metadata:sourceRpm');
  if (sourceRpm !== undefined) return parseSourceRpm(sourceRpm);
  const debSource = get('syft:metadata:source');
  if (debSource !== undefined) {
    const version = get('syft:metadata:sourceVersion');
    return version === undefined ? { name: debSource } : { name: debSource, version };
  }
  const origin = get('syft:metadata:originPackage');
  return origin === undefined ? undefined : { name: origin };
}

/** The source package of an SPDX package's `sourceInfo` as Trivy writes it, if any. */
export function sourceFromSpdxSourceInfo(sourceInfo: string | undefined): ComponentSource | undefined {
  const m = /^built package from: (\S+)(?: (\S+))?$/.exec(sourceInfo?.trim() ?? '');
  if (m === null || m[1] === undefined) return undefined;
  return m[2] === undefined ? { name: m[1] } : { name: m[1], version: m[2] };
}
