/**
 * The revalidate Lambda handler with the documented AWS event shapes: `Inspector2 Finding`
 * (Inspector user guide, EventBridge integration), S3 `Object Created` through EventBridge (S3 user
 * guide, EventBridge event message structure) and the Scheduler's input. Advisories are read from
 * a real s3rver bucket through the S3 adapter; the store is the in-memory release store.
 */

import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3Advisories } from '../../lambdas/adapters/scan/s3-advisories.js';
import { MemoryAdvisoryIndex } from '../../lambdas/adapters/store/memory-advisory-index.js';
import { InvalidInputError, StoreError, TooLargeError } from '../../lambdas/domain/errors.js';
import { Limits } from '../../lambdas/domain/limits.js';
import type { AdvisoryIndex } from '../../lambdas/domain/osv/advisory-index.js';
import type { Component } from '../../lambdas/domain/sbom/component.js';
import { componentMatchKeys } from '../../lambdas/domain/scan/local-scanner.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { makeHandler } from '../../lambdas/handlers/revalidate.js';
import { handlerWorld, promoteInOrder } from '../support/handler-world.js';
import { indexRelease } from '../support/index-release.js';
import { useStandIns } from '../support/stand-ins.js';
import { newDigest } from '../support/store-records.js';

const aws = useStandIns();
const REPO = 'team/api';

/** An advisory of our own for npm `undici` below 6.21.2. */
const UNDICI = JSON.stringify({
  id: 'RG-TEST-2026-0003',
  aliases: ['CVE-2026-40003'],
  affected: [
    {
      package: { ecosystem: 'npm', name: 'undici' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '6.0.0' }, { fixed: '6.21.2' }] }],
    },
  ],
});

const UNDICI_COMPONENT: Component = {
  name: 'undici',
  version: '6.21.1',
  purl: 'pkg:npm/undici@6.21.1',
  licenses: [],
  scope: 'application',
};

async function world(live: Digest) {
  const w = handlerWorld();
  await promoteInOrder(w, REPO, [live]);
  await indexRelease(w.store, REPO, live, ['pkg:npm/undici@6.21.1']);
  const advisories = new S3Advisories({ client: aws().clients.s3, bucket: aws().standIns.bucket });
  const index = new MemoryAdvisoryIndex();
  return {
    w,
    index,
    advisories,
    handler: makeHandler(
      w.getDeps,
      async () => advisories,
      async () => index,
    ),
  };
}

async function putAdvisory(key: string, body: string): Promise<void> {
  await aws().clients.s3.send(new PutObjectCommand({ Bucket: aws().standIns.bucket, Key: key, Body: body }));
}

/** `Object Created` as EventBridge delivers it from S3. */
function objectCreated(key: string, size: number, bucket = aws().standIns.bucket) {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '111122223333',
    time: '2026-11-12T00:00:00Z',
    region: 'eu-west-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: {
        key,
        size,
        etag: 'b1946ac92492d2347c6235b4d2611184',
        'version-id': 'IYV3p45BhZA1ZRE',
        sequencer: '617f',
      },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '111122223333',
      'source-ip-address': '192.0.2.1',
      reason: 'PutObject',
    },
  };
}

