/**
 * Ports: the interfaces domain code depends on. Adapters in `lambdas/adapters/*` implement them;
 * handlers wire adapters in. Domain code never imports an adapter or an AWS SDK.
 */
import type { LinkKeys } from './approval/link.js';
import type { SlackAnswer } from './approval/slack.js';
import type { Descriptor } from './oci.js';
import type {
  AlertRecord,
  ApprovalAuditRecord,
  ApprovalEntry,
  ApprovalRecord,
  ApprovalState,
  ApprovalSupersession,
  BreakGlassRequestRecord,
  DecisionRecord,
  IndexEntryWrite,
  IndexNode,
  IndexNodeLink,
  PackageIndexEntry,
  PromotionEntry,
  Pusher,
  ReleaseRecord,
  ReleaseState,
  ReleaseStateUpdate,
  Resubmission,
  RevocationRecord,
  RoundArchive,
  ScanCompletion,
  SlackMessageRef,
  StoredEvidence,
  VulnerabilityIndexEntry,
} from './records.js';
import type { Digest, EvidenceKind, ImageSubject } from './types.js';

// The store's records are defined (zod schemas, types) in records.ts; re-exported for the ports' users.
export type {
  AlertMatch,
  AlertRecord,
  ApprovalAuditRecord,
  ApprovalEntry,
  ApprovalRecord,
  ApprovalState,
  ApprovalSupersession,
  BreakGlass,
  BreakGlassRequestRecord,
  DecisionRecord,
  GateRound,
  IndexEntryWrite,
  IndexNode,
  IndexNodeLink,
  PackageIndexEntry,
  PromotionEntry,
  Pusher,
  ReleaseRecord,
  ReleaseState,
  ReleaseStateUpdate,
  Resubmission,
  RevocationRecord,
  RoundArchive,
  ScanCompletion,
  SlackMessageRef,
  StoredDocumentRef,
  StoredEvidence,
  VulnerabilityIndexEntry,
} from './records.js';
export { APPROVAL_STATES, RELEASE_STATES } from './records.js';

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
  /**
   * The registry host as image references name it (`123456789012.dkr.ecr.eu-west-1.amazonaws.com`,
   * `127.0.0.1:5000`): a signature naming another host is not about this image. An OCI layout on
   * disk has none.
   */
  readonly host?: string;
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
  /**
   * Points the mutable channel tag `tag` (the production `live` pointer) at the manifest `digest`,
   * which must already be in `repository` (NotFoundError otherwise), wherever it pointed before.
   * The one tag write that may move a tag: every other tag stays immutable (`putManifest`).
   */
  moveTag(repository: string, tag: string, digest: Digest): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Evidence storage

/**
 * Content-addressed raw documents (S3; in memory for the preflight). Every adapter is held to
 * test/support/contracts/document-store.contract.ts.
 */
export interface DocumentStore {
  /**
   * Stores bytes under their sha256 and returns the digest (`sha256:<hex>`). Idempotent, and never
   * overwrites: when the content stored under that digest does not hash to it, throws GateError
   * DIGEST_MISMATCH instead of accepting it as already stored.
   */
  put(bytes: Uint8Array, mediaType: string): Promise<Digest>;
  /**
   * The bytes stored under `digest`, verified against it. Throws InvalidInputError for an argument
   * that is not a sha256 digest, NotFoundError when nothing is stored, GateError DIGEST_MISMATCH
   * when the stored bytes do not hash to `digest`.
   */
  get(digest: Digest): Promise<Uint8Array>;
}

/** A release by its key: the gated repository and the digest. */
export interface ReleaseKey {
  readonly repository: string;
  readonly digest: Digest;
}

/** What a listing of many releases needs of each (`getReleaseStatuses`): its state and revocation. */
export interface ReleaseStatus extends ReleaseKey {
  /** null when the release is not recorded. */
  readonly state: ReleaseState | null;
  readonly revocation: RevocationRecord | null;
}

/** A repository's promotion track, with what it says of its releases' states (`listPromotionsWithStates`). */
export interface PromotionTrack {
  /** As `listPromotions` lists them: most recent first. */
  readonly promotions: PromotionEntry[];
  /**
   * Releases of the track whose state is PROMOTED: copied into their track entry once the release
   * item said so. PROMOTED is final, so a copy is never stale; a release whose copy is missing
   * (not yet written, or lost to a crash) is simply not listed.
   */
  readonly promoted: readonly Digest[];
  /**
   * Index node links of those releases that the store moved here from `listIndexNodes` (the
   * DynamoDB store does, so that triage reads a promoted release's digest once). A link leaves
   * `listIndexNodes` only after it is here, and never comes back, so a reader that lists nodes
   * first and the track after finds every node in one or the other.
   */
  readonly links: readonly IndexNodeLink[];
}

