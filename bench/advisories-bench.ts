/**
 * A rollback's advisory reading on AWS, on the stand-ins (s3rver for the bucket's `advisories/`
 * prefix, dynalite for the advisory index): `records` OSV records of which 3 name packages of the
 * target, read whole (`all`, what a rollback read before the index) and through the index
 * (`advisoriesFor`), indexed up to date and with `lagging` records written since the index caught
 * up. Counts the GetObject requests and times each read; the index's first fill (the daily
 * reconcile) is timed too.
 *
 * s3rver's ListObjectsV2 paging needs a legacy OpenSSL cipher (cli/local/stand-ins.ts): run with
 * `NODE_OPTIONS=--openssl-legacy-provider npm run bench -- --only advisories`.
 */
import { getCiphers } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { startStandIns } from '../cli/local/stand-ins.js';
import { awsClients } from '../lambdas/adapters/aws/clients.js';
import { S3Advisories } from '../lambdas/adapters/scan/s3-advisories.js';
import { DynamoAdvisoryIndex } from '../lambdas/adapters/store/dynamo-advisory-index.js';
import type { Component } from '../lambdas/domain/sbom/component.js';
import { countingS3 } from '../test/support/counting-s3.js';
import { formatTable, ms, type Section } from './report.js';

export interface AdvisoriesBenchOptions {
  readonly records: number;
  readonly lagging: number;
  readonly log: (line: string) => void;
}

const TARGET: Component[] = [
  { name: 'undici', version: '6.21.1', purl: 'pkg:npm/undici@6.21.1', licenses: [], scope: 'application' },
  { name: 'express', version: '4.21.2', purl: 'pkg:npm/express@4.21.2', licenses: [], scope: 'application' },
];

const record = (id: string, name: string) =>
  JSON.stringify({
    id,
    affected: [
      {
        package: { ecosystem: 'npm', name },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '99.0.0' }] }],
      },
    ],
  });

export async function benchAdvisories(opts: AdvisoriesBenchOptions): Promise<Section> {
  const title = `Rollback's advisory reading: ${opts.records.toLocaleString('en')} records under advisories/, 3 of the target's packages`;
  if (!getCiphers().includes('des')) {
    return {
      title,
      method: [
        'Not run: s3rver pages ListObjectsV2 with a DES cipher; run with NODE_OPTIONS=--openssl-legacy-provider.',
      ],
      tables: [],
    };
  }
  const standIns = await startStandIns({});
  const clients = awsClients({ endpoints: { dynamodb: standIns.dynamoEndpoint, s3: standIns.s3Endpoint } });
  try {
    const put = pLimit(64);
    const write = (name: string, body: string) =>
      put(() =>
        clients.s3.send(new PutObjectCommand({ Bucket: standIns.bucket, Key: `advisories/${name}`, Body: body })),
      );
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < opts.records - 3; i++)
      writes.push(write(`npm/RG-${i}.json`, record(`RG-${i}`, `package-${i}`)));
    writes.push(write('npm/RG-UNDICI-1.json', record('RG-UNDICI-1', 'undici')));
    writes.push(write('npm/RG-UNDICI-2.json', record('RG-UNDICI-2', 'undici')));
    writes.push(write('npm/RG-EXPRESS-1.json', record('RG-EXPRESS-1', 'express')));
    await Promise.all(writes);
    opts.log(`[bench] advisories: ${opts.records} records written`);

    const index = new DynamoAdvisoryIndex({ client: clients.dynamoDocument, tableName: standIns.tableName });
    const counting = countingS3(standIns);
    const advisories = new S3Advisories({ client: counting.client, bucket: standIns.bucket });
    const timed = async (what: string, run: () => Promise<{ length: number } | object>) => {
      const before = counting.gets();
      const t0 = performance.now();
      const out = await run();
      const wall = Math.round(performance.now() - t0);
      opts.log(`[bench] advisories: ${what} ${ms(wall)}`);
      return [what, 'length' in out ? out.length : '', counting.gets() - before, ms(wall)] as const;
    };
    const rows = [
      await timed('read whole (all: the rollback before the index)', () => advisories.all()),
      await timed('daily reconcile, empty index (first fill)', () => advisories.reconcile(index, opts.records)),
      await timed('through the index, up to date', () => advisories.advisoriesFor(TARGET, index)),
      // Its parts: the listing (sequential pages) and the packed key → ETag items.
      await timed('… of which the listing (ListObjectsV2 pages)', () => advisories.list(opts.records + opts.lagging)),
      await timed('… of which the indexed ETags (64 items)', async () => [...(await index.indexedETags())]),
    ];
    const lag: Promise<unknown>[] = [];
    for (let i = 0; i < opts.lagging; i++) lag.push(write(`npm/RG-LAG-${i}.json`, record(`RG-LAG-${i}`, `lag-${i}`)));
    await Promise.all(lag);
    rows.push(
      await timed(`through the index, ${opts.lagging} records not indexed yet`, () =>
        advisories.advisoriesFor(TARGET, index),
      ),
    );
    return {
      title,
      method: [
        'S3Advisories on s3rver (GetObject requests counted by an SDK middleware), the advisory index on dynalite,',
        'in one process on this machine: wall times are for orders of magnitude (S3 in a Lambda answers a GET in',
        '~10–30 ms; 16 in flight).',
      ],
      tables: [
        formatTable(
          [{ header: 'read' }, { header: 'records given' }, { header: 'GETs' }, { header: 'wall' }],
          rows.map((r) => [...r]),
        ),
      ],
    };
  } finally {
    clients.dynamodb.destroy();
    clients.s3.destroy();
    await standIns.stop();
  }
}