/** One `Inspector2 Finding` about `repository@digest`. */
function inspectorFinding(repository: string, digest: Digest, status = 'ACTIVE') {
  return {
    version: '0',
    id: '8ee3c5a2-4f23-2b4c-1a3c-7ad5e2a1e0b2',
    'detail-type': 'Inspector2 Finding',
    source: 'aws.inspector2',
    account: '111122223333',
    time: '2026-11-19T22:46:15Z',
    region: 'eu-west-1',
    resources: [`arn:aws:ecr:eu-west-1:111122223333:repository/${repository}/${digest}`],
    detail: {
      awsAccountId: '111122223333',
      description: 'A vulnerability in OpenSSL',
      findingArn: 'arn:aws:inspector2:eu-west-1:111122223333:finding/0a1b2c',
      firstObservedAt: 'Nov 19, 2026, 10:46:15 PM',
      inspectorScore: 7.5,
      packageVulnerabilityDetails: {
        relatedVulnerabilities: [],
        source: 'DEBIAN_CVE',
        vendorSeverity: 'high',
        vulnerabilityId: 'CVE-2026-0100',
        vulnerablePackages: [
          {
            arch: 'ARM64',
            epoch: 0,
            fixedInVersion: '3.0.15-1~deb12u1',
            name: 'openssl',
            packageManager: 'OS',
            release: '1~deb12u2',
            version: '3.0.14',
          },
        ],
      },
      resources: [
        {
          details: {
            awsEcrContainerImage: {
              architecture: 'arm64',
              imageHash: digest,
              imageTags: ['1.0.0'],
              platform: 'DEBIAN_12',
              pushedAt: 'Nov 19, 2026, 10:40:00 PM',
              registry: '111122223333',
              repositoryName: repository,
            },
          },
          id: `arn:aws:ecr:eu-west-1:111122223333:repository/${repository}/${digest}`,
          partition: 'aws',
          region: 'eu-west-1',
          type: 'AWS_ECR_CONTAINER_IMAGE',
        },
      ],
      severity: 'HIGH',
      status,
      title: 'CVE-2026-0100 - openssl',
      type: 'PACKAGE_VULNERABILITY',
      updatedAt: 'Nov 19, 2026, 10:46:15 PM',
    },
  };
}

