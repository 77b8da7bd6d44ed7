/**
 * InspectorSbomExporter: Amazon Inspector has no local stand-in, so the real `Inspector2Client`
 * is answered in front of its middleware stack (test/support/aws-stubs.ts) with the response
 * shapes of the API reference (CreateSbomExport → `reportId`; GetSbomExport → `status`,
 * `errorCode`, `errorMessage`); when the export is created, the stub writes the SBOM into the
 * requested prefix on a real s3rver, as Inspector writes into the bucket. The S3 listing and the
 * bounded read are real. The whole path runs through the SBOM collector.
 */
import { randomUUID } from 'node:crypto';
import {
  AccessDeniedException,
  type GetSbomExportCommandOutput,
  Inspector2Client,
  type ReportingErrorCode,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-inspector2';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { InspectorSbomExporter } from '../../lambdas/adapters/scan/inspector-sbom-export.js';
import { S3DocumentStore } from '../../lambdas/adapters/store/s3-document-store.js';
import { TooLargeError } from '../../lambdas/domain/errors.js';
import { collectSbom } from '../../lambdas/domain/evidence/sbom.js';
import type { ImageSubject } from '../../lambdas/domain/types.js';
import { STUB_CREDENTIALS, stubSend } from '../support/aws-stubs.js';
import { pushImage } from '../support/images.js';
import { inspectorBom } from '../support/inspector-sbom.js';
import { collectContext } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { useStandIns } from '../support/stand-ins.js';

const aws = useStandIns();
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const KMS_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const REPORT_ID = '0a1b2c3d-1111-4222-8333-444455556666';

const inspectorJson = (digest: string) => JSON.stringify(inspectorBom(digest));

interface World {
  readonly exporter: InspectorSbomExporter;
  readonly calls: { readonly command: string; readonly input: unknown }[];
}

/**
 * An exporter whose Inspector answers GetSbomExport with `statuses` in turn (the last repeats),
 * and on CreateSbomExport writes `body` (if any) under the requested prefix; the poll's sleep
 * waits for that write, so the export is in S3 by the time it reads SUCCEEDED after IN_PROGRESS.
 */
function world(opts: {
  readonly statuses: readonly GetSbomExportCommandOutput['status'][];
  readonly body?: string;
  readonly createFails?: Error;
  readonly errorCode?: ReportingErrorCode;
  readonly maxBytes?: number;
}): World {
  const { s3 } = aws().clients;
  const bucket = aws().standIns.bucket;
  const inspector = new Inspector2Client({ region: REGION, credentials: STUB_CREDENTIALS });
  let writing: Promise<unknown> = Promise.resolve();
  let polls = 0;
  const calls = stubSend<ServiceInputTypes, ServiceOutputTypes>(inspector, (command, input) => {
    if (command === 'CreateSbomExportCommand') {
      if (opts.createFails !== undefined) return opts.createFails;
      const prefix = 's3Destination' in input ? input.s3Destination?.keyPrefix : undefined;
      if (opts.body !== undefined) {
        writing = s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `${prefix ?? ''}${REPORT_ID}/${randomUUID()}.json`,
            Body: opts.body,
          }),
        );
      }
      return { reportId: REPORT_ID, $metadata: {} };
    }
    const status = opts.statuses[Math.min(polls++, opts.statuses.length - 1)];
    return {
      $metadata: {},
      reportId: REPORT_ID,
      format: 'CYCLONEDX_1_4',
      status,
      ...(status === 'FAILED' ? { errorCode: opts.errorCode, errorMessage: 'the export could not be written' } : {}),
    };
  });
  const documents = new S3DocumentStore({ client: s3, bucket, ...(opts.maxBytes ? { maxBytes: opts.maxBytes } : {}) });
  const exporter = new InspectorSbomExporter({
    inspector,
    s3,
    readObject: (key) => documents.getObject(key),
    bucket,
    kmsKeyArn: KMS_KEY,
    maxPolls: 3,
    pollIntervalMs: 1,
    sleep: async () => {
      await writing;
    },
  });
  return { exporter, calls };
}

async function ecrImage() {
  const registry = new MemoryRegistry({ host: HOST });
  const repository = `team/app-${randomUUID().slice(0, 8)}`;
  const image = await pushImage(registry, repository, 'v1');
  const subject: ImageSubject = { repository, digest: image.digest, registry: HOST };
  return { registry, repository, subject };
}

