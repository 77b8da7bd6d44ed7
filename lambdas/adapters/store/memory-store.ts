import {
  AlreadyDecidedError,
  ConflictError,
  DigestMismatchError,
  InvalidInputError,
  NotFoundError,
  StoreError,
} from '../../domain/errors.js';
import { Limits } from '../../domain/limits.js';
import { sha256Digest, sha256DigestToStore } from '../../domain/oci.js';
import type { DocumentStore, PromotionTrack, ReleaseKey, ReleaseStatus, ReleaseStore } from '../../domain/ports.js';
import { requirePurl } from '../../domain/purl.js';
import {
  type AlertRecord,
  AlertRecordSchema,
  type ApprovalAuditRecord,
  ApprovalAuditRecordSchema,
  ApprovalDecisionSchema,
  type ApprovalEntry,
  ApprovalEntrySchema,
  type ApprovalRecord,
  ApprovalRecordSchema,
  type ApprovalState,
  ApprovalStateSchema,
  type ApprovalSupersession,
  ApprovalSupersessionSchema,
  ApprovalTokenSchema,
  type BreakGlassRequestRecord,
  BreakGlassRequestRecordSchema,
  compareCodePoints,
  type DecisionRecord,
  DecisionRecordSchema,
  type IndexEntryWrite,
  type IndexNode,
  type IndexNodeLink,
  IndexNodeSchema,
  indexNodeRef,
  LISTING_ORDER,
  ListLimitSchema,
  laterRound,
  ofCurrentRound,
  type PackageIndexEntry,
  ParentIndexSchema,
  type PromotionEntry,
  PromotionEntrySchema,
  PushedTagSchema,
  type Pusher,
  PusherSchema,
  type ReleaseRecord,
  ReleaseRecordSchema,
  type ReleaseState,
  ReleaseStateSchema,
  type ReleaseStateUpdate,
  ReleaseStateUpdateSchema,
  type Resubmission,
  ResubmissionSchema,
  type RevocationRecord,
  RevocationRecordSchema,
  type RoundArchive,
  releaseStatesMovableTo,
  resubmittedRelease,
  type ScanCompletion,
  ScanCompletionSchema,
  type SlackMessageRef,
  SlackMessageRefSchema,
  type StoredEvidence,
  StoredEvidenceSchema,
  TaskTokenSchema,
  TERMINAL_RELEASE_STATES,
  type VulnerabilityIndexEntry,
  validIndexEntryWrites,
  validRecord,
} from '../../domain/records.js';
import { type Digest, DigestSchema, type EvidenceKind } from '../../domain/types.js';

/**
 * In-process ReleaseStore + DocumentStore with the semantics of the DynamoDB and S3 adapters. Used
 * by `release-gate gate` (the preflight has no table) and by unit tests, so it is not a test
 * double: test/integration/*-store-contract.test.ts hold it and the AWS adapters to one contract.
 *
 * Records are validated on write like the AWS adapters do, stored as copies and handed out as
 * copies, so a caller that mutates a record cannot change what is stored. Every method runs to
 * completion without yielding, which makes each one atomic, like the single-item conditional
 * writes of DynamoDB.
 */
