/**
 * Ports: the interfaces domain code depends on. Adapters in `lambdas/adapters/*` implement them;
 * handlers wire adapters in. Domain code never imports an adapter or an AWS SDK.
 */
import type { Descriptor } from './oci.js';
import type { Digest, EvidenceKind, EvidenceStatus, ImageSubject, Outcome } from './types.js';

// ---------------------------------------------------------------------------------------------
// Registry

/** A manifest or index as the registry serves it: exact bytes, their digest and media type. */
export interface FetchedManifest {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly bytes: Uint8Array;
}

/**
 * Read access to an OCI registry. `reference` is a tag or a digest. Implementations verify that
 * content fetched by digest hashes to that digest (DIGEST_MISMATCH otherwise) and throw
 * `NotFoundError` for absent manifests, blobs and tags, and for repositories that do not exist.
 * `test/support/contracts/registry.contract.ts` holds every adapter and the test fake to this.
 */
export interface RegistryReader {
  /** Human-readable location, for reasons and reports (e.g. `oci-layout:/x`, `127.0.0.1:5000`). */
  readonly location: string;
  getManifest(repository: string, reference: string): Promise<FetchedManifest>;
  /**
   * Fetch a blob, refusing (TooLargeError) anything above `maxBytes`; exactly `maxBytes` is allowed.
   * A `digest` that is not `sha256:<hex>` is InvalidInputError.
   */
  getBlob(repository: string, digest: string, maxBytes: number): Promise<Uint8Array>;
  /**
   * Manifests of `repository` whose `subject` is `subjectDigest`, in no particular order, each once,
   * with `artifactType` (else the config media type) and the manifest's annotations: the referrers
   * API where the registry has one, else the referrers tag schema (`sha256-<hex>` index). Empty when
   * nothing refers to it, or the subject is absent. Does NOT include cosign's legacy
   * `.sig/.att/.sbom` tags; collectors fetch those by tag.
   */
  listReferrers(repository: string, subjectDigest: string): Promise<Descriptor[]>;
}

/** Write access, used by Promote, Quarantine, the fixture factory and the local demo. */
export interface RegistryWriter extends RegistryReader {
  /** Whether `repository` holds the blob (a blob in another repository does not count). */
  hasBlob(repository: string, digest: string): Promise<boolean>;
  /** Idempotent. Bytes that do not hash to `digest` are refused (DIGEST_MISMATCH) and not stored. */
  putBlob(repository: string, digest: string, bytes: Uint8Array): Promise<void>;
  /**
   * Cross-repository blob mount. True means the target now serves the blob; false means the
   * registry declined, for instance because the source lacks the blob, and the caller copies.
   */
  mountBlob(targetRepository: string, sourceRepository: string, digest: string): Promise<boolean>;
  /**
   * Store a manifest under its digest, returned, and, when `tag` is given, tag it. Idempotent for
   * equal bytes. A tag that already points at different content throws `ConflictError` (tags are
   * immutable for the gate) and stays where it was. A manifest whose config or layers, or an index
   * whose children, are not in the repository is refused with `NotFoundError`; a `subject` may be
   * absent (distribution-spec "Push"). A body contradicting `mediaType` is InvalidInputError, one
   * above `Limits.manifestBytes` TooLargeError.
   */
  putManifest(repository: string, bytes: Uint8Array, mediaType: string, tag?: string): Promise<Digest>;
  /**
   * Tags of `repository`, each once, in lexical order; empty when it has none. Referrers add the
   * `sha256-<hex>` tag only where the adapter keeps the referrers tag schema. For a repository the
   * registry does not know, adapters differ (docker-registry answers both cases alike): empty or
   * NotFoundError.
   */
  listTags(repository: string): Promise<string[]>;
}

// ---------------------------------------------------------------------------------------------
// Evidence storage

/** Content-addressed raw documents (S3). Reads verify the sha256; writes never overwrite. */
export interface DocumentStore {
  /** Stores bytes under their sha256 and returns the digest (`sha256:<hex>`). Idempotent. */
  put(bytes: Uint8Array, mediaType: string): Promise<Digest>;
  /** Throws NotFoundError, or GateError DIGEST_MISMATCH when stored bytes do not hash to `digest`. */
  get(digest: Digest): Promise<Uint8Array>;
}

