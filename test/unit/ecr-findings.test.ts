/**
 * EcrScanFindingsSource against real DescribeImageScanFindings response shapes. There is no ECR
 * stand-in that implements image scanning, so these tests mock the client's `send` and return the
 * vendored responses in test/corpus/data/ecr-scan-findings/ (aws-cli's BASIC example and moto's
 * Inspector-shaped ENHANCED response), split into two pages where a test proves paging.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type DescribeImageScanFindingsCommand, ScanNotFoundException } from '@aws-sdk/client-ecr';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { EcrScanFindingsSource } from '../../lambdas/adapters/scan/ecr-findings.js';

const SUBJECT = {
  repository: 'sample-repo',
  digest: 'sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6',
} as const;

const Json = z.record(z.string(), z.unknown());
function corpus(file: string): Record<string, unknown> {
  const path = fileURLToPath(new URL(`../corpus/data/ecr-scan-findings/${file}`, import.meta.url));
  return Json.parse(JSON.parse(readFileSync(path, 'utf8')));
}
const BASIC = corpus('awscli-describe-image-scan-findings-basic.json');
const ENHANCED = corpus('moto-describe-image-scan-findings-enhanced.json');

const ScanFindings = z.object({ enhancedFindings: z.array(z.unknown()).optional() }).loose();

/** The ENHANCED response cut into two pages: the first finding, then the second. */
function enhancedPages(): [Record<string, unknown>, Record<string, unknown>] {
  const findings = ScanFindings.parse(ENHANCED.imageScanFindings);
  const [first, second] = findings.enhancedFindings ?? [];
  return [
    { ...ENHANCED, imageScanFindings: { ...findings, enhancedFindings: [first] }, nextToken: 'page-2' },
    { ...ENHANCED, imageScanFindings: { ...findings, enhancedFindings: [second] } },
  ];
}

function clientReturning(...pages: unknown[]) {
  const send = vi.fn(async (_command: DescribeImageScanFindingsCommand): Promise<unknown> => {
    const page = pages.shift();
    if (page === undefined) throw new Error('unexpected extra page request');
    return page;
  });
  return { send };
}

function inputs(send: ReturnType<typeof clientReturning>['send']) {
  return send.mock.calls.map(([command]) => command.input);
}

