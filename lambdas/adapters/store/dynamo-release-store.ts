import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { formatIssues } from '../../domain/document.js';
import { AlreadyDecidedError, ConflictError, NotFoundError } from '../../domain/errors.js';
import { Limits } from '../../domain/limits.js';
import { implied } from '../../domain/package-index.js';
import type {
  PromotionTrack,
  ReleaseKey,
  ReleaseStatus,
  ReleaseStatusOptions,
  ReleaseStore,
} from '../../domain/ports.js';
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
  IndexNodeLinkSchema,
  IndexNodeSchema,
  indexNodeRef,
  LISTING_ORDER,
  ListLimitSchema,
  ofCurrentRound,
  type PackageIndexEntry,
  PackageIndexEntrySchema,
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
  VulnerabilityIndexEntrySchema,
  validIndexEntryWrites,
  validRecord,
} from '../../domain/records.js';
import { type Digest, DigestSchema, type EvidenceKind } from '../../domain/types.js';
import * as z from '../../domain/zod.js';
import { StoreError, sdkErrorName } from './errors.js';
import {
  DEADLINE_ATTRIBUTE,
  deadlineItem,
  expiringAt,
  indexKeys,
  itemKeys,
  TIME_TO_LIVE_ATTRIBUTE,
  withDeadline,
} from './table-schema.js';

/**
 * The scan rendezvous item: whichever of the token and the result has arrived. Every other item is
 * parsed with its record schema (records.ts); key and index attributes are stripped by zod.
 */
const ScanRendezvousSchema = z.object({
  taskToken: z.optional(TaskTokenSchema),
  result: z.optional(ScanCompletionSchema),
});

/** A `TRACKS` item: one repository that has a promotion track. */
const TrackedRepositorySchema = z.object({ repository: z.string().check(z.minLength(1)) });

/** BatchWriteItem takes at most 25 requests. */
const BATCH_SIZE = 25;
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_SIZE = 100;
/** BatchGetItem requests in flight at once: enough to hide round trips, few enough not to throttle. */
const BATCH_GETS_IN_FLIGHT = 4;
/** Rounds of resending `UnprocessedItems` / `UnprocessedKeys` before giving up with a StoreError. */
const MAX_BATCH_ROUNDS = 8;
/**
 * BatchWriteItem requests in flight at once for one call: a repository's first release writes an
 * item per package version (227,000 at the 200,000-component limit), which one request at a time
 * would take minutes to write. On-demand tables take this; the SDK retries throttling.
 */
const BATCH_WRITES_IN_FLIGHT = 8;
/** Index items built and written at a time: 100 requests' worth, so the 8 in flight stay busy. */
const INDEX_WRITE_CHUNK = BATCH_SIZE * BATCH_WRITES_IN_FLIGHT * 100;

/** A revocation item as `getReleaseStatuses` reads it: the release is known from the key asked. */
const RevocationItemSchema = z.omit(RevocationRecordSchema, { repository: true, digest: true });
const ItemKeySchema = z.object({ pk: z.string() });
const StateItemSchema = z.object({ state: ReleaseStateSchema });
/**
 * What `getReleaseStatuses` reads of a release item and of a revocation item: the partition key
 * (which release), and `state` or the revocation's fields. Not `sk`: a release item is the one with
 * a `state`, which a revocation item never has.
 */
const STATUS_ATTRIBUTES = ['pk', 'state', ...Object.keys(RevocationItemSchema.shape)];
const ItemKeyWithSortSchema = z.object({ pk: z.string(), sk: z.string() });

/** Finished states as their copies in `RELSTATES#` spell them (table-schema.ts), and back. */
const FINISHED_CODES: Partial<Record<ReleaseState, string>> = { PROMOTED: 'P', QUARANTINED: 'Q', COVERED: 'C' };
const FINISHED_STATES: Readonly<Record<string, ReleaseState>> = Object.fromEntries(
  Object.entries(FINISHED_CODES).map(([state, code]) => [code, state as ReleaseState]),
);
/** The copy's code while a round is open: below every finished state's, so the round's end raises it. */
const ROUND_OPEN = '-';
const roundOf = (round: number): string => String(round).padStart(2, '0');
/**
 * Releases asked of one `RELSTATES#` item from which it is read rather than their release items:
 * the item holds every finished release of its sixteenth of the repository, so for one or two it
 * would cost more than their own items.
 */
const STATE_COPIES_WORTH_READING = 3;

const CONDITION_FAILED = Symbol('ConditionalCheckFailed');

export interface DynamoReleaseStoreProps {
  /** A document client (lib-dynamodb) configured with `removeUndefinedValues`. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /**
   * Package index entries one `findByPackage` reads before it refuses (StoreError, never a part).
   * @default Limits.packageIndexEntriesPerQuery
   */
  readonly maxPackageIndexEntries?: number;
}

/**
 * `ReleaseStore` on one DynamoDB table (key schema in `table-schema.ts`), held to the port's
 * contract by test/support/contracts/release-store.contract.ts.
 *
 * No multi-item transactions (dynalite does not implement them): every write is one conditional
 * item write, and multi-item operations are ordered so that a crash between two writes leaves
 * state that a retry completes. `ConditionalCheckFailedException` becomes the domain outcome
 * (existing record, `ConflictError`, `ALREADY_DECIDED`); every other SDK failure becomes a
 * retryable `StoreError` with the SDK error as its cause.
 *
 * Listings are sorted with `LISTING_ORDER` after the query. The sort keys already give that order
 * for ISO 8601 timestamps, which is what the paged reads (`listReleases`, `lastPromotion`) rely
 * on; for the others the sort only settles strings the key encoding orders differently (a version
 * with `!`, as in a PEP 440 epoch, sorts before the `#` separator).
 */