/** Options of `getReleaseStatuses`. */
export interface ReleaseStatusOptions {
  /**
   * Per repository, releases already known to be PROMOTED (`PromotionTrack.promoted`): their state
   * is not read again, only their revocation.
   */
  readonly promoted?: ReadonlyMap<string, ReadonlySet<Digest>>;
}

/**
 * The release index (DynamoDB single table; in memory for the preflight). Every write is
 * single-item and conditional. Every adapter is held to
 * test/support/contracts/release-store.contract.ts. Records are validated on write with the
 * schemas of records.ts (InvalidInputError, nothing stored); listings follow `LISTING_ORDER`.
 */
export interface ReleaseStore {
  /** Conditional put: returns the existing record when this digest was already recorded. */
  recordRelease(rec: ReleaseRecord): Promise<{ record: ReleaseRecord; created: boolean }>;
  getRelease(repository: string, digest: Digest): Promise<ReleaseRecord | null>;
  /**
   * Moves the state forward (`releaseStatesMovableTo`). A terminal state (PROMOTED/QUARANTINED) is
   * never overwritten: the same terminal state again returns the stored record unchanged (a
   * retry); any other move from a terminal state, or backwards, throws ConflictError. An unknown
   * release throws NotFoundError.
   */
  updateReleaseState(
    repository: string,
    digest: Digest,
    state: ReleaseState,
    extra?: ReleaseStateUpdate,
  ): Promise<ReleaseRecord>;
  /** Most recently recorded first, at most `limit` (default 100; InvalidInputError unless a positive integer). */
  listReleases(limit?: number): Promise<ReleaseRecord[]>;

  /**
   * Starts the next gate round of a QUARANTINED release (release from quarantine, issue 9 §4), by
   * the rule `resubmittedRelease` of records.ts: the record moves to RECORDED under the new
   * execution name, and the ended round is kept on it (`rounds`). First the round's evidence and
   * decision records are copied, as they are, into the round's archive (`getRoundArchive`), so
   * the next round's records replace nothing unread. Conditional on the state and round read: of
   * concurrent requests for one round exactly one succeeds, the others throw ConflictError, as
   * does a release in any other state or round. NotFoundError for an unknown release.
   */
  resubmitRelease(resubmission: Resubmission): Promise<ReleaseRecord>;
  /** The evidence and decision records of an earlier gate round (empty for a round not archived). */
  getRoundArchive(repository: string, digest: Digest, round: number): Promise<RoundArchive>;

  /**
   * First write wins within an approval round (`round`): returns the stored record if one of the
   * same or a later round exists (retries are idempotent); a record of a later round replaces it.
   */
  putEvidence(ev: StoredEvidence): Promise<StoredEvidence>;
  getEvidence(repository: string, digest: Digest, kind: EvidenceKind): Promise<StoredEvidence | null>;
  /** Every kind stored for the release, by kind. */
  listEvidence(repository: string, digest: Digest): Promise<StoredEvidence[]>;

  /**
   * First write wins within a round, like `putEvidence`: a replayed evaluation gets the stored
   * decision back; the evaluation of a later approval round replaces it.
   */
  putDecision(rec: DecisionRecord): Promise<DecisionRecord>;
  getDecision(repository: string, digest: Digest): Promise<DecisionRecord | null>;