export class MemoryStore implements ReleaseStore, DocumentStore {
  /** Documents by digest; protected so that tests can tamper with stored bytes. */
  protected readonly documents = new Map<Digest, Uint8Array>();
  private readonly releases = new Map<string, ReleaseRecord>();
  private readonly evidence = new Map<string, StoredEvidence>();
  private readonly decisions = new Map<string, DecisionRecord>();
  /** Archived gate rounds (`resubmitRelease`): by `repository@digest#round`. */
  private readonly roundArchives = new Map<string, RoundArchive>();
  private readonly approvals = new Map<string, ApprovalRecord>();
  private readonly pushedTags = new Map<string, Set<string>>();
  private readonly parentIndexes = new Map<string, Set<Digest>>();
  /** Pushers by `repository@digest`, then by identity (the first record of an identity stays). */
  private readonly pushers = new Map<string, Map<string, Pusher>>();
  /** Approval audit records by `repository@digest`, then by `<at>#<id>` (the first record of a key stays). */
  private readonly audit = new Map<string, Map<string, ApprovalAuditRecord>>();
  /**
   * Promotion entries by repository, then by digest for promotions (the first entry of a digest
   * stays) and by `rollback <promotedAt>#<digest>` for rollbacks.
   */
  private readonly track = new Map<string, Map<string, PromotionEntry>>();
  private readonly revocations = new Map<string, RevocationRecord>();
  private readonly breakGlassRequests = new Map<string, BreakGlassRequestRecord>();
  /** Alerts by release, then by advisory id. */
  private readonly alerts = new Map<string, Map<string, AlertRecord>>();
  private readonly scans = new Map<string, { taskToken?: string; result?: ScanCompletion }>();
  /**
   * Package index: by purl without version, then by `packageEntryKey`. A package with one entry
   * (most of them: a 200,000-component release writes as many) holds the entry alone, without a
   * Map and a key string of its own.
   */
  private readonly packages = new Map<string, PackageIndexEntry | Map<string, PackageIndexEntry>>();
  /** Vulnerability index: by id, then by `repository@digest`. */
  private readonly vulnerabilities = new Map<string, Map<string, VulnerabilityIndexEntry>>();
  /** Index nodes: by repository, then by `<digest>#<set>`; and each repository's head. */
  private readonly indexNodes = new Map<string, Map<string, IndexNode>>();
  private readonly indexHeads = new Map<string, IndexNode>();
  private readonly maxPackageIndexEntries: number;

  /** @param options.maxPackageIndexEntries as DynamoReleaseStoreProps. */
  public constructor(options: { readonly maxPackageIndexEntries?: number } = {}) {
    this.maxPackageIndexEntries = options.maxPackageIndexEntries ?? Limits.packageIndexEntriesPerQuery;
  }

  // -------------------------------------------------------------------------------------------
  // DocumentStore

  public async put(bytes: Uint8Array, _mediaType: string): Promise<Digest> {
    const digest = sha256DigestToStore(bytes);
    const stored = this.documents.get(digest);
    if (stored === undefined) {
      this.documents.set(digest, new Uint8Array(bytes));
    } else if (sha256Digest(stored) !== digest) {
      throw new DigestMismatchError(`document ${digest} is stored with different content`);
    }
    return digest;
  }

  public async get(digest: Digest): Promise<Uint8Array> {
    const parsed = DigestSchema.safeParse(digest);
    if (!parsed.success) throw new InvalidInputError(`not a sha256 digest: ${digest}`, { cause: parsed.error });
    const bytes = this.documents.get(parsed.data);
    if (bytes === undefined) throw new NotFoundError(`document ${parsed.data} does not exist`);
    const actual = sha256Digest(bytes);
    if (actual !== parsed.data) {
      throw new DigestMismatchError(`stored document ${parsed.data} hashes to ${actual}`);
    }
    return new Uint8Array(bytes);
  }

  // -------------------------------------------------------------------------------------------
  // Releases

  public async recordRelease(rec: ReleaseRecord): Promise<{ record: ReleaseRecord; created: boolean }> {
    const record = validRecord('release record', ReleaseRecordSchema, rec);
    const key = releaseKey(record.repository, record.digest);
    const existing = this.releases.get(key);
    if (existing !== undefined) return { record: copy(existing), created: false };
    this.releases.set(key, copy(record));
    return { record, created: true };
  }

  public async getRelease(repository: string, digest: Digest): Promise<ReleaseRecord | null> {
    return copyOrNull(this.releases.get(releaseKey(repository, digest)));
  }

