/**
 * Amazon Inspector's SBOM of an ECR image, for `sbom.acceptInspectorExport`:
 *
 * 1. `CreateSbomExport` (https://docs.aws.amazon.com/inspector/v2/APIReference/API_CreateSbomExport.html)
 *    in CycloneDX 1.4, filtered to exactly this image: `resourceType` AWS_ECR_CONTAINER_IMAGE,
 *    `ecrRepositoryName` and `resourceId` (the image's ARN, `…:repository/<name>/sha256:<hex>`),
 *    written to the gate's bucket under a prefix of its own for this export, encrypted with the
 *    gate's KMS key.
 * 2. `GetSbomExport` until SUCCEEDED, a bounded number of times; FAILED, CANCELLED, or still
 *    IN_PROGRESS at the bound is no SBOM, with the reason.
 * 3. The objects under that prefix (Inspector writes one CycloneDX JSON per resource), each read
 *    through the document store's bounded read (Limits.sbomBytes).
 *
 * Inspector refusing the request (no permission, not enabled, throttled past the SDK's retries) is
 * no SBOM with the reason, not a retry: the evidence is then MISSING, which blocks. S3 failures
 * are the store's own errors (StoreError is retried by the workflow).
 */
import { randomUUID } from 'node:crypto';
import {
  CreateSbomExportCommand,
  type CreateSbomExportCommandOutput,
  GetSbomExportCommand,
  type GetSbomExportCommandOutput,
} from '@aws-sdk/client-inspector2';
import { ListObjectsV2Command, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { describeError } from '../../domain/errors.js';
import { Limits } from '../../domain/limits.js';
import type { InspectorSbomExport, InspectorSbomObject, InspectorSbomSource } from '../../domain/ports.js';
import type { ImageSubject } from '../../domain/types.js';
import { StoreError } from '../store/errors.js';

/** The two Inspector calls; an `Inspector2Client` satisfies it. */
export interface InspectorExportClient {
  send(command: CreateSbomExportCommand): Promise<CreateSbomExportCommandOutput>;
  send(command: GetSbomExportCommand): Promise<GetSbomExportCommandOutput>;
}

/** The one S3 call besides the bounded read; an `S3Client` satisfies it. */
export interface ExportListingClient {
  send(command: ListObjectsV2Command): Promise<ListObjectsV2CommandOutput>;
}

export interface InspectorSbomExportProps {
  readonly inspector: InspectorExportClient;
  readonly s3: ExportListingClient;
  /** Reads one object, bounded (S3DocumentStore.getObject). */
  readonly readObject: (key: string) => Promise<Uint8Array>;
  /** The bucket Inspector writes to (its bucket policy lets `inspector2.amazonaws.com` put objects). */
  readonly bucket: string;
  /** The KMS key Inspector encrypts the export with (its key policy lets Inspector use it). */
  readonly kmsKeyArn: string;
  /** @default 5000 */
  readonly pollIntervalMs?: number;
  /** `GetSbomExport` calls before giving up. @default 36 (3 minutes at the default interval) */
  readonly maxPolls?: number;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Where in the bucket the exports go (the bucket policy lets Inspector write only there). */
export const INSPECTOR_SBOM_PREFIX = 'inspector-sbom/';

/** `<account>.dkr.ecr.<region>.amazonaws.com` (ECR's registry host). */
const ECR_HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$/;

export class InspectorSbomExporter implements InspectorSbomSource {
  private readonly props: InspectorSbomExportProps;

  public constructor(props: InspectorSbomExportProps) {
    this.props = props;
  }

  public async exportSbom(subject: ImageSubject): Promise<InspectorSbomExport> {
    const host = ECR_HOST.exec(subject.registry ?? '');
    if (host === null) {
      return { status: 'UNAVAILABLE', reason: `${subject.registry ?? 'the registry'} is not an ECR registry` };
    }
    const [, account, region] = host;
    const hex = subject.digest.replace(/^sha256:/, '');
    // A prefix of this export's own: what is under it was written for this request only.
    const prefix = `${INSPECTOR_SBOM_PREFIX}${subject.repository}/${hex}/${randomUUID()}/`;
    let reportId: string;
    try {
      const created = await this.props.inspector.send(
        new CreateSbomExportCommand({
          reportFormat: 'CYCLONEDX_1_4',
          resourceFilterCriteria: {
            resourceType: [{ comparison: 'EQUALS', value: 'AWS_ECR_CONTAINER_IMAGE' }],
            ecrRepositoryName: [{ comparison: 'EQUALS', value: subject.repository }],
            resourceId: [
              {
                comparison: 'EQUALS',
                value: `arn:aws:ecr:${region}:${account}:repository/${subject.repository}/${subject.digest}`,
              },
            ],
          },
          s3Destination: { bucketName: this.props.bucket, keyPrefix: prefix, kmsKeyArn: this.props.kmsKeyArn },
        }),
      );
      if (created.reportId === undefined) {
        return { status: 'UNAVAILABLE', reason: 'Inspector CreateSbomExport returned no report id' };
      }
      reportId = created.reportId;
    } catch (err) {
      return { status: 'UNAVAILABLE', reason: `Inspector CreateSbomExport failed: ${sdkFailure(err)}` };
    }
    const finished = await this.waitFor(reportId);
    if (finished !== undefined) return { status: 'UNAVAILABLE', reason: finished };
    return { status: 'SUCCEEDED', reportId, objects: await this.objectsUnder(prefix) };
  }

  /** Polls until SUCCEEDED (undefined) or returns why the export gave nothing. */
  private async waitFor(reportId: string): Promise<string | undefined> {
    const maxPolls = this.props.maxPolls ?? 36;
    const interval = this.props.pollIntervalMs ?? 5000;
    const sleep = this.props.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    for (let poll = 1; poll <= maxPolls; poll++) {
      let out: GetSbomExportCommandOutput;
      try {
        out = await this.props.inspector.send(new GetSbomExportCommand({ reportId }));
      } catch (err) {
        return `Inspector GetSbomExport ${reportId} failed: ${sdkFailure(err)}`;
      }
      if (out.status === 'SUCCEEDED') return undefined;
      if (out.status !== 'IN_PROGRESS') {
        const why = [out.errorCode, out.errorMessage].filter((s) => s !== undefined && s !== '').join(': ');
        return `Inspector SBOM export ${reportId} ended ${out.status ?? 'with no status'}${why === '' ? '' : ` (${why})`}`;
      }
      if (poll < maxPolls) await sleep(interval);
    }
    return `Inspector SBOM export ${reportId} was still IN_PROGRESS after ${maxPolls} checks ${interval} ms apart`;
  }

  /** The JSON objects the export wrote under `prefix` (listed, not read: the collector reads the one it uses). */
  private async objectsUnder(prefix: string): Promise<InspectorSbomObject[]> {
    let listed: ListObjectsV2CommandOutput;
    try {
      listed = await this.props.s3.send(
        new ListObjectsV2Command({ Bucket: this.props.bucket, Prefix: prefix, MaxKeys: Limits.sbomReferrers + 1 }),
      );
    } catch (err) {
      throw new StoreError(`S3 ListObjectsV2 s3://${this.props.bucket}/${prefix} failed`, { cause: err });
    }
    return (listed.Contents ?? []).flatMap((o) =>
      o.Key?.endsWith('.json') === true
        ? [{ location: `s3://${this.props.bucket}/${o.Key}`, read: () => this.props.readObject(o.Key ?? '') }]
        : [],
    );
  }
}

function sdkFailure(err: unknown): string {
  return `${err instanceof Error ? err.name : 'Error'}: ${describeError(err)}`;
}
