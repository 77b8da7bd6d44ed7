/**
 * SBOM components and the sbom evidence that carries them, for the collectors that read stored
 * sbom evidence (lockfile, dependency-diff).
 */
import { COMPONENTS_DOCUMENT } from '../../lambdas/domain/evidence/sbom.js';
import type { Component, NormalizedSbom } from '../../lambdas/domain/sbom/component.js';
import { type EvidenceResult, evidenceResult } from '../../lambdas/domain/types.js';

/** An npm application component; no version gives a component without one. */
export function npm(name: string, version?: string, licenses: readonly string[] = []): Component {
  return {
    name,
    ...(version !== undefined && { version }),
    purl: `pkg:npm/${name}${version ? `@${version}` : ''}`,
    ecosystem: 'npm',
    licenses: [...licenses],
    scope: 'application',
  };
}

/** A Debian OS package. */
export function deb(name: string, version: string): Component {
  return { name, version, purl: `pkg:deb/debian/${name}@${version}`, ecosystem: 'deb', licenses: [], scope: 'os' };
}

/** sbom evidence as the sbom collector leaves it: facts, and the normalised components as `components.json`. */
export function sbomResult(
  components: readonly Component[],
  lockfileDigest?: string,
  status: 'PASS' | 'FAIL' = 'PASS',
): EvidenceResult {
  const sbom: NormalizedSbom = {
    format: 'cyclonedx',
    specVersion: '1.6',
    ...(lockfileDigest !== undefined && { lockfileDigest }),
    components: [...components],
  };
  return evidenceResult(
    'sbom',
    status,
    ['test sbom'],
    {
      format: 'cyclonedx',
      componentCount: components.length,
      ...(lockfileDigest !== undefined && { lockfileDigest }),
    },
    [
      {
        name: COMPONENTS_DOCUMENT,
        mediaType: 'application/json',
        bytes: new TextEncoder().encode(JSON.stringify(sbom)),
      },
    ],
  );
}