  public async updateReleaseState(
    repository: string,
    digest: Digest,
    state: ReleaseState,
    extra: ReleaseStateUpdate = {},
  ): Promise<ReleaseRecord> {
    const target = validRecord('release state', ReleaseStateSchema, state);
    const update = validRecord('release state update', ReleaseStateUpdateSchema, extra);
    const key = releaseKey(repository, digest);
    const current = this.releases.get(key);
    if (current === undefined) throw new NotFoundError(`release ${key} is not recorded`);
    if (!releaseStatesMovableTo(target).includes(current.state)) {
      if (current.state === target && TERMINAL_RELEASE_STATES.includes(target)) return copy(current);
      throw new ConflictError(`release ${key} is ${current.state}; it cannot move to ${target}`);
    }
    // Like DynamoDB's SET of the given fields only: an absent field leaves the stored one.
    const next: ReleaseRecord = {
      ...current,
      state: target,
      ...(update.outcome !== undefined && { outcome: update.outcome }),
      ...(update.outcomeReasons !== undefined && { outcomeReasons: update.outcomeReasons }),
      ...(update.decidedAt !== undefined && { decidedAt: update.decidedAt }),
      ...(update.approvalRound !== undefined && { approvalRound: update.approvalRound }),
    };
    this.releases.set(key, next);
    return copy(next);
  }

  public async resubmitRelease(resubmission: Resubmission): Promise<ReleaseRecord> {
    const r = validRecord('resubmission', ResubmissionSchema, resubmission);
    const key = releaseKey(r.repository, r.digest);
    const current = this.releases.get(key);
    if (current === undefined) throw new NotFoundError(`release ${key} is not recorded`);
    const decision = this.decisions.get(key) ?? null;
    const next = validRecord('release record', ReleaseRecordSchema, resubmittedRelease(current, r, decision));
    const round = current.gateRound ?? 1;
    const archive = `${key}#${round}`;
    // The first copy stays, as DynamoDB's put-if-absent archive items do.
    if (!this.roundArchives.has(archive)) {
      this.roundArchives.set(archive, {
        evidence: [...this.evidence.values()]
          .filter((e) => e.repository === r.repository && e.digest === r.digest && ofCurrentRound(e, current))
          .map(copy),
        decision: decision === null || !ofCurrentRound(decision, current) ? null : copy(decision),
      });
    }
    this.releases.set(key, copy(next));
    return copy(next);
  }

  public async getRoundArchive(repository: string, digest: Digest, round: number): Promise<RoundArchive> {
    const archive = this.roundArchives.get(`${releaseKey(repository, digest)}#${round}`);
    return {
      evidence: (archive?.evidence ?? []).map(copy).sort(LISTING_ORDER.evidence),
      decision: archive?.decision == null ? null : copy(archive.decision),
    };
  }

  public async listReleases(limit = 100): Promise<ReleaseRecord[]> {
    const max = validRecord('limit', ListLimitSchema, limit);
    return [...this.releases.values()].sort(LISTING_ORDER.releases).slice(0, max).map(copy);
  }

  // -------------------------------------------------------------------------------------------
  // Evidence and decisions

  public async putEvidence(ev: StoredEvidence): Promise<StoredEvidence> {
    const evidence = validRecord('evidence record', StoredEvidenceSchema, ev);
    const key = evidenceKey(evidence.repository, evidence.digest, evidence.kind);
    const existing = this.evidence.get(key);
    if (existing !== undefined && !laterRound(evidence, existing)) return copy(existing);
    this.evidence.set(key, copy(evidence));
    return evidence;
  }

  public async getEvidence(repository: string, digest: Digest, kind: EvidenceKind): Promise<StoredEvidence | null> {
    return copyOrNull(this.evidence.get(evidenceKey(repository, digest, kind)));
  }

  public async listEvidence(repository: string, digest: Digest): Promise<StoredEvidence[]> {
    return [...this.evidence.values()]
      .filter((e) => e.repository === repository && e.digest === digest)
      .sort(LISTING_ORDER.evidence)
      .map(copy);
  }

