/**
 * A rollback's advisory reading on AWS (S3Advisories.advisoriesFor): the bucket's `advisories/`
 * prefix on s3rver, the advisory index on dynalite. Only the records the index points to for the
 * target's packages are read, plus every record the index does not hold at its listed ETag: an
 * advisory that affects the target is never missed, however far the index lags.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTableAndBucket } from '../../cli/local/stand-ins.js';
import { S3Advisories } from '../../lambdas/adapters/scan/s3-advisories.js';
import { DynamoAdvisoryIndex } from '../../lambdas/adapters/store/dynamo-advisory-index.js';
import { TooLargeError } from '../../lambdas/domain/errors.js';
import { parseOsvRecord } from '../../lambdas/domain/osv/schema.js';
import { advisoryMatchKeys, scanComponents } from '../../lambdas/domain/scan/local-scanner.js';
import { advisoryBelow as advisory, ADVISORY_TARGET as TARGET } from '../support/advisory-records.js';
import { countingS3 } from '../support/counting-s3.js';
import { useStandIns } from '../support/stand-ins.js';

const aws = useStandIns();

let prefixes = 0;

/** A fresh prefix and table with `records`; the index holds those `indexed` says (read and indexed as the handler does). */
async function prefixWith(records: ReadonlyMap<string, string>, indexed: (key: string) => boolean = () => true) {
  const { clients, standIns } = aws();
  prefixes += 1;
  const prefix = `advisories-${prefixes}/`;
  const tableName = `advisories-${prefixes}`;
  await ensureTableAndBucket(clients, tableName, standIns.bucket);
  const index = new DynamoAdvisoryIndex({ client: clients.dynamoDocument, tableName });
  const limit = pLimit(32);
  await Promise.all(
    [...records].map(([name, body]) =>
      limit(() =>
        clients.s3.send(new PutObjectCommand({ Bucket: standIns.bucket, Key: `${prefix}${name}`, Body: body })),
      ),
    ),
  );
  const setup = new S3Advisories({ client: clients.s3, bucket: standIns.bucket, prefix });
  await Promise.all(
    (await setup.list(100_000))
      .filter((o) => indexed(o.key.slice(prefix.length)))
      .map((o) =>
        limit(async () => {
          const body = records.get(o.key.slice(prefix.length)) ?? '';
          const record = parseOsvRecord(new TextEncoder().encode(body), 'json', o.key);
          await index.index(o.key, o.etag, advisoryMatchKeys(record));
        }),
      ),
  );
  const counting = countingS3(standIns);
  const advisories = new S3Advisories({ client: counting.client, bucket: standIns.bucket, prefix });
  return { prefix, index, advisories, gets: counting.gets };
}

const ids = (records: readonly { id: string }[]) => records.map((r) => r.id).sort();

