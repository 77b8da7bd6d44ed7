import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoDocumentClient } from '../adapters/aws/dynamo-client.js';
import { s3Client } from '../adapters/aws/s3-client.js';
import { S3Advisories } from '../adapters/scan/s3-advisories.js';
import { DynamoAdvisoryIndex } from '../adapters/store/dynamo-advisory-index.js';
import { ConfigError, InvalidInputError, TooLargeError } from '../domain/errors.js';
import { type InspectorFinding, type RevalidationTrigger, revalidate } from '../domain/incident/revalidate.js';
import {
  type InspectorFindingEvent,
  RevalidationEventSchema,
  type S3ObjectCreatedEvent,
  ScheduledRevalidationSchema,
} from '../domain/incident/revalidate-events.js';
import { Limits } from '../domain/limits.js';
import type { AdvisoryIndex } from '../domain/osv/advisory-index.js';
import type { OsvRecord } from '../domain/osv/schema.js';
import { advisoryMatchKeys } from '../domain/scan/local-scanner.js';
import { DigestSchema } from '../domain/types.js';
import { repositoryNameFrom } from '../domain/workflow/events.js';
import { awsWiring, type HandlerDeps } from './aws-deps.js';
import { compactErrors } from './compact-errors.js';
import { invocation } from './invocation.js';
import { logger } from './logger.js';
import { gateMetrics, withOutcomeMetrics } from './metrics.js';
import { parseEvent } from './parse.js';
import { env } from './wiring/env.js';
import { notifier, outcomes } from './wiring/notifications.js';
import { store } from './wiring/store.js';

/** Where OSV records are read: the evidence bucket's `advisories/` prefix on AWS. */
export type AdvisoryObjects = Pick<S3Advisories, 'bucket' | 'isAdvisoryKey' | 'getVersion' | 'all' | 'reconcile'>;

/**
 * Records the daily run indexes at most (`S3Advisories.reconcile`): a few minutes of the
 * function's 10. A prefix indexed for the first time takes a few runs; rollbacks meanwhile read
 * what is not indexed yet directly (slower, never less complete).
 */
export const RECONCILE_PER_RUN = 20_000;

type Handled = { outcome: 'ignored'; reason: string } | { outcome: 'revalidated'; trigger: RevalidationTrigger };

/** `Inspector2 Finding` → the finding as revalidate takes it, or why it is not one to act on. */
function inspectorTrigger(e: InspectorFindingEvent): RevalidationTrigger | string {
  if (e.detail.status !== 'ACTIVE') return `finding status ${e.detail.status}`;
  const vulnerability = e.detail.packageVulnerabilityDetails;
  if (vulnerability === undefined) return `finding type ${e.detail.type ?? 'unknown'} is not a package vulnerability`;
  const image = e.detail.resources.find((r) => r.type === 'AWS_ECR_CONTAINER_IMAGE')?.details?.awsEcrContainerImage;
  if (image === undefined) return 'the finding is not about an ECR container image';
  const digest = DigestSchema.safeParse(image.imageHash);
  if (!digest.success) throw new InvalidInputError(`Inspector2 Finding: imageHash is not a sha256 digest`);
  const finding: InspectorFinding = {
    id: vulnerability.vulnerabilityId,
    aliases: vulnerability.relatedVulnerabilities ?? [],
    ...(e.detail.severity !== undefined && { severity: e.detail.severity }),
    ...(e.detail.title !== undefined && { title: e.detail.title }),
    packages: vulnerability.vulnerablePackages.map((p) => ({
      name: p.name,
      // Inspector splits rpm/deb versions: epoch:version-release, as the distribution writes it.
      version: `${p.epoch !== undefined && p.epoch > 0 ? `${p.epoch}:` : ''}${p.version}${p.release === undefined || p.release === '' ? '' : `-${p.release}`}`,
      ...(p.fixedInVersion !== undefined && p.fixedInVersion !== 'NotAvailable' && { fixedIn: p.fixedInVersion }),
    })),
  };
  return {
    kind: 'inspector',
    repository: repositoryNameFrom(image.repositoryName),
    digest: digest.data,
    findings: [finding],
  };
}

/** A record read for its `Object Created` event: its trigger, and the version read, to index. */
interface AdvisoryRead {
  readonly trigger: RevalidationTrigger;
  readonly key: string;
  readonly etag: string;
  readonly record: OsvRecord;
}

/** `Object Created` under the advisories prefix → its record (read through the size limit and the OSV schema). */
async function advisoryTrigger(e: S3ObjectCreatedEvent, advisories: AdvisoryObjects): Promise<AdvisoryRead | string> {
  const { bucket, object } = e.detail;
  if (bucket.name !== advisories.bucket) {
    throw new InvalidInputError(
      `Object Created in bucket ${bucket.name}, not the advisories bucket ${advisories.bucket}`,
    );
  }
  if (!advisories.isAdvisoryKey(object.key)) return `${object.key} is not an OSV record under the advisories prefix`;
  if (object.size !== undefined && object.size > Limits.advisoryBytes) {
    throw new TooLargeError(`advisory s3://${bucket.name}/${object.key}`, object.size, Limits.advisoryBytes);
  }
  const { record, etag } = await advisories.getVersion(object.key);
  const trigger = { kind: 'advisories', advisories: [record], source: `s3://${bucket.name}/${object.key}` } as const;
  return { trigger, key: object.key, etag, record };
}