  public async putDecision(rec: DecisionRecord): Promise<DecisionRecord> {
    const decision = validRecord('decision record', DecisionRecordSchema, rec);
    const key = releaseKey(decision.repository, decision.digest);
    const existing = this.decisions.get(key);
    if (existing !== undefined && !laterRound(decision, existing)) return copy(existing);
    this.decisions.set(key, copy(decision));
    return decision;
  }

  public async getDecision(repository: string, digest: Digest): Promise<DecisionRecord | null> {
    return copyOrNull(this.decisions.get(releaseKey(repository, digest)));
  }

  // -------------------------------------------------------------------------------------------
  // Approvals

  public async putApproval(rec: ApprovalRecord): Promise<void> {
    const approval = validRecord('approval record', ApprovalRecordSchema, rec);
    if (this.approvals.has(approval.approvalId))
      throw new ConflictError(`approval ${approval.approvalId} already exists`);
    this.approvals.set(approval.approvalId, copy(approval));
  }

  public async getApproval(approvalId: string): Promise<ApprovalRecord | null> {
    return copyOrNull(this.approvals.get(approvalId));
  }

  public async decideApproval(
    approvalId: string,
    state: Exclude<ApprovalState, 'PENDING'>,
    by: string,
    at: string,
    comment?: string,
  ): Promise<ApprovalRecord> {
    const decision = validRecord('approval decision', ApprovalDecisionSchema, {
      state,
      decidedBy: by,
      decidedAt: at,
      ...(comment !== undefined && { comment }),
    });
    return this.updatePending(approvalId, decision);
  }

  public async addApproval(
    approvalId: string,
    entry: ApprovalEntry,
  ): Promise<{ record: ApprovalRecord; added: boolean }> {
    const approval = validRecord('approval entry', ApprovalEntrySchema, entry);
    const current = this.approvals.get(approvalId);
    const full = current !== undefined && current.approvals.length >= current.required;
    if (current?.state === 'PENDING' && (full || current.approvals.some((a) => a.person === approval.person))) {
      return { record: copy(current), added: false };
    }
    const record = this.updatePending(approvalId, { approvals: [...(current?.approvals ?? []), approval] });
    return { record, added: true };
  }

  public async rebindApproval(approvalId: string, taskToken: string, tokenHash: string): Promise<ApprovalRecord> {
    return this.updatePending(approvalId, validRecord('approval token', ApprovalTokenSchema, { taskToken, tokenHash }));
  }

  public async supersedeApproval(approvalId: string, supersession: ApprovalSupersession): Promise<ApprovalRecord> {
    const change = validRecord('approval supersession', ApprovalSupersessionSchema, supersession);
    const current = this.approvals.get(approvalId);
    if (current === undefined) throw new NotFoundError(`approval ${approvalId} does not exist`);
    if (current.state === 'SUPERSEDED') return copy(current);
    if (current.state !== 'APPROVED') {
      throw new AlreadyDecidedError(`approval ${approvalId} is ${current.state}; only an approved one is superseded`);
    }
    const next: ApprovalRecord = { ...current, state: 'SUPERSEDED', supersession: change };
    this.approvals.set(approvalId, next);
    return copy(next);
  }

  public async recordApprovalMessage(approvalId: string, message: SlackMessageRef): Promise<ApprovalRecord> {
    const valid = validRecord('Slack message', SlackMessageRefSchema, message);
    const current = this.approvals.get(approvalId);
    if (current === undefined) throw new NotFoundError(`approval ${approvalId} does not exist`);
    if (current.slackMessage !== undefined) return copy(current);
    const next: ApprovalRecord = { ...current, slackMessage: valid };
    this.approvals.set(approvalId, next);
    return copy(next);
  }

