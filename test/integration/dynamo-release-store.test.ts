/**
 * DynamoReleaseStore against a real dynalite (started by startStandIns on an ephemeral port),
 * through the real AWS SDK v3 document client.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandIns, startStandIns } from '../../cli/local/stand-ins.js';
import { type AwsClients, awsClients } from '../../lambdas/adapters/aws/clients.js';
import { DynamoReleaseStore } from '../../lambdas/adapters/store/dynamo-release-store.js';
import { S3DocumentStore } from '../../lambdas/adapters/store/s3-document-store.js';
import { itemKeys } from '../../lambdas/adapters/store/table-schema.js';
import { ConflictError, GateError, InvalidInputError, NotFoundError } from '../../lambdas/domain/errors.js';
import type {
  ApprovalRecord,
  DecisionRecord,
  ReleaseRecord,
  ScanCompletion,
  StoredEvidence,
} from '../../lambdas/domain/ports.js';
import type { Digest } from '../../lambdas/domain/types.js';

let standIns: StandIns;
let clients: AwsClients;
let store: DynamoReleaseStore;
let counter = 0;

/** A fresh digest per call, so tests never share items. */
function newDigest(): Digest {
  counter += 1;
  return `sha256:${createHash('sha256').update(`digest-${counter}-${Math.random()}`).digest('hex')}`;
}

function newRepository(): string {
  counter += 1;
  return `team/app-${counter}`;
}

function release(repository: string, digest: Digest, overrides: Partial<ReleaseRecord> = {}): ReleaseRecord {
  return {
    repository,
    digest,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    tag: 'v1.2.3',
    stage: 'production',
    platforms: [{ digest: newDigest(), platform: 'linux/amd64' }],
    state: 'RECORDED',
    executionName: `${repository.replace('/', '-')}-${digest.slice(7, 20)}`,
    recordedAt: '2026-01-10T10:00:00.000Z',
    ...overrides,
  };
}

function evidence(repository: string, digest: Digest, overrides: Partial<StoredEvidence> = {}): StoredEvidence {
  return {
    repository,
    digest,
    kind: 'sbom',
    status: 'PASS',
    reasons: ['CycloneDX 1.6 SBOM with 42 components'],
    facts: { format: 'cyclonedx', components: 42, nested: { ok: true } },
    documents: [{ name: 'sbom.json', mediaType: 'application/vnd.cyclonedx+json', digest: newDigest(), size: 1234 }],
    collectedAt: '2026-01-10T10:01:00.000Z',
    ...overrides,
  };
}

function approval(id: string, overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    approvalId: id,
    repository: 'team/app',
    digest: newDigest(),
    tokenHash: createHash('sha256').update(`token-${id}`).digest('hex'),
    taskToken: `token-${id}`,
    state: 'PENDING',
    requestedAt: '2026-01-10T10:05:00.000Z',
    expiresAt: '2026-01-11T10:05:00.000Z',
    ...overrides,
  };
}

const scanResult: ScanCompletion = {
  status: 'COMPLETE',
  source: 'ecr-basic',
  severityCounts: { CRITICAL: 0, HIGH: 2 },
  completedAt: '2026-01-10T10:02:00.000Z',
};

beforeAll(async () => {
  standIns = await startStandIns({});
  clients = awsClients({ endpoints: { dynamodb: standIns.dynamoEndpoint, s3: standIns.s3Endpoint } });
  store = new DynamoReleaseStore({ client: clients.dynamoDocument, tableName: standIns.tableName });
});

afterAll(async () => {
  clients?.dynamodb.destroy();
  clients?.s3.destroy();
  await standIns?.stop();
});