export class DynamoReleaseStore implements ReleaseStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  private readonly maxPackageIndexEntries: number;

  public constructor(props: DynamoReleaseStoreProps) {
    this.client = props.client;
    this.tableName = props.tableName;
    this.maxPackageIndexEntries = props.maxPackageIndexEntries ?? Limits.packageIndexEntriesPerQuery;
  }

  // -------------------------------------------------------------------------------------------
  // Releases

  public async recordRelease(rec: ReleaseRecord): Promise<{ record: ReleaseRecord; created: boolean }> {
    const record = validRecord('release record', ReleaseRecordSchema, rec);
    const created = await this.putIfAbsent('recordRelease', {
      ...record,
      ...itemKeys.release(record.repository, record.digest),
      ...indexKeys.release(record.state, record.recordedAt, record.repository, record.digest),
      type: 'release',
    });
    if (created) return { record, created: true };
    const existing = await this.getRelease(record.repository, record.digest);
    if (existing === null) {
      throw new StoreError(`release ${record.repository}@${record.digest} vanished after a lost put`);
    }
    return { record: existing, created: false };
  }

  public async getRelease(repository: string, digest: Digest): Promise<ReleaseRecord | null> {
    const item = await this.getItem('getRelease', itemKeys.release(repository, digest));
    return item === undefined ? null : this.parse('release', ReleaseRecordSchema, item);
  }

  /**
   * Moves the state in one UpdateItem conditional on the current state being one it may move from
   * (`releaseStatesMovableTo`). A lost condition is then told apart by reading the record: unknown
   * (`NotFoundError`), the same terminal state (a retry: the stored record, unchanged) or a
   * conflict (`ConflictError`).
   */
  public async updateReleaseState(
    repository: string,
    digest: Digest,
    state: ReleaseState,
    extra: ReleaseStateUpdate = {},
  ): Promise<ReleaseRecord> {
    const target = validRecord('release state', ReleaseStateSchema, state);
    const update = validRecord('release state update', ReleaseStateUpdateSchema, extra);
    const allowedFrom = releaseStatesMovableTo(target);
    const names: Record<string, string> = { '#state': 'state', '#gsi1pk': 'gsi1pk' };
    const values: Record<string, unknown> = {
      ':state': target,
      ':gsi1pk': indexKeys.releaseStatePartition(target),
    };
    const sets = ['#state = :state', '#gsi1pk = :gsi1pk'];
    for (const field of ['outcome', 'outcomeReasons', 'decidedAt', 'approvalRound'] as const) {
      const value = update[field];
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    allowedFrom.forEach((s, i) => {
      values[`:from${i}`] = s;
    });
    const allowed = allowedFrom.map((_, i) => `:from${i}`);
    const result = await this.conditional('updateReleaseState', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.release(repository, digest),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(pk) AND #state IN (${allowed.join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (result !== CONDITION_FAILED) {
      const moved = this.parse('release', ReleaseRecordSchema, result.Attributes);
      await this.copyFinishedState(moved);
      return moved;
    }

    const current = await this.getRelease(repository, digest);
    if (current === null) throw new NotFoundError(`release ${repository}@${digest} is not recorded`);
    if (current.state === target && TERMINAL_RELEASE_STATES.includes(target)) {
      // A retry, perhaps after a crash between the release item and its copy: copy it again.
      await this.copyFinishedState(current);
      return current;
    }
    throw new ConflictError(`release ${repository}@${digest} is ${current.state}; it cannot move to ${target}`);
  }

  /**
   * Copies a finished state into the repository's `RELSTATES#` item (table-schema.ts), after the
   * release item: a copy missing after a crash is read from the release item. Raises the value
   * only, so it never overwrites a later round's. Not when the state is not finished.
   */
  private async copyFinishedState(record: ReleaseRecord): Promise<void> {
    const code = FINISHED_CODES[record.state];
    if (code === undefined) return;
    try {
      await this.raiseStateCopy(record.repository, record.digest, `${roundOf(record.gateRound ?? 1)}${code}`);
    } catch (err) {
      // A full item (~7,000 finished releases in a sixteenth of one repository) keeps no more
      // copies: those releases are read from their own items, which is right, only dearer.
      if (!(err instanceof StoreError && isItemTooLarge(err.cause))) throw err;
    }
    if (record.state !== 'PROMOTED') return;
    const marker = await this.getItem(
      'release state copy (track)',
      itemKeys.trackMarker(record.repository, record.digest),
    );
    if (marker !== undefined) await this.markTrackEntryPromoted(this.parse('promotion', PromotionEntrySchema, marker));
  }

  /**
   * Marks the release's promotion entry in the track (`!<links> ` before its value, table-schema.ts)
   * with the links of the release's index nodes, then removes those links from their `IDXSEQ#`
   * items: triage, which reads the track anyway, then reads the release's digest once and no
   * state copy for it. Only once the release item says PROMOTED, which is final, so a mark is never
   * stale. Both orders are covered: the state's copy marks an entry already in the track,
   * `appendPromotion` marks its entry when the release is PROMOTED already. A node started after
   * the mark keeps its link where it is; an entry of the earlier layouts stays unmarked (its state
   * and links are read as before). Safe to repeat, and a crash between the writes leaves a link in
   * both places, which triage reads once.
   */
  private async markTrackEntryPromoted(entry: PromotionEntry): Promise<void> {
    const name = trackEntryName(entry);
    const plain = trackEntryValue(entry);
    const nodes = await this.queryAll('release state copy (nodes)', {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :digest)',
      ExpressionAttributeValues: {
        ':pk': itemKeys.indexNode(entry.repository, entry.digest, '').pk,
        ':digest': `${entry.digest}#`,
      },
    });
    const links = nodes
      .map((item) => this.parse('index node', IndexNodeSchema, item))
      .filter((node) => node.digest === entry.digest)
      .map(movedLinkToken)
      .sort()
      .join(',');
    let stored: unknown;
    for (let spill = 0; spill < TRACK_SPILLS && stored === undefined; spill++) {
      const key = itemKeys.trackMonth(entry.repository, entry.promotedAt, spill);
      let marked: unknown;
      try {
        marked = await this.conditional('release state copy (track)', () =>
          this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: key,
              UpdateExpression: 'SET #entry = :marked',
              ConditionExpression: '#entry = :plain',
              ExpressionAttributeNames: { '#entry': name },
              ExpressionAttributeValues: { ':marked': `${PROMOTED_MARK}${links} ${plain}`, ':plain': plain },
            }),
          ),
        );
      } catch (err) {
        // A full item keeps its entries as they are: the state is then read from the copies.
        if (err instanceof StoreError && isItemTooLarge(err.cause)) return;
        throw err;
      }
      if (marked !== CONDITION_FAILED) {
        stored = `${PROMOTED_MARK}${links} ${plain}`;
        break;
      }
      // Not there as written: marked already, in a later spill item, or not in the track.
      const item = await this.send('release state copy (track)', () =>
        this.client.send(
          new GetCommand({
            TableName: this.tableName,
            Key: key,
            ConsistentRead: true,
            ...projectionOf(['pk', name]),
          }),
        ),
      );
      if (item.Item === undefined) return;
      stored = item.Item[name];
    }
    // The links the stored mark holds (a retry's, or an earlier one's) leave their items.
    const moved = typeof stored === 'string' ? markOf(stored) : null;
    for (const token of moved?.links ?? []) {
      const link = movedLinkOf(entry.digest, token);
      if (link === null) continue;
      await this.conditional('release state copy (links)', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: itemKeys.indexNodeLinks(entry.repository, link.seq),
            UpdateExpression: 'REMOVE #node',
            // One attribute a node, valued the same by every write: no need to compare the value.
            ConditionExpression: 'attribute_exists(#node)',
            ExpressionAttributeNames: { '#node': linkAttribute(link.digest, link.set) },
          }),
        ),
      );
    }
  }

  /** One UpdateItem raising the release's attribute of its `RELSTATES#` item to `value`, or leaving a higher one. */
  private async raiseStateCopy(repository: string, digest: Digest, value: string): Promise<void> {
    await this.conditional('release state copy', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.releaseStates(repository, digest),
          UpdateExpression: 'SET #release = :value',
          ConditionExpression: 'attribute_not_exists(#release) OR #release < :value',
          ExpressionAttributeNames: { '#release': packedHex(digest.slice('sha256:'.length)) },
          ExpressionAttributeValues: { ':value': value },
        }),
      ),
    );
  }

  /**
   * Copies the round's evidence and decision items to its archive (put-if-absent, so a retried or
   * concurrent request writes the same copies), then replaces the release item in one PutItem
   * conditional on the state and execution name read: of concurrent requests one wins, and a
   * release that moved meanwhile is not overwritten.
   */
  public async resubmitRelease(resubmission: Resubmission): Promise<ReleaseRecord> {
    const r = validRecord('resubmission', ResubmissionSchema, resubmission);
    const current = await this.getRelease(r.repository, r.digest);
    if (current === null) throw new NotFoundError(`release ${r.repository}@${r.digest} is not recorded`);
    const decision = await this.getDecision(r.repository, r.digest);
    const next = validRecord('release record', ReleaseRecordSchema, resubmittedRelease(current, r, decision));
    const round = current.gateRound ?? 1;
    for (const ev of (await this.listEvidence(r.repository, r.digest)).filter((e) => ofCurrentRound(e, current))) {
      await this.putIfAbsent('resubmitRelease', {
        ...ev,
        ...itemKeys.roundEvidence(r.repository, r.digest, round, ev.kind),
        type: 'round-evidence',
      });
    }
    if (decision !== null && ofCurrentRound(decision, current)) {
      await this.putIfAbsent('resubmitRelease', {
        ...decision,
        ...itemKeys.roundDecision(r.repository, r.digest, round),
        type: 'round-decision',
      });
    }
    // Before the release item moves: its finished state's copy must not outlive it (table-schema.ts).
    // When this write fails the round does not start: fail closed. Except on a full copy item:
    // its copies are the same length whatever they say, so a raise that grows it is one for a
    // release it holds no copy of, and it can never take one (items only grow). That release is
    // read from its own item, which the round moves below.
    try {
      await this.raiseStateCopy(r.repository, r.digest, `${roundOf(r.round)}${ROUND_OPEN}`);
    } catch (err) {
      if (!(err instanceof StoreError && isItemTooLarge(err.cause))) throw err;
    }
    const written = await this.conditional('resubmitRelease', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...next,
            ...itemKeys.release(r.repository, r.digest),
            ...indexKeys.release(next.state, next.recordedAt, r.repository, r.digest),
            type: 'release',
          },
          ConditionExpression: 'attribute_exists(pk) AND #state = :state AND #executionName = :executionName',
          ExpressionAttributeNames: { '#state': 'state', '#executionName': 'executionName' },
          ExpressionAttributeValues: { ':state': current.state, ':executionName': current.executionName },
        }),
      ),
    );
    if (written === CONDITION_FAILED) {
      throw new ConflictError(`release ${r.repository}@${r.digest} changed while round ${r.round} was being started`);
    }
    return next;
  }

  public async getRoundArchive(repository: string, digest: Digest, round: number): Promise<RoundArchive> {
    const items = await this.queryAll('getRoundArchive', {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': itemKeys.release(repository, digest).pk,
        ':prefix': itemKeys.roundPrefix(round),
      },
    });
    const decisionSk = itemKeys.roundDecision(repository, digest, round).sk;
    const sk = (item: unknown) => (item !== null && typeof item === 'object' && 'sk' in item ? item.sk : undefined);
    const decision = items.find((item) => sk(item) === decisionSk);
    return {
      evidence: items
        .filter((item) => sk(item) !== decisionSk)
        .map((item) => this.parse('evidence', StoredEvidenceSchema, item))
        .sort(LISTING_ORDER.evidence),
      decision: decision === undefined ? null : this.parse('decision', DecisionRecordSchema, decision),
    };
  }

  /** Most recently recorded releases first. */
  public async listReleases(limit = 100): Promise<ReleaseRecord[]> {
    const max = validRecord('limit', ListLimitSchema, limit);
    const items = await this.queryIndex('gsi2', indexKeys.releaseTypePartition, max);
    return items.map((item) => this.parse('release', ReleaseRecordSchema, item)).sort(LISTING_ORDER.releases);
  }

  /** Releases in one state, most recently recorded first (not part of the port; for triage and ops). */
  public async listReleasesByState(state: ReleaseState, limit = 100): Promise<ReleaseRecord[]> {
    const max = validRecord('limit', ListLimitSchema, limit);
    const items = await this.queryIndex('gsi1', indexKeys.releaseStatePartition(state), max);
    return items.map((item) => this.parse('release', ReleaseRecordSchema, item)).sort(LISTING_ORDER.releases);
  }

  // -------------------------------------------------------------------------------------------
  // Evidence and decisions

  public async putEvidence(ev: StoredEvidence): Promise<StoredEvidence> {
    const evidence = validRecord('evidence record', StoredEvidenceSchema, ev);
    const key = itemKeys.evidence(evidence.repository, evidence.digest, evidence.kind);
    if (await this.putIfAbsentOrEarlier('putEvidence', { ...evidence, ...key, type: 'evidence' }, evidence.round)) {
      return evidence;
    }
    const stored = await this.getEvidence(evidence.repository, evidence.digest, evidence.kind);
    if (stored === null) throw new StoreError(`evidence ${key.pk} ${key.sk} vanished after a lost put`);
    return stored;
  }

  public async getEvidence(repository: string, digest: Digest, kind: EvidenceKind): Promise<StoredEvidence | null> {
    const item = await this.getItem('getEvidence', itemKeys.evidence(repository, digest, kind));
    return item === undefined ? null : this.parse('evidence', StoredEvidenceSchema, item);
  }

  public async listEvidence(repository: string, digest: Digest): Promise<StoredEvidence[]> {
    const items = await this.queryAll('listEvidence', {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': itemKeys.release(repository, digest).pk,
        ':prefix': itemKeys.evidencePrefix,
      },
    });
    return items.map((item) => this.parse('evidence', StoredEvidenceSchema, item)).sort(LISTING_ORDER.evidence);
  }

  /** First write wins, like `putEvidence`: a replayed EvaluatePolicy gets the stored decision back. */
  public async putDecision(rec: DecisionRecord): Promise<DecisionRecord> {
    const decision = validRecord('decision record', DecisionRecordSchema, rec);
    const key = itemKeys.decision(decision.repository, decision.digest);
    if (await this.putIfAbsentOrEarlier('putDecision', { ...decision, ...key, type: 'decision' }, decision.round)) {
      return decision;
    }
    const stored = await this.getDecision(decision.repository, decision.digest);
    if (stored === null) {
      throw new StoreError(`decision of ${decision.repository}@${decision.digest} vanished after a lost put`);
    }
    return stored;
  }

  public async getDecision(repository: string, digest: Digest): Promise<DecisionRecord | null> {
    const item = await this.getItem('getDecision', itemKeys.decision(repository, digest));
    return item === undefined ? null : this.parse('decision', DecisionRecordSchema, item);
  }

  // -------------------------------------------------------------------------------------------
  // Approvals

  /** Throws `ConflictError` when the approval id is already taken. */
  public async putApproval(rec: ApprovalRecord): Promise<void> {
    const approval = validRecord('approval record', ApprovalRecordSchema, rec);
    // Kept for good: no TTL. The deadline goes under its own attribute, away from the TTL's name.
    const created = await this.putIfAbsent('putApproval', {
      ...deadlineItem(approval),
      ...itemKeys.approval(approval.approvalId),
      ...indexKeys.approval(approval.state, approval.requestedAt, approval.approvalId),
      type: 'approval',
    });
    if (!created) throw new ConflictError(`approval ${approval.approvalId} already exists`);
  }

  public async getApproval(approvalId: string): Promise<ApprovalRecord | null> {
    const item = await this.getItem('getApproval', itemKeys.approval(approvalId));
    return item === undefined ? null : this.approvalOf(item);
  }

  /**
   * PENDING → `state` in one UpdateItem conditional on `state = PENDING`, so of two concurrent
   * answers exactly one wins. Throws `GateError('ALREADY_DECIDED')` for the loser and for any later
   * answer, and `NotFoundError` for an unknown id. Expiry against `expiresAt` is the caller's check.
   */
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
    const names: Record<string, string> = {
      '#state': 'state',
      '#decidedBy': 'decidedBy',
      '#decidedAt': 'decidedAt',
      '#gsi1pk': 'gsi1pk',
    };
    const values: Record<string, unknown> = {
      ':state': decision.state,
      ':pending': 'PENDING',
      ':by': decision.decidedBy,
      ':at': decision.decidedAt,
      ':gsi1pk': indexKeys.approvalStatePartition(decision.state),
    };
    const sets = ['#state = :state', '#decidedBy = :by', '#decidedAt = :at', '#gsi1pk = :gsi1pk'];
    if (decision.comment !== undefined) {
      names['#comment'] = 'comment';
      values[':comment'] = decision.comment;
      sets.push('#comment = :comment');
    }
    const result = await this.conditional('decideApproval', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.approval(approvalId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk) AND #state = :pending',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (result !== CONDITION_FAILED) return this.approvalOf(result.Attributes);

    const current = await this.getApproval(approvalId);
    if (current === null) throw new NotFoundError(`approval ${approvalId} does not exist`);
    throw new AlreadyDecidedError(`approval ${approvalId} was already answered: ${current.state}`);
  }

  /**
   * One UpdateItem conditional on `state = PENDING` and on the person not being in the string set
   * `approvalPersons` (kept beside the list, because `contains` tests set members, not list
   * elements): it appends the entry and adds the person in the same write.
   */
  public async addApproval(
    approvalId: string,
    entry: ApprovalEntry,
  ): Promise<{ record: ApprovalRecord; added: boolean }> {
    const approval = validRecord('approval entry', ApprovalEntrySchema, entry);
    const result = await this.conditional('addApproval', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.approval(approvalId),
          UpdateExpression:
            'SET #approvals = list_append(if_not_exists(#approvals, :none), :entry) ADD #persons :person',
          // The quorum caps the list: of concurrent approvals by different people at most `required`
          // are kept, so a person who answers after the quorum filled is told so, not thanked.
          ConditionExpression:
            'attribute_exists(pk) AND #state = :pending AND NOT contains(#persons, :personName) AND (attribute_not_exists(#persons) OR size(#persons) < #required)',
          ExpressionAttributeNames: {
            '#approvals': 'approvals',
            '#persons': 'approvalPersons',
            '#state': 'state',
            '#required': 'required',
          },
          ExpressionAttributeValues: {
            ':none': [],
            ':entry': [approval],
            ':person': new Set([approval.person]),
            ':personName': approval.person,
            ':pending': 'PENDING',
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (result !== CONDITION_FAILED) {
      return { record: this.approvalOf(result.Attributes), added: true };
    }
    const current = await this.getApproval(approvalId);
    if (current === null) throw new NotFoundError(`approval ${approvalId} does not exist`);
    if (current.state !== 'PENDING') {
      throw new AlreadyDecidedError(`approval ${approvalId} was already answered: ${current.state}`);
    }
    return { record: current, added: false };
  }

  /** One UpdateItem conditional on `state = PENDING`, like `decideApproval`. */
  public async rebindApproval(approvalId: string, taskToken: string, tokenHash: string): Promise<ApprovalRecord> {
    const token = validRecord('approval token', ApprovalTokenSchema, { taskToken, tokenHash });
    const result = await this.conditional('rebindApproval', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.approval(approvalId),
          UpdateExpression: 'SET #taskToken = :taskToken, #tokenHash = :tokenHash',
          ConditionExpression: 'attribute_exists(pk) AND #state = :pending',
          ExpressionAttributeNames: { '#taskToken': 'taskToken', '#tokenHash': 'tokenHash', '#state': 'state' },
          ExpressionAttributeValues: {
            ':taskToken': token.taskToken,
            ':tokenHash': token.tokenHash,
            ':pending': 'PENDING',
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (result !== CONDITION_FAILED) return this.approvalOf(result.Attributes);
    const current = await this.getApproval(approvalId);
    if (current === null) throw new NotFoundError(`approval ${approvalId} does not exist`);
    throw new AlreadyDecidedError(`approval ${approvalId} was already answered: ${current.state}`);
  }

  /** One UpdateItem conditional on `state = APPROVED`; the record keeps every other field. */
  public async supersedeApproval(approvalId: string, supersession: ApprovalSupersession): Promise<ApprovalRecord> {
    const change = validRecord('approval supersession', ApprovalSupersessionSchema, supersession);
    const result = await this.conditional('supersedeApproval', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.approval(approvalId),
          UpdateExpression: 'SET #state = :superseded, #gsi1pk = :gsi1pk, #supersession = :supersession',
          ConditionExpression: 'attribute_exists(pk) AND #state = :approved',
          ExpressionAttributeNames: { '#state': 'state', '#gsi1pk': 'gsi1pk', '#supersession': 'supersession' },
          ExpressionAttributeValues: {
            ':superseded': 'SUPERSEDED',
            ':approved': 'APPROVED',
            ':gsi1pk': indexKeys.approvalStatePartition('SUPERSEDED'),
            ':supersession': change,
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (result !== CONDITION_FAILED) return this.approvalOf(result.Attributes);
    const current = await this.getApproval(approvalId);
    if (current === null) throw new NotFoundError(`approval ${approvalId} does not exist`);
    if (current.state === 'SUPERSEDED') return current;
    throw new AlreadyDecidedError(`approval ${approvalId} is ${current.state}; only an approved one is superseded`);
  }

  /** One UpdateItem conditional on no message being recorded yet: the first write wins. */
  public async recordApprovalMessage(approvalId: string, message: SlackMessageRef): Promise<ApprovalRecord> {
    const valid = validRecord('Slack message', SlackMessageRefSchema, message);
    const result = await this.conditional('recordApprovalMessage', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.approval(approvalId),
          UpdateExpression: 'SET #slackMessage = :message',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#slackMessage)',
          ExpressionAttributeNames: { '#slackMessage': 'slackMessage' },
          ExpressionAttributeValues: { ':message': valid },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (result !== CONDITION_FAILED) return this.approvalOf(result.Attributes);
    const current = await this.getApproval(approvalId);
    if (current === null) throw new NotFoundError(`approval ${approvalId} does not exist`);
    return current;
  }

  /** Oldest request first; one state through gsi1, all approvals through gsi2. */
  public async listApprovals(state?: ApprovalState): Promise<ApprovalRecord[]> {
    const items =
      state === undefined
        ? await this.queryIndexAll('gsi2', indexKeys.approvalTypePartition)
        : await this.queryIndexAll(
            'gsi1',
            indexKeys.approvalStatePartition(validRecord('approval state', ApprovalStateSchema, state)),
          );
    return items.map((item) => this.approvalOf(item)).sort(LISTING_ORDER.approvals);
  }

  // -------------------------------------------------------------------------------------------
  // Items under a release: pushed tags, pushers, parent indexes

  public async recordPushedTag(repository: string, digest: Digest, tag: string): Promise<void> {
    const rec = validRecord('pushed tag', PushedTagSchema, { repository, digest, tag });
    await this.putIfAbsent('recordPushedTag', {
      ...rec,
      ...itemKeys.pushedTag(repository, digest, tag),
      type: 'pushed-tag',
    });
  }

  public async listPushedTags(repository: string, digest: Digest): Promise<string[]> {
    const items = await this.releaseItems('listPushedTags', repository, digest, itemKeys.pushedTagPrefix);
    return items.map((item) => this.parse('pushed tag', PushedTagSchema, item).tag).sort();
  }

  public async recordPusher(pusher: Pusher): Promise<void> {
    const rec = validRecord('pusher', PusherSchema, pusher);
    await this.putIfAbsent('recordPusher', {
      ...rec,
      ...itemKeys.pusher(rec.repository, rec.digest, rec.identity),
      type: 'pusher',
    });
  }

  public async listPushers(repository: string, digest: Digest): Promise<Pusher[]> {
    const items = await this.releaseItems('listPushers', repository, digest, itemKeys.pusherPrefix);
    return items
      .map((item) => this.parse('pusher', PusherSchema, item))
      .sort((a, b) => compareCodePoints(a.identity, b.identity));
  }

  public async recordParentIndex(repository: string, digest: Digest, index: Digest): Promise<void> {
    const rec = validRecord('parent index', ParentIndexSchema, { repository, digest, index });
    await this.putIfAbsent('recordParentIndex', {
      ...rec,
      ...itemKeys.parentIndex(repository, digest, index),
      type: 'parent-index',
    });
  }

  public async listParentIndexes(repository: string, digest: Digest): Promise<Digest[]> {
    const items = await this.releaseItems('listParentIndexes', repository, digest, itemKeys.parentIndexPrefix);
    return items.map((item) => this.parse('parent index', ParentIndexSchema, item).index).sort();
  }

  /**
   * A conditional put on the record's own key (`AUDIT#<at>#<id>` under the release): nothing is
   * ever overwritten. When the key is taken the stored record is returned.
   */
  public async appendApprovalAudit(
    rec: ApprovalAuditRecord,
  ): Promise<{ record: ApprovalAuditRecord; created: boolean }> {
    const record = validRecord('approval audit record', ApprovalAuditRecordSchema, rec);
    const key = itemKeys.approvalAudit(record.repository, record.digest, record.at, record.id);
    if (await this.putIfAbsent('appendApprovalAudit', { ...record, ...key, type: 'approval-audit' })) {
      return { record, created: true };
    }
    const stored = await this.getItem('appendApprovalAudit', key);
    return { record: this.parse('approval audit record', ApprovalAuditRecordSchema, stored), created: false };
  }

  public async listApprovalAudit(repository: string, digest: Digest): Promise<ApprovalAuditRecord[]> {
    const items = await this.releaseItems('listApprovalAudit', repository, digest, itemKeys.approvalAuditPrefix);
    return items
      .map((item) => this.parse('approval audit record', ApprovalAuditRecordSchema, item))
      .sort(LISTING_ORDER.approvalAudit);
  }

  /**
   * The items of one release whose sort key starts with `prefix` (its tags, its parent indexes).
   * Strongly consistent: a tag or an index recorded by start-release an instant ago must be seen
   * (a Query is eventually consistent by default).
   */
  private releaseItems(operation: string, repository: string, digest: Digest, prefix: string) {
    return this.queryAll(operation, {
      TableName: this.tableName,
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': itemKeys.release(repository, digest).pk, ':prefix': prefix },
    });
  }

  // Promotion track

  /**
   * Idempotent on (repository, digest). The marker `TRACKED#<repo>@<digest>` is written first with
   * a condition; the track item is derived from the marker, so a retry after a crash between the
   * two writes (or with a later `promotedAt`) writes the same track item, never a second one.
   */
  public async appendPromotion(entry: PromotionEntry): Promise<void> {
    const promotion = validRecord('promotion entry', PromotionEntrySchema, entry);
    // First: a track that exists is always listed (a retry writes the same item again).
    await this.putIfAbsent('appendPromotion', {
      ...itemKeys.trackedRepository(promotion.repository),
      repository: promotion.repository,
      type: 'tracked-repository',
    });
    if (promotion.kind === 'rollback') {
      // A digest goes live again by each rollback to it: no marker, the entry's name is the identity.
      await this.putTrackEntry(promotion);
      return;
    }
    const markerKey = itemKeys.trackMarker(promotion.repository, promotion.digest);
    let recorded: PromotionEntry = promotion;
    if (!(await this.putIfAbsent('appendPromotion', { ...promotion, ...markerKey, type: 'promotion-marker' }))) {
      const stored = await this.getItem('appendPromotion', markerKey);
      if (stored === undefined) throw new StoreError(`promotion marker ${markerKey.pk} vanished after a lost put`);
      recorded = this.parse('promotion', PromotionEntrySchema, stored);
    }
    // Same name, same content on a retry.
    await this.putTrackEntry(recorded);
    // The release may have been PROMOTED before its entry was written: then its state's copy
    // found no entry to mark, and this marks it.
    const release = await this.send('appendPromotion', () =>
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: itemKeys.release(recorded.repository, recorded.digest),
          ConsistentRead: true,
          ...projectionOf(['state']),
        }),
      ),
    );
    if (release.Item?.state === 'PROMOTED') await this.markTrackEntryPromoted(recorded);
  }

  /**
   * One attribute of the month's track item, first write wins (`if_not_exists`): one UpdateItem,
   * which creates the item for a month's first entry and touches no other entry (no
   * read-modify-write, so concurrent promotions cannot lose each other). A month whose item is
   * full goes on in the next spill item; a retry writes the same attribute again where it is
   * missing, which the reads collapse (`trackOf`).
   */
  private async putTrackEntry(entry: PromotionEntry): Promise<void> {
    for (let spill = 0; spill < TRACK_SPILLS; spill++) {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: itemKeys.trackMonth(entry.repository, entry.promotedAt, spill),
            UpdateExpression: 'SET #entry = if_not_exists(#entry, :entry)',
            ExpressionAttributeNames: { '#entry': trackEntryName(entry) },
            ExpressionAttributeValues: { ':entry': trackEntryValue(entry) },
          }),
        );
        return;
      } catch (err) {
        if (!isItemTooLarge(err)) {
          throw new StoreError(`DynamoDB appendPromotion failed on table ${this.tableName}`, { cause: err });
        }
      }
    }
    throw new StoreError(
      `appendPromotion: the track of ${entry.repository} is full for ${entry.promotedAt.slice(0, 7)}`,
    );
  }

  /** One conditional put on `REL#<repo>@<digest>` / `REVOKED`; a lost condition returns the stored record. */
  public async revokeRelease(rec: RevocationRecord): Promise<{ record: RevocationRecord; created: boolean }> {
    const record = validRecord('revocation record', RevocationRecordSchema, rec);
    const key = itemKeys.revocation(record.repository, record.digest);
    if (await this.putIfAbsent('revokeRelease', { ...record, ...key, type: 'revocation' })) {
      return { record, created: true };
    }
    const stored = await this.getItem('revokeRelease', key);
    if (stored === undefined) throw new StoreError(`revocation ${key.pk} vanished after a lost put`);
    return { record: this.parse('revocation', RevocationRecordSchema, stored), created: false };
  }

  public async getRevocation(repository: string, digest: Digest): Promise<RevocationRecord | null> {
    const item = await this.getItem('getRevocation', itemKeys.revocation(repository, digest));
    return item === undefined ? null : this.parse('revocation', RevocationRecordSchema, item);
  }

  /** One conditional put on `BREAKGLASS#<id>` / `META`. */
  public async createBreakGlassRequest(rec: BreakGlassRequestRecord): Promise<void> {
    const record = validRecord('break-glass request', BreakGlassRequestRecordSchema, rec);
    const key = itemKeys.breakGlass(record.id);
    // Unconfirmed, it expires some time after its deadline (table-schema.ts); `useBreakGlassRequest` keeps it.
    const item = {
      ...deadlineItem(record),
      [TIME_TO_LIVE_ATTRIBUTE]: expiringAt(Date.parse(record.expiresAt)),
      ...key,
      type: 'break-glass',
    };
    if (!(await this.putIfAbsent('createBreakGlassRequest', item))) {
      throw new ConflictError(`break-glass request ${record.id} exists`);
    }
  }

  public async getBreakGlassRequest(id: string): Promise<BreakGlassRequestRecord | null> {
    const item = await this.getItem('getBreakGlassRequest', itemKeys.breakGlass(id));
    return item === undefined ? null : this.breakGlassOf(item);
  }

  /**
   * One conditional update, `#state = PENDING` → USED: of two confirmations, one wins. The used
   * request is the record of who confirmed the break-glass: its expiry is removed.
   */
  public async useBreakGlassRequest(
    id: string,
    usedBy: string,
    usedAt: string,
  ): Promise<BreakGlassRequestRecord | null> {
    const result = await this.conditional('useBreakGlassRequest', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.breakGlass(id),
          // A request written before `#deadline` existed keeps its deadline in `#ttl`: moved, not lost.
          UpdateExpression:
            'SET #state = :used, #usedBy = :by, #usedAt = :at, #deadline = if_not_exists(#deadline, #ttl) REMOVE #ttl',
          ConditionExpression: 'attribute_exists(pk) AND #state = :pending',
          ExpressionAttributeNames: {
            '#state': 'state',
            '#usedBy': 'usedBy',
            '#usedAt': 'usedAt',
            '#ttl': TIME_TO_LIVE_ATTRIBUTE,
            '#deadline': DEADLINE_ATTRIBUTE,
          },
          ExpressionAttributeValues: { ':used': 'USED', ':pending': 'PENDING', ':by': usedBy, ':at': usedAt },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (result === CONDITION_FAILED) return null;
    return this.breakGlassOf(result.Attributes);
  }

  /** One Query of the `TRACKS` partition, paged. */
  public async listTrackedRepositories(): Promise<string[]> {
    const items = await this.queryAll('listTrackedRepositories', {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': itemKeys.trackedRepositoriesPartition },
    });
    return items.map((item) => this.parse('tracked repository', TrackedRepositorySchema, item).repository).sort();
  }

  /** One conditional put on `REL#<repo>@<digest>` / `ALERT#<id>`; a lost condition returns the stored record. */
  public async recordAlert(rec: AlertRecord): Promise<{ record: AlertRecord; created: boolean }> {
    const record = validRecord('alert record', AlertRecordSchema, rec);
    const key = itemKeys.alert(record.repository, record.digest, record.advisoryId);
    if (await this.putIfAbsent('recordAlert', { ...record, ...key, type: 'alert' })) return { record, created: true };
    const stored = await this.getItem('recordAlert', key);
    if (stored === undefined) throw new StoreError(`alert ${key.pk} ${key.sk} vanished after a lost put`);
    return { record: this.parse('alert', AlertRecordSchema, stored), created: false };
  }

  /** One UpdateItem conditional on the alert existing without `announcedAt`. */
  public async markAlertAnnounced(
    repository: string,
    digest: Digest,
    advisoryId: string,
    at: string,
  ): Promise<AlertRecord> {
    const key = itemKeys.alert(repository, digest, advisoryId);
    const result = await this.conditional('markAlertAnnounced', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #announcedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#announcedAt)',
          ExpressionAttributeNames: { '#announcedAt': 'announcedAt' },
          ExpressionAttributeValues: { ':at': at },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (result !== CONDITION_FAILED) return this.parse('alert', AlertRecordSchema, result.Attributes);
    const stored = await this.getItem('markAlertAnnounced', key);
    if (stored === undefined) throw new NotFoundError(`no alert ${advisoryId} for ${repository}@${digest}`);
    return this.parse('alert', AlertRecordSchema, stored);
  }

  public async listAlerts(repository: string, digest: Digest): Promise<AlertRecord[]> {
    const items = await this.releaseItems('listAlerts', repository, digest, itemKeys.alertPrefix);
    return items.map((item) => this.parse('alert', AlertRecordSchema, item)).sort(LISTING_ORDER.alerts);
  }

  /**
   * The finished states of releases that share a `RELSTATES#` item with at least
   * `STATE_COPIES_WORTH_READING - 1` others asked come from that item (BatchGetItem, one item for
   * many releases); every other state from the release item (BatchGetItem, projected to the state),
   * and every revocation from its own item (absent for nearly all: an answer of nothing).
   */
  public async getReleaseStatuses(
    releases: readonly ReleaseKey[],
    options: ReleaseStatusOptions = {},
  ): Promise<ReleaseStatus[]> {
    const byPartition = new Map<string, { -readonly [K in keyof ReleaseStatus]: ReleaseStatus[K] }>();
    for (const { repository, digest } of releases) {
      byPartition.set(itemKeys.release(repository, digest).pk, { repository, digest, state: null, revocation: null });
    }
    const all = [...byPartition.values()];
    // Known PROMOTED from their track entries: only their revocation is read.
    const statuses: typeof all = [];
    for (const status of all) {
      if (options.promoted?.get(status.repository)?.has(status.digest) === true) status.state = 'PROMOTED';
      else statuses.push(status);
    }
    const copyKey = ({ repository, digest }: ReleaseKey) => {
      const key = itemKeys.releaseStates(repository, digest);
      return `${key.pk}\u0000${key.sk}`;
    };
    const perCopy = new Map<string, number>();
    for (const status of statuses) perCopy.set(copyKey(status), (perCopy.get(copyKey(status)) ?? 0) + 1);
    const copied = new Map<string, Record<string, unknown>>();
    const copyKeys = [
      ...new Set(statuses.filter((s) => (perCopy.get(copyKey(s)) ?? 0) >= STATE_COPIES_WORTH_READING).map(copyKey)),
    ];
    const copies = await this.batchGet(
      'getReleaseStatuses (copies)',
      copyKeys.map((k) => {
        const [pk = '', sk = ''] = k.split('\u0000');
        return { pk, sk };
      }),
    );
    for (const item of copies) {
      const { pk, sk } = this.parse('release states', ItemKeyWithSortSchema, item);
      copied.set(`${pk}\u0000${sk}`, item as Record<string, unknown>);
    }
    const unread: typeof statuses = [];
    for (const status of statuses) {
      const value = copied.get(copyKey(status))?.[packedHex(status.digest.slice('sha256:'.length))];
      const state = typeof value === 'string' ? FINISHED_STATES[value.slice(2)] : undefined;
      if (state === undefined) unread.push(status);
      else status.state = state;
    }
    const keys = [
      ...unread.map(({ repository, digest }) => itemKeys.release(repository, digest)),
      ...all.map(({ repository, digest }) => itemKeys.revocation(repository, digest)),
    ];
    for (const item of await this.batchGet('getReleaseStatuses', keys, STATUS_ATTRIBUTES)) {
      const { pk } = this.parse('release status', ItemKeySchema, item);
      const status = byPartition.get(pk);
      if (status === undefined)
        throw new StoreError(`getReleaseStatuses: DynamoDB answered an item not asked for (${pk})`);
      if (typeof item === 'object' && item !== null && 'state' in item) {
        status.state = this.parse('release', StateItemSchema, item).state;
      } else {
        const { repository, digest } = status;
        const revocation = this.parse('revocation', RevocationItemSchema, item);
        status.revocation = { ...revocation, repository, digest };
      }
    }
    return releases.map(({ repository, digest }) => {
      const status = byPartition.get(itemKeys.release(repository, digest).pk);
      return { repository, digest, state: status?.state ?? null, revocation: status?.revocation ?? null };
    });
  }

  /**
   * Newest month first, an item at a time: the months' items come in sort-key order, so once an
   * older month's item arrives every entry of the newer months has been read.
   */
  public async lastPromotion(repository: string, excludeDigest?: Digest): Promise<PromotionEntry | null> {
    let startKey: Record<string, unknown> | undefined;
    let month: string | undefined;
    let entries: PromotionEntry[] = [];
    const found = () => entries.sort(LISTING_ORDER.promotions).find((e) => e.digest !== excludeDigest) ?? null;
    do {
      const page = await this.send('lastPromotion', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': itemKeys.trackPartition(repository) },
            ScanIndexForward: false,
            Limit: 5,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const itemMonth = String(item.sk).slice(0, 7);
        if (month !== undefined && itemMonth !== month) {
          const last = found();
          if (last !== null) return last;
          entries = [];
        }
        month = itemMonth;
        entries.push(...this.trackOf(repository, [item]).entries);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return found();
  }

  /** The whole track of `repository`, most recent promotion first. */
  public async listPromotions(repository: string): Promise<PromotionEntry[]> {
    return (await this.listPromotionsWithStates(repository)).promotions;
  }

  public async listPromotionsWithStates(repository: string): Promise<PromotionTrack> {
    const items = await this.queryAll('listPromotions', {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': itemKeys.trackPartition(repository) },
      ScanIndexForward: false,
    });
    const { entries, promoted, links } = this.trackOf(repository, items);
    return { promotions: entries.sort(LISTING_ORDER.promotions), promoted, links };
  }

  /**
   * The entries of track items, each once by its identity (a retry may have written one into two
   * spill items, or under the earlier name and the compact one), and the releases whose entry is
   * marked PROMOTED in any of them.
   */
  private trackOf(
    repository: string,
    items: readonly unknown[],
  ): { entries: PromotionEntry[]; promoted: Digest[]; links: IndexNodeLink[] } {
    const entries = new Map<string, PromotionEntry>();
    const promoted = new Set<Digest>();
    const links = new Map<string, IndexNodeLink>();
    for (const item of items) {
      const fields = item as Record<string, unknown>;
      if (fields.type === 'promotion') {
        // An item of the earlier layout, one an entry.
        const entry = this.parse('promotion', PromotionEntrySchema, fields);
        if (!entries.has(trackIdentity(entry))) entries.set(trackIdentity(entry), entry);
        continue;
      }
      for (const [name, value] of Object.entries(fields)) {
        if (name === 'pk' || name === 'sk') continue;
        const mark = typeof value === 'string' ? markOf(value) : null;
        const parsed = this.parse(
          'promotion',
          PromotionEntrySchema,
          trackEntryOf(repository, name, mark?.plain ?? value),
        );
        // The first read stays, as the first write does (`putTrackEntry`).
        const entry = entries.get(trackIdentity(parsed)) ?? parsed;
        entries.set(trackIdentity(entry), entry);
        if (mark === null) continue;
        promoted.add(entry.digest);
        for (const token of mark.links) {
          const link = this.parse('index node link', IndexNodeLinkSchema, movedLinkOf(entry.digest, token) ?? {});
          links.set(`${link.digest}#${link.set}`, link);
        }
      }
    }
    return { entries: [...entries.values()], promoted: [...promoted], links: [...links.values()] };
  }

  // -------------------------------------------------------------------------------------------
  // Scan rendezvous

  /**
   * One atomic UpdateItem that stores the (latest) token and returns the item as written
   * (`ALL_NEW`): if the scan result was stored before, this write sees it. A repeated offer
   * replaces the token, so the live task token is the one the result side finds.
   *
   * A token alone is worth nothing once its wait timed out, so the item then expires
   * (table-schema.ts); one holding a result is kept for later rounds. The write that sets the
   * expiry is conditional on no result; losing it (the result came first) writes the token alone.
   */
  public async offerScanToken(repository: string, digest: Digest, taskToken: string): Promise<ScanCompletion | null> {
    const token = validRecord('task token', TaskTokenSchema, taskToken);
    const update = (expiring: boolean) =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.scan(repository, digest),
          UpdateExpression: `SET #taskToken = :token, #repository = :repository, #digest = :digest${expiring ? ', #ttl = :ttl' : ''}`,
          ...(expiring ? { ConditionExpression: 'attribute_not_exists(#result)' } : {}),
          ExpressionAttributeNames: {
            '#taskToken': 'taskToken',
            '#repository': 'repository',
            '#digest': 'digest',
            ...(expiring ? { '#ttl': TIME_TO_LIVE_ATTRIBUTE, '#result': 'result' } : {}),
          },
          ExpressionAttributeValues: {
            ':token': token,
            ':repository': repository,
            ':digest': digest,
            ...(expiring ? { ':ttl': expiringAt(Date.now()) } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
    const expiring = await this.conditional('offerScanToken', () => update(true));
    const result = expiring === CONDITION_FAILED ? await this.send('offerScanToken', () => update(false)) : expiring;
    return this.parse('scan rendezvous', ScanRendezvousSchema, result.Attributes).result ?? null;
  }

  /**
   * One atomic UpdateItem that stores the result unless one is already stored (`if_not_exists`:
   * the first result wins) and returns the item as written: if a token was stored before, this
   * write sees it. A duplicate result returns the token again, so a retried delivery can still
   * answer the waiting task.
   */
  public async offerScanResult(repository: string, digest: Digest, result: ScanCompletion): Promise<string | null> {
    const completion = validRecord('scan completion', ScanCompletionSchema, result);
    const written = await this.send('offerScanResult', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.scan(repository, digest),
          // A stored result keeps the item (`offerScanToken`): its expiry goes.
          UpdateExpression:
            'SET #result = if_not_exists(#result, :result), #repository = :repository, #digest = :digest REMOVE #ttl',
          ExpressionAttributeNames: {
            '#result': 'result',
            '#repository': 'repository',
            '#digest': 'digest',
            '#ttl': TIME_TO_LIVE_ATTRIBUTE,
          },
          ExpressionAttributeValues: { ':result': completion, ':repository': repository, ':digest': digest },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return this.parse('scan rendezvous', ScanRendezvousSchema, written.Attributes).taskToken ?? null;
  }

  public async getScanResult(repository: string, digest: Digest): Promise<ScanCompletion | null> {
    const item = await this.getItem('getScanResult', itemKeys.scan(repository, digest));
    if (item === undefined) return null;
    return this.parse('scan rendezvous', ScanRendezvousSchema, item).result ?? null;
  }

  // -------------------------------------------------------------------------------------------
  // Incident index

  public async getIndexHead(repository: string): Promise<IndexNode | null> {
    const item = await this.getItem('getIndexHead', itemKeys.indexHead(repository));
    return item === undefined ? null : this.parse('index head', IndexNodeSchema, item);
  }

  public async getIndexNode(repository: string, digest: Digest, set: string): Promise<IndexNode | null> {
    const item = await this.getItem('getIndexNode', itemKeys.indexNode(repository, digest, set));
    return item === undefined ? null : this.parse('index node', IndexNodeSchema, item);
  }

  public async startIndexNode(node: IndexNode): Promise<{ node: IndexNode; created: boolean }> {
    const { completedAt: _ignored, ...started } = validRecord('index node', IndexNodeSchema, node);
    const created = await this.putIfAbsent('startIndexNode', {
      ...started,
      ...itemKeys.indexNode(started.repository, started.digest, started.set),
      type: 'index-node',
    });
    const stored = created ? started : await this.getIndexNode(started.repository, started.digest, started.set);
    if (stored === null) {
      throw new StoreError(
        `index node ${started.repository}@${started.digest}#${started.set} vanished after a lost put`,
      );
    }
    // Its link, one attribute of its bucket's item: what triage reads of a node. One UpdateItem,
    // which creates the item when it is the bucket's first node, and touches no other node's
    // attribute (no read-modify-write, so concurrent nodes cannot lose each other's links). Written
    // after the node, and again, the same, by a retry, so a node is listed from its start.
    await this.send('startIndexNode (link)', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.indexNodeLinks(stored.repository, stored.seq),
          UpdateExpression: 'SET #node = :link',
          ExpressionAttributeNames: { '#node': linkAttribute(stored.digest, stored.set) },
          ExpressionAttributeValues: { ':link': linkValue(linkOfNode(stored)) },
        }),
      ),
    );
    return { node: stored, created };
  }

  /**
   * One `PKG#<purl without version>` item per entry, keyed by version, release and node. Only what
   * the key does not say is stored: `components` when it is not just `<package>@<version>`, and
   * `removed` on a tombstone, `replaces` on an upgrade, so that triage reads as few bytes as it can.
   */
  public async writeIndexEntries(node: IndexNode, entries: readonly IndexEntryWrite[]): Promise<void> {
    const valid = validRecord('index node', IndexNodeSchema, node);
    const writes = validIndexEntryWrites(entries);
    for (const e of writes) requirePurl(e.base);
    const item = ({ base, version, components, removed, replaces }: (typeof writes)[number]) => ({
      ...itemKeys.packageIndex(base, version, valid.repository, valid.digest, valid.set),
      seq: valid.seq,
      ...(!implied({ base, version, components }) && components.length > 0 && { components }),
      ...(removed === true && { removed: true }),
      ...(replaces !== undefined && { replaces }),
    });
    // Items are built a chunk at a time: at the 200,000-component limit all of them at once (keys
    // and all) would hold about 80 MiB more of the Lambda's memory than the chunk in flight.
    for (let i = 0; i < writes.length; i += INDEX_WRITE_CHUNK) {
      await this.batchPut('writeIndexEntries', writes.slice(i, i + INDEX_WRITE_CHUNK).map(item));
    }
  }

  /** Marks the node complete (first time stays), then moves the head to it unless a later one is there. */
  public async completeIndexNode(node: IndexNode, completedAt: string): Promise<void> {
    const key = itemKeys.indexNode(node.repository, node.digest, node.set);
    const marked = await this.conditional('completeIndexNode', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET completedAt = if_not_exists(completedAt, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': completedAt },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (marked === CONDITION_FAILED) {
      throw new NotFoundError(`index node ${node.repository}@${node.digest}#${node.set} was never started`);
    }
    const complete = this.parse('index node', IndexNodeSchema, marked.Attributes);
    await this.conditional('completeIndexNode (head)', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...complete, ...itemKeys.indexHead(node.repository), type: 'index-head' },
          ConditionExpression: 'attribute_not_exists(pk) OR completedAt <= :at',
          ExpressionAttributeValues: { ':at': complete.completedAt },
        }),
      ),
    );
  }

  /**
   * Reads the link items of the buckets the range touches (every item of the partition without a
   * range) and keeps the nodes within it, by `seq`.
   */
  public async listIndexNodes(
    repository: string,
    seqs?: { readonly from: number; readonly to: number },
  ): Promise<IndexNodeLink[]> {
    const inRange = seqs !== undefined;
    const items = await this.queryAll(
      'listIndexNodes',
      {
        TableName: this.tableName,
        KeyConditionExpression: inRange ? 'pk = :pk AND sk BETWEEN :from AND :to' : 'pk = :pk',
        ExpressionAttributeValues: {
          ':pk': itemKeys.indexNodeLinksPartition(repository),
          ...(inRange && {
            ':from': itemKeys.indexNodeLinks(repository, seqs.from).sk,
            ':to': itemKeys.indexNodeLinks(repository, seqs.to).sk,
          }),
        },
      },
      Limits.indexNodesPerQuery,
    );
    const links: IndexNodeLink[] = [];
    for (const item of items) {
      for (const [name, value] of Object.entries(item as Record<string, unknown>)) {
        if (name === 'pk' || name === 'sk') continue;
        const link = this.parse('index node link', IndexNodeLinkSchema, linkOf(name, value));
        if (inRange && (link.seq < seqs.from || link.seq > seqs.to)) continue;
        links.push(link);
        if (links.length > Limits.indexNodesPerQuery) {
          throw new StoreError(`listIndexNodes: more than ${Limits.indexNodesPerQuery} nodes, refused`);
        }
      }
    }
    return links.sort((a, b) => a.seq - b.seq || compareCodePoints(`${a.digest}#${a.set}`, `${b.digest}#${b.set}`));
  }

  public async indexVulnerabilities(repository: string, digest: Digest, ids: readonly string[]): Promise<void> {
    validRecord('digest', DigestSchema, digest);
    const items = new Map<string, Record<string, unknown>>();
    for (const raw of ids) {
      const id = raw.trim();
      if (id === '') continue;
      const key = itemKeys.vulnerabilityIndex(id, repository, digest);
      items.set(key.pk, { ...key, type: 'vulnerability-index', vulnerabilityId: id, repository, digest });
    }
    await this.batchPut('indexVulnerabilities', [...items.values()]);
  }

  /**
   * `purlWithoutVersion` is canonicalised the same way as on indexing; a version in it is ignored.
   * Version, release and node are read from the sort key, so only the key, `components`,
   * `removed` and `replaces` are read.
   */
  public async findByPackage(purlWithoutVersion: string): Promise<PackageIndexEntry[]> {
    const { base } = requirePurl(purlWithoutVersion);
    // One partition, paged; refused past the bound rather than answered in part.
    const items = await this.queryAll(
      'findByPackage',
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': itemKeys.packagePartition(base) },
        ...projectionOf(['sk', 'seq', 'components', 'removed', 'replaces']),
      },
      this.maxPackageIndexEntries,
    );
    return items
      .map((item) => this.parse('package index', PackageIndexEntrySchema, packageEntryOf(base, item)))
      .sort(LISTING_ORDER.packageIndex);
  }

  public async findByVulnerability(id: string): Promise<VulnerabilityIndexEntry[]> {
    const items = await this.queryAll('findByVulnerability', {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': itemKeys.vulnerabilityPartition(id.trim()) },
    });
    return items
      .map((item) => this.parse('vulnerability index', VulnerabilityIndexEntrySchema, item))
      .sort(LISTING_ORDER.vulnerabilityIndex);
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  /** An approval item, of this layout or an earlier one (`withDeadline`). */
  private approvalOf(item: unknown): ApprovalRecord {
    return this.parse('approval', ApprovalRecordSchema, withDeadline(item));
  }

  /** A break-glass request item, of this layout or an earlier one (`withDeadline`). */
  private breakGlassOf(item: unknown): BreakGlassRequestRecord {
    return this.parse('break-glass request', BreakGlassRequestRecordSchema, withDeadline(item));
  }

  private parse<T>(what: string, schema: z.ZodMiniType<T>, item: unknown): T {
    const parsed = schema.safeParse(item);
    if (!parsed.success) {
      throw new StoreError(`stored ${what} item is malformed: ${formatIssues(parsed.error.issues)}`, {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  /** Runs one SDK call; every failure becomes a StoreError. */
  private async send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw new StoreError(`DynamoDB ${operation} failed on table ${this.tableName}`, { cause: err });
    }
  }

  /** Runs one conditional write; a lost condition is returned as a value, not thrown. */
  private async conditional<T>(operation: string, call: () => Promise<T>): Promise<T | typeof CONDITION_FAILED> {
    try {
      return await call();
    } catch (err) {
      if (sdkErrorName(err) === 'ConditionalCheckFailedException') return CONDITION_FAILED;
      throw new StoreError(`DynamoDB ${operation} failed on table ${this.tableName}`, { cause: err });
    }
  }

  /**
   * PutItem conditional on `attribute_not_exists(pk)`, the one way this store creates an item
   * (first write wins). True when this call wrote the item, false when one was already there.
   */
  private async putIfAbsent(operation: string, item: Record<string, unknown>): Promise<boolean> {
    const written = await this.conditional(operation, () =>
      this.client.send(
        new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    );
    return written !== CONDITION_FAILED;
  }

  /**
   * Like `putIfAbsent`, but an item of an earlier approval round (`round` below this one's; an item
   * without one is round 0) is replaced: the rule `laterRound` of records.ts, as one conditional put.
   */
  private async putIfAbsentOrEarlier(
    operation: string,
    item: Record<string, unknown>,
    round: number | undefined,
  ): Promise<boolean> {
    if ((round ?? 0) === 0) return this.putIfAbsent(operation, item);
    const written = await this.conditional(operation, () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk) OR attribute_not_exists(#round) OR #round < :round',
          ExpressionAttributeNames: { '#round': 'round' },
          ExpressionAttributeValues: { ':round': round },
        }),
      ),
    );
    return written !== CONDITION_FAILED;
  }

  private async getItem(operation: string, key: { pk: string; sk: string }): Promise<unknown> {
    const out = await this.send(operation, () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
    );
    return out.Item;
  }

  /** Every item of the query, page by page; StoreError past `maxItems` (never a partial answer). */
  private async queryAll(
    operation: string,
    input: QueryCommandInput,
    maxItems = Number.POSITIVE_INFINITY,
  ): Promise<unknown[]> {
    const items: unknown[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send(operation, () =>
        this.client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey })),
      );
      items.push(...(page.Items ?? []));
      if (items.length > maxItems) throw new StoreError(`${operation}: more than ${maxItems} items, refused`);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  /** Newest first, at most `limit` items. */
  private async queryIndex(indexName: 'gsi1' | 'gsi2', partition: string, limit: number): Promise<unknown[]> {
    const items: unknown[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send(`query ${indexName}`, () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: indexName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': `${indexName}pk` },
            ExpressionAttributeValues: { ':pk': partition },
            ScanIndexForward: false,
            Limit: limit - items.length,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && items.length < limit);
    return items;
  }

  /** Oldest first, every item. */
  private async queryIndexAll(indexName: 'gsi1' | 'gsi2', partition: string): Promise<unknown[]> {
    return this.queryAll(`query ${indexName}`, {
      TableName: this.tableName,
      IndexName: indexName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': `${indexName}pk` },
      ExpressionAttributeValues: { ':pk': partition },
    });
  }

  /**
   * Every item of `keys` found (in no particular order), `attributes` only: BatchGetItem of 100
   * keys, BATCH_GETS_IN_FLIGHT requests at a time, `UnprocessedKeys` resent with backoff.
   * Strongly consistent, as `getItem`.
   */
  private async batchGet(
    operation: string,
    keys: readonly { pk: string; sk: string }[],
    attributes?: readonly string[],
  ): Promise<unknown[]> {
    const chunks: (typeof keys)[] = [];
    for (let i = 0; i < keys.length; i += BATCH_GET_SIZE) chunks.push(keys.slice(i, i + BATCH_GET_SIZE));
    const items: unknown[] = [];
    for (let i = 0; i < chunks.length; i += BATCH_GETS_IN_FLIGHT) {
      const pages = await Promise.all(
        chunks.slice(i, i + BATCH_GETS_IN_FLIGHT).map((chunk) => this.batchGetChunk(operation, chunk, attributes)),
      );
      items.push(...pages.flat());
    }
    return items;
  }

  private async batchGetChunk(
    operation: string,
    keys: readonly { pk: string; sk: string }[],
    attributes: readonly string[] | undefined,
  ): Promise<unknown[]> {
    const items: unknown[] = [];
    let pending: readonly Record<string, unknown>[] = keys;
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_BATCH_ROUNDS) {
        throw new StoreError(`DynamoDB ${operation}: keys still unprocessed after ${MAX_BATCH_ROUNDS} rounds`);
      }
      if (round > 0) await sleep(50 * 2 ** round);
      const requested = [...pending];
      const out: BatchGetCommandOutput = await this.send(operation, () =>
        this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: requested,
                ConsistentRead: true,
                ...(attributes !== undefined && projectionOf(attributes)),
              },
            },
          }),
        ),
      );
      items.push(...(out.Responses?.[this.tableName] ?? []));
      pending = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    return items;
  }

  private async batchPut(operation: string, items: readonly Record<string, unknown>[]): Promise<void> {
    const limit = pLimit(BATCH_WRITES_IN_FLIGHT);
    const batches: Promise<void>[] = [];
    for (let i = 0; i < items.length; i += BATCH_SIZE) {
      batches.push(limit(() => this.batchPutOne(operation, items.slice(i, i + BATCH_SIZE))));
    }
    // Every batch settles before this answers, so a failure leaves no write still in flight.
    const settled = await Promise.allSettled(batches);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /** One BatchWriteItem of at most 25 items, asked again for what DynamoDB leaves unprocessed. */
  private async batchPutOne(operation: string, batch: readonly Record<string, unknown>[]): Promise<void> {
    let pending: BatchWriteCommandInput['RequestItems'] = {
      [this.tableName]: batch.map((Item) => ({ PutRequest: { Item } })),
    };
    for (let round = 0; pending !== undefined && Object.keys(pending).length > 0; round++) {
      if (round >= MAX_BATCH_ROUNDS) {
        throw new StoreError(`DynamoDB ${operation}: items still unprocessed after ${MAX_BATCH_ROUNDS} rounds`);
      }
      if (round > 0) await sleep(50 * 2 ** round);
      const requestItems: NonNullable<BatchWriteCommandInput['RequestItems']> = pending;
      const out: BatchWriteCommandOutput = await this.send(operation, () =>
        this.client.send(new BatchWriteCommand({ RequestItems: requestItems })),
      );
      pending = out.UnprocessedItems;
    }
  }
}