  /** Changes a PENDING approval, as the DynamoDB adapter's conditional update does. */
  private updatePending(approvalId: string, change: Partial<ApprovalRecord>): ApprovalRecord {
    const current = this.approvals.get(approvalId);
    if (current === undefined) throw new NotFoundError(`approval ${approvalId} does not exist`);
    if (current.state !== 'PENDING') {
      throw new AlreadyDecidedError(`approval ${approvalId} was already answered: ${current.state}`);
    }
    const next: ApprovalRecord = { ...current, ...change };
    this.approvals.set(approvalId, next);
    return copy(next);
  }

  public async listApprovals(state?: ApprovalState): Promise<ApprovalRecord[]> {
    const wanted = state === undefined ? undefined : validRecord('approval state', ApprovalStateSchema, state);
    return [...this.approvals.values()]
      .filter((a) => wanted === undefined || a.state === wanted)
      .sort(LISTING_ORDER.approvals)
      .map(copy);
  }

  // -------------------------------------------------------------------------------------------
  // Items under a release: pushed tags, pushers, parent indexes

  public async recordPushedTag(repository: string, digest: Digest, tag: string): Promise<void> {
    const rec = validRecord('pushed tag', PushedTagSchema, { repository, digest, tag });
    addTo(this.pushedTags, `${rec.repository}@${rec.digest}`, rec.tag);
  }

  public async listPushedTags(repository: string, digest: Digest): Promise<string[]> {
    return [...(this.pushedTags.get(`${repository}@${digest}`) ?? [])].sort();
  }

  public async recordPusher(pusher: Pusher): Promise<void> {
    const rec = validRecord('pusher', PusherSchema, pusher);
    const key = `${rec.repository}@${rec.digest}`;
    const byIdentity = this.pushers.get(key) ?? new Map<string, Pusher>();
    if (!byIdentity.has(rec.identity)) byIdentity.set(rec.identity, copy(rec));
    this.pushers.set(key, byIdentity);
  }

  public async listPushers(repository: string, digest: Digest): Promise<Pusher[]> {
    return [...(this.pushers.get(`${repository}@${digest}`)?.values() ?? [])]
      .sort((a, b) => compareCodePoints(a.identity, b.identity))
      .map(copy);
  }

  public async appendApprovalAudit(
    rec: ApprovalAuditRecord,
  ): Promise<{ record: ApprovalAuditRecord; created: boolean }> {
    const record = validRecord('approval audit record', ApprovalAuditRecordSchema, rec);
    const release = releaseKey(record.repository, record.digest);
    const byKey = this.audit.get(release) ?? new Map<string, ApprovalAuditRecord>();
    const key = `${record.at}#${record.id}`;
    const stored = byKey.get(key);
    if (stored !== undefined) return { record: copy(stored), created: false };
    byKey.set(key, copy(record));
    this.audit.set(release, byKey);
    return { record: copy(record), created: true };
  }

  public async listApprovalAudit(repository: string, digest: Digest): Promise<ApprovalAuditRecord[]> {
    return [...(this.audit.get(releaseKey(repository, digest))?.values() ?? [])]
      .sort(LISTING_ORDER.approvalAudit)
      .map(copy);
  }

  public async recordParentIndex(repository: string, digest: Digest, index: Digest): Promise<void> {
    const rec = validRecord('parent index', ParentIndexSchema, { repository, digest, index });
    addTo(this.parentIndexes, `${rec.repository}@${rec.digest}`, rec.index);
  }

  public async listParentIndexes(repository: string, digest: Digest): Promise<Digest[]> {
    return [...(this.parentIndexes.get(`${repository}@${digest}`) ?? [])].sort();
  }

  // -------------------------------------------------------------------------------------------
  // Promotion track