  /** Conditional put on a fresh approval id; ConflictError when the id is taken. */
  putApproval(rec: ApprovalRecord): Promise<void>;
  getApproval(approvalId: string): Promise<ApprovalRecord | null>;
  /**
   * PENDING → APPROVED/REJECTED/EXPIRED, exactly once: of concurrent answers one wins, the others
   * and every later answer throw GateError ALREADY_DECIDED. NotFoundError for an unknown id.
   */
  decideApproval(
    approvalId: string,
    state: Exclude<ApprovalState, 'PENDING'>,
    by: string,
    at: string,
    comment?: string,
  ): Promise<ApprovalRecord>;
  /**
   * Adds one person's approval to a PENDING approval's quorum, atomically: of concurrent approvals
   * by different people at most `required` are kept (the first to be written); one by a person
   * (`entry.person`) already listed, or one that finds the quorum full, adds nothing and returns
   * `added: false` with the stored record. GateError ALREADY_DECIDED when the approval is no longer
   * PENDING, NotFoundError for an unknown id.
   */
  addApproval(approvalId: string, entry: ApprovalEntry): Promise<{ record: ApprovalRecord; added: boolean }>;
  /**
   * Points a PENDING approval at the task token of a later attempt of the same waiting task (a
   * RequestApproval retried after a crash gets a new token), so the request already sent stays
   * the one to answer. Conditional on PENDING: GateError ALREADY_DECIDED when it was answered,
   * NotFoundError for an unknown id.
   */
  rebindApproval(approvalId: string, taskToken: string, tokenHash: string): Promise<ApprovalRecord>;
  /**
   * APPROVED → SUPERSEDED with the supersession, exactly once: an approval already SUPERSEDED is
   * returned unchanged (a retried Promote); any other state throws GateError ALREADY_DECIDED.
   * NotFoundError for an unknown id. Nothing else of the record changes: it stays readable.
   */
  supersedeApproval(approvalId: string, supersession: ApprovalSupersession): Promise<ApprovalRecord>;
  /**
   * Records the Slack message that asked for an approval, once: the first write wins and a later
   * one returns the stored record unchanged (so a retried request sees the message and does not
   * post again). In any state, so a message posted while the answer came in can still be updated.
   * NotFoundError for an unknown id.
   */
  recordApprovalMessage(approvalId: string, message: SlackMessageRef): Promise<ApprovalRecord>;
  /** Oldest request first; all approvals, or those in `state`. */
  listApprovals(state?: ApprovalState): Promise<ApprovalRecord[]>;

  /**
   * Appends one record to the audit trail of the release's approvals (`rec.repository`,
   * `rec.digest`). Append-only: a record is never changed or removed. The key is (`at`, `id`); a
   * record whose key is already stored is not written, and the stored one is returned with
   * `created: false` (a retried write). InvalidInputError for a record that fails its schema.
   */
  appendApprovalAudit(rec: ApprovalAuditRecord): Promise<{ record: ApprovalAuditRecord; created: boolean }>;
  /** The audit trail of every approval of the release, oldest first (`LISTING_ORDER.approvalAudit`). */
  listApprovalAudit(repository: string, digest: Digest): Promise<ApprovalAuditRecord[]>;

  /**
   * Records a tag the digest was pushed under (idempotent): the same digest pushed as `latest` and
   * `1.4.0` is one release, promoted under both tags.
   */
  recordPushedTag(repository: string, digest: Digest, tag: string): Promise<void>;
  /** The tags recorded for the digest, sorted. */
  listPushedTags(repository: string, digest: Digest): Promise<string[]>;

  /**
   * Records a principal that pushed the digest (idempotent; every distinct identity is kept). It
   * may come before the release is recorded: it is keyed by repository and digest alone.
   */
  recordPusher(pusher: Pusher): Promise<void>;
  /** The pushers recorded for the digest, by identity. */
  listPushers(repository: string, digest: Digest): Promise<Pusher[]>;

  /**
   * Records that the index `index` lists the manifest `digest` of the same repository (idempotent):
   * a platform manifest is gated with its index, not on its own (start-release.ts).
   */
  recordParentIndex(repository: string, digest: Digest, index: Digest): Promise<void>;
  /** The indexes recorded as listing `digest`, sorted. */
  listParentIndexes(repository: string, digest: Digest): Promise<Digest[]>;

  /**
   * Appends to the promotion track of the repository. A promotion (no `kind`, or `promotion`) is
   * idempotent on digest (the first entry stays); a rollback entry on (`promotedAt`, digest), so
   * the same digest may go live again by later rollbacks, and a retried write stores nothing new.
   */
  appendPromotion(entry: PromotionEntry): Promise<void>;
  /** Most recent promotion of `repository` other than `excludeDigest`, or null. */
  lastPromotion(repository: string, excludeDigest?: Digest): Promise<PromotionEntry | null>;
  /** The whole track of `repository`, most recent promotion first. */
  listPromotions(repository: string): Promise<PromotionEntry[]>;
  /**
   * The whole track, as `listPromotions` reads it, and the releases of it known to be PROMOTED
   * from the track alone (triage then reads only their revocation: `getReleaseStatuses`).
   */
  listPromotionsWithStates(repository: string): Promise<PromotionTrack>;