/**
 * A package index item as `PackageIndexEntry`: version, repository, digest and node from the sort
 * key (`<version>#<repo>@<digest>[#<set>]`: a repository name holds neither `#` nor `@`, so the
 * last ones split it, whatever the version holds), and `components` implied when absent. An
 * unreadable key is left for the schema to refuse.
 */
function packageEntryOf(base: string, item: unknown): unknown {
  const { sk, seq, components, removed, replaces } = (item ?? {}) as {
    sk?: unknown;
    seq?: unknown;
    components?: unknown;
    removed?: unknown;
    replaces?: unknown;
  };
  const key = typeof sk === 'string' ? /^(.+)#([^#@]+)@(sha256:[0-9a-f]{64})(?:#([0-9a-f]{16}))?$/s.exec(sk) : null;
  if (key === null) return { components, removed };
  return {
    version: key[1],
    repository: key[2],
    digest: key[3],
    ...(key[4] !== undefined && { set: key[4] }),
    ...(seq !== undefined && { seq }),
    // Not stored when it is just the package at the version (writeIndexEntries).
    components: components ?? [`${base}@${key[1]}`],
    ...(removed === true && { removed: true }),
    ...(replaces !== undefined && { replaces }),
  };
}

/** Spill items a month of one track may take after its first (`itemKeys.trackMonth`). */
const TRACK_SPILLS = 100;

