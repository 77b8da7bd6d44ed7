/**
 * DynamoReleaseStore against a real dynalite (started by startStandIns on an ephemeral port),
 * through the real AWS SDK v3 document client: what is particular to this adapter (item layout,
 * malformed items, crash recovery between two writes, SDK failures, the by-state index). The
 * behaviour every ReleaseStore shares is in test/support/contracts/release-store.contract.ts, run
 * against this adapter by test/integration/release-store-contract.test.ts.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { type StandIns, startStandIns } from '../../cli/local/stand-ins.js';
import { type AwsClients, awsClients } from '../../lambdas/adapters/aws/clients.js';
import { DynamoReleaseStore } from '../../lambdas/adapters/store/dynamo-release-store.js';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { S3DocumentStore } from '../../lambdas/adapters/store/s3-document-store.js';
import {
  DEADLINE_ATTRIBUTE,
  EXPIRED_ITEM_RETENTION_SECONDS,
  indexKeys,
  itemKeys,
  TIME_TO_LIVE_ATTRIBUTE,
} from '../../lambdas/adapters/store/table-schema.js';
import { InvalidInputError, StoreError } from '../../lambdas/domain/errors.js';
import type { ReleaseStore } from '../../lambdas/domain/ports.js';
import { triage } from '../../lambdas/domain/triage/triage.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { indexRelease } from '../support/index-release.js';
import { useStandIns } from '../support/stand-ins.js';
import {
  approvalAuditRecord,
  approvalRecord,
  decisionRecord,
  evidenceRecord,
  newDigest,
  newRepository,
  pendingBreakGlass,
  promotionEntry,
  releaseRecord,
  scanResult,
  uniqueSuffix,
} from '../support/store-records.js';

let standIns: StandIns;
let clients: AwsClients;
let store: DynamoReleaseStore;

async function rawItem(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
  const out = await clients.dynamoDocument.send(new GetCommand({ TableName: standIns.tableName, Key: key }));
  return out.Item;
}

const aws = useStandIns();

beforeAll(() => {
  ({ standIns, clients } = aws());
  store = new DynamoReleaseStore({ client: clients.dynamoDocument, tableName: standIns.tableName });
});

describe('Class: DynamoReleaseStore', () => {
  describe('Method: recordRelease', () => {
    describe('when the digest was not recorded before', () => {
      it('writes one item under the release key, with both index keys', async () => {
        // Prepare
        const rec = releaseRecord(newRepository(), newDigest());

        // Act
        await store.recordRelease(rec);

        // Assess
        expect(await rawItem(itemKeys.release(rec.repository, rec.digest))).toEqual({
          ...rec,
          ...itemKeys.release(rec.repository, rec.digest),
          ...indexKeys.release('RECORDED', rec.recordedAt, rec.repository, rec.digest),
          type: 'release',
        });
      });
    });

    describe('when the record is invalid', () => {
      it('throws InvalidInputError and writes nothing', async () => {
        // Prepare
        const repository = newRepository();

        // Act
        const act = store.recordRelease({ ...releaseRecord(repository, newDigest()), digest: 'sha256:short' });

        // Assess
        await expect(act).rejects.toBeInstanceOf(InvalidInputError);
        const raw = await clients.dynamoDocument.send(
          new GetCommand({ TableName: standIns.tableName, Key: itemKeys.release(repository, 'sha256:short') }),
        );
        expect(raw.Item).toBeUndefined();
      });
    });
  });

  describe('Method: getRelease', () => {
    describe('when the stored item is malformed', () => {
      it('throws StoreError instead of returning an unchecked value', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        await clients.dynamoDocument.send(
          new PutCommand({
            TableName: standIns.tableName,
            Item: { ...itemKeys.release(repository, digest), repository, digest, state: 'PROMOTED-ISH' },
          }),
        );

        // Act
        const act = store.getRelease(repository, digest);

        // Assess
        await expect(act).rejects.toMatchObject({ name: 'StoreError', code: 'STORE_ERROR' });
      });
    });
  });

  describe('Method: updateReleaseState', () => {
    describe('when the state moves', () => {
      it('moves the release to the partition of its new state in the state index', async () => {
        // Prepare
        const rec = releaseRecord(newRepository(), newDigest());
        await store.recordRelease(rec);

        // Act
        await store.updateReleaseState(rec.repository, rec.digest, 'AWAITING_APPROVAL');

        // Assess
        expect(await rawItem(itemKeys.release(rec.repository, rec.digest))).toMatchObject({
          gsi1pk: indexKeys.releaseStatePartition('AWAITING_APPROVAL'),
          state: 'AWAITING_APPROVAL',
        });
      });
    });
  });

  describe('Method: listReleasesByState', () => {
    it('lists releases by state through the state index', async () => {
      // Prepare
      const rec = releaseRecord(newRepository(), newDigest(), { recordedAt: '2031-01-01T00:00:00.000Z' });
      await store.recordRelease(rec);
      await store.updateReleaseState(rec.repository, rec.digest, 'AWAITING_APPROVAL');

      // Act
      const awaiting = await store.listReleasesByState('AWAITING_APPROVAL');
      const recorded = await store.listReleasesByState('RECORDED');

      // Assess
      expect(awaiting.map((r) => r.digest)).toContain(rec.digest);
      expect(recorded.map((r) => r.digest)).not.toContain(rec.digest);
    });
  });

  describe('Method: putEvidence', () => {
    it('writes the record under the release partition, one sort key per kind', async () => {
      // Prepare
      const ev = evidenceRecord(newRepository(), newDigest(), { kind: 'provenance' });

      // Act
      await store.putEvidence(ev);

      // Assess
      expect(await rawItem(itemKeys.evidence(ev.repository, ev.digest, 'provenance'))).toEqual({
        ...ev,
        ...itemKeys.evidence(ev.repository, ev.digest, 'provenance'),
        type: 'evidence',
      });
    });
  });

  describe('Method: appendPromotion', () => {
    describe('when a previous attempt crashed after writing the marker only', () => {
      it('completes the track item from the marker on retry', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        const entry = promotionEntry(repository, digest, { promotedAt: '2026-04-01T00:00:00.000Z' });
        await clients.dynamoDocument.send(
          new PutCommand({
            TableName: standIns.tableName,
            Item: { ...entry, ...itemKeys.trackMarker(repository, digest), type: 'promotion-marker' },
          }),
        );
        expect(await store.lastPromotion(repository)).toBeNull();

        // Act
        await store.appendPromotion({ ...entry, promotedAt: '2026-04-02T00:00:00.000Z' });

        // Assess
        expect(await store.lastPromotion(repository)).toEqual(entry);
      });
    });

    describe('when the track holds items of the earlier layout, one an entry', () => {
      it('reads them with the packed ones', async () => {
        // Prepare
        const repository = newRepository();
        const old = promotionEntry(repository, newDigest(), { promotedAt: '2026-04-01T00:00:00.000Z' });
        await clients.dynamoDocument.send(
          new PutCommand({
            TableName: standIns.tableName,
            Item: { ...old, pk: `TRACK#${repository}`, sk: `${old.promotedAt}#${old.digest}`, type: 'promotion' },
          }),
        );
        const later = promotionEntry(repository, newDigest(), { promotedAt: '2026-04-02T00:00:00.000Z' });

        // Act
        await store.appendPromotion(later);

        // Assess
        expect(await store.listPromotions(repository)).toEqual([later, old]);
        expect(await store.lastPromotion(repository, later.digest)).toEqual(old);
      });
    });

    describe('when an entry written under the earlier name is appended again (a retry across an upgrade)', () => {
      it('lists the promotion once', async () => {
        // Prepare
        const repository = newRepository();
        const entry = promotionEntry(repository, newDigest(), { promotedAt: '2026-04-03T00:00:00.000Z' });
        const earlierName = `${entry.promotedAt}#${Buffer.from(entry.digest.slice(7), 'hex').toString('base64url')}`;
        await clients.dynamoDocument.send(
          new PutCommand({
            TableName: standIns.tableName,
            Item: { ...itemKeys.trackMonth(repository, entry.promotedAt), [earlierName]: `prod/${repository} v1` },
          }),
        );

        // Act
        await store.appendPromotion(entry);

        // Assess
        expect(Object.keys((await rawItem(itemKeys.trackMonth(repository, entry.promotedAt))) ?? {})).toHaveLength(4);
        expect(await store.listPromotions(repository)).toEqual([entry]);
      });
    });

    describe("when a month's item is full", () => {
      it('goes on in the next item, and a retry adds no second entry', async () => {
        // Prepare: rollbacks with long reasons fill the month's item (400 KB) in a few entries
        const repository = newRepository();
        const rollback = (day: number) => ({
          ...promotionEntry(repository, newDigest(), {
            promotedAt: `2026-06-${String(day).padStart(2, '0')}T00:00:00.000Z`,
          }),
          kind: 'rollback' as const,
          by: 'ops@example.com',
          reason: 'r'.repeat(90_000),
        });
        const entries = Array.from({ length: 6 }, (_, i) => rollback(i + 1));

        // Act
        for (const e of entries) await store.appendPromotion(e);
        await store.appendPromotion(entries[0] ?? rollback(1));

        // Assess
        expect((await store.listPromotions(repository)).map((e) => e.promotedAt)).toEqual(
          entries.map((e) => e.promotedAt).reverse(),
        );
        expect(await rawItem(itemKeys.trackMonth(repository, '2026-06', 1))).toBeDefined();
        expect(await store.lastPromotion(repository)).toEqual(entries[5]);
      });
    });
  });

  describe('Methods: listIndexNodes, listPromotions', () => {
    describe('when a packed item holds an attribute that is not a link or an entry', () => {
      it('throws StoreError rather than leave a node or a promotion out', async () => {
        // Prepare
        const repository = newRepository();
        for (const Item of [
          { ...itemKeys.indexNodeLinks(repository, 3), 'not-a-digest.x': '3' },
          { ...itemKeys.trackMonth(repository, '2026-07'), '2026-07-01T00:00:00.000Z#short': 'prod v1' },
        ]) {
          await clients.dynamoDocument.send(new PutCommand({ TableName: standIns.tableName, Item }));
        }

        // Act
        const nodes = store.listIndexNodes(repository, { from: 0, to: 10 });
        const track = store.listPromotions(repository);

        // Assess
        await expect(nodes).rejects.toBeInstanceOf(StoreError);
        await expect(track).rejects.toBeInstanceOf(StoreError);
      });
    });
  });

  describe('Method: writeIndexEntries', () => {
    it('writes one item per package version under the purl without version, with only what its key does not say', async () => {
      // Prepare
      const repository = newRepository();
      const digest: Digest = newDigest();
      const name = `layout-${uniqueSuffix()}`;

      // Act
      const { node } = await indexRelease(store, repository, digest, [
        `pkg:deb/debian/${name}@1.0-1?arch=amd64`,
        `pkg:deb/debian/${name}@1.0-1?arch=arm64`,
        `pkg:deb/debian/${name}-doc@1.0-1`,
      ]);

      // Assess
      const out = await clients.dynamoDocument.send(
        new QueryCommand({
          TableName: standIns.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': itemKeys.packagePartition(`pkg:deb/debian/${name}`) },
        }),
      );
      // Only what the key does not say: the components, here more than `<package>@<version>`.
      expect(out.Items).toEqual([
        {
          ...itemKeys.packageIndex(`pkg:deb/debian/${name}`, '1.0-1', repository, digest, node.set),
          seq: 0,
          components: [`pkg:deb/debian/${name}@1.0-1?arch=amd64`, `pkg:deb/debian/${name}@1.0-1?arch=arm64`],
        },
      ]);
      const doc = await clients.dynamoDocument.send(
        new QueryCommand({
          TableName: standIns.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': itemKeys.packagePartition(`pkg:deb/debian/${name}-doc`) },
        }),
      );
      expect(doc.Items).toEqual([
        { ...itemKeys.packageIndex(`pkg:deb/debian/${name}-doc`, '1.0-1', repository, digest, node.set), seq: 0 },
      ]);
    });
  });

  describe('Method: writeIndexEntries, many batches', () => {
    /** A client that counts BatchWriteItem requests in flight, and fails the `failAt`-th. */
    function watched(failAt?: number) {
      const ours = awsClients({ endpoints: { dynamodb: standIns.dynamoEndpoint, s3: standIns.s3Endpoint } });
      const seen = { requests: 0, inFlight: 0, maxInFlight: 0 };
      ours.dynamodb.middlewareStack.add(
        (next) => async (args) => {
          // BatchWriteItem only: its RequestItems hold lists (BatchGetItem's hold `Keys`).
          const requestItems = (args.input as { RequestItems?: Record<string, unknown> }).RequestItems;
          if (requestItems === undefined || !Object.values(requestItems).every(Array.isArray)) return next(args);
          seen.requests++;
          seen.inFlight++;
          seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
          const n = seen.requests;
          try {
            await new Promise((r) => setTimeout(r, 5));
            if (n === failAt) {
              throw Object.assign(new Error('injected'), { name: 'InternalServerError', $fault: 'server' });
            }
            return await next(args);
          } finally {
            seen.inFlight--;
          }
        },
        { step: 'initialize', name: 'watchBatches' },
      );
      return { ours, seen };
    }
    const node = (repository: string, digest: Digest) => ({
      repository,
      digest,
      set: 'ab'.repeat(8),
      setDigest: `sha256:${'ab'.repeat(32)}` as Digest,
      base: null,
      seq: 0,
      depth: 0,
      startedAt: '2026-12-01T00:00:00.000Z',
    });
    const entries = (name: string) =>
      Array.from({ length: 25 * 20 }, (_, i) => ({
        base: `pkg:npm/${name}-${i}`,
        version: '1.0.0',
        components: [`pkg:npm/${name}-${i}@1.0.0`],
      }));

    it('writes 20 batches with at most 8 requests in flight, and every item lands', async () => {
      // Prepare
      const { ours, seen } = watched();
      const fast = new DynamoReleaseStore({ client: ours.dynamoDocument, tableName: standIns.tableName });
      const name = `many-${uniqueSuffix()}`;
      const repository = newRepository();
      const digest = newDigest();

      // Act
      await fast.writeIndexEntries(node(repository, digest), entries(name));
      ours.dynamodb.destroy();

      // Assess
      expect(seen.requests).toBe(20);
      expect(seen.maxInFlight).toBeGreaterThan(1);
      expect(seen.maxInFlight).toBeLessThanOrEqual(8);
      expect((await store.findByPackage(`pkg:npm/${name}-499`)).map((e) => e.digest)).toEqual([digest]);
    });

    it('fails with StoreError when one batch fails, after every batch in flight has settled', async () => {
      // Prepare
      const { ours, seen } = watched(3);
      const failing = new DynamoReleaseStore({ client: ours.dynamoDocument, tableName: standIns.tableName });

      // Act
      const act = failing.writeIndexEntries(node(newRepository(), newDigest()), entries(`fail-${uniqueSuffix()}`));

      // Assess
      await expect(act).rejects.toBeInstanceOf(StoreError);
      expect(seen.inFlight).toBe(0);
      ours.dynamodb.destroy();
    });
  });

  describe('Method: listPromotionsWithStates', () => {
    /** Digests in one sixteenth of a repository (one `RELSTATES#` item): the first hex digit `b`. */
    const digestInB = (): Digest => `sha256:b${newDigest().slice('sha256:'.length + 1)}`;
    /**
     * Six releases of one repository, indexed as collection does (a snapshot, then deltas), with
     * a package in every one and a package that moves: four promoted as Promote does (the
     * track entry, then the state), one with the state first, one quarantined.
     */
    async function gated(target: ReleaseStore, repository: string, digests: readonly Digest[], base: string) {
      const documents =
        target instanceof MemoryStore ? target : new S3DocumentStore({ client: clients.s3, bucket: standIns.bucket });
      for (const [i, digest] of digests.entries()) {
        await target.recordRelease({
          ...releaseRecord(repository, digest),
          recordedAt: `2026-03-0${i + 1}T00:00:00.000Z`,
        });
        await indexRelease(target, repository, digest, [`${base}@1.0.0`, `${base}-moving@1.0.${i % 3}`], [], documents);
      }
      const promotion = (digest: Digest, i: number) => ({
        ...promotionEntry(repository, digest),
        promotedAt: `2026-03-0${i + 1}T12:00:00.000Z`,
        tag: `1.${i}.0`,
      });
      for (const [i, digest] of digests.slice(0, 4).entries()) {
        await target.appendPromotion(promotion(digest, i));
        await target.updateReleaseState(repository, digest, 'PROMOTED');
      }
      const [stateFirst, quarantined] = digests.slice(4);
      if (stateFirst === undefined || quarantined === undefined) throw new Error('six releases');
      await target.updateReleaseState(repository, stateFirst, 'PROMOTED');
      await target.appendPromotion(promotion(stateFirst, 4));
      await target.updateReleaseState(repository, quarantined, 'QUARANTINED');
    }
    /** The same releases gated on DynamoDB and in a MemoryStore (what triage should answer). */
    async function gatedInBoth() {
      const repository = newRepository();
      const base = `pkg:npm/base-${uniqueSuffix()}`;
      const digests = Array.from({ length: 6 }, digestInB);
      const memory = new MemoryStore();
      await gated(store, repository, digests, base);
      await gated(memory, repository, digests, base);
      return { repository, base, digests, memory };
    }
    /** A client whose reads are listed by key prefix (`BatchGetItem RELSTATES#`, `Query IDXSEQ#`). */
    function watchedStore() {
      const ours = awsClients({ endpoints: { dynamodb: standIns.dynamoEndpoint, s3: standIns.s3Endpoint } });
      const reads: string[] = [];
      ours.dynamodb.middlewareStack.add(
        (next) => async (args) => {
          const input = args.input as {
            ExpressionAttributeValues?: Record<string, unknown>;
            RequestItems?: Record<string, { Keys?: { pk?: unknown }[] }>;
          };
          const batchKeys = Object.values(input.RequestItems ?? {}).flatMap((r) => r.Keys ?? []);
          for (const pk of [input.ExpressionAttributeValues?.[':pk'], ...batchKeys.map((k) => k.pk)]) {
            if (typeof pk === 'string') reads.push(pk.slice(0, pk.indexOf('#') + 1));
          }
          return next(args);
        },
        { step: 'initialize', name: 'watchReads' },
      );
      return {
        ours,
        reads,
        watched: new DynamoReleaseStore({ client: ours.dynamoDocument, tableName: standIns.tableName }),
      };
    }

    describe('when releases were promoted, in either order of the track entry and the state', () => {
      it('lists them as PROMOTED with their node links, and triage reads neither their state copies nor their links again', async () => {
        // Prepare
        const { repository, base, digests, memory } = await gatedInBoth();
        const { ours, reads, watched } = watchedStore();

        // Act
        const track = await store.listPromotionsWithStates(repository);
        const answer = await triage(watched, { kind: 'range', purl: base });
        ours.dynamodb.destroy();

        // Assess
        expect(new Set(track.promoted)).toEqual(new Set(digests.slice(0, 5)));
        expect(track.promotions).toEqual(await memory.listPromotions(repository));
        expect(new Set(track.links.map((l) => l.digest))).toEqual(new Set(digests.slice(0, 5)));
        expect((await store.listIndexNodes(repository)).map((l) => l.digest)).toEqual([digests[5]]);
        expect(answer).toEqual(await triage(memory, { kind: 'range', purl: base }));
        expect(answer.releases.map((r) => r.status).sort()).toEqual([
          'LIVE',
          'PROMOTED',
          'PROMOTED',
          'PROMOTED',
          'PROMOTED',
          'QUARANTINED',
        ]);
        expect(reads).not.toContain('RELSTATES#');
      });
    });

    describe('when a node link was written again after it moved (a retried start)', () => {
      it('reads it in both places and lists each release once', async () => {
        // Prepare
        const { repository, base, memory } = await gatedInBoth();
        const [first] = (await store.listPromotionsWithStates(repository)).links;
        const node = await store.getIndexNode(repository, first?.digest ?? newDigest(), first?.set ?? '');
        if (node === null) throw new Error('no node');

        // Act
        await store.startIndexNode(node);
        const answer = await triage(store, { kind: 'range', purl: base });

        // Assess
        expect((await store.listIndexNodes(repository)).map((l) => l.digest)).toContain(first?.digest);
        expect(answer).toEqual(await triage(memory, { kind: 'range', purl: base }));
      });
    });
  });

  describe('Method: getReleaseStatuses', () => {
    /** Digests in one sixteenth of a repository (one `RELSTATES#` item): the first hex digit `a`. */
    const digestInA = (): Digest => `sha256:a${newDigest().slice('sha256:'.length + 1)}`;
    const statesOf = async (keys: readonly { repository: string; digest: Digest }[]) =>
      (await store.getReleaseStatuses(keys)).map((s) => [s.state, s.revocation?.reason ?? null]);
    const moveRaw = (repository: string, digest: Digest, state: string) =>
      clients.dynamoDocument.send(
        new UpdateCommand({
          TableName: standIns.tableName,
          Key: itemKeys.release(repository, digest),
          UpdateExpression: 'SET #state = :state',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':state': state },
        }),
      );

    describe('when several releases of one sixteenth of a repository are finished', () => {
      it('answers their states from the copies, the others from their items, and every revocation', async () => {
        // Prepare
        const repository = newRepository();
        const recs = Array.from({ length: 5 }, () => releaseRecord(repository, digestInA()));
        for (const rec of recs) await store.recordRelease(rec);
        const [a, b, c, d] = recs.map((r) => r.digest);
        for (const digest of [a, b]) await store.updateReleaseState(repository, digest ?? digestInA(), 'PROMOTED');
        await store.updateReleaseState(repository, c ?? digestInA(), 'QUARANTINED');
        await store.updateReleaseState(repository, d ?? digestInA(), 'EVALUATED');
        await store.revokeRelease({
          repository,
          digest: b ?? digestInA(),
          revokedAt: '2026-05-01T00:00:00.000Z',
          revokedBy: 'ops',
          reason: 'CVE',
        });

        // Act
        const states = await statesOf(recs);

        // Assess
        expect(states).toEqual([
          ['PROMOTED', null],
          ['PROMOTED', 'CVE'],
          ['QUARANTINED', null],
          ['EVALUATED', null],
          ['RECORDED', null],
        ]);
        expect(Object.keys((await rawItem(itemKeys.releaseStates(repository, digestInA()))) ?? {}).length).toBe(2 + 3);
      });
    });

    describe('when a state moved but its copy was never written (a crash between the two writes)', () => {
      it('answers from the release item, and the retried move writes the copy', async () => {
        // Prepare
        const repository = newRepository();
        const recs = Array.from({ length: 4 }, () => releaseRecord(repository, digestInA()));
        for (const rec of recs) await store.recordRelease(rec);
        for (const rec of recs.slice(1)) await store.updateReleaseState(repository, rec.digest, 'PROMOTED');
        const crashed = recs[0]?.digest ?? digestInA();
        await moveRaw(repository, crashed, 'QUARANTINED');

        // Act
        const before = await statesOf(recs);
        await store.updateReleaseState(repository, crashed, 'QUARANTINED');
        const copy = await rawItem(itemKeys.releaseStates(repository, crashed));

        // Assess
        expect(before[0]).toEqual(['QUARANTINED', null]);
        expect(Object.values(copy ?? {})).toContain('01Q');
      });
    });

    describe('when a quarantined release starts another round', () => {
      it('no longer answers the copy of the ended round, even when the move of the release item crashed', async () => {
        // Prepare
        const repository = newRepository();
        const recs = Array.from({ length: 4 }, () => releaseRecord(repository, digestInA()));
        for (const rec of recs) {
          await store.recordRelease(rec);
          await store.updateReleaseState(repository, rec.digest, 'QUARANTINED');
        }
        const [first, second] = recs;
        const resubmission = (digest: Digest) => ({
          repository,
          digest,
          round: 2,
          executionName: `round-2-${digest.slice(7, 15)}`,
          by: 'carol@example.com',
          at: '2026-01-11T09:00:00.000Z',
          reason: 'the eval was re-run',
        });
        // A store that crashes when it would write a release item (after the round's other writes).
        const ours = awsClients({ endpoints: { dynamodb: standIns.dynamoEndpoint, s3: standIns.s3Endpoint } });
        ours.dynamodb.middlewareStack.add(
          (next) => async (args) => {
            const sk = (args.input as { Item?: { sk?: unknown } }).Item?.sk;
            if (JSON.stringify(sk)?.includes('META')) throw new Error('crashed before the release item was written');
            return next(args);
          },
          { step: 'initialize', name: 'crashOnReleaseItem' },
        );
        const crashing = new DynamoReleaseStore({ client: ours.dynamoDocument, tableName: standIns.tableName });

        // Act
        await store.resubmitRelease(resubmission(first?.digest ?? digestInA()));
        const refused = await crashing.resubmitRelease(resubmission(second?.digest ?? digestInA())).catch((e) => e);
        ours.dynamodb.destroy();
        const afterStart = await statesOf(recs);
        await store.updateReleaseState(repository, first?.digest ?? digestInA(), 'PROMOTED');
        const afterEnd = await statesOf(recs);

        // Assess
        expect(refused).toBeInstanceOf(Error);
        expect(afterStart.slice(0, 2)).toEqual([
          ['RECORDED', null],
          ['QUARANTINED', null],
        ]);
        expect(afterEnd[0]).toEqual(['PROMOTED', null]);
      });
    });

    describe('when the copy item of its sixteenth is full and a quarantined release without a copy starts another round', () => {
      it('starts the round (the release is read from its own item), and the copies stay as they were', async () => {
        // Prepare: ~8,900 finished releases' copies fill the item to within one copy of 400 KB.
        const repository = newRepository();
        const rec = releaseRecord(repository, digestInA());
        await store.recordRelease(rec);
        const key = itemKeys.releaseStates(repository, rec.digest);
        const copyBytes = 43 + '01P'.length; // a digest in base64url, and its value
        const keyBytes = 'pk'.length + key.pk.length + 'sk'.length + key.sk.length;
        const filler: Record<string, string> = {};
        while (keyBytes + (Object.keys(filler).length + 1) * copyBytes <= 400 * 1024) {
          filler[Buffer.from(digestInA().slice('sha256:'.length), 'hex').toString('base64url')] = '01P';
        }
        await clients.dynamoDocument.send(
          new PutCommand({ TableName: standIns.tableName, Item: { ...key, ...filler } }),
        );
        await store.updateReleaseState(repository, rec.digest, 'QUARANTINED');
        const copiesBefore = Object.keys((await rawItem(key)) ?? {}).length;

        // Act
        const started = await store.resubmitRelease({
          repository,
          digest: rec.digest,
          round: 2,
          executionName: 'round-2-full',
          by: 'carol@example.com',
          at: '2026-01-11T09:00:00.000Z',
          reason: 'the eval was re-run',
        });

        // Assess
        expect(started).toMatchObject({ state: 'RECORDED', gateRound: 2 });
        expect(await statesOf([rec])).toEqual([['RECORDED', null]]);
        expect(Object.keys((await rawItem(key)) ?? {}).length).toBe(copiesBefore);
      });
    });

    describe('when DynamoDB leaves keys unprocessed', () => {
      it('asks for them again until every release is answered', async () => {
        // Prepare: the first two BatchGetItem answers hold the first key only, the rest unprocessed.
        const ours = awsClients({ endpoints: { dynamodb: standIns.dynamoEndpoint, s3: standIns.s3Endpoint } });
        const batches: number[] = [];
        ours.dynamodb.middlewareStack.add(
          (next) => async (args) => {
            const input = args.input as { RequestItems?: Record<string, { Keys: unknown[] }> };
            const request = input.RequestItems?.[standIns.tableName];
            if (request === undefined) return next(args);
            batches.push(request.Keys.length);
            if (batches.length > 2) return next(args);
            const rest = request.Keys.slice(1);
            request.Keys = request.Keys.slice(0, 1);
            const result = await next(args);
            const output = result.output as { UnprocessedKeys?: Record<string, { Keys: unknown[] }> };
            output.UnprocessedKeys = { [standIns.tableName]: { Keys: rest } };
            return result;
          },
          { step: 'initialize', name: 'unprocessedKeys' },
        );
        const flaky = new DynamoReleaseStore({ client: ours.dynamoDocument, tableName: standIns.tableName });
        const repository = newRepository();
        const recs = [releaseRecord(repository, newDigest()), releaseRecord(repository, newDigest())];
        for (const rec of recs) await store.recordRelease(rec);
        await store.revokeRelease({
          repository,
          digest: recs[1]?.digest ?? '',
          revokedAt: '2026-05-01T00:00:00.000Z',
          revokedBy: 'ops',
          reason: 'CVE',
        });

        // Act
        const statuses = await flaky.getReleaseStatuses(recs);
        ours.dynamodb.destroy();

        // Assess: four keys (record and revocation of each), one answered per round until the last.
        expect(batches).toEqual([4, 3, 2]);
        expect(statuses.map((s) => [s.state, s.revocation?.reason ?? null])).toEqual([
          ['RECORDED', null],
          ['RECORDED', 'CVE'],
        ]);
      });
    });
  });

  describe('Item expiry (the TTL attribute, table-schema.ts)', () => {
    /** Every item of the table that mentions `text`, in its key or its attributes. */
    async function itemsMentioning(text: string): Promise<Record<string, unknown>[]> {
      const items: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await clients.dynamoDocument.send(
          new ScanCommand({ TableName: standIns.tableName, ExclusiveStartKey: start }),
        );
        items.push(...(page.Items ?? []).filter((item) => JSON.stringify(item).includes(text)));
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return items;
    }

    describe('when a release goes through the gate and is promoted, revoked and indexed', () => {
      it('writes no expiry on any of its records: release, evidence, decision, approval, audit, revocation, track, index', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        const approvalId = `appr-${uniqueSuffix()}`;

        // Act
        await store.recordRelease(releaseRecord(repository, digest));
        await store.putEvidence(evidenceRecord(repository, digest));
        await store.putDecision(decisionRecord(repository, digest));
        await store.putApproval(approvalRecord(approvalId, { repository, digest }));
        await store.decideApproval(approvalId, 'APPROVED', 'amy@example.com', '2026-01-10T10:06:00.000Z');
        await store.appendApprovalAudit(approvalAuditRecord(repository, digest, { approvalId }));
        await store.appendPromotion(promotionEntry(repository, digest));
        await store.revokeRelease({
          repository,
          digest,
          revokedAt: '2026-03-01T00:00:00.000Z',
          revokedBy: 'amy@example.com',
          reason: 'superseded',
        });
        await indexRelease(store, repository, digest, [`pkg:npm/expiry-${uniqueSuffix()}@1.0.0`]);

        // Assess
        const items = await itemsMentioning(repository);
        const kinds = new Set(items.map((item) => String(item.pk).split('#')[0]));
        expect([...kinds]).toEqual(expect.arrayContaining(['APPROVAL', 'IDXNODE', 'REL', 'TRACK']));
        expect(items.filter((item) => TIME_TO_LIVE_ATTRIBUTE in item)).toEqual([]);
        expect(await rawItem(itemKeys.approval(approvalId))).toMatchObject({
          [DEADLINE_ATTRIBUTE]: '2026-01-11T10:05:00.000Z',
          state: 'APPROVED',
        });
      });
    });

    describe('when a break-glass request is left unconfirmed, and another is confirmed', () => {
      it('expires the unconfirmed one 90 days after its deadline and keeps the confirmed one', async () => {
        // Prepare
        const repository = newRepository();
        const [left, used] = [pendingBreakGlass({ repository }), pendingBreakGlass({ repository })];

        // Act
        await store.createBreakGlassRequest(left);
        await store.createBreakGlassRequest(used);
        await store.useBreakGlassRequest(used.id, 'arn:aws:iam::123456789012:user/bob', '2026-05-01T00:10:00.000Z');

        // Assess
        const ninetyDaysAfterDeadline = Date.parse('2026-07-30T01:00:00.000Z') / 1000;
        expect(await rawItem(itemKeys.breakGlass(left.id))).toMatchObject({
          [TIME_TO_LIVE_ATTRIBUTE]: ninetyDaysAfterDeadline,
          [DEADLINE_ATTRIBUTE]: left.expiresAt,
          state: 'PENDING',
        });
        const kept = await rawItem(itemKeys.breakGlass(used.id));
        expect(kept).toMatchObject({ [DEADLINE_ATTRIBUTE]: used.expiresAt, state: 'USED' });
        expect(kept).not.toHaveProperty(TIME_TO_LIVE_ATTRIBUTE);
        expect(await store.getBreakGlassRequest(left.id)).toEqual(left);
      });
    });

    describe('when a scan rendezvous holds a token alone, or a result (in either order)', () => {
      it('expires the token alone 90 days after it was stored and keeps the ones with a result', async () => {
        // Prepare
        const repository = newRepository();
        const [alone, tokenFirst, resultFirst] = [newDigest(), newDigest(), newDigest()];
        const before = Math.floor(Date.now() / 1000);

        // Act
        await store.offerScanToken(repository, alone, 'token-alone');
        await store.offerScanToken(repository, tokenFirst, 'token-first');
        await store.offerScanResult(repository, tokenFirst, scanResult);
        await store.offerScanResult(repository, resultFirst, scanResult);
        await store.offerScanToken(repository, resultFirst, 'token-after');
        const after = Math.ceil(Date.now() / 1000);

        // Assess
        const ttl = (await rawItem(itemKeys.scan(repository, alone)))?.[TIME_TO_LIVE_ATTRIBUTE];
        expect(ttl).toBeTypeOf('number');
        expect(ttl).toBeGreaterThanOrEqual(before + EXPIRED_ITEM_RETENTION_SECONDS);
        expect(ttl).toBeLessThanOrEqual(after + EXPIRED_ITEM_RETENTION_SECONDS);
        for (const digest of [tokenFirst, resultFirst]) {
          const kept = await rawItem(itemKeys.scan(repository, digest));
          expect(kept).toMatchObject({ result: scanResult });
          expect(kept).not.toHaveProperty(TIME_TO_LIVE_ATTRIBUTE);
        }
        expect(EXPIRED_ITEM_RETENTION_SECONDS).toBe(90 * 24 * 60 * 60);
      });
    });

    describe('when an approval and a break-glass request were written by an earlier version (expiresAt an ISO string)', () => {
      it('reads them, their deadline from expiresAt', async () => {
        // Prepare
        const approval = approvalRecord(`appr-${uniqueSuffix()}`);
        const request = pendingBreakGlass();
        await clients.dynamoDocument.send(
          new PutCommand({
            TableName: standIns.tableName,
            Item: {
              ...approval,
              ...itemKeys.approval(approval.approvalId),
              ...indexKeys.approval(approval.state, approval.requestedAt, approval.approvalId),
              type: 'approval',
            },
          }),
        );
        await clients.dynamoDocument.send(
          new PutCommand({
            TableName: standIns.tableName,
            Item: { ...request, ...itemKeys.breakGlass(request.id), type: 'break-glass' },
          }),
        );

        // Act
        const read = await store.getApproval(approval.approvalId);
        const decided = await store.decideApproval(
          approval.approvalId,
          'REJECTED',
          'amy@example.com',
          '2026-01-10T11:00:00.000Z',
        );
        const used = await store.useBreakGlassRequest(
          request.id,
          'arn:aws:iam::123456789012:user/bob',
          '2026-05-01T00:10:00.000Z',
        );

        // Assess
        expect(read).toEqual(approval);
        expect(decided).toMatchObject({ state: 'REJECTED', expiresAt: approval.expiresAt });
        expect(used).toMatchObject({ ...request, state: 'USED' });
        const kept = await rawItem(itemKeys.breakGlass(request.id));
        expect(kept).toMatchObject({ [DEADLINE_ATTRIBUTE]: request.expiresAt });
        expect(kept).not.toHaveProperty(TIME_TO_LIVE_ATTRIBUTE);
        expect((await store.listApprovals('REJECTED')).map((a) => a.approvalId)).toContain(approval.approvalId);
      });
    });

    describe('when an approval item has a numeric expiresAt and no deadline', () => {
      it('throws StoreError: the TTL is never read as the deadline', async () => {
        // Prepare
        const approval = approvalRecord(`appr-${uniqueSuffix()}`);
        await clients.dynamoDocument.send(
          new PutCommand({
            TableName: standIns.tableName,
            Item: { ...approval, ...itemKeys.approval(approval.approvalId), [TIME_TO_LIVE_ATTRIBUTE]: 1_800_000_000 },
          }),
        );

        // Act
        const act = store.getApproval(approval.approvalId);

        // Assess
        await expect(act).rejects.toMatchObject({ name: 'StoreError' });
      });
    });
  });

  describe('when DynamoDB fails', () => {
    it('throws StoreError with the SDK error as cause', async () => {
      // Prepare
      const broken = new DynamoReleaseStore({ client: clients.dynamoDocument, tableName: 'no-such-table' });

      // Act
      const act = broken.getRelease('team/app', newDigest());

      // Assess
      await expect(act).rejects.toMatchObject({
        name: 'StoreError',
        code: 'STORE_ERROR',
        cause: expect.objectContaining({ name: 'ResourceNotFoundException' }),
      });
    });
  });
});