  /**
   * Marks the release revoked, once: the first record stays (`created: false` returns it, the
   * later one is not stored). Conditional, append-only: nothing is overwritten. The release need
   * not be recorded (a digest known only from the registry can be revoked too).
   */
  revokeRelease(rec: RevocationRecord): Promise<{ record: RevocationRecord; created: boolean }>;
  getRevocation(repository: string, digest: Digest): Promise<RevocationRecord | null>;
  /** Stores a new PENDING break-glass request; ConflictError when its id is taken (conditional put). */
  createBreakGlassRequest(rec: BreakGlassRequestRecord): Promise<void>;
  getBreakGlassRequest(id: string): Promise<BreakGlassRequestRecord | null>;
  /**
   * Moves the request PENDING → USED with who used it, conditionally: the used record, or null when
   * it is not stored or not PENDING (used already), so that it acts once.
   */
  useBreakGlassRequest(id: string, usedBy: string, usedAt: string): Promise<BreakGlassRequestRecord | null>;
  /** Every repository with a promotion track (each once, sorted): where a release can be live. */
  listTrackedRepositories(): Promise<string[]>;

  /**
   * Records a re-validation alert, once per (release, `advisoryId`): the first record stays
   * (`created: false` returns it, the later one is not stored). Conditional, like `revokeRelease`.
   */
  recordAlert(rec: AlertRecord): Promise<{ record: AlertRecord; created: boolean }>;
  /**
   * Sets `announcedAt` on a recorded alert once (a later call returns the stored record
   * unchanged). NotFoundError when the alert is not recorded.
   */
  markAlertAnnounced(repository: string, digest: Digest, advisoryId: string, at: string): Promise<AlertRecord>;
  /** The alerts of the release (`LISTING_ORDER.alerts`). */
  listAlerts(repository: string, digest: Digest): Promise<AlertRecord[]>;
  /**
   * The state and revocation of each release, the same `getRelease` and `getRevocation` read, one
   * answer per key in the order asked (a key asked twice is read once and answered twice). For
   * many releases at once (triage): DynamoDB reads only those attributes, 100 items a request,
   * and finished states from copies packed many to an item (table-schema.ts `RELSTATES#`), which
   * answer exactly as the release items do, also after a crash between the two writes. A release
   * never recorded answers `state: null`; an empty list reads nothing. Releases named in
   * `options.promoted` answer PROMOTED without their state being read.
   */
  getReleaseStatuses(releases: readonly ReleaseKey[], options?: ReleaseStatusOptions): Promise<ReleaseStatus[]>;

  /**
   * Scan rendezvous (WaitForScan vs the scan-complete event, in either order). `offerScanToken`
   * stores the waiting task token (the latest offer replaces it) and returns the scan result if it
   * already arrived; `offerScanResult` stores the result (the first one stays) and returns the
   * waiting token if there is one. Each side is one atomic write, so of one token and one result
   * exactly one sees the other. A repeated result returns the token again, so that a delivery
   * retried after a crash between storing the result and answering the task still answers it.
   */
  offerScanToken(repository: string, digest: Digest, taskToken: string): Promise<ScanCompletion | null>;
  offerScanResult(repository: string, digest: Digest, result: ScanCompletion): Promise<string | null>;
  /** The scan result stored for the digest, or null: read only (an index waits for its platforms'). */
  getScanResult(repository: string, digest: Digest): Promise<ScanCompletion | null>;