describe('Handler: revalidate', () => {
  describe('when an OSV record is written under advisories/ (S3 Object Created)', () => {
    it('reads it from the bucket and alerts the live release it affects', async () => {
      // Prepare
      const live = newDigest();
      const { w, handler } = await world(live);
      await putAdvisory('advisories/npm/RG-TEST-2026-0003.json', UNDICI);

      // Act
      const out = await handler(objectCreated('advisories/npm/RG-TEST-2026-0003.json', UNDICI.length));

      // Assess
      expect(out).toEqual({
        outcome: 'revalidated',
        checked: 1,
        newlyAffected: [{ repository: REPO, digest: live, advisoryId: 'RG-TEST-2026-0003' }],
      });
      expect(w.outcomes.events[0]).toMatchObject({
        type: 'Release Newly Affected',
        detail: { source: `s3://${aws().standIns.bucket}/advisories/npm/RG-TEST-2026-0003.json` },
      });
      expect(w.notifier.messages).toHaveLength(1);
    });

    it('alerts before it indexes: an index that cannot be written fails the event after the alert', async () => {
      // Prepare
      const live = newDigest();
      const { w, advisories } = await world(live);
      const broken: AdvisoryIndex = {
        ...new MemoryAdvisoryIndex(),
        index: async () => {
          throw new StoreError('DynamoDB index advisory failed');
        },
        indexedETags: async () => {
          throw new StoreError('DynamoDB read indexed advisory ETags failed');
        },
        naming: async () => [],
      };
      const handler = makeHandler(
        w.getDeps,
        async () => advisories,
        async () => broken,
      );
      await putAdvisory(
        'advisories/npm/RG-TEST-2026-0023.json',
        UNDICI.replaceAll('-0003', '-0023').replaceAll('-40003', '-40023'),
      );

      // Act & Assess
      await expect(handler(objectCreated('advisories/npm/RG-TEST-2026-0023.json', UNDICI.length))).rejects.toThrow(
        StoreError,
      );
      await expect(handler({ kind: 'scheduled' })).rejects.toThrow(StoreError);
      // The event's record alerted, then the daily run's (RG-TEST-2026-0003 of the first test) too.
      expect(w.outcomes.events.map((e) => (e.detail.advisoryIds as string[])[0]).sort()).toEqual([
        'RG-TEST-2026-0003',
        'RG-TEST-2026-0023',
      ]);
      // The bucket is shared by this file's tests: the daily run of a later one reads every record.
      await aws().clients.s3.send(
        new DeleteObjectCommand({ Bucket: aws().standIns.bucket, Key: 'advisories/npm/RG-TEST-2026-0023.json' }),
      );
    });

    it('indexes it at the ETag of the version read, under the packages it names', async () => {
      // Prepare
      const { index, advisories, handler } = await world(newDigest());
      const key = 'advisories/npm/RG-TEST-2026-0013.json';
      await putAdvisory(key, UNDICI.replaceAll('-0003', '-0013'));
      const listed = (await advisories.list(100)).find((o) => o.key === key);

      // Act
      await handler(objectCreated(key, UNDICI.length));

      // Assess
      expect(listed?.etag).toMatch(/^[0-9a-f]{32}$/);
      expect((await index.indexedETags()).get(key)).toBe(listed?.etag);
      expect(await index.naming(componentMatchKeys([UNDICI_COMPONENT]))).toEqual([{ key, etag: listed?.etag }]);
    });
  });

  describe('when the object is not an acceptable advisory', () => {
    it('refuses an oversized, malformed or foreign-bucket one with the reason, and ignores other keys', async () => {
      // Prepare
      const { w, handler } = await world(newDigest());
      await putAdvisory('advisories/bad.json', '{"id": "X", "affected": [{"ranges": [{"type": "SEMVER"}]}]}');

      // Act & Assess
      await expect(handler(objectCreated('advisories/huge.json', Limits.advisoryBytes + 1))).rejects.toThrow(
        TooLargeError,
      );
      await expect(handler(objectCreated('advisories/bad.json', 60))).rejects.toThrow(/events/);
      await expect(handler(objectCreated('advisories/x.json', 10, 'someone-elses-bucket'))).rejects.toThrow(
        InvalidInputError,
      );
      expect(await handler(objectCreated('evidence/sha256/abc', 10))).toMatchObject({ outcome: 'ignored' });
      expect(w.outcomes.events).toEqual([]);
    });
  });

  describe('when Inspector reports an active finding for the live image in production', () => {
    it('alerts with the vulnerable package at its distribution version', async () => {
      // Prepare
      const live = newDigest();
      const { w, handler } = await world(live);

      // Act
      const out = await handler(inspectorFinding(`prod/${REPO}`, live));
      const closed = await handler(inspectorFinding(`prod/${REPO}`, live, 'CLOSED'));

      // Assess
      expect(out).toMatchObject({
        outcome: 'revalidated',
        newlyAffected: [{ digest: live, advisoryId: 'CVE-2026-0100' }],
      });
      expect(closed).toEqual({ outcome: 'ignored', reason: 'finding status CLOSED' });
      expect(w.outcomes.events[0]?.detail).toMatchObject({
        trigger: 'inspector',
        severity: 'HIGH',
        matches: [{ component: 'openssl@3.0.14-1~deb12u2', version: '3.0.14-1~deb12u2', fixedIn: '3.0.15-1~deb12u1' }],
      });
    });
  });

  describe('when the daily schedule runs', () => {
    it('reads every record under advisories/', async () => {
      // Prepare
      const live = newDigest();
      const { w, handler } = await world(live);
      await putAdvisory('advisories/npm/RG-TEST-2026-0003.json', UNDICI);
      await putAdvisory('advisories/README.txt', 'not an advisory');
      // The malformed record of the test before is replaced by a good one (a bad one fails the run closed).
      await putAdvisory('advisories/bad.json', UNDICI.replaceAll('-0003', '-0004').replaceAll('-40003', '-40004'));

      // Act
      const out = await handler({ kind: 'scheduled' });

      // Assess
      expect(out).toMatchObject({ outcome: 'revalidated', checked: 1 });
      expect(w.outcomes.events.map((e) => (e.detail.advisoryIds as string[])[0]).sort()).toEqual([
        'RG-TEST-2026-0003',
        'RG-TEST-2026-0004',
      ]);
    });

    it('indexes every record the advisory index lacks at its listed ETag (no event came for them)', async () => {
      // Prepare
      const { index, advisories, handler } = await world(newDigest());
      await putAdvisory('advisories/npm/RG-TEST-2026-0003.json', UNDICI);
      await putAdvisory('advisories/bad.json', UNDICI.replaceAll('-0003', '-0004').replaceAll('-40003', '-40004'));
      await index.index('advisories/bad.json', 'an-older-etag', []);

      // Act
      await handler({ kind: 'scheduled' });

      // Assess
      const listed = await advisories.list(100);
      const indexed = await index.indexedETags();
      for (const o of listed) expect(indexed.get(o.key), o.key).toBe(o.etag);
      expect((await index.naming(componentMatchKeys([UNDICI_COMPONENT]))).map((n) => n.key).sort()).toEqual(
        expect.arrayContaining(['advisories/bad.json', 'advisories/npm/RG-TEST-2026-0003.json']),
      );
    });
  });
});