describe('Class: DynamoReleaseStore', () => {
  describe('Method: recordRelease', () => {
    describe('when the digest was not recorded before', () => {
      it('writes the record and reports it as created', async () => {
        // Prepare
        const rec = release(newRepository(), newDigest());

        // Act
        const result = await store.recordRelease(rec);

        // Assess
        expect(result).toEqual({ record: rec, created: true });
        expect(await store.getRelease(rec.repository, rec.digest)).toEqual(rec);
      });
    });

    describe('when the digest was already recorded', () => {
      it('keeps and returns the existing record', async () => {
        // Prepare
        const first = release(newRepository(), newDigest());
        await store.recordRelease(first);
        const second = { ...first, stage: 'staging', executionName: 'another-execution' };

        // Act
        const result = await store.recordRelease(second);

        // Assess
        expect(result).toEqual({ record: first, created: false });
        expect(await store.getRelease(first.repository, first.digest)).toEqual(first);
      });
    });

    describe('when the record is invalid', () => {
      it('throws InvalidInputError and writes nothing', async () => {
        // Prepare
        const repository = newRepository();
        const rec = { ...release(repository, newDigest()), digest: 'sha256:short' };

        // Act
        const act = store.recordRelease(rec);

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
    describe('when the release is unknown', () => {
      it('returns null', async () => {
        // Act
        const result = await store.getRelease(newRepository(), newDigest());

        // Assess
        expect(result).toBeNull();
      });
    });

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
    describe('when the state moves forward', () => {
      it('stores the new state and the outcome fields', async () => {
        // Prepare
        const rec = release(newRepository(), newDigest());
        await store.recordRelease(rec);
        await store.updateReleaseState(rec.repository, rec.digest, 'EVALUATED');

        // Act
        const updated = await store.updateReleaseState(rec.repository, rec.digest, 'QUARANTINED', {
          outcome: 'QUARANTINED',
          outcomeReasons: ['signature: MISSING'],
          decidedAt: '2026-01-10T11:00:00.000Z',
        });

        // Assess
        expect(updated).toEqual({
          ...rec,
          state: 'QUARANTINED',
          outcome: 'QUARANTINED',
          outcomeReasons: ['signature: MISSING'],
          decidedAt: '2026-01-10T11:00:00.000Z',
        });
        expect(await store.getRelease(rec.repository, rec.digest)).toEqual(updated);
      });
    });

    describe('when the release is already in the same terminal state', () => {
      it('is a no-op that returns the stored record', async () => {
        // Prepare
        const rec = release(newRepository(), newDigest());
        await store.recordRelease(rec);
        const promoted = await store.updateReleaseState(rec.repository, rec.digest, 'PROMOTED', {
          outcome: 'PROMOTED',
          decidedAt: '2026-01-10T11:00:00.000Z',
        });

        // Act
        const again = await store.updateReleaseState(rec.repository, rec.digest, 'PROMOTED', {
          outcome: 'PROMOTED',
          decidedAt: '2026-01-10T12:00:00.000Z',
        });

        // Assess
        expect(again).toEqual(promoted);
        expect(again.decidedAt).toBe('2026-01-10T11:00:00.000Z');
      });
    });

    describe('when the release is in the other terminal state', () => {
      it('throws ConflictError and keeps the terminal state', async () => {
        // Prepare
        const rec = release(newRepository(), newDigest());
        await store.recordRelease(rec);
        await store.updateReleaseState(rec.repository, rec.digest, 'PROMOTED', { outcome: 'PROMOTED' });

        // Act
        const act = store.updateReleaseState(rec.repository, rec.digest, 'QUARANTINED', { outcome: 'QUARANTINED' });

        // Assess
        await expect(act).rejects.toBeInstanceOf(ConflictError);
        const stored = await store.getRelease(rec.repository, rec.digest);
        expect(stored?.state).toBe('PROMOTED');
        expect(stored?.outcome).toBe('PROMOTED');
      });
    });

    describe('when the release is terminal and a non-terminal state is asked', () => {
      it('throws ConflictError', async () => {
        // Prepare
        const rec = release(newRepository(), newDigest());
        await store.recordRelease(rec);
        await store.updateReleaseState(rec.repository, rec.digest, 'QUARANTINED');

        // Act
        const act = store.updateReleaseState(rec.repository, rec.digest, 'AWAITING_APPROVAL');

        // Assess
        await expect(act).rejects.toBeInstanceOf(ConflictError);
        expect((await store.getRelease(rec.repository, rec.digest))?.state).toBe('QUARANTINED');
      });
    });

    describe('when the state would move backwards', () => {
      it('throws ConflictError', async () => {
        // Prepare
        const rec = release(newRepository(), newDigest());
        await store.recordRelease(rec);
        await store.updateReleaseState(rec.repository, rec.digest, 'AWAITING_APPROVAL');

        // Act
        const act = store.updateReleaseState(rec.repository, rec.digest, 'EVALUATED');

        // Assess
        await expect(act).rejects.toBeInstanceOf(ConflictError);
      });
    });

    describe('when the same non-terminal state is asked again (a retry)', () => {
      it('succeeds', async () => {
        // Prepare
        const rec = release(newRepository(), newDigest());
        await store.recordRelease(rec);
        await store.updateReleaseState(rec.repository, rec.digest, 'EVALUATED');

        // Act
        const again = await store.updateReleaseState(rec.repository, rec.digest, 'EVALUATED');

        // Assess
        expect(again.state).toBe('EVALUATED');
      });
    });

    describe('when the release is unknown', () => {
      it('throws NotFoundError and creates nothing', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();

        // Act
        const act = store.updateReleaseState(repository, digest, 'PROMOTED');

        // Assess
        await expect(act).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.getRelease(repository, digest)).toBeNull();
      });
    });
  });

  describe('Method: listReleases', () => {
    it('lists the most recently recorded releases first, up to the limit', async () => {
      // Prepare
      const repository = newRepository();
      const recs = ['2030-01-01T00:00:01.000Z', '2030-01-01T00:00:03.000Z', '2030-01-01T00:00:02.000Z'].map((at) =>
        release(repository, newDigest(), { recordedAt: at }),
      );
      for (const rec of recs) await store.recordRelease(rec);

      // Act
      const listed = await store.listReleases(2);

      // Assess
      expect(listed.map((r) => r.recordedAt)).toEqual(['2030-01-01T00:00:03.000Z', '2030-01-01T00:00:02.000Z']);
    });

    it('lists releases by state through the state index', async () => {
      // Prepare
      const rec = release(newRepository(), newDigest(), { recordedAt: '2031-01-01T00:00:00.000Z' });
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
    describe('when evidence of that kind was already stored', () => {
      it('keeps the first record and returns it', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        const first = evidence(repository, digest, { status: 'FAIL', reasons: ['subject mismatch'] });
        await store.putEvidence(first);

        // Act
        const result = await store.putEvidence(evidence(repository, digest, { status: 'PASS' }));

        // Assess
        expect(result).toEqual(first);
        expect(await store.getEvidence(repository, digest, 'sbom')).toEqual(first);
      });
    });

    describe('when several kinds are stored', () => {
      it('lists all of them for the release and nothing of other releases', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        await store.recordRelease(release(repository, digest));
        await store.putEvidence(evidence(repository, digest, { kind: 'sbom' }));
        await store.putEvidence(evidence(repository, digest, { kind: 'signature', status: 'MISSING', documents: [] }));
        await store.putEvidence(evidence(repository, newDigest(), { kind: 'provenance' }));

        // Act
        const listed = await store.listEvidence(repository, digest);

        // Assess
        expect(listed.map((e) => e.kind).sort()).toEqual(['sbom', 'signature']);
        expect(await store.getEvidence(repository, digest, 'provenance')).toBeNull();
      });
    });
  });

  describe('Method: putDecision', () => {
    it('keeps the first decision (a replayed evaluation gets it back)', async () => {
      // Prepare
      const repository = newRepository();
      const digest = newDigest();
      const first: DecisionRecord = {
        repository,
        digest,
        decision: 'BLOCK',
        reasons: ['provenance: FAIL'],
        policyDigest: newDigest(),
        evidence: [{ kind: 'provenance', status: 'FAIL', reasons: ['builder not allowed'] }],
        decidedAt: '2026-01-10T10:10:00.000Z',
        documentDigest: newDigest(),
      };
      await store.putDecision(first);

      // Act
      const result = await store.putDecision({ ...first, decision: 'PASS', reasons: [] });

      // Assess
      expect(result).toEqual(first);
      expect(await store.getDecision(repository, digest)).toEqual(first);
    });
  });

  describe('Method: putApproval', () => {
    describe('when the approval id is taken', () => {
      it('throws ConflictError and keeps the first record', async () => {
        // Prepare
        const id = `appr-${newDigest().slice(7, 23)}`;
        const first = approval(id);
        await store.putApproval(first);

        // Act
        const act = store.putApproval(approval(id, { taskToken: 'other' }));

        // Assess
        await expect(act).rejects.toBeInstanceOf(ConflictError);
        expect(await store.getApproval(id)).toEqual(first);
      });
    });
  });

  describe('Method: decideApproval', () => {
    describe('when two answers arrive at the same time', () => {
      it('accepts exactly one and rejects the other with ALREADY_DECIDED', async () => {
        // Prepare
        const id = `appr-${newDigest().slice(7, 23)}`;
        await store.putApproval(approval(id));

        // Act
        const results = await Promise.allSettled([
          store.decideApproval(id, 'APPROVED', 'alice@example.com', '2026-01-10T10:06:00.000Z', 'ship it'),
          store.decideApproval(id, 'REJECTED', 'bob@example.com', '2026-01-10T10:06:00.000Z'),
        ]);

        // Assess
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]?.reason).toBeInstanceOf(GateError);
        expect(lost[0]?.reason).toMatchObject({ code: 'ALREADY_DECIDED' });
        const stored = await store.getApproval(id);
        const winner = won[0]?.status === 'fulfilled' ? won[0].value : undefined;
        expect(stored).toEqual(winner);
        expect(winner?.decidedBy).toBe(winner?.state === 'APPROVED' ? 'alice@example.com' : 'bob@example.com');
      });
    });

    describe('when the approval was answered before', () => {
      it('throws ALREADY_DECIDED and keeps the first answer', async () => {
        // Prepare
        const id = `appr-${newDigest().slice(7, 23)}`;
        await store.putApproval(approval(id));
        const first = await store.decideApproval(id, 'EXPIRED', 'system', '2026-01-11T10:05:00.000Z');

        // Act
        const act = store.decideApproval(id, 'APPROVED', 'alice@example.com', '2026-01-11T10:06:00.000Z');

        // Assess
        await expect(act).rejects.toMatchObject({ code: 'ALREADY_DECIDED' });
        expect(first).toMatchObject({ state: 'EXPIRED', decidedBy: 'system' });
        expect(await store.getApproval(id)).toEqual(first);
      });
    });

    describe('when the approval id is unknown', () => {
      it('throws NotFoundError', async () => {
        // Act
        const act = store.decideApproval('no-such-approval', 'APPROVED', 'alice', '2026-01-10T10:06:00.000Z');

        // Assess
        await expect(act).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.getApproval('no-such-approval')).toBeNull();
      });
    });
  });

  describe('Method: listApprovals', () => {
    it('lists approvals by state, following decisions', async () => {
      // Prepare
      const pendingId = `appr-${newDigest().slice(7, 23)}`;
      const decidedId = `appr-${newDigest().slice(7, 23)}`;
      await store.putApproval(approval(pendingId));
      await store.putApproval(approval(decidedId));
      await store.decideApproval(decidedId, 'REJECTED', 'bob', '2026-01-10T10:07:00.000Z');

      // Act
      const pending = (await store.listApprovals('PENDING')).map((a) => a.approvalId);
      const rejected = (await store.listApprovals('REJECTED')).map((a) => a.approvalId);
      const all = (await store.listApprovals()).map((a) => a.approvalId);

      // Assess
      expect(pending).toContain(pendingId);
      expect(pending).not.toContain(decidedId);
      expect(rejected).toContain(decidedId);
      expect(all).toEqual(expect.arrayContaining([pendingId, decidedId]));
    });
  });

  describe('Method: offerScanToken / offerScanResult', () => {
    describe('when the token arrives first', () => {
      it('gives the token to the result side', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();

        // Act
        const seenByToken = await store.offerScanToken(repository, digest, 'token-1');
        const seenByResult = await store.offerScanResult(repository, digest, scanResult);

        // Assess
        expect(seenByToken).toBeNull();
        expect(seenByResult).toBe('token-1');
      });
    });

    describe('when the result arrives first', () => {
      it('gives the result to the token side', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();

        // Act
        const seenByResult = await store.offerScanResult(repository, digest, scanResult);
        const seenByToken = await store.offerScanToken(repository, digest, 'token-1');

        // Assess
        expect(seenByResult).toBeNull();
        expect(seenByToken).toEqual(scanResult);
      });
    });

    describe('when either side is offered twice', () => {
      it('keeps the first result, hands out the latest token and never loses the pairing', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        const later: ScanCompletion = { ...scanResult, status: 'FAILED', completedAt: '2026-01-10T10:30:00.000Z' };

        // Act
        const r1 = await store.offerScanResult(repository, digest, scanResult);
        const r2 = await store.offerScanResult(repository, digest, later);
        const t1 = await store.offerScanToken(repository, digest, 'token-1');
        const t2 = await store.offerScanToken(repository, digest, 'token-2');
        const r3 = await store.offerScanResult(repository, digest, later);

        // Assess
        expect([r1, r2]).toEqual([null, null]);
        expect(t1).toEqual(scanResult);
        expect(t2).toEqual(scanResult);
        expect(r3).toBe('token-2');
      });
    });

    describe('when both sides arrive concurrently', () => {
      it('lets at least one side see the other in every race', async () => {
        // Prepare
        const pairs = Array.from({ length: 20 }, () => ({ repository: newRepository(), digest: newDigest() }));

        // Act
        const outcomes = await Promise.all(
          pairs.map(async ({ repository, digest }) => {
            const [result, token] = await Promise.all([
              store.offerScanToken(repository, digest, `token-${digest}`),
              store.offerScanResult(repository, digest, scanResult),
            ]);
            return { result, token, digest };
          }),
        );

        // Assess
        for (const { result, token, digest } of outcomes) {
          expect(result !== null || token !== null).toBe(true);
          if (token !== null) expect(token).toBe(`token-${digest}`);
          if (result !== null) expect(result).toEqual(scanResult);
        }
      });
    });
  });

  describe('Method: appendPromotion / lastPromotion / listPromotions', () => {
    describe('when a repository has several promotions', () => {
      it('returns the most recent one, skipping the excluded digest', async () => {
        // Prepare
        const repository = newRepository();
        const [d1, d2, d3] = [newDigest(), newDigest(), newDigest()];
        const entry = (digest: Digest, promotedAt: string) => ({
          repository,
          digest,
          promotedAt,
          targetRepository: `prod/${repository}`,
          tag: `release-${promotedAt.slice(0, 10)}`,
        });
        await store.appendPromotion(entry(d2, '2026-02-02T00:00:00.000Z'));
        await store.appendPromotion(entry(d1, '2026-02-01T00:00:00.000Z'));
        await store.appendPromotion(entry(d3, '2026-02-03T00:00:00.000Z'));

        // Act
        const last = await store.lastPromotion(repository);
        const previous = await store.lastPromotion(repository, d3);
        const all = await store.listPromotions(repository);

        // Assess
        expect(last).toEqual(entry(d3, '2026-02-03T00:00:00.000Z'));
        expect(previous).toEqual(entry(d2, '2026-02-02T00:00:00.000Z'));
        expect(all.map((e) => e.digest)).toEqual([d3, d2, d1]);
      });
    });

    describe('when the repository has never been promoted, or only the excluded digest', () => {
      it('returns null', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        await store.appendPromotion({
          repository,
          digest,
          promotedAt: '2026-02-01T00:00:00.000Z',
          targetRepository: 'prod/app',
          tag: 'v1',
        });

        // Act
        const none = await store.lastPromotion(newRepository());
        const onlyExcluded = await store.lastPromotion(repository, digest);

        // Assess
        expect(none).toBeNull();
        expect(onlyExcluded).toBeNull();
      });
    });

    describe('when the same digest is appended again later', () => {
      it('keeps one entry with the first promotion time', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        const first = {
          repository,
          digest,
          promotedAt: '2026-03-01T00:00:00.000Z',
          targetRepository: 'prod',
          tag: 't',
        };
        await store.appendPromotion(first);

        // Act
        await store.appendPromotion({ ...first, promotedAt: '2026-03-05T00:00:00.000Z' });

        // Assess
        expect(await store.listPromotions(repository)).toEqual([first]);
      });
    });

    describe('when a previous attempt crashed after writing the marker only', () => {
      it('completes the track item from the marker on retry', async () => {
        // Prepare
        const repository = newRepository();
        const digest = newDigest();
        const entry = {
          repository,
          digest,
          promotedAt: '2026-04-01T00:00:00.000Z',
          targetRepository: 'prod',
          tag: 't',
        };
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
  });

  describe('Method: indexPackages / findByPackage', () => {
    it('finds every release containing a package, across versions and qualifiers', async () => {
      // Prepare
      const [repoA, repoB] = [newRepository(), newRepository()];
      const [digestA, digestB] = [newDigest(), newDigest()];
      const name = `openssl-${counter}`;
      await store.indexPackages(repoA, digestA, [
        `pkg:deb/debian/${name}@3.0.7-1?arch=amd64&distro=debian-12`,
        `pkg:deb/debian/${name}@3.0.7-1?arch=arm64&distro=debian-12`,
        'pkg:npm/left-pad@1.3.0',
      ]);
      await store.indexPackages(repoB, digestB, [`pkg:deb/debian/${name}@3.0.11-1`]);

      // Act
      const byBase = await store.findByPackage(`pkg:deb/debian/${name}`);
      const byVersioned = await store.findByPackage(`pkg:deb/debian/${name}@9.9.9`);
      const other = await store.findByPackage('pkg:npm/left-pad');

      // Assess
      const expected = [
        { version: '3.0.11-1', repository: repoB, digest: digestB },
        { version: '3.0.7-1', repository: repoA, digest: digestA },
      ];
      expect(byBase).toEqual(expected);
      expect(byVersioned).toEqual(expected);
      expect(other).toEqual(expect.arrayContaining([{ version: '1.3.0', repository: repoA, digest: digestA }]));
    });

    it('indexes more purls than one batch holds', async () => {
      // Prepare
      const repository = newRepository();
      const digest = newDigest();
      const purls = Array.from({ length: 60 }, (_, i) => `pkg:npm/bulk-${counter}-${i}@1.0.${i}`);

      // Act
      await store.indexPackages(repository, digest, purls);

      // Assess
      const found = await Promise.all(purls.map((p) => store.findByPackage(p)));
      expect(found.map((f) => f.length)).toEqual(purls.map(() => 1));
      expect(found[59]).toEqual([{ version: '1.0.59', repository, digest }]);
    });
  });

  describe('Method: indexVulnerabilities / findByVulnerability', () => {
    it('finds every release affected by a vulnerability id', async () => {
      // Prepare
      const [repoA, repoB] = [newRepository(), newRepository()];
      const [digestA, digestB] = [newDigest(), newDigest()];
      const cve = `CVE-2099-${10000 + counter}`;
      await store.indexVulnerabilities(repoA, digestA, [cve, 'GHSA-aaaa-bbbb-cccc', cve]);
      await store.indexVulnerabilities(repoB, digestB, [cve]);

      // Act
      const found = await store.findByVulnerability(cve);
      const unknown = await store.findByVulnerability('CVE-1999-0001');

      // Assess
      expect(found).toHaveLength(2);
      expect(found).toEqual(
        expect.arrayContaining([
          { repository: repoA, digest: digestA },
          { repository: repoB, digest: digestB },
        ]),
      );
      expect(unknown).toEqual([]);
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
      const rec = release(newRepository(), newDigest());
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
