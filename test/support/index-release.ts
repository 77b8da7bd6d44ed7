import { indexPackages, type SourcePackage } from '../../lambdas/domain/package-index.js';
import type { DocumentStore, ReleaseStore } from '../../lambdas/domain/ports.js';
import type { Digest } from '../../lambdas/domain/types.js';

/**
 * Indexes one release's packages the way collection does (package-index.ts `indexPackages`).
 * Without a document store every release is a snapshot; with one, later releases of a repository
 * write what changed against the newest complete node.
 */
export function indexRelease(
  store: ReleaseStore,
  repository: string,
  digest: Digest | `sha256:${string}`,
  purls: readonly string[],
  sources: readonly SourcePackage[] = [],
  documents?: DocumentStore,
) {
  return indexPackages(
    { store, ...(documents !== undefined && { documents }), now: () => new Date().toISOString() },
    repository,
    digest as Digest,
    purls,
    sources,
  );
}