describe('Function: startStandIns', () => {
  describe('when started with a data directory', () => {
    it('keeps releases and documents across a restart', async () => {
      // Prepare
      const dataDir = await mkdtemp(join(tmpdir(), 'release-gate-persist-'));
      const rec = releaseRecord(newRepository(), newDigest());
      let documentDigest: Digest;
      try {
        const first = await startStandIns({ dataDir });
        const firstClients = awsClients({ endpoints: { dynamodb: first.dynamoEndpoint, s3: first.s3Endpoint } });
        try {
          await new DynamoReleaseStore({
            client: firstClients.dynamoDocument,
            tableName: first.tableName,
          }).recordRelease(rec);
          documentDigest = await new S3DocumentStore({ client: firstClients.s3, bucket: first.bucket }).put(
            new TextEncoder().encode('persisted'),
            'text/plain',
          );
        } finally {
          firstClients.dynamodb.destroy();
          firstClients.s3.destroy();
          await first.stop();
        }

        // Act
        const second = await startStandIns({ dataDir });
        const secondClients = awsClients({ endpoints: { dynamodb: second.dynamoEndpoint, s3: second.s3Endpoint } });
        try {
          const stored = await new DynamoReleaseStore({
            client: secondClients.dynamoDocument,
            tableName: second.tableName,
          }).getRelease(rec.repository, rec.digest);
          const bytes = await new S3DocumentStore({ client: secondClients.s3, bucket: second.bucket }).get(
            documentDigest,
          );

          // Assess
          expect(stored).toEqual(rec);
          expect(new TextDecoder().decode(bytes)).toBe('persisted');
        } finally {
          secondClients.dynamodb.destroy();
          secondClients.s3.destroy();
          await second.stop();
        }
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
});