/** A track entry's identity, whatever its attribute is named. */
const trackIdentity = (e: PromotionEntry): string => `${e.promotedAt}\u0000${e.digest}`;

/** Before a track entry's value: the release's state is PROMOTED (`markTrackEntryPromoted`). */
const PROMOTED_MARK = '!';

/** Base-36 digits of a compact instant: milliseconds up to 2059-05-25, after which names fall back. */
const INSTANT_DIGITS = 8;

/**
 * `promotedAt` as its milliseconds in `INSTANT_DIGITS` base-36 digits, when it is an instant as
 * `toISOString` writes it (every promotion's is) and so comes back the same; else null.
 */
function compactInstant(at: string): string | null {
  const ms = Date.parse(at);
  if (!Number.isInteger(ms) || ms < 0 || ms >= 36 ** INSTANT_DIGITS || new Date(ms).toISOString() !== at) return null;
  return ms.toString(36).padStart(INSTANT_DIGITS, '0');
}

/** The length of a compact entry name: `<instant><digest in base64url>`. */
const COMPACT_NAME_LENGTH = INSTANT_DIGITS + 43;

/**
 * A track entry's attribute, its identity: `<compact promotedAt><digest>` (51 characters, no `#`),
 * or `<promotedAt>#<digest>` when `promotedAt` has no compact form (the earlier layout's name).
 */