  public async appendPromotion(entry: PromotionEntry): Promise<void> {
    const promotion = validRecord('promotion entry', PromotionEntrySchema, entry);
    const track = this.track.get(promotion.repository) ?? new Map<string, PromotionEntry>();
    const key =
      promotion.kind === 'rollback' ? `rollback ${promotion.promotedAt}#${promotion.digest}` : promotion.digest;
    if (!track.has(key)) track.set(key, copy(promotion));
    this.track.set(promotion.repository, track);
  }

  public async revokeRelease(rec: RevocationRecord): Promise<{ record: RevocationRecord; created: boolean }> {
    const record = validRecord('revocation record', RevocationRecordSchema, rec);
    const key = releaseKey(record.repository, record.digest);
    const existing = this.revocations.get(key);
    if (existing !== undefined) return { record: copy(existing), created: false };
    this.revocations.set(key, copy(record));
    return { record, created: true };
  }

  public async getRevocation(repository: string, digest: Digest): Promise<RevocationRecord | null> {
    const found = this.revocations.get(releaseKey(repository, digest));
    return found === undefined ? null : copy(found);
  }

  public async createBreakGlassRequest(rec: BreakGlassRequestRecord): Promise<void> {
    const record = validRecord('break-glass request', BreakGlassRequestRecordSchema, rec);
    if (this.breakGlassRequests.has(record.id)) throw new ConflictError(`break-glass request ${record.id} exists`);
    this.breakGlassRequests.set(record.id, copy(record));
  }

  public async getBreakGlassRequest(id: string): Promise<BreakGlassRequestRecord | null> {
    const found = this.breakGlassRequests.get(id);
    return found === undefined ? null : copy(found);
  }

  public async useBreakGlassRequest(
    id: string,
    usedBy: string,
    usedAt: string,
  ): Promise<BreakGlassRequestRecord | null> {
    const found = this.breakGlassRequests.get(id);
    if (found === undefined || found.state !== 'PENDING') return null;
    const used: BreakGlassRequestRecord = { ...found, state: 'USED', usedBy, usedAt };
    this.breakGlassRequests.set(id, used);
    return copy(used);
  }

  public async listTrackedRepositories(): Promise<string[]> {
    return [...this.track.keys()].sort(compareCodePoints);
  }

  public async recordAlert(rec: AlertRecord): Promise<{ record: AlertRecord; created: boolean }> {
    const record = validRecord('alert record', AlertRecordSchema, rec);
    const byId = this.alerts.get(releaseKey(record.repository, record.digest)) ?? new Map<string, AlertRecord>();
    const existing = byId.get(record.advisoryId);
    if (existing !== undefined) return { record: copy(existing), created: false };
    byId.set(record.advisoryId, copy(record));
    this.alerts.set(releaseKey(record.repository, record.digest), byId);
    return { record, created: true };
  }

  public async markAlertAnnounced(
    repository: string,
    digest: Digest,
    advisoryId: string,
    at: string,
  ): Promise<AlertRecord> {
    const byId = this.alerts.get(releaseKey(repository, digest));
    const existing = byId?.get(advisoryId);
    if (byId === undefined || existing === undefined) {
      throw new NotFoundError(`no alert ${advisoryId} for ${repository}@${digest}`);
    }
    if (existing.announcedAt !== undefined) return copy(existing);
    const updated = { ...existing, announcedAt: at };
    byId.set(advisoryId, updated);
    return copy(updated);
  }

  public async listAlerts(repository: string, digest: Digest): Promise<AlertRecord[]> {
    return [...(this.alerts.get(releaseKey(repository, digest))?.values() ?? [])].sort(LISTING_ORDER.alerts).map(copy);
  }

  public async getReleaseStatuses(releases: readonly ReleaseKey[]): Promise<ReleaseStatus[]> {
    return releases.map(({ repository, digest }) => {
      const key = releaseKey(repository, digest);
      const revocation = this.revocations.get(key);
      return {
        repository,
        digest,
        state: this.releases.get(key)?.state ?? null,
        revocation: revocation === undefined ? null : copy(revocation),
      };
    });
  }