describe('Class: S3Advisories', () => {
  describe('Method: advisoriesFor', () => {
    describe('when 1,000 records are indexed and 3 name the target’s packages', () => {
      let world: Awaited<ReturnType<typeof prefixWith>>;
      beforeAll(async () => {
        // One listing page: s3rver's ListObjectsV2 paging needs a legacy OpenSSL cipher
        // (cli/local/stand-ins.ts), so no test here lists more than 1,000 objects.
        const records = new Map<string, string>();
        for (let i = 0; i < 997; i++) {
          records.set(`npm/RG-OTHER-${i}.json`, advisory(`RG-OTHER-${i}`, 'npm', `package-${i}`, '1.0.0'));
        }
        records.set('npm/RG-UNDICI-1.json', advisory('RG-UNDICI-1', 'npm', 'undici', '6.21.2'));
        records.set('npm/RG-UNDICI-2.json', advisory('RG-UNDICI-2', 'npm', 'undici', '5.0.0'));
        records.set('debian/RG-OPENSSL-1.json', advisory('RG-OPENSSL-1', 'Debian:12', 'openssl', '3.0.15-1~deb12u1'));
        world = await prefixWith(records);
      }, 120_000);

      it('reads those 3 only, and the scan matches as it would over every record', async () => {
        // Act
        const read = await world.advisories.advisoriesFor(TARGET, world.index);

        // Assess
        expect(ids(read)).toEqual(['RG-OPENSSL-1', 'RG-UNDICI-1', 'RG-UNDICI-2']);
        expect(world.gets()).toBe(3);
        const report = scanComponents(TARGET, read);
        expect(report.findings.map((f) => f.id).sort()).toEqual(['RG-OPENSSL-1', 'RG-UNDICI-1']);
      });
    });

    describe('when records are not indexed at their listed ETag (new, changed, never indexed)', () => {
      it('reads them directly, so the one that affects the target is still matched', async () => {
        // Prepare: A is indexed; B was written after the index caught up; C is indexed at an older
        // version that named another package; D is indexed and then deleted.
        const world = await prefixWith(
          new Map([
            ['A.json', advisory('RG-A', 'npm', 'left-pad', '1.0.0')],
            ['B.json', advisory('RG-B', 'npm', 'undici', '6.21.2')],
            ['C.json', advisory('RG-C', 'npm', 'left-pad', '1.0.0')],
            ['D.json', advisory('RG-D', 'npm', 'undici', '6.21.2')],
          ]),
          (name) => name !== 'B.json',
        );
        const { clients, standIns } = aws();
        await clients.s3.send(
          new PutObjectCommand({
            Bucket: standIns.bucket,
            Key: `${world.prefix}C.json`,
            Body: advisory('RG-C', 'Debian:12', 'openssl', '3.0.15-1~deb12u1'),
          }),
        );
        await clients.s3.send(new DeleteObjectCommand({ Bucket: standIns.bucket, Key: `${world.prefix}D.json` }));

        // Act
        const read = await world.advisories.advisoriesFor(TARGET, world.index);

        // Assess
        expect(ids(read)).toEqual(['RG-B', 'RG-C']);
        expect(
          scanComponents(TARGET, read)
            .findings.map((f) => f.id)
            .sort(),
        ).toEqual(['RG-B', 'RG-C']);
      });
    });

    describe('when the index is empty', () => {
      it('reads every record', async () => {
        // Prepare
        const world = await prefixWith(
          new Map([
            ['A.json', advisory('RG-A', 'npm', 'left-pad', '1.0.0')],
            ['B.json', advisory('RG-B', 'npm', 'undici', '6.21.2')],
          ]),
          () => false,
        );

        // Act
        const read = await world.advisories.advisoriesFor(TARGET, world.index);

        // Assess
        expect(ids(read)).toEqual(['RG-A', 'RG-B']);
        expect(world.gets()).toBe(2);
      });
    });

    describe('when more records are listed, or are to be read, than the bounds', () => {
      it('refuses with TooLargeError (never a partial answer)', async () => {
        // Prepare
        const records = new Map([
          ['A.json', advisory('RG-A', 'npm', 'undici', '6.21.2')],
          ['B.json', advisory('RG-B', 'npm', 'undici', '6.21.2')],
          ['C.json', advisory('RG-C', 'npm', 'left-pad', '1.0.0')],
        ]);
        const world = await prefixWith(records);
        const { standIns } = aws();
        const { client } = countingS3(standIns);
        const bounded = (maxListed: number, maxRecords: number) =>
          new S3Advisories({ client, bucket: standIns.bucket, prefix: world.prefix, maxListed, maxRecords });

        // Act & Assess
        await expect(bounded(2, 10).advisoriesFor(TARGET, world.index)).rejects.toThrow(TooLargeError);
        await expect(bounded(10, 1).advisoriesFor(TARGET, world.index)).rejects.toThrow(TooLargeError);
        expect(ids(await bounded(3, 2).advisoriesFor(TARGET, world.index))).toEqual(['RG-A', 'RG-B']);
      });
    });
  });
});