/**
 * Re-validation on AWS: an `Inspector2 Finding` for an image, an OSV record written under the
 * `advisories/` prefix (S3 `Object Created` through EventBridge), or the daily Scheduler run. A
 * malformed or oversized advisory throws (it lands in the dead-letter queue, with its reason).
 */
export const makeHandler = (
  getDeps: () => Promise<HandlerDeps>,
  getAdvisories: () => Promise<AdvisoryObjects> = defaultAdvisories,
  getIndex: () => Promise<AdvisoryIndex> = defaultIndex,
) =>
  invocation(async (event) => {
    let trigger: RevalidationTrigger | string;
    const [advisories, index] = await Promise.all([getAdvisories(), getIndex()]);
    // The advisory index is written after re-validation: alerts never wait on it, and readers
    // (rollback, release) read whatever it does not hold yet directly.
    let indexing = async (): Promise<void> => {};
    if (event !== null && typeof event === 'object' && 'kind' in event) {
      parseEvent(ScheduledRevalidationSchema, event, 'scheduled re-validation input');
      trigger = { kind: 'scheduled' };
    } else {
      const e = parseEvent(RevalidationEventSchema, event, 're-validation event');
      const read = e.source === 'aws.inspector2' ? inspectorTrigger(e) : await advisoryTrigger(e, advisories);
      if (typeof read === 'string' || !('record' in read)) trigger = read;
      else {
        trigger = read.trigger;
        // At the ETag of the version read (not the event's: a later write may have replaced it).
        indexing = () => index.index(read.key, read.etag, advisoryMatchKeys(read.record));
      }
    }
    if (typeof trigger === 'string') {
      logger.info('re-validation event ignored', { reason: trigger });
      return { outcome: 'ignored', reason: trigger } satisfies Handled;
    }
    const deps = await withOutcomeMetrics(getDeps)();
    // The daily run also counts the approvals still waiting: a stuck one shows up (and alarms)
    // even when nothing else happens.
    if (trigger.kind === 'scheduled') {
      await gateMetrics.pendingApprovals(deps.gate.store, deps.gate.clock);
      // The index catches up with records whose event it missed or that predate it, before the
      // records are read (a prefix past the daily run's read limit still gets indexed); a failure
      // is thrown once re-validation has run.
      let failed: { error: unknown } | undefined;
      try {
        logger.info('advisory index reconciled', { ...(await advisories.reconcile(index, RECONCILE_PER_RUN)) });
      } catch (error) {
        failed = { error };
      }
      indexing = async () => {
        if (failed !== undefined) throw failed.error;
      };
    }
    const summary = await revalidate(
      {
        store: deps.gate.store,
        notifier: deps.gate.notifier,
        outcomes: deps.gate.outcomes,
        clock: deps.gate.clock,
        policy: deps.gate.policy,
        advisories: () => advisories.all(),
      },
      trigger,
    );
    const newlyAffected = summary.newlyAffected.map((a) => ({
      repository: a.repository,
      digest: a.digest,
      advisoryId: a.advisoryId,
    }));
    logger.info('re-validated', {
      trigger: trigger.kind,
      checked: summary.checked,
      newlyAffected,
      alreadyKnown: summary.alreadyKnown.length,
      unqueried: summary.unqueried ?? [],
    });
    await indexing();
    return { outcome: 'revalidated', checked: summary.checked, newlyAffected };
  });

let cachedAdvisories: Promise<AdvisoryObjects> | undefined;
let cachedIndex: Promise<AdvisoryIndex> | undefined;

/** The advisory index in the evidence table TABLE_NAME. */
function defaultIndex(): Promise<AdvisoryIndex> {
  cachedIndex ??= Promise.resolve().then(
    () =>
      new DynamoAdvisoryIndex({
        client: dynamoDocumentClient(new DynamoDBClient({ region: env('AWS_REGION') })),
        tableName: env('TABLE_NAME'),
      }),
  );
  return cachedIndex;
}

function defaultAdvisories(): Promise<AdvisoryObjects> {
  cachedAdvisories ??= Promise.resolve().then(() => {
    const region = process.env.AWS_REGION;
    const bucket = process.env.BUCKET_NAME;
    if (region === undefined || region === '' || bucket === undefined || bucket === '') {
      throw new ConfigError('environment variables AWS_REGION and BUCKET_NAME must be set');
    }
    return new S3Advisories({ client: s3Client({ region }), bucket });
  });
  return cachedAdvisories;
}

export const handler = compactErrors(makeHandler(awsWiring(store, notifier, outcomes)));