  public async lastPromotion(repository: string, excludeDigest?: Digest): Promise<PromotionEntry | null> {
    const entries = await this.listPromotions(repository);
    return entries.find((e) => e.digest !== excludeDigest) ?? null;
  }

  public async listPromotions(repository: string): Promise<PromotionEntry[]> {
    return [...(this.track.get(repository)?.values() ?? [])].sort(LISTING_ORDER.promotions).map(copy);
  }

  /** The track, and those of its releases whose release item says PROMOTED (in memory, the copy is the item). */
  public async listPromotionsWithStates(repository: string): Promise<PromotionTrack> {
    const promotions = await this.listPromotions(repository);
    const promoted = new Set(
      promotions
        .map((p) => p.digest)
        .filter((digest) => this.releases.get(releaseKey(repository, digest))?.state === 'PROMOTED'),
    );
    // Nothing to save here: every node stays listed by listIndexNodes.
    return { promotions, promoted: [...promoted], links: [] };
  }

  // -------------------------------------------------------------------------------------------
  // Scan rendezvous

  public async offerScanToken(repository: string, digest: Digest, taskToken: string): Promise<ScanCompletion | null> {
    const token = validRecord('task token', TaskTokenSchema, taskToken);
    const key = releaseKey(repository, digest);
    const rendezvous = { ...this.scans.get(key), taskToken: token };
    this.scans.set(key, rendezvous);
    return copyOrNull(rendezvous.result);
  }

  public async offerScanResult(repository: string, digest: Digest, result: ScanCompletion): Promise<string | null> {
    const completion = validRecord('scan completion', ScanCompletionSchema, result);
    const key = releaseKey(repository, digest);
    const current = this.scans.get(key) ?? {};
    const rendezvous = { ...current, result: current.result ?? completion };
    this.scans.set(key, rendezvous);
    return rendezvous.taskToken ?? null;
  }

  public async getScanResult(repository: string, digest: Digest): Promise<ScanCompletion | null> {
    return copyOrNull(this.scans.get(releaseKey(repository, digest))?.result);
  }

  // -------------------------------------------------------------------------------------------
  // Incident index

  public async getIndexHead(repository: string): Promise<IndexNode | null> {
    return copyOrNull(this.indexHeads.get(repository));
  }

  public async getIndexNode(repository: string, digest: Digest, set: string): Promise<IndexNode | null> {
    return copyOrNull(this.indexNodes.get(repository)?.get(`${digest}#${set}`));
  }

  public async startIndexNode(node: IndexNode): Promise<{ node: IndexNode; created: boolean }> {
    const valid = validRecord('index node', IndexNodeSchema, node);
    const nodes = this.indexNodes.get(valid.repository) ?? new Map<string, IndexNode>();
    const key = `${valid.digest}#${valid.set}`;
    const existing = nodes.get(key);
    if (existing !== undefined) return { node: copy(existing), created: false };
    const { completedAt: _ignored, ...started } = valid;
    nodes.set(key, started);
    this.indexNodes.set(valid.repository, nodes);
    return { node: copy(started), created: true };
  }

  public async writeIndexEntries(node: IndexNode, entries: readonly IndexEntryWrite[]): Promise<void> {
    const valid = validRecord('index node', IndexNodeSchema, node);
    const writes = validIndexEntryWrites(entries);
    for (const e of writes) requirePurl(e.base);
    for (const { base, version, components, removed, replaces } of writes) {
      const entry: PackageIndexEntry = {
        version,
        repository: valid.repository,
        digest: valid.digest,
        // The schema's output is already this call's own copy.
        components,
        set: valid.set,
        seq: valid.seq,
        ...(removed === true && { removed: true }),
        ...(replaces !== undefined && { replaces }),
      };
      const held = this.packages.get(base);
      if (held instanceof Map) held.set(packageEntryKey(entry), entry);
      else if (held === undefined || packageEntryKey(held) === packageEntryKey(entry)) this.packages.set(base, entry);
      else {
        const both = new Map([[packageEntryKey(held), held]]);
        both.set(packageEntryKey(entry), entry);
        this.packages.set(base, both);
      }
    }
  }