describe('Class: EcrScanFindingsSource', () => {
  describe('Method: getFindings', () => {
    describe('when the image has a BASIC scan', () => {
      it('maps each finding with its CVE, package and severity', async () => {
        // Prepare
        const client = clientReturning(BASIC);
        const source = new EcrScanFindingsSource({ client, registryId: '123456789012' });

        // Act
        const report = await source.getFindings(SUBJECT);

        // Assess
        expect(report).toEqual({
          status: 'COMPLETE',
          scanner: 'ecr-basic',
          completedAt: '2020-01-24T04:11:45.000Z',
          findings: [
            {
              id: 'CVE-2019-5188',
              aliases: [],
              severity: 'MEDIUM',
              packageName: 'e2fsprogs',
              packageVersion: '1.44.1-1ubuntu1.1',
              title: expect.stringContaining('E2fsprogs e2fsck 1.45.4'),
            },
          ],
        });
        expect(inputs(client.send)).toEqual([
          { repositoryName: 'sample-repo', imageId: { imageDigest: SUBJECT.digest }, registryId: '123456789012' },
        ]);
      });

      it('reads every page, passing nextToken on', async () => {
        // Prepare: the status on page 1, the finding on page 2.
        const scanFindings = z.object({}).loose().parse(BASIC.imageScanFindings);
        const page1 = { ...BASIC, imageScanFindings: { ...scanFindings, findings: [] }, nextToken: 'abc' };
        const client = clientReturning(page1, BASIC);
        const source = new EcrScanFindingsSource({ client });

        // Act
        const report = await source.getFindings(SUBJECT);

        // Assess
        expect(report.findings.map((f) => f.id)).toEqual(['CVE-2019-5188']);
        expect(inputs(client.send).map((i) => i.nextToken)).toEqual([undefined, 'abc']);
      });
    });

    describe('when the image has an ENHANCED (Inspector) scan split over two pages', () => {
      it('maps every vulnerable package of every page', async () => {
        // Prepare
        const client = clientReturning(...enhancedPages());
        const source = new EcrScanFindingsSource({ client });

        // Act
        const report = await source.getFindings(SUBJECT);

        // Assess
        expect(client.send).toHaveBeenCalledTimes(2);
        expect(report.status).toBe('COMPLETE');
        expect(report.scanner).toBe('inspector');
        expect(report.findings).toEqual([
          {
            id: 'CVE-2024-9681',
            aliases: [],
            severity: 'MEDIUM',
            packageName: 'curl',
            packageVersion: '7.88.1-10+deb12u8',
            title: 'CVE-2024-9681 - curl',
          },
          {
            id: 'CVE-2025-24528',
            aliases: [],
            severity: 'UNDEFINED',
            packageName: 'krb5',
            packageVersion: '1.20.1-2+deb12u2',
            title: 'CVE-2025-24528 - krb5',
          },
        ]);
      });
    });

    describe('when the scan is not finished', () => {
      it('passes the status through for the collector to judge', async () => {
        // Prepare
        const client = clientReturning({ imageScanStatus: { status: 'IN_PROGRESS' } });
        const source = new EcrScanFindingsSource({ client });

        // Act
        const report = await source.getFindings(SUBJECT);

        // Assess
        expect(report).toEqual({ status: 'IN_PROGRESS', scanner: 'ecr', findings: [] });
      });

      it('reports UNKNOWN when the response has no status', async () => {
        // Prepare
        const client = clientReturning({});
        const source = new EcrScanFindingsSource({ client });

        // Act
        const report = await source.getFindings(SUBJECT);

        // Assess
        expect(report.status).toBe('UNKNOWN');
      });
    });

    describe('when ECR has no scan for the image', () => {
      it('throws NotFoundError', async () => {
        // Prepare
        const send = vi.fn(async () => {
          throw new ScanNotFoundException({ message: 'no scan', $metadata: {} });
        });
        const source = new EcrScanFindingsSource({ client: { send } });

        // Act
        const act = source.getFindings(SUBJECT);

        // Assess
        await expect(act).rejects.toMatchObject({ name: 'NotFoundError', code: 'NOT_FOUND' });
      });
    });

    describe('when the call fails otherwise', () => {
      it('throws RegistryError so the workflow retries', async () => {
        // Prepare
        const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        const send = vi.fn(async () => {
          throw throttled;
        });
        const source = new EcrScanFindingsSource({ client: { send } });

        // Act
        const act = source.getFindings(SUBJECT);

        // Assess
        await expect(act).rejects.toMatchObject({ name: 'RegistryError', cause: throttled });
      });
    });

    describe('when the response is not the documented shape', () => {
      it('throws RegistryError', async () => {
        // Prepare
        const client = clientReturning({ imageScanFindings: { findings: [{ severity: 'HIGH' }] } });
        const source = new EcrScanFindingsSource({ client });

        // Act
        const act = source.getFindings(SUBJECT);

        // Assess
        await expect(act).rejects.toMatchObject({ name: 'RegistryError' });
      });
    });

    describe('when paging does not end', () => {
      it('throws when a nextToken repeats', async () => {
        // Prepare
        const page = { imageScanStatus: { status: 'COMPLETE' }, nextToken: 'same' };
        const client = clientReturning(page, page);
        const source = new EcrScanFindingsSource({ client });

        // Act
        const act = source.getFindings(SUBJECT);

        // Assess
        await expect(act).rejects.toThrow('repeated a nextToken');
      });

      it('throws after maxPages pages', async () => {
        // Prepare
        const client = clientReturning(
          { imageScanStatus: { status: 'COMPLETE' }, nextToken: 'a' },
          { imageScanStatus: { status: 'COMPLETE' }, nextToken: 'b' },
        );
        const source = new EcrScanFindingsSource({ client, maxPages: 2 });

        // Act
        const act = source.getFindings(SUBJECT);

        // Assess
        await expect(act).rejects.toThrow('more than 2 pages');
      });
    });

    describe('when the SDK returns a Date', () => {
      it('reports completedAt as ISO 8601', async () => {
        // Prepare
        const client = clientReturning({
          imageScanStatus: { status: 'COMPLETE' },
          imageScanFindings: { imageScanCompletedAt: new Date('2026-03-04T05:06:07Z'), findings: [] },
        });
        const source = new EcrScanFindingsSource({ client });

        // Act
        const report = await source.getFindings(SUBJECT);

        // Assess
        expect(report.completedAt).toBe('2026-03-04T05:06:07.000Z');
      });
    });
  });
});