function trackEntryName(e: PromotionEntry): string {
  const digest = packedHex(e.digest.slice('sha256:'.length));
  const instant = compactInstant(e.promotedAt);
  return instant === null ? `${e.promotedAt}#${digest}` : `${instant}${digest}`;
}

/** Whether a track attribute's name is compact (then `*` in its value's target stands for the repository). */
const isCompactName = (name: string): boolean => name.length === COMPACT_NAME_LENGTH && !name.includes('#');

/**
 * A track entry's value: `<targetRepository> <tag>` (neither holds a space: a repository name and
 * an OCI tag), the repository's name in the target written `*` under a compact name (no
 * repository name holds a `*`), or, when the entry has more, its fields but those of the name as
 * JSON (`{…}`; no repository name starts with `{` or `!`).
 */
function trackEntryValue(e: PromotionEntry): string {
  const { repository, digest: _d, promotedAt: _p, targetRepository, tag, ...more } = e;
  const short =
    Object.keys(more).length === 0 &&
    !/\s/.test(`${targetRepository}${tag}`) &&
    !/^[{!]/.test(targetRepository) &&
    !`${repository}${targetRepository}`.includes('*');
  if (!short) return JSON.stringify({ targetRepository, tag, ...more });
  const target =
    isCompactName(trackEntryName(e)) && repository !== ''
      ? targetRepository.replaceAll(repository, '*')
      : targetRepository;
  return `${target} ${tag}`;
}

/** A track attribute as `PromotionEntry`; an unreadable one is left for the schema to refuse. */
function trackEntryOf(repository: string, name: string, value: unknown): unknown {
  let key: { repository: string; promotedAt: string; digest: string };
  if (isCompactName(name)) {
    const ms = Number.parseInt(name.slice(0, INSTANT_DIGITS), 36);
    key = {
      repository,
      promotedAt: /^[0-9a-z]+$/.test(name.slice(0, INSTANT_DIGITS)) ? new Date(ms).toISOString() : '',
      digest: `sha256:${unpackedHex(name.slice(INSTANT_DIGITS))}`,
    };
  } else {
    const at = name.lastIndexOf('#');
    key = { repository, promotedAt: name.slice(0, at), digest: `sha256:${unpackedHex(name.slice(at + 1))}` };
  }
  if (typeof value !== 'string') return key;
  if (value.startsWith('{')) {
    try {
      return { ...(JSON.parse(value) as object), ...key };
    } catch {
      return key;
    }
  }
  const space = value.indexOf(' ');
  const target = value.slice(0, space);
  return {
    ...key,
    targetRepository: isCompactName(name) ? target.replaceAll('*', repository) : target,
    tag: value.slice(space + 1),
  };
}

/** DynamoDB's answer to a write that would take an item past 400 KB. */
function isItemTooLarge(err: unknown): boolean {
  return sdkErrorName(err) === 'ValidationException' && err instanceof Error && /size/i.test(err.message);
}

/**
 * Hex digits as base64url (`A-Za-z0-9-_`, 43 characters for a sha256 digest instead of 64) in the
 * names and values of packed items: a wide question reads one a node and one a track entry, and
 * the digests are most of those bytes.
 */
const packedHex = (hex: string): string => Buffer.from(hex, 'hex').toString('base64url');
/** `packedHex` undone; a malformed value gives a short or empty string, which the schemas refuse. */
const unpackedHex = (packed: string): string =>
  /^[A-Za-z0-9_-]+$/.test(packed) ? Buffer.from(packed, 'base64url').toString('hex') : '';

/** An `indexNodeRef` (`<16 hex>#<16 hex>`) packed: 22 characters. */
const packedRef = (ref: string): string => ref.split('#').map(packedHex).join('');
const unpackedRef = (packed: string): string => `${unpackedHex(packed.slice(0, 11))}#${unpackedHex(packed.slice(11))}`;

/** A node's attribute in its links item: `<digest>.<set>`, packed (the key attributes are `pk` and `sk`). */
const linkAttribute = (digest: Digest, set: string): string =>
  `${packedHex(digest.slice('sha256:'.length))}.${packedHex(set)}`;

/**
 * A link attribute as `IndexNodeLink` (valued `<seq>` or `<seq> <packed parent ref>`); an unreadable
 * one is left for the schema to refuse.
 */
function linkOf(name: string, value: unknown): unknown {
  const [digest = '', set = ''] = name.split('.');
  const [seq, parent] = typeof value === 'string' ? value.split(' ') : [];
  return {
    digest: `sha256:${unpackedHex(digest)}`,
    set: unpackedHex(set),
    ...(parent !== undefined && { parent: unpackedRef(parent) }),
    seq: seq === undefined || !/^\d+$/.test(seq) ? undefined : Number(seq),
  };
}

/** A node's link as its `IDXSEQ#` attribute holds it. */
const linkOfNode = (node: IndexNode): IndexNodeLink => ({
  digest: node.digest,
  set: node.set,
  seq: node.seq,
  ...(node.base !== null && { parent: indexNodeRef(node.base.digest, node.base.set) }),
});

/** A link's `IDXSEQ#` value: `<seq>` or `<seq> <packed parent ref>`. */
const linkValue = (link: IndexNodeLink): string =>
  link.parent === undefined ? `${link.seq}` : `${link.seq} ${packedRef(link.parent)}`;

/**
 * A link as a marked track entry holds it (the digest is the entry's): `<packed set><seq>`, then
 * `.<packed base set>` for a delta (records.ts `parentSet`: its base is at `seq - 1`).
 */
function movedLinkToken(node: IndexNode): string {
  return `${packedHex(node.set)}${node.seq}${node.base === null ? '' : `.${packedHex(node.base.set)}`}`;
}

/** A `movedLinkToken` back as a link of `digest`, or null when it is not one. */
function movedLinkOf(digest: Digest, token: string): IndexNodeLink | null {
  const m = /^([A-Za-z0-9_-]{11})(\d+)(?:\.([A-Za-z0-9_-]{11}))?$/.exec(token);
  if (m === null) return null;
  return {
    digest,
    set: unpackedHex(m[1] ?? ''),
    seq: Number(m[2]),
    ...(m[3] !== undefined && { parentSet: unpackedHex(m[3]) }),
  };
}

/**
 * A marked track value (`!<links> <value>`, `markTrackEntryPromoted`) as its moved links and the
 * value it marks, or null when it is not marked.
 */
function markOf(value: string): { links: string[]; plain: string } | null {
  if (!value.startsWith(PROMOTED_MARK)) return null;
  const space = value.indexOf(' ');
  if (space < 0) return null;
  const links = value.slice(PROMOTED_MARK.length, space);
  return { links: links === '' ? [] : links.split(','), plain: value.slice(space + 1) };
}

/** A ProjectionExpression of `attributes`, each through a name placeholder (some are reserved words: `state`). */
function projectionOf(attributes: readonly string[]): {
  ProjectionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
} {
  return {
    ProjectionExpression: attributes.map((_, i) => `#p${i}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(attributes.map((a, i) => [`#p${i}`, a])),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
