import type { RevocationChecker } from '../notation/revocation.js';
import type { RepositoryPolicy } from '../policy/schema.js';
import type { DocumentStore, InspectorSbomSource, RegistryReader, ReleaseStore, ScanFindingsSource } from '../ports.js';
import type { TrustedRootDoc } from '../sigstore/trusted-root.js';
import type { Digest, ImageSubject } from '../types.js';

/**
 * Everything a collector needs. Collectors are pure functions of this context: they read through
 * the ports and return an EvidenceResult; they never write (the handler stores the result).
 */
export interface CollectContext {
  readonly subject: ImageSubject;
  /**
   * The index `subject` is gated as a platform manifest of (evidence/per-platform.ts), if any.
   * @default - none: `subject` is the release itself
   */
  readonly index?: Digest;
  readonly registry: RegistryReader;
  readonly policy: RepositoryPolicy;
  readonly now: Date;
  /** Evidence stored earlier for this and previous releases (sbom → diff, provenance → lockfile). */
  readonly releases: Pick<ReleaseStore, 'getEvidence' | 'lastPromotion'>;
  readonly documents: Pick<DocumentStore, 'get'>;
  readonly scans: ScanFindingsSource;
  /** Trusted roots the policy pins, by file name (keyless Sigstore). */
  readonly trustedRoots?: ReadonlyMap<string, TrustedRootDoc>;
  /** Revocation of Notation/AWS Signer signatures; without it those signatures fail closed. */
  readonly revocation?: RevocationChecker;
  /**
   * Amazon Inspector's SBOM export (`sbom.acceptInspectorExport`).
   * @default - none: an image without an SBOM has none (as in the embedded stack)
   */
  readonly inspectorSboms?: InspectorSbomSource;
}
