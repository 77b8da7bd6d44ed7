/**
 * `ScanFindingsSource` for Amazon ECR image scanning: DescribeImageScanFindings
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImageScanFindings.html),
 * every page. BASIC scanning returns `imageScanFindings.findings[]` (CVE in `name`, package in the
 * `package_name`/`package_version` attributes); ENHANCED scanning (Amazon Inspector) returns
 * `imageScanFindings.enhancedFindings[]` with `packageVulnerabilityDetails`.
 */
import { DescribeImageScanFindingsCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { formatIssues } from '../../domain/document.js';
import { NotFoundError, RegistryError } from '../../domain/errors.js';
import type { ScanFindingsSource, ScanReport, VulnerabilityFinding } from '../../domain/ports.js';
import type { ImageSubject } from '../../domain/types.js';
import * as z from '../../domain/zod.js';

export interface EcrScanFindingsOptions {
  /** Injected so tests and handlers choose credentials, region and retries. */
  readonly client: Pick<ECRClient, 'send'>;
  /** The registry (AWS account) id. @default - the caller's default registry */
  readonly registryId?: string;
  /** Pages read before giving up (fails closed rather than returning a partial list). @default 100 */
  readonly maxPages?: number;
}

/** The SDK returns Dates; the JSON shapes of the API (and of the CLI) carry epoch seconds. */
const Timestamp = z.optional(z.union([z.date(), z.number(), z.string()]));

const AttributeSchema = z.object({ key: z.string(), value: z.optional(z.string()) });

const BasicFindingSchema = z.object({
  name: z.string().check(z.minLength(1)),
  description: z.optional(z.string()),
  uri: z.optional(z.string()),
  severity: z.optional(z.string()),
  attributes: z.optional(z.array(AttributeSchema)),
});

const VulnerablePackageSchema = z.object({
  name: z.string().check(z.minLength(1)),
  version: z.optional(z.string()),
  epoch: z.optional(z.number().check(z.int())),
  release: z.optional(z.string()),
  fixedInVersion: z.optional(z.string()),
  packageManager: z.optional(z.string()),
});

const EnhancedFindingSchema = z.object({
  title: z.optional(z.string()),
  severity: z.optional(z.string()),
  status: z.optional(z.string()),
  packageVulnerabilityDetails: z.optional(
    z.object({
      vulnerabilityId: z.string().check(z.minLength(1)),
      relatedVulnerabilities: z.optional(z.array(z.string())),
      vulnerablePackages: z.optional(z.array(VulnerablePackageSchema)),
    }),
  ),
});

const PageSchema = z.object({
  nextToken: z.optional(z.string()),
  imageScanStatus: z.optional(z.object({ status: z.optional(z.string()), description: z.optional(z.string()) })),
  imageScanFindings: z.optional(
    z.object({
      imageScanCompletedAt: Timestamp,
      findings: z.optional(z.array(BasicFindingSchema)),
      enhancedFindings: z.optional(z.array(EnhancedFindingSchema)),
    }),
  ),
});
type Page = z.infer<typeof PageSchema>;

const SEVERITIES = new Set<VulnerabilityFinding['severity']>([
  'CRITICAL',
  'HIGH',
  'MEDIUM',
  'LOW',
  'INFORMATIONAL',
  'UNDEFINED',
]);

/** ECR/Inspector severities; Inspector's UNTRIAGED (and anything unknown) is UNDEFINED. */
function severityOf(value: string | undefined): VulnerabilityFinding['severity'] {
  const upper = (value ?? '').toUpperCase();
  for (const s of SEVERITIES) if (s === upper) return s;
  return 'UNDEFINED';
}

function toIso(value: Date | number | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function basicFinding(f: z.infer<typeof BasicFindingSchema>): VulnerabilityFinding {
  const attr = (key: string) => f.attributes?.find((a) => a.key === key)?.value;
  return {
    id: f.name,
    aliases: [],
    severity: severityOf(f.severity),
    packageName: attr('package_name') ?? '',
    packageVersion: attr('package_version') ?? '',
    ...(f.description !== undefined && { title: f.description }),
  };
}

/** `epoch:version-release` as the distribution spells it (epoch 0 is omitted). */
function packageVersion(p: z.infer<typeof VulnerablePackageSchema>): string {
  const epoch = p.epoch !== undefined && p.epoch > 0 ? `${p.epoch}:` : '';
  const release = p.release !== undefined && p.release !== '' ? `-${p.release}` : '';
  return `${epoch}${p.version ?? ''}${release}`;
}

function enhancedFindings(f: z.infer<typeof EnhancedFindingSchema>): VulnerabilityFinding[] {
  const details = f.packageVulnerabilityDetails;
  if (details === undefined) return [];
  const base = {
    id: details.vulnerabilityId,
    aliases: (details.relatedVulnerabilities ?? []).filter((v) => v !== details.vulnerabilityId),
    severity: severityOf(f.severity),
    ...(f.title !== undefined && { title: f.title }),
  };
  const packages = details.vulnerablePackages ?? [];
  if (packages.length === 0) return [{ ...base, packageName: '', packageVersion: '' }];
  return packages.map((p) => ({
    ...base,
    packageName: p.name,
    packageVersion: packageVersion(p),
    ...(p.fixedInVersion !== undefined && p.fixedInVersion !== 'NotAvailable' && { fixedIn: p.fixedInVersion }),
  }));
}

const NOT_FOUND_ERRORS = new Set(['ScanNotFoundException', 'ImageNotFoundException', 'RepositoryNotFoundException']);

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

export class EcrScanFindingsSource implements ScanFindingsSource {
  private readonly client: Pick<ECRClient, 'send'>;
  private readonly registryId: string | undefined;
  private readonly maxPages: number;

  public constructor(options: EcrScanFindingsOptions) {
    this.client = options.client;
    this.registryId = options.registryId;
    this.maxPages = options.maxPages ?? 100;
  }

  /** All findings of the image's latest scan. Throws `NotFoundError` when ECR has no scan. */
  public async getFindings(subject: ImageSubject): Promise<ScanReport> {
    const findings: VulnerabilityFinding[] = [];
    let first: Page | undefined;
    let basic = false;
    let enhanced = false;
    let nextToken: string | undefined;
    const seenTokens = new Set<string>();
    for (let page = 0; ; page++) {
      if (page >= this.maxPages) {
        throw new RegistryError(`DescribeImageScanFindings returned more than ${this.maxPages} pages`);
      }
      const raw = await this.send(subject, nextToken);
      const parsed = PageSchema.safeParse(raw);
      if (!parsed.success) {
        throw new RegistryError(`unexpected DescribeImageScanFindings response: ${formatIssues(parsed.error.issues)}`);
      }
      const data = parsed.data;
      first ??= data;
      const scan = data.imageScanFindings;
      if (scan?.findings !== undefined) {
        basic = true;
        findings.push(...scan.findings.map(basicFinding));
      }
      if (scan?.enhancedFindings !== undefined) {
        enhanced = true;
        // CLOSED findings were remediated in a later Inspector scan.
        for (const f of scan.enhancedFindings) if (f.status !== 'CLOSED') findings.push(...enhancedFindings(f));
      }
      nextToken = data.nextToken;
      if (nextToken === undefined || nextToken === '') break;
      if (seenTokens.has(nextToken)) throw new RegistryError('DescribeImageScanFindings repeated a nextToken');
      seenTokens.add(nextToken);
    }
    const completedAt = toIso(first?.imageScanFindings?.imageScanCompletedAt);
    return {
      // A missing status is not a completed scan: the collector fails it closed.
      status: first?.imageScanStatus?.status ?? 'UNKNOWN',
      scanner: enhanced ? 'inspector' : basic ? 'ecr-basic' : 'ecr',
      ...(completedAt !== undefined && { completedAt }),
      findings,
    };
  }

  private async send(subject: ImageSubject, nextToken: string | undefined): Promise<unknown> {
    const command = new DescribeImageScanFindingsCommand({
      repositoryName: subject.repository,
      imageId: { imageDigest: subject.digest },
      ...(this.registryId !== undefined && { registryId: this.registryId }),
      ...(nextToken !== undefined && { nextToken }),
    });
    try {
      return await this.client.send(command);
    } catch (err) {
      const name = errorName(err);
      if (name !== undefined && NOT_FOUND_ERRORS.has(name)) {
        throw new NotFoundError(`no ECR image scan for ${subject.repository}@${subject.digest} (${name})`, {
          cause: err,
        });
      }
      // Throttling, access and service errors: RegistryError is retried by the workflow.
      throw new RegistryError(`DescribeImageScanFindings failed for ${subject.repository}@${subject.digest}`, {
        cause: err,
      });
    }
  }
}