  /**
   * Incident index: which releases contain a package (by purl without version, qualifiers and
   * subpath) and which were reported with a vulnerability id. The package index is written as index
   * nodes (records.ts IndexNode, written by package-index.ts `indexPackages`): one per collected
   * SBOM of a release, its entries relative to a base node of the same repository.
   */
  /** The repository's newest complete index node (the next node's base), or null. */
  getIndexHead(repository: string): Promise<IndexNode | null>;
  /** One index node by release and set id, or null. */
  getIndexNode(repository: string, digest: Digest, set: string): Promise<IndexNode | null>;
  /**
   * Conditional put of a new (incomplete) node: returns the stored node, with `created: false`
   * when one was already started for (repository, digest, set), whose base then stands.
   */
  startIndexNode(node: IndexNode): Promise<{ node: IndexNode; created: boolean }>;
  /**
   * Writes a node's entries, one item per (package, version, node): rewriting one is harmless.
   * InvalidInputError naming the entry, before anything is written, for a package that is not a
   * package URL (package-index.ts has already refused non-indexable purls).
   */
  writeIndexEntries(node: IndexNode, entries: readonly IndexEntryWrite[]): Promise<void>;
  /**
   * Marks the node complete (idempotent; the first time stays) and makes it the repository's head
   * unless the head completed later. NotFoundError for a node never started.
   */
  completeIndexNode(node: IndexNode, completedAt: string): Promise<void>;
  /**
   * The repository's index nodes, by `seq` (within `seqs`, both ends included, when given), paged;
   * StoreError past `Limits.indexNodesPerQuery`. A node is listed from its start, until its
   * release is PROMOTED and a store moves its link to the track (`PromotionTrack.links`).
   */
  listIndexNodes(repository: string, seqs?: { readonly from: number; readonly to: number }): Promise<IndexNodeLink[]>;
  /** Ids are trimmed; empty ones are skipped. */
  indexVulnerabilities(repository: string, digest: Digest, ids: readonly string[]): Promise<void>;
  /**
   * Every index entry of the package (or of a binary built from it, when it is a source package),
   * across versions, qualifiers and nodes, tombstones included: triage/inherit.ts resolves them to
   * releases with the nodes. A version in the argument is ignored. One Query of
   * one partition, paged; StoreError past `Limits.packageIndexEntriesPerQuery` entries.
   * InvalidInputError when it is not a package URL (never "no release").
   */
  findByPackage(purlWithoutVersion: string): Promise<PackageIndexEntry[]>;
  findByVulnerability(id: string): Promise<VulnerabilityIndexEntry[]>;
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
  /** What the reader must know about the finding, e.g. that the package's version was unknown. */
  readonly note?: string;
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

/** One object an Amazon Inspector SBOM export wrote (one CycloneDX JSON per resource). */
export interface InspectorSbomObject {
  /** Where it is (`s3://bucket/key`), for reasons. */
  readonly location: string;
  /** Reads it: TooLargeError above `Limits.sbomBytes`, before reading the body. */
  read(): Promise<Uint8Array>;
}

/**
 * What an Amazon Inspector SBOM export of one image gave: the objects it wrote, or why there are
 * none (the export FAILED or was CANCELLED, did not finish in time, Inspector refused the request,
 * or there is no Inspector here at all).
 */
export type InspectorSbomExport =
  | { readonly status: 'SUCCEEDED'; readonly reportId: string; readonly objects: readonly InspectorSbomObject[] }
  | { readonly status: 'UNAVAILABLE'; readonly reason: string };

/**
 * Amazon Inspector's own SBOM of an image it scanned in ECR (`CreateSbomExport`, polled with
 * `GetSbomExport`, read from S3): the SBOM source of last resort, for an image that carries none,
 * where the policy allows it (`sbom.acceptInspectorExport`). The export is unsigned: it is what
 * Inspector inferred from the image's layers, not what the builder declared. S3 outages throw
 * StoreError.
 */
export interface InspectorSbomSource {
  exportSbom(subject: ImageSubject): Promise<InspectorSbomExport>;
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

/**
 * What a notification is about: an outcome event, or a failure ops must hear of. Subscribers
 * filter on it (the SNS `event` message attribute).
 */
export type NotificationEvent = OutcomeEventType | 'Slack Update Failed';

/**
 * Tells people (SNS on AWS: email, chat). `subject` is one line; `message` is the event's detail,
 * which the adapter renders as text with links (the report, the execution).
 */
export interface Notifier {
  publish(subject: string, message: Readonly<Record<string, unknown>>, event: NotificationEvent): Promise<void>;
}

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export const OUTCOME_EVENT_TYPES = [
  'Release Promoted',
  'Release Quarantined',
  'Approval Requested',
  'Approval Decided',
  'Approval Expired',
  'Release Revoked',
  'Release Rolled Back',
  'Break Glass Used',
  'Release Resubmitted',
  'Release Newly Affected',
] as const;
export type OutcomeEventType = (typeof OUTCOME_EVENT_TYPES)[number];

/** Emits outcome events (EventBridge on AWS, a log and listeners locally). */
export interface OutcomeEmitter {
  emit(detailType: OutcomeEventType, detail: Readonly<Record<string, unknown>>): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Approval links and mail

/**
 * Where the approval-link signing keys come from: Secrets Manager on AWS, a file generated once
 * under `.release-gate/` locally. Returns the current key (links are signed with it) and, during a
 * rotation, the previous one (links already sent still verify). Throws ConfigError when the secret
 * is missing or malformed: links then fail closed. test/support/contracts/link-secrets.contract.ts
 * holds every adapter to this.
 */
export interface LinkSecrets {
  getLinkKeys(): Promise<LinkKeys>;
}

/**
 * Where the Slack app's signing secret comes from (Slack → app → Basic Information → Signing
 * Secret): Secrets Manager on AWS, a file generated once under `.release-gate/` locally. Throws
 * ConfigError when it is missing or too short: Slack interactions then fail closed.
 */
export interface SlackSigningSecret {
  getSlackSigningSecret(): Promise<string>;
}

/** One approval request mail, to one approver, with the link signed for that approver. */
export interface ApprovalEmail {
  readonly approvalId: string;
  readonly to: string;
  /** The signed link (also inside `text` and `html`); the local demo prints it. */
  readonly link: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Sends approval mails: SES v2 on AWS, RFC 5322 `.eml` files in an outbox folder locally. */
export interface ApprovalMailer {
  send(mail: ApprovalEmail): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Slack messages

/**
 * Posts and updates Slack messages (`chat.postMessage`, `chat.update`): the Slack Web API on AWS,
 * the local Slack receiver of the embedded stack (cli/local/slack-receiver.ts) locally. Throws
 * NotificationError with Slack's error code (`channel_not_found`, `invalid_auth`…) when Slack says
 * no, ConfigError when the bot token is missing or malformed.
 */
export interface SlackPoster {
  postMessage(
    channel: string,
    blocks: readonly Readonly<Record<string, unknown>>[],
    text: string,
  ): Promise<SlackMessageRef>;
  update(
    channel: string,
    ts: string,
    blocks: readonly Readonly<Record<string, unknown>>[],
    text: string,
  ): Promise<void>;
  /**
   * Opens a modal for the user whose interaction carried `triggerId` (`views.open`; the trigger
   * is good for 3 seconds, so this is called before the interaction is acknowledged).
   */
  openView(triggerId: string, view: Readonly<Record<string, unknown>>): Promise<void>;
  /**
   * Answers an interaction through its `response_url` (an ephemeral message to the clicker, for
   * a refusal or the outcome). The adapter only posts to Slack's own hooks.
   */
  respond(responseUrl: string, text: string): Promise<void>;
}

/** A verified Slack answer to decide after the interaction was acknowledged. */
export interface SlackWork {
  readonly answer: SlackAnswer;
  readonly origin?: { readonly sourceIp?: string; readonly userAgent?: string };
}

/**
 * Work to do after Slack's interaction is acknowledged (Slack wants its answer within 3 seconds).
 * On AWS: the approval-api Lambda invokes itself asynchronously; locally: in-process, after the
 * HTTP response is sent. `enqueue` resolves once the work is accepted (not done) and throws a
 * NotificationError when it cannot be, so the click is refused rather than dropped.
 */
export interface SlackWorkQueue {
  enqueue(work: SlackWork): Promise<void>;
}

/**
 * Where the Slack app's bot token (`xoxb-…`) comes from: Secrets Manager on AWS, a file generated
 * once under `.release-gate/` locally. Throws ConfigError when it is missing or malformed.
 */
export interface SlackBotToken {
  getSlackBotToken(): Promise<string>;
}

// ---------------------------------------------------------------------------------------------
// Verification summaries

/**
 * Signs VSAs: AWS KMS (`ECC_NIST_P256`, `ECDSA_SHA_256`) on AWS, a local P-256 key in the embedded
 * stack. `sign` returns an ASN.1 DER ECDSA signature over SHA-256 of `message` (the DSSE PAE);
 * `publicKeyPem` is the SPKI PEM a verifier trusts (Promote uses it to recognise its own VSA).
 */
export interface VsaSigner {
  /** A name for the key, put in the envelope's `keyid` (a hint only, never trusted). */
  readonly keyId: string;
  sign(message: Uint8Array): Promise<Uint8Array>;
  publicKeyPem(): Promise<string>;
}
