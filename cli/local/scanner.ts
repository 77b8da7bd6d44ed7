import { z } from 'zod';
import type { S3DocumentStore } from '../../lambdas/adapters/store/s3-document-store.js';
import { platformCoverage } from '../../lambdas/domain/attest/platforms.js';
import { parseJsonDocument } from '../../lambdas/domain/document.js';
import { describeError, InvalidInputError, NotFoundError } from '../../lambdas/domain/errors.js';
import type { CollectContext } from '../../lambdas/domain/evidence/context.js';
import {
  type BuildkitSboms,
  buildkitSbomsOf,
  collectImageSbom,
  parseComponentsDocument,
} from '../../lambdas/domain/evidence/sbom.js';
import { Limits } from '../../lambdas/domain/limits.js';
import type { OsvRecord } from '../../lambdas/domain/osv/schema.js';
import type { ScanFindingsSource, ScanReport } from '../../lambdas/domain/ports.js';
import { scanComponents } from '../../lambdas/domain/scan/local-scanner.js';
import type { ImageSubject } from '../../lambdas/domain/types.js';

const SEVERITY = z.enum(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED']);
const ScanReportSchema = z.object({
  status: z.string(),
  scanner: z.string(),
  completedAt: z.string().optional(),
  findings: z.array(
    z.object({
      id: z.string(),
      aliases: z.array(z.string()),
      severity: SEVERITY,
      packageName: z.string(),
      packageVersion: z.string(),
      purl: z.string().optional(),
      fixedIn: z.string().optional(),
      title: z.string().optional(),
      note: z.string().optional(),
    }),
  ),
  unevaluated: z.array(z.object({ name: z.string(), version: z.string(), reason: z.string() })).optional(),
});

const SCANNER = 'release-gate-local-osv';

const reportKey = (s: Pick<ImageSubject, 'repository' | 'digest'>): string =>
  `scans/${s.repository}/${s.digest.replace(':', '-')}.json`;

/**
 * The local stand-in for ECR's scan on push: it reads the image's SBOM (as ECR/Inspector read the
 * image), matches its components against OSV advisories from a folder, stores the report in the
 * evidence bucket, and returns the same `ECR Image Scan` event ECR would emit. An image without a
 * readable SBOM gets scan status UNSUPPORTED_IMAGE, which the scan evidence treats as a failure.
 */
export class LocalScanner implements ScanFindingsSource {
  /**
   * @param advisories the OSV records, or where to read them for each scan (the advisories folder,
   *   read again so that a record added later counts; a folder that cannot be read fails the scan)
   */
  public constructor(
    private readonly documents: S3DocumentStore,
    private readonly advisories: readonly OsvRecord[] | (() => Promise<readonly OsvRecord[]>),
  ) {}

  /**
   * Scans the pushed image and returns the `ECR Image Scan` events ECR would send: one for an
   * image; for an index, like ECR, one per platform manifest it lists and none for the index.
   */
  public async scan(ctx: CollectContext): Promise<Record<string, unknown>[]> {
    // An image that cannot even be read is scanned as one (its report then says FAILED).
    const coverage = await platformCoverage(ctx.registry, ctx.subject.repository, ctx.subject.digest).catch(
      () => undefined,
    );
    const subjects =
      coverage?.kind === 'index'
        ? coverage.platforms.map((p) => ({ ...ctx.subject, digest: p.digest }))
        : [ctx.subject];
    // An index's platforms are read with the index's BuildKit SBOMs, as the gate reads them.
    const buildkit = coverage?.kind === 'index' ? buildkitSbomsOf(ctx) : undefined;
    const events: Record<string, unknown>[] = [];
    for (const subject of subjects) {
      const one = { ...ctx, subject };
      events.push(await this.store(one, await this.reportOf(one, buildkit)));
    }
    return events;
  }

  private async reportOf(ctx: CollectContext, buildkit?: BuildkitSboms): Promise<ScanReport> {
    let report: ScanReport;
    try {
      const sbom = await collectImageSbom(ctx, buildkit);
      const doc = sbom.documents.find((d) => d.name === 'components.json');
      if (sbom.status !== 'PASS' || doc === undefined) {
        report = { status: 'UNSUPPORTED_IMAGE', scanner: SCANNER, findings: [] };
      } else {
        const components = parseComponentsDocument(doc.bytes)?.components;
        if (components === undefined) throw new InvalidInputError('components.json is not a component document');
        const advisories = typeof this.advisories === 'function' ? await this.advisories() : this.advisories;
        const result = scanComponents(components, advisories);
        report = result; // keeps `unevaluated`: the scan evidence fails on components it could not evaluate
      }
    } catch (err) {
      report = {
        status: 'FAILED',
        scanner: `${SCANNER}: ${describeError(err)}`.slice(0, 300),
        findings: [],
      };
    }
    return report;
  }

  /** Stores the report of `ctx.subject` and returns the `ECR Image Scan` event ECR would send. */
  private async store(ctx: CollectContext, report: ScanReport): Promise<Record<string, unknown>> {
    await this.documents.putObject(
      reportKey(ctx.subject),
      new TextEncoder().encode(JSON.stringify(report)),
      'application/json',
    );
    const counts: Record<string, number> = {};
    for (const f of report.findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
    return {
      version: '0',
      source: 'release-gate.local-scanner',
      'detail-type': 'ECR Image Scan',
      region: 'local',
      resources: [],
      time: new Date().toISOString(),
      detail: {
        'scan-status': report.status === 'COMPLETE' ? 'COMPLETE' : 'FAILED',
        'repository-name': ctx.subject.repository,
        'image-digest': ctx.subject.digest,
        'finding-severity-counts': counts,
        'image-tags': [],
      },
    };
  }

  public async getFindings(subject: ImageSubject): Promise<ScanReport> {
    let bytes: Uint8Array;
    try {
      bytes = await this.documents.getObject(reportKey(subject));
    } catch (err) {
      if (err instanceof NotFoundError)
        throw new NotFoundError(`no local scan report for ${subject.repository}@${subject.digest}`);
      throw err;
    }
    return parseJsonDocument(bytes, ScanReportSchema, {
      what: `stored scan report of ${subject.repository}@${subject.digest}`,
      maxBytes: Limits.scanReportBytes,
    });
  }
}
