/**
 * The advisory index (osv/advisory-index.ts) in the evidence table (table-schema.ts):
 * - `ADVPKG#<match key hash>` / `<hash of object key and ETag>`: one item per (match key, object
 *   version), holding `key` and `etag`. Keyed by the version, so two writers of two versions never
 *   overwrite each other's item: a late write of an older version cannot hide a newer one's keys.
 *   Items of superseded versions stay (a reader compares the ETag); they are a few per edit.
 * - `ADVKEYS` / `<shard, 2 hex digits>`: every indexed object as one attribute (its key) valued its
 *   ETag, spread over `SHARDS` items by a hash of the key. Set with UpdateItem, one attribute per
 *   write, so concurrent writers never clobber each other; written after the version's `ADVPKG#`
 *   items, so an ETag here always has its match keys indexed.
 * Match keys and object keys are hashed (sha256, 132 bits) into the key attributes: they may be
 * longer than a sort key may be, and a collision would only add candidates (read, then matched).
 */
import { createHash } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import type { AdvisoryIndex, ListedAdvisory } from '../../domain/osv/advisory-index.js';
import { StoreError } from './errors.js';

/**
 * Items the indexed ETags are spread over. An entry costs its key and ETag (~80 bytes for
 * osv.dev's names), so 64 items of DynamoDB's 400 KB hold ~300,000 records: well past the
 * reader's listing bound (`Limits.advisoryListing`).
 */
export const ADVISORY_INDEX_SHARDS = 64;

/** Requests in flight at once, for the partitions of a release's packages and a record's writes. */
const IN_FLIGHT = 16;

const hash = (s: string): string => createHash('sha256').update(s).digest('base64url').slice(0, 22);

/** The `ADVKEYS` shard of an object key. */
export const advisoryShardOf = (key: string): string =>
  ((createHash('sha256').update(key).digest()[0] ?? 0) % ADVISORY_INDEX_SHARDS).toString(16).padStart(2, '0');

export interface DynamoAdvisoryIndexProps {
  /** A document client (lib-dynamodb). */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

export class DynamoAdvisoryIndex implements AdvisoryIndex {
  public constructor(private readonly props: DynamoAdvisoryIndexProps) {}

  public async index(key: string, etag: string, matchKeys: readonly string[]): Promise<void> {
    const limit = pLimit(IN_FLIGHT);
    const sk = hash(`${key}\u0000${etag}`);
    await Promise.all(
      [...new Set(matchKeys)].map((m) =>
        limit(() =>
          this.send('index advisory', () =>
            this.props.client.send(
              new PutCommand({
                TableName: this.props.tableName,
                Item: { pk: `ADVPKG#${hash(m)}`, sk, key, etag, type: 'advisory-package' },
              }),
            ),
          ),
        ),
      ),
    );
    await this.send('index advisory ETag', () =>
      this.props.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: { pk: 'ADVKEYS', sk: advisoryShardOf(key) },
          UpdateExpression: 'SET #k = :etag',
          ExpressionAttributeNames: { '#k': key },
          ExpressionAttributeValues: { ':etag': etag },
        }),
      ),
    );
  }

  public async indexedETags(): Promise<ReadonlyMap<string, string>> {
    const shards = Array.from({ length: ADVISORY_INDEX_SHARDS }, (_, i) => i.toString(16).padStart(2, '0'));
    const items = await Promise.all(
      shards.map((sk) =>
        this.send('read indexed advisory ETags', () =>
          this.props.client.send(
            new GetCommand({ TableName: this.props.tableName, Key: { pk: 'ADVKEYS', sk }, ConsistentRead: true }),
          ),
        ),
      ),
    );
    const out = new Map<string, string>();
    for (const { Item } of items) {
      for (const [name, value] of Object.entries(Item ?? {})) {
        if (name !== 'pk' && name !== 'sk' && typeof value === 'string') out.set(name, value);
      }
    }
    return out;
  }

  public async naming(matchKeys: readonly string[]): Promise<readonly ListedAdvisory[]> {
    const limit = pLimit(IN_FLIGHT);
    const pages = await Promise.all([...new Set(matchKeys)].map((m) => limit(() => this.partition(m))));
    // An object naming several of the keys is in several partitions: answered once.
    const distinct = new Map(pages.flat().map((e) => [`${e.key}\u0000${e.etag}`, e]));
    return [...distinct.values()];
  }

  private async partition(matchKey: string): Promise<ListedAdvisory[]> {
    const out: ListedAdvisory[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send('read advisory index', () =>
        this.props.client.send(
          new QueryCommand({
            TableName: this.props.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `ADVPKG#${hash(matchKey)}` },
            ProjectionExpression: '#key, etag',
            ExpressionAttributeNames: { '#key': 'key' },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const { key, etag } = item;
        if (typeof key !== 'string' || typeof etag !== 'string') {
          throw new StoreError(`advisory index item ${JSON.stringify(item.sk)} has no key and ETag`);
        }
        out.push({ key, etag });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return out;
  }

  private async send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw new StoreError(`DynamoDB ${operation} failed on table ${this.props.tableName}`, { cause: err });
    }
  }
}