export interface StoredDocumentRef {
  readonly name: string;
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
}

/** The index record of one evidence kind for one release (DynamoDB `EV#<kind>`). */
export interface StoredEvidence {
  readonly repository: string;
  readonly digest: Digest;
  readonly kind: EvidenceKind;
  readonly status: EvidenceStatus;
  readonly reasons: readonly string[];
  readonly facts: Readonly<Record<string, unknown>>;
  readonly documents: readonly StoredDocumentRef[];
  readonly collectedAt: string;
}

export const RELEASE_STATES = ['RECORDED', 'EVALUATED', 'AWAITING_APPROVAL', 'PROMOTED', 'QUARANTINED'] as const;
export type ReleaseState = (typeof RELEASE_STATES)[number];

export interface ReleaseRecord {
  readonly repository: string;
  readonly digest: Digest;
  readonly mediaType: string;
  readonly tag?: string;
  readonly stage: string;
  /** Platform manifests of an index (empty for a single manifest). */
  readonly platforms: readonly { digest: Digest; platform: string }[];
  readonly state: ReleaseState;
  readonly executionName: string;
  readonly recordedAt: string;
  readonly outcome?: Outcome;
  readonly outcomeReasons?: readonly string[];
  readonly decidedAt?: string;
}

export interface DecisionRecord {
  readonly repository: string;
  readonly digest: Digest;
  readonly decision: 'PASS' | 'BLOCK';
  readonly reasons: readonly string[];
  readonly policyDigest: Digest;
  readonly evidence: readonly { kind: EvidenceKind; status: EvidenceStatus; reasons: readonly string[] }[];
  readonly decidedAt: string;
  /** S3 digest of the full decision document (policy + evidence snapshot) for replay. */
  readonly documentDigest: Digest;
}

export const APPROVAL_STATES = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED'] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

export interface ApprovalRecord {
  readonly approvalId: string;
  readonly repository: string;
  readonly digest: Digest;
  /** sha256 of the task token; the token itself is stored encrypted-at-rest only in `taskToken`. */
  readonly tokenHash: string;
  /** Needed to answer Step Functions. The table is KMS-encrypted; the hash is the lookup key. */
  readonly taskToken: string;
  readonly state: ApprovalState;
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly comment?: string;
}

export interface PromotionEntry {
  readonly repository: string;
  readonly digest: Digest;
  readonly promotedAt: string;
  readonly targetRepository: string;
  readonly tag: string;
}

/** The release index (DynamoDB single table). Every write is single-item and conditional. */
export interface ReleaseStore {
  /** Conditional put: returns the existing record when this digest was already recorded. */
  recordRelease(rec: ReleaseRecord): Promise<{ record: ReleaseRecord; created: boolean }>;
  getRelease(repository: string, digest: Digest): Promise<ReleaseRecord | null>;
  /** Moves the state forward; terminal states (PROMOTED/QUARANTINED) are never overwritten. */
  updateReleaseState(
    repository: string,
    digest: Digest,
    state: ReleaseState,
    extra?: { outcome?: Outcome; outcomeReasons?: readonly string[]; decidedAt?: string },
  ): Promise<ReleaseRecord>;
  listReleases(limit?: number): Promise<ReleaseRecord[]>;

  /** First write wins: returns the stored record if one exists (retries are idempotent). */
  putEvidence(ev: StoredEvidence): Promise<StoredEvidence>;
  getEvidence(repository: string, digest: Digest, kind: EvidenceKind): Promise<StoredEvidence | null>;
  listEvidence(repository: string, digest: Digest): Promise<StoredEvidence[]>;

  putDecision(rec: DecisionRecord): Promise<DecisionRecord>;
  getDecision(repository: string, digest: Digest): Promise<DecisionRecord | null>;