  public async completeIndexNode(node: IndexNode, completedAt: string): Promise<void> {
    const key = `${node.digest}#${node.set}`;
    const stored = this.indexNodes.get(node.repository)?.get(key);
    if (stored === undefined) throw new NotFoundError(`index node ${node.repository}@${key} was never started`);
    const complete = stored.completedAt === undefined ? { ...stored, completedAt } : stored;
    this.indexNodes.get(node.repository)?.set(key, complete);
    const head = this.indexHeads.get(node.repository);
    if (head?.completedAt === undefined || head.completedAt <= (complete.completedAt ?? '')) {
      this.indexHeads.set(node.repository, complete);
    }
  }

  public async listIndexNodes(
    repository: string,
    seqs?: { readonly from: number; readonly to: number },
  ): Promise<IndexNodeLink[]> {
    return [...(this.indexNodes.get(repository)?.values() ?? [])]
      .filter((n) => seqs === undefined || (n.seq >= seqs.from && n.seq <= seqs.to))
      .sort((a, b) => a.seq - b.seq || compareCodePoints(`${a.digest}#${a.set}`, `${b.digest}#${b.set}`))
      .map((n) => ({
        digest: n.digest,
        set: n.set,
        ...(n.base !== null && { parent: indexNodeRef(n.base.digest, n.base.set) }),
        seq: n.seq,
      }));
  }

  public async indexVulnerabilities(repository: string, digest: Digest, ids: readonly string[]): Promise<void> {
    const validDigest = validRecord('digest', DigestSchema, digest);
    for (const raw of ids) {
      const id = raw.trim();
      if (id === '') continue;
      const entries = this.vulnerabilities.get(id) ?? new Map<string, VulnerabilityIndexEntry>();
      entries.set(releaseKey(repository, validDigest), { repository, digest: validDigest });
      this.vulnerabilities.set(id, entries);
    }
  }

  public async findByPackage(purlWithoutVersion: string): Promise<PackageIndexEntry[]> {
    const { base } = requirePurl(purlWithoutVersion);
    const held = this.packages.get(base);
    const entries = held === undefined ? [] : held instanceof Map ? [...held.values()] : [held];
    // The DynamoDB adapter's bound, so both refuse the same partitions.
    if (entries.length > this.maxPackageIndexEntries) {
      throw new StoreError(`findByPackage: more than ${this.maxPackageIndexEntries} items, refused`);
    }
    return entries.sort(LISTING_ORDER.packageIndex).map(copy);
  }

  public async findByVulnerability(id: string): Promise<VulnerabilityIndexEntry[]> {
    return [...(this.vulnerabilities.get(id.trim())?.values() ?? [])].sort(LISTING_ORDER.vulnerabilityIndex).map(copy);
  }
}

function releaseKey(repository: string, digest: string): string {
  return `${repository}@${digest}`;
}

/** One package index entry among those of its package: its version, release and index node. */
function packageEntryKey(e: PackageIndexEntry): string {
  return `${e.version}\u0000${releaseKey(e.repository, e.digest)}\u0000${e.set ?? ''}`;
}

function evidenceKey(repository: string, digest: string, kind: EvidenceKind): string {
  return `${repository}@${digest}\u0000${kind}`;
}

function copy<T>(value: T): T {
  return structuredClone(value);
}

function copyOrNull<T>(value: T | undefined): T | null {
  return value === undefined ? null : copy(value);
}

/** Adds `value` to the set under `key`. */
function addTo<T>(sets: Map<string, Set<T>>, key: string, value: T): void {
  const set = sets.get(key) ?? new Set<T>();
  set.add(value);
  sets.set(key, set);
}
