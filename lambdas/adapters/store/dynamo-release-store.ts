import {
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
import { PackageURL } from 'packageurl-js';
import { z } from 'zod';
import { AlreadyDecidedError, ConflictError, InvalidInputError, NotFoundError } from '../../domain/errors.js';
import {
  APPROVAL_STATES,
  type ApprovalRecord,
  type ApprovalState,
  type DecisionRecord,
  type PromotionEntry,
  RELEASE_STATES,
  type ReleaseRecord,
  type ReleaseState,
  type ReleaseStore,
  type ScanCompletion,
  type StoredEvidence,
} from '../../domain/ports.js';
import {
  type Digest,
  DigestSchema,
  type EvidenceKind,
  EvidenceKindSchema,
  EvidenceStatusSchema,
  OUTCOMES,
  type Outcome,
} from '../../domain/types.js';
import { StoreError, sdkErrorName } from './errors.js';
import { indexKeys, itemKeys } from './table-schema.js';

// ---------------------------------------------------------------------------------------------
// Item schemas: every item read back is parsed. Key and index attributes are stripped by zod.

const ReleaseRecordSchema = z.object({
  repository: z.string(),
  digest: DigestSchema,
  mediaType: z.string(),
  tag: z.string().optional(),
  stage: z.string(),
  platforms: z.array(z.object({ digest: DigestSchema, platform: z.string() })),
  state: z.enum(RELEASE_STATES),
  executionName: z.string(),
  recordedAt: z.string(),
  outcome: z.enum(OUTCOMES).optional(),
  outcomeReasons: z.array(z.string()).optional(),
  decidedAt: z.string().optional(),
});

const StoredEvidenceSchema = z.object({
  repository: z.string(),
  digest: DigestSchema,
  kind: EvidenceKindSchema,
  status: EvidenceStatusSchema,
  reasons: z.array(z.string()),
  facts: z.record(z.string(), z.unknown()),
  documents: z.array(
    z.object({ name: z.string(), mediaType: z.string(), digest: DigestSchema, size: z.number().int().nonnegative() }),
  ),
  collectedAt: z.string(),
});

const DecisionRecordSchema = z.object({
  repository: z.string(),
  digest: DigestSchema,
  decision: z.enum(['PASS', 'BLOCK']),
  reasons: z.array(z.string()),
  policyDigest: DigestSchema,
  evidence: z.array(z.object({ kind: EvidenceKindSchema, status: EvidenceStatusSchema, reasons: z.array(z.string()) })),
  decidedAt: z.string(),
  documentDigest: DigestSchema,
});

const ApprovalRecordSchema = z.object({
  approvalId: z.string(),
  repository: z.string(),
  digest: DigestSchema,
  tokenHash: z.string(),
  taskToken: z.string(),
  state: z.enum(APPROVAL_STATES),
  requestedAt: z.string(),
  expiresAt: z.string(),
  decidedBy: z.string().optional(),
  decidedAt: z.string().optional(),
  comment: z.string().optional(),
});

const PromotionEntrySchema = z.object({
  repository: z.string(),
  digest: DigestSchema,
  promotedAt: z.string(),
  targetRepository: z.string(),
  tag: z.string(),
});

const ScanCompletionSchema = z.object({
  status: z.string(),
  source: z.enum(['ecr-basic', 'inspector', 'local']),
  severityCounts: z.record(z.string(), z.number()),
  completedAt: z.string(),
});

const ScanRendezvousSchema = z.object({
  taskToken: z.string().optional(),
  result: ScanCompletionSchema.optional(),
});

const PackageIndexSchema = z.object({ version: z.string(), repository: z.string(), digest: DigestSchema });
const VulnerabilityIndexSchema = z.object({ repository: z.string(), digest: DigestSchema });

const TERMINAL_STATES: readonly ReleaseState[] = ['PROMOTED', 'QUARANTINED'];

/** Forward order of the release states; a state may only move to one of equal or higher rank. */
const STATE_RANK: Readonly<Record<ReleaseState, number>> = {
  RECORDED: 0,
  EVALUATED: 1,
  AWAITING_APPROVAL: 2,
  PROMOTED: 3,
  QUARANTINED: 3,
};

/** BatchWriteItem takes at most 25 requests. */
const BATCH_SIZE = 25;
/** Rounds of resending `UnprocessedItems` before giving up with a StoreError. */
const MAX_BATCH_ROUNDS = 8;

const CONDITION_FAILED = Symbol('ConditionalCheckFailed');

export interface DynamoReleaseStoreProps {
  /** A document client (lib-dynamodb) configured with `removeUndefinedValues`. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * `ReleaseStore` on one DynamoDB table (key schema in `table-schema.ts`).
 *
 * No multi-item transactions (dynalite does not implement them): every write is one conditional
 * item write, and multi-item operations are ordered so that a crash between two writes leaves
 * state that a retry completes. `ConditionalCheckFailedException` becomes the domain outcome
 * (existing record, `ConflictError`, `ALREADY_DECIDED`); every other SDK failure becomes a
 * retryable `StoreError` with the SDK error as its cause.
 */
export class DynamoReleaseStore implements ReleaseStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  public constructor(props: DynamoReleaseStoreProps) {
    this.client = props.client;
    this.tableName = props.tableName;
  }

  // -------------------------------------------------------------------------------------------
  // Releases

  public async recordRelease(rec: ReleaseRecord): Promise<{ record: ReleaseRecord; created: boolean }> {
    const record = validInput('release', ReleaseRecordSchema, rec);
    const item = {
      ...record,
      ...itemKeys.release(record.repository, record.digest),
      ...indexKeys.release(record.state, record.recordedAt, record.repository, record.digest),
      type: 'release',
    };
    const written = await this.conditional('recordRelease', () =>
      this.client.send(
        new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    );
    if (written !== CONDITION_FAILED) return { record, created: true };
    const existing = await this.getRelease(rec.repository, rec.digest);
    if (existing === null) throw new StoreError(`release ${rec.repository}@${rec.digest} vanished after a lost put`);
    return { record: existing, created: false };
  }

  public async getRelease(repository: string, digest: Digest): Promise<ReleaseRecord | null> {
    const item = await this.getItem('getRelease', itemKeys.release(repository, digest));
    return item === undefined ? null : this.parse('release', ReleaseRecordSchema, item);
  }

  /**
   * Moves the state forward in one conditional UpdateItem. A terminal state (PROMOTED/QUARANTINED)
   * is never overwritten: asking for the same terminal state again returns the stored record
   * unchanged (a retried Promote/Quarantine), anything else throws `ConflictError`, as does a
   * move backwards. An unknown release throws `NotFoundError`.
   */
  public async updateReleaseState(
    repository: string,
    digest: Digest,
    state: ReleaseState,
    extra: { outcome?: Outcome; outcomeReasons?: readonly string[]; decidedAt?: string } = {},
  ): Promise<ReleaseRecord> {
    const allowedFrom = RELEASE_STATES.filter(
      (s) => !TERMINAL_STATES.includes(s) && STATE_RANK[s] <= STATE_RANK[state],
    );
    const names: Record<string, string> = { '#state': 'state', '#gsi1pk': 'gsi1pk' };
    const values: Record<string, unknown> = {
      ':state': state,
      ':gsi1pk': indexKeys.releaseStatePartition(state),
    };
    const sets = ['#state = :state', '#gsi1pk = :gsi1pk'];
    for (const field of ['outcome', 'outcomeReasons', 'decidedAt'] as const) {
      const value = extra[field];
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    const allowed = allowedFrom.map((_, i) => `:from${i}`);
    allowedFrom.forEach((s, i) => {
      values[`:from${i}`] = s;
    });
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
    if (result !== CONDITION_FAILED) return this.parse('release', ReleaseRecordSchema, result.Attributes);

    const current = await this.getRelease(repository, digest);
    if (current === null) throw new NotFoundError(`release ${repository}@${digest} is not recorded`);
    if (current.state === state && TERMINAL_STATES.includes(state)) return current;
    throw new ConflictError(`release ${repository}@${digest} is ${current.state}; it cannot move to ${state}`);
  }

  /** Most recently recorded releases first. */
  public async listReleases(limit = 100): Promise<ReleaseRecord[]> {
    const items = await this.queryIndex('gsi2', indexKeys.releaseTypePartition, limit);
    return items.map((item) => this.parse('release', ReleaseRecordSchema, item));
  }

  /** Releases in one state, most recently recorded first (not part of the port; for triage and ops). */
  public async listReleasesByState(state: ReleaseState, limit = 100): Promise<ReleaseRecord[]> {
    const items = await this.queryIndex('gsi1', indexKeys.releaseStatePartition(state), limit);
    return items.map((item) => this.parse('release', ReleaseRecordSchema, item));
  }

  // -------------------------------------------------------------------------------------------
  // Evidence and decisions

  public async putEvidence(ev: StoredEvidence): Promise<StoredEvidence> {
    const evidence = validInput('evidence', StoredEvidenceSchema, ev);
    const key = itemKeys.evidence(evidence.repository, evidence.digest, evidence.kind);
    const item = { ...evidence, ...key, type: 'evidence' };
    const written = await this.conditional('putEvidence', () =>
      this.client.send(
        new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    );
    if (written !== CONDITION_FAILED) return evidence;
    const stored = await this.getEvidence(ev.repository, ev.digest, ev.kind);
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
    return items.map((item) => this.parse('evidence', StoredEvidenceSchema, item));
  }

  /** First write wins, like `putEvidence`: a replayed EvaluatePolicy gets the stored decision back. */
  public async putDecision(rec: DecisionRecord): Promise<DecisionRecord> {
    const decision = validInput('decision', DecisionRecordSchema, rec);
    const item = { ...decision, ...itemKeys.decision(decision.repository, decision.digest), type: 'decision' };
    const written = await this.conditional('putDecision', () =>
      this.client.send(
        new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    );
    if (written !== CONDITION_FAILED) return decision;
    const stored = await this.getDecision(rec.repository, rec.digest);
    if (stored === null) throw new StoreError(`decision of ${rec.repository}@${rec.digest} vanished after a lost put`);
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
    const approval = validInput('approval', ApprovalRecordSchema, rec);
    const item = {
      ...approval,
      ...itemKeys.approval(approval.approvalId),
      ...indexKeys.approval(approval.state, approval.requestedAt, approval.approvalId),
      type: 'approval',
    };
    const written = await this.conditional('putApproval', () =>
      this.client.send(
        new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    );
    if (written === CONDITION_FAILED) throw new ConflictError(`approval ${rec.approvalId} already exists`);
  }

  public async getApproval(approvalId: string): Promise<ApprovalRecord | null> {
    const item = await this.getItem('getApproval', itemKeys.approval(approvalId));
    return item === undefined ? null : this.parse('approval', ApprovalRecordSchema, item);
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
    const names: Record<string, string> = {
      '#state': 'state',
      '#decidedBy': 'decidedBy',
      '#decidedAt': 'decidedAt',
      '#gsi1pk': 'gsi1pk',
    };
    const values: Record<string, unknown> = {
      ':state': state,
      ':pending': 'PENDING',
      ':by': by,
      ':at': at,
      ':gsi1pk': indexKeys.approvalStatePartition(state),
    };
    const sets = ['#state = :state', '#decidedBy = :by', '#decidedAt = :at', '#gsi1pk = :gsi1pk'];
    if (comment !== undefined) {
      names['#comment'] = 'comment';
      values[':comment'] = comment;
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
    if (result !== CONDITION_FAILED) return this.parse('approval', ApprovalRecordSchema, result.Attributes);

    const current = await this.getApproval(approvalId);
    if (current === null) throw new NotFoundError(`approval ${approvalId} does not exist`);
    throw new AlreadyDecidedError(`approval ${approvalId} was already answered: ${current.state}`);
  }

  /** Oldest request first; one state through gsi1, all approvals through gsi2. */
  public async listApprovals(state?: ApprovalState): Promise<ApprovalRecord[]> {
    const items =
      state === undefined
        ? await this.queryIndexAll('gsi2', indexKeys.approvalTypePartition)
        : await this.queryIndexAll('gsi1', indexKeys.approvalStatePartition(state));
    return items.map((item) => this.parse('approval', ApprovalRecordSchema, item));
  }

  // -------------------------------------------------------------------------------------------
  // Promotion track

  /**
   * Idempotent on (repository, digest). The marker `TRACKED#<repo>@<digest>` is written first with
   * a condition; the track item is derived from the marker, so a retry after a crash between the
   * two writes (or with a later `promotedAt`) writes the same track item, never a second one.
   */
  public async appendPromotion(entry: PromotionEntry): Promise<void> {
    const promotion = validInput('promotion', PromotionEntrySchema, entry);
    const markerKey = itemKeys.trackMarker(promotion.repository, promotion.digest);
    const marker = { ...promotion, ...markerKey, type: 'promotion-marker' };
    const written = await this.conditional('appendPromotion', () =>
      this.client.send(
        new PutCommand({ TableName: this.tableName, Item: marker, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    );
    let recorded: PromotionEntry = promotion;
    if (written === CONDITION_FAILED) {
      const stored = await this.getItem('appendPromotion', markerKey);
      if (stored === undefined) throw new StoreError(`promotion marker ${markerKey.pk} vanished after a lost put`);
      recorded = this.parse('promotion', PromotionEntrySchema, stored);
    }
    const trackItem = {
      ...recorded,
      ...itemKeys.track(recorded.repository, recorded.promotedAt, recorded.digest),
      type: 'promotion',
    };
    // Same key, same content on a retry: a lost condition means the item is already in place.
    await this.conditional('appendPromotion', () =>
      this.client.send(
        new PutCommand({ TableName: this.tableName, Item: trackItem, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    );
  }

  public async lastPromotion(repository: string, excludeDigest?: Digest): Promise<PromotionEntry | null> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send('lastPromotion', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': itemKeys.trackPartition(repository) },
            ScanIndexForward: false,
            Limit: 20,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const entry = this.parse('promotion', PromotionEntrySchema, item);
        if (entry.digest !== excludeDigest) return entry;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return null;
  }

  /** The whole track of `repository`, most recent promotion first. */
  public async listPromotions(repository: string): Promise<PromotionEntry[]> {
    const items = await this.queryAll('listPromotions', {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': itemKeys.trackPartition(repository) },
      ScanIndexForward: false,
    });
    return items.map((item) => this.parse('promotion', PromotionEntrySchema, item));
  }

  // -------------------------------------------------------------------------------------------
  // Scan rendezvous

  /**
   * One atomic UpdateItem that stores the (latest) token and returns the item as written
   * (`ALL_NEW`): if the scan result was stored before, this write sees it. A repeated offer
   * replaces the token, so the live task token is the one the result side finds.
   */
  public async offerScanToken(repository: string, digest: Digest, taskToken: string): Promise<ScanCompletion | null> {
    const result = await this.send('offerScanToken', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.scan(repository, digest),
          UpdateExpression: 'SET #taskToken = :token, #repository = :repository, #digest = :digest',
          ExpressionAttributeNames: { '#taskToken': 'taskToken', '#repository': 'repository', '#digest': 'digest' },
          ExpressionAttributeValues: { ':token': taskToken, ':repository': repository, ':digest': digest },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return this.parse('scan rendezvous', ScanRendezvousSchema, result.Attributes).result ?? null;
  }

  /**
   * One atomic UpdateItem that stores the result unless one is already stored (`if_not_exists`:
   * the first result wins) and returns the item as written: if a token was stored before, this
   * write sees it. A duplicate result returns the token again, so a retried delivery can still
   * answer the waiting task.
   */
  public async offerScanResult(repository: string, digest: Digest, result: ScanCompletion): Promise<string | null> {
    const completion = validInput('scan completion', ScanCompletionSchema, result);
    const written = await this.send('offerScanResult', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.scan(repository, digest),
          UpdateExpression:
            'SET #result = if_not_exists(#result, :result), #repository = :repository, #digest = :digest',
          ExpressionAttributeNames: { '#result': 'result', '#repository': 'repository', '#digest': 'digest' },
          ExpressionAttributeValues: { ':result': completion, ':repository': repository, ':digest': digest },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return this.parse('scan rendezvous', ScanRendezvousSchema, written.Attributes).taskToken ?? null;
  }

  // -------------------------------------------------------------------------------------------
  // Incident index

  /**
   * Writes one `PKG#<purl without version>` item per distinct package version. Index items are
   * derived from (purl, repository, digest) alone, so rewriting them on a retry is harmless.
   */
  public async indexPackages(repository: string, digest: Digest, purls: readonly string[]): Promise<void> {
    const items = new Map<string, Record<string, unknown>>();
    for (const purl of purls) {
      const { base, version } = splitPurl(purl);
      const key = itemKeys.packageIndex(base, version, repository, digest);
      items.set(`${key.pk}\u0000${key.sk}`, { ...key, type: 'package-index', purl: base, version, repository, digest });
    }
    await this.batchPut('indexPackages', [...items.values()]);
  }

  public async indexVulnerabilities(repository: string, digest: Digest, ids: readonly string[]): Promise<void> {
    const items = new Map<string, Record<string, unknown>>();
    for (const raw of ids) {
      const id = raw.trim();
      if (id === '') continue;
      const key = itemKeys.vulnerabilityIndex(id, repository, digest);
      items.set(key.pk, { ...key, type: 'vulnerability-index', vulnerabilityId: id, repository, digest });
    }
    await this.batchPut('indexVulnerabilities', [...items.values()]);
  }

  /** `purlWithoutVersion` is canonicalised the same way as on indexing; a version in it is ignored. */
  public async findByPackage(
    purlWithoutVersion: string,
  ): Promise<{ version: string; repository: string; digest: Digest }[]> {
    const { base } = splitPurl(purlWithoutVersion);
    const items = await this.queryAll('findByPackage', {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': itemKeys.packagePartition(base) },
    });
    return items.map((item) => this.parse('package index', PackageIndexSchema, item));
  }

  public async findByVulnerability(id: string): Promise<{ repository: string; digest: Digest }[]> {
    const items = await this.queryAll('findByVulnerability', {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': itemKeys.vulnerabilityPartition(id.trim()) },
    });
    return items.map((item) => this.parse('vulnerability index', VulnerabilityIndexSchema, item));
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  private parse<T>(what: string, schema: z.ZodType<T>, item: unknown): T {
    const parsed = schema.safeParse(item);
    if (!parsed.success) {
      throw new StoreError(`stored ${what} item is malformed: ${z.prettifyError(parsed.error)}`, {
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

  private async getItem(operation: string, key: { pk: string; sk: string }): Promise<unknown> {
    const out = await this.send(operation, () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
    );
    return out.Item;
  }

  private async queryAll(operation: string, input: QueryCommandInput): Promise<unknown[]> {
    const items: unknown[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send(operation, () =>
        this.client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey })),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  /** Newest first, at most `limit` items. */
  private async queryIndex(indexName: 'gsi1' | 'gsi2', partition: string, limit: number): Promise<unknown[]> {
    const items: unknown[] = [];
    if (!Number.isInteger(limit) || limit < 1)
      throw new InvalidInputError(`limit must be a positive integer: ${limit}`);
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

  private async batchPut(operation: string, items: readonly Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < items.length; i += BATCH_SIZE) {
      let pending: BatchWriteCommandInput['RequestItems'] = {
        [this.tableName]: items.slice(i, i + BATCH_SIZE).map((Item) => ({ PutRequest: { Item } })),
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
}

/**
 * Splits a purl into its canonical form without version, qualifiers and subpath (the index
 * partition: all builds of `pkg:deb/debian/openssl` share it) and its version. A string that is
 * not a valid purl is indexed verbatim up to its version, so triage still finds it.
 */
function splitPurl(purl: string): { base: string; version: string } {
  try {
    const parsed = PackageURL.fromString(purl.trim());
    const base = new PackageURL(parsed.type, parsed.namespace, parsed.name, undefined, undefined, undefined);
    return { base: base.toString(), version: parsed.version ?? '' };
  } catch {
    const head = purl.trim().split(/[?#]/, 1)[0] ?? '';
    const at = head.lastIndexOf('@');
    const slash = head.lastIndexOf('/');
    return at > slash ? { base: head.slice(0, at), version: head.slice(at + 1) } : { base: head, version: '' };
  }
}

/** Validates what a caller asks to write, so that nothing unreadable is ever stored. */
function validInput<T>(what: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidInputError(`${what} record is invalid: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