  /** Conditional put on a fresh approval id. */
  putApproval(rec: ApprovalRecord): Promise<void>;
  getApproval(approvalId: string): Promise<ApprovalRecord | null>;
  /** PENDING → APPROVED/REJECTED/EXPIRED, exactly once. Throws ALREADY_DECIDED otherwise. */
  decideApproval(
    approvalId: string,
    state: Exclude<ApprovalState, 'PENDING'>,
    by: string,
    at: string,
    comment?: string,
  ): Promise<ApprovalRecord>;
  listApprovals(state?: ApprovalState): Promise<ApprovalRecord[]>;

  /** Appends to `TRACK#<repo>`; idempotent on digest. */
  appendPromotion(entry: PromotionEntry): Promise<void>;
  /** Most recent promotion of `repository` other than `excludeDigest`, or null. */
  lastPromotion(repository: string, excludeDigest?: Digest): Promise<PromotionEntry | null>;
  listPromotions(repository: string): Promise<PromotionEntry[]>;

  /**
   * Scan rendezvous (WaitForScan vs the scan-complete event, in either order). `offerScanToken`
   * stores the waiting task token and returns the scan result if it already arrived;
   * `offerScanResult` stores the result and returns the waiting token if there is one. Each side is
   * one conditional write, so exactly one of them sees the other.
   */
  offerScanToken(repository: string, digest: Digest, taskToken: string): Promise<ScanCompletion | null>;
  offerScanResult(repository: string, digest: Digest, result: ScanCompletion): Promise<string | null>;

  /** Incident index: `PKG#<purl without version>` and `CVE#<id>` items. */
  indexPackages(repository: string, digest: Digest, purls: readonly string[]): Promise<void>;
  indexVulnerabilities(repository: string, digest: Digest, ids: readonly string[]): Promise<void>;
  findByPackage(purlWithoutVersion: string): Promise<{ version: string; repository: string; digest: Digest }[]>;
  findByVulnerability(id: string): Promise<{ repository: string; digest: Digest }[]>;
}

export interface ScanCompletion {
  readonly status: string;
  readonly source: 'ecr-basic' | 'inspector' | 'local';
  readonly severityCounts: Readonly<Record<string, number>>;
  readonly completedAt: string;
}

// ---------------------------------------------------------------------------------------------
// Scanning

export interface VulnerabilityFinding {
  /** Primary id (CVE preferred), plus aliases. */
  readonly id: string;
  readonly aliases: readonly string[];
  readonly severity: 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL' | 'UNDEFINED';
  readonly packageName: string;
  readonly packageVersion: string;
  readonly purl?: string;
  readonly fixedIn?: string;
  readonly title?: string;
}

export interface ScanReport {
  /** COMPLETE, ACTIVE (Inspector), FAILED, …; anything but COMPLETE/ACTIVE fails closed. */
  readonly status: string;
  readonly scanner: string;
  readonly completedAt?: string;
  readonly findings: readonly VulnerabilityFinding[];
}

/** Where the scan collector reads findings from: ECR on AWS, the local scanner's stored report locally. */
export interface ScanFindingsSource {
  /** Throws NotFoundError when there is no scan for this image. */
  getFindings(subject: ImageSubject): Promise<ScanReport>;
}

// ---------------------------------------------------------------------------------------------
// Workflow, notifications

/** Answers a Step Functions task token (SendTaskSuccess/Failure, or the local runtime). */
export interface TaskTokenPort {
  sendSuccess(taskToken: string, output: unknown): Promise<void>;
  sendFailure(taskToken: string, error: string, cause: string): Promise<void>;
}

export interface ExecutionStarter {
  /** StartExecution with a deterministic name; an existing execution of that name is not an error. */
  start(name: string, input: unknown): Promise<{ executionArn: string; alreadyExisted: boolean }>;
}

export interface Notifier {
  publish(subject: string, message: Readonly<Record<string, unknown>>): Promise<void>;
}

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export const OUTCOME_EVENT_TYPES = ['Release Promoted', 'Release Quarantined', 'Approval Requested'] as const;
export type OutcomeEventType = (typeof OUTCOME_EVENT_TYPES)[number];

/** Emits outcome events (EventBridge on AWS, a log and listeners locally). */
export interface OutcomeEmitter {
  emit(detailType: OutcomeEventType, detail: Readonly<Record<string, unknown>>): Promise<void>;
}