describe('Class: InspectorSbomExporter', () => {
  describe('when the export succeeds after a poll', () => {
    it('asks for exactly this image in CycloneDX 1.4, and the collector passes on what Inspector wrote', async () => {
      // Prepare
      const { registry, repository, subject } = await ecrImage();
      const w = world({ statuses: ['IN_PROGRESS', 'SUCCEEDED'], body: inspectorJson(subject.digest) });
      const ctx = {
        ...collectContext({
          subject,
          registry,
          policy: { sbom: { requireSigned: false, acceptInspectorExport: true } },
        }),
        inspectorSboms: w.exporter,
      };

      // Act
      const result = await collectSbom(ctx);

      // Assess
      expect(w.calls.map((c) => c.command)).toEqual([
        'CreateSbomExportCommand',
        'GetSbomExportCommand',
        'GetSbomExportCommand',
      ]);
      expect(w.calls[0]?.input).toEqual({
        reportFormat: 'CYCLONEDX_1_4',
        resourceFilterCriteria: {
          resourceType: [{ comparison: 'EQUALS', value: 'AWS_ECR_CONTAINER_IMAGE' }],
          ecrRepositoryName: [{ comparison: 'EQUALS', value: repository }],
          resourceId: [
            {
              comparison: 'EQUALS',
              value: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${repository}/${subject.digest}`,
            },
          ],
        },
        s3Destination: {
          bucketName: aws().standIns.bucket,
          keyPrefix: expect.stringMatching(
            new RegExp(`^inspector-sbom/${repository}/${subject.digest.slice(7)}/[0-9a-f-]{36}/$`),
          ),
          kmsKeyArn: KMS_KEY,
        },
      });
      expect(result).toMatchObject({
        status: 'PASS',
        facts: { source: 'inspector-export', signed: false, componentCount: 2, inspectorReportId: REPORT_ID },
      });
    });
  });

  describe('when the export does not succeed', () => {
    it.each<[string, Parameters<typeof world>[0], RegExp]>([
      [
        'it FAILED',
        { statuses: ['IN_PROGRESS', 'FAILED'], errorCode: 'INTERNAL_ERROR' },
        new RegExp(
          `^Inspector SBOM export ${REPORT_ID} ended FAILED \\(INTERNAL_ERROR: the export could not be written\\)$`,
        ),
      ],
      ['it was CANCELLED', { statuses: ['CANCELLED'] }, /ended CANCELLED$/],
      [
        'it is still running at the bound',
        { statuses: ['IN_PROGRESS'] },
        /was still IN_PROGRESS after 3 checks 1 ms apart$/,
      ],
      [
        'Inspector refuses the request',
        {
          statuses: ['SUCCEEDED'],
          createFails: new AccessDeniedException({ message: 'not authorized', $metadata: {} }),
        },
        /^Inspector CreateSbomExport failed: AccessDeniedException: not authorized$/,
      ],
    ])('when %s: no SBOM, with the reason', async (_, opts, reason) => {
      // Prepare
      const { subject } = await ecrImage();
      const w = world(opts);

      // Act
      const answer = await w.exporter.exportSbom(subject);

      // Assess
      expect(answer.status).toBe('UNAVAILABLE');
      expect(answer.status === 'UNAVAILABLE' && answer.reason).toMatch(reason);
      expect(w.calls.filter((c) => c.command === 'GetSbomExportCommand').length).toBeLessThanOrEqual(3);
    });
  });

  describe('when the object is larger than the read limit', () => {
    it('lists it, and refuses to read it (TooLargeError)', async () => {
      // Prepare
      const { subject } = await ecrImage();
      const w = world({ statuses: ['IN_PROGRESS', 'SUCCEEDED'], body: inspectorJson(subject.digest), maxBytes: 64 });

      // Act
      const answer = await w.exporter.exportSbom(subject);

      // Assess
      if (answer.status !== 'SUCCEEDED') throw new Error(`expected SUCCEEDED, got ${answer.reason}`);
      expect(answer.objects).toHaveLength(1);
      await expect(answer.objects[0]?.read()).rejects.toThrow(TooLargeError);
    });
  });

  describe('when the image is not in ECR', () => {
    it('does not call Inspector', async () => {
      // Prepare
      const { subject } = await ecrImage();
      const w = world({ statuses: ['SUCCEEDED'] });

      // Act
      const answer = await w.exporter.exportSbom({ ...subject, registry: '127.0.0.1:5000' });

      // Assess
      expect(answer).toEqual({ status: 'UNAVAILABLE', reason: '127.0.0.1:5000 is not an ECR registry' });
      expect(w.calls).toEqual([]);
    });
  });
});
