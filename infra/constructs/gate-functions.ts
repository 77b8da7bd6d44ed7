import { Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ADVISORIES_PREFIX } from '../../lambdas/adapters/scan/s3-advisories.js';
import { TABLE_GSIS } from '../../lambdas/adapters/store/table-schema.js';
import { BUNDLED_POLICY_PATH, GateFunction } from './gate-function.js';
import { acknowledgeWildcardResource, defaultPolicyOf } from './nag-acknowledgments.js';

/** The gate's Lambda handlers, one file each under `lambdas/handlers/`. */
export const HANDLER_NAMES = [
  'start-release',
  'record-release',
  'wait-for-scan',
  'scan-complete',
  'record-pusher',
  'collect-evidence',
  'evaluate-policy',
  'request-approval',
  'promote',
  'quarantine',
  'approval-api',
  'revalidate',
  'ops-read',
  'ops-write',
] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

interface HandlerSizing {
  readonly timeout: Duration;
  readonly memorySize: number;
}

/**
 * Each timeout stays below the ASL Task's TimeoutSeconds, so a slow Lambda fails with its own
 * timeout error (retried by the Task) instead of the Task giving up on a still-running function.
 */
const SIZING: Readonly<Record<HandlerName, HandlerSizing>> = {
  'start-release': { timeout: Duration.seconds(30), memorySize: 256 },
  'record-release': { timeout: Duration.seconds(50), memorySize: 512 }, // Task: 60 s
  'wait-for-scan': { timeout: Duration.seconds(30), memorySize: 256 },
  'scan-complete': { timeout: Duration.seconds(30), memorySize: 256 },
  'record-pusher': { timeout: Duration.seconds(30), memorySize: 256 },
  'collect-evidence': { timeout: Duration.seconds(240), memorySize: 1024 }, // Task: 300 s
  'evaluate-policy': { timeout: Duration.seconds(50), memorySize: 512 }, // Task: 60 s
  'request-approval': { timeout: Duration.seconds(30), memorySize: 256 },
  promote: { timeout: Duration.seconds(840), memorySize: 1024 }, // Task: 900 s
  quarantine: { timeout: Duration.seconds(120), memorySize: 256 }, // Task: 300 s
  'approval-api': { timeout: Duration.seconds(10), memorySize: 256 }, // HTTP API limit: 30 s
  // The daily run reads every advisory under advisories/ and queries the package index per package.
  revalidate: { timeout: Duration.seconds(600), memorySize: 1024 },
  // Both answer within the HTTP API's 30 s integration limit. Triage and report read many records;
  // rollback and release re-verify the target (signatures, attestations, the SBOM against today's
  // findings) within the request.
  'ops-read': { timeout: Duration.seconds(29), memorySize: 1024 },
  'ops-write': { timeout: Duration.seconds(29), memorySize: 1024 },
};

export interface GateFunctionsProps {
  readonly table: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  /** Key of the table, bucket and topic. */
  readonly key: kms.IKey;
  readonly topic: sns.ITopic;
  readonly eventBus: events.IEventBus;
  /** ARN of the gate's state machine, built from its fixed name (see ReleaseGate). */
  readonly stateMachineArn: string;
  readonly sourceRepositoryArns: readonly string[];
  readonly productionRepositoryArnPattern: string;
  readonly promotionPrefix: string;
  /** Absolute path of the validated policy file. */
  readonly policyFile: string;
  readonly stage: string;
  readonly scanTimeout: Duration;
  /**
   * Retention of every function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Source-mapped stack traces in every function (GateFunctionProps.debugSourceMaps).
   * @default false
   */
  readonly debugSourceMaps?: boolean;
}

/**
 * One function per handler, each with its own role holding only what that handler does. Every
 * grant below names its resources. `Resource: "*"` appears only for actions that support nothing
 * else (X-Ray, `ecr:GetAuthorizationToken`, `signer:GetRevocationStatus`), and each remaining
 * wildcard carries a cdk-nag acknowledgment next to the grant that makes it.
 */
export class GateFunctions extends Construct {
  private readonly byName: ReadonlyMap<HandlerName, GateFunction>;

  public constructor(scope: Construct, id: string, props: GateFunctionsProps) {
    super(scope, id);
    // Every handler gets the whole configuration; each reads what its wiring needs
    // (lambdas/handlers/wiring/). Configuration is not permission; the roles below are what limit
    // each function.
    const environment: Record<string, string> = {
      TABLE_NAME: props.table.tableName,
      BUCKET_NAME: props.bucket.bucketName,
      POLICY_FILE: BUNDLED_POLICY_PATH,
      GATE_STAGE: props.stage,
      SCAN_TIMEOUT_SECONDS: String(props.scanTimeout.toSeconds()),
      PROMOTION_PREFIX: props.promotionPrefix,
      REGISTRY_ID: Stack.of(this).account,
      STATE_MACHINE_ARN: props.stateMachineArn,
      TOPIC_ARN: props.topic.topicArn,
      EVENT_BUS_NAME: props.eventBus.eventBusName,
      POWERTOOLS_SERVICE_NAME: 'release-gate',
      POWERTOOLS_METRICS_NAMESPACE: 'ReleaseGate',
    };

    const byName = new Map<HandlerName, GateFunction>();
    for (const name of HANDLER_NAMES) {
      byName.set(
        name,
        new GateFunction(this, pascal(name), {
          handlerName: name,
          policyFile: props.policyFile,
          timeout: SIZING[name].timeout,
          memorySize: SIZING[name].memorySize,
          environment,
          logRetention: props.logRetention,
          debugSourceMaps: props.debugSourceMaps,
        }),
      );
    }
    this.byName = byName;

    const grants = new Grants(props);
    const role = (name: HandlerName): iam.Role => this.get(name).role;

    // What each handler does is in lambdas/domain/workflow/<step>.ts; the grants follow it.
    grants.startExecution(role('start-release'));
    // Records every tag the digest is pushed under and each entry of a pushed index (conditional
    // puts), and looks up the index of an untagged platform manifest (a query).
    grants.tablePutAndQuery(role('start-release'));
    // Reads the pushed manifest (BatchGetImage): an index's entries, or whether it is an image.
    grants.readSource(role('start-release'), []);

    // Resolves the manifest (BatchGetImage) and records the release.
    grants.readSource(role('record-release'), []);
    grants.tableReadWrite(role('record-release'));
    grants.bucketReadWrite(role('record-release'));

    // Manifests, blobs, referrers (ListImageReferrers is authorised as ecr:BatchGetImage), findings.
    grants.readSource(role('collect-evidence'), COLLECT_EXTRA_ECR_ACTIONS);
    grants.tableReadWrite(role('collect-evidence'));
    grants.bucketReadWrite(role('collect-evidence'));
    // Revocation of Notation signatures made by AWS Signer (ECR managed signing).
    grants.signerRevocation(role('collect-evidence'));

    // The decision is a pure function of stored evidence and the bundled policy; the registry is
    // read only to list the attachments (referrers, cosign tags) the decision fixes for Promote.
    grants.readSource(role('evaluate-policy'), []);
    grants.tableReadWrite(role('evaluate-policy'));
    grants.bucketReadWrite(role('evaluate-policy'));

    // Stores the token, and answers it at once when the scan result already arrived (for an index:
    // when each platform's did; the manifest says which platforms, see index-scan.ts).
    grants.tableReadWrite(role('wait-for-scan'));
    grants.taskResponse(role('wait-for-scan'));
    grants.readSource(role('wait-for-scan'), []);

    // A platform manifest's scan may complete its index's wait: it reads the index's manifest.
    grants.tableReadWrite(role('scan-complete'));
    grants.taskResponse(role('scan-complete'));
    grants.readSource(role('scan-complete'), []);

    // Writes one PUSHER# item per CloudTrail PutImage record; reads nothing else.
    grants.tableReadWrite(role('record-pusher'));

    grants.tableReadWrite(role('request-approval'));
    grants.publish(role('request-approval'));
    grants.putEvents(role('request-approval'));

    // Writes the final approval record to the evidence bucket and announces the decision.
    grants.tableReadWrite(role('approval-api'));
    grants.taskResponse(role('approval-api'));
    grants.bucketReadWrite(role('approval-api'));
    grants.putEvents(role('approval-api'));
    // A Slack message that could not be updated with the answer is reported on the topic.
    grants.publish(role('approval-api'));

    // Copies manifests, blobs (mount or upload) and referrers from the source to prod/<repository>.
    grants.readSource(role('promote'), []);
    grants.writeProduction(role('promote'));
    grants.tableReadWrite(role('promote'));
    grants.bucketReadWrite(role('promote'));
    grants.putEvents(role('promote'));
    grants.publish(role('promote'));

    // The read routes (`--aws` status, triage, explain, report) read the table, and the bucket,
    // where a report is stored: no other write, so a principal that may only read cannot have
    // this function change production or the record.
    grants.tableRead(role('ops-read'));
    grants.bucketReadWrite(role('ops-read'));

    // The incident actions (`--aws` revoke, rollback, release, break-glass confirm): revoke writes
    // its record; rollback and release from quarantine re-verify the release (the collect-evidence
    // function collects its evidence again; this one reads the OSV records under advisories/),
    // then move the production channel tag or copy the image to production, append the track
    // entry and announce it.
    grants.readSource(role('ops-write'), []);
    grants.writeProduction(role('ops-write'));
    grants.tableReadWrite(role('ops-write'));
    grants.bucketReadWrite(role('ops-write'));
    grants.putEvents(role('ops-write'));
    grants.publish(role('ops-write'));
    // `release` of a quarantined release that passes now starts its next gate round.
    grants.startExecution(role('ops-write'));
    grants.readAdvisories(role('ops-write'));
    // Re-verification's collectors: a recollect request to collect-evidence, which stores nothing.
    const collect = this.get('collect-evidence').function;
    role('ops-write').addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RecollectEvidence',
        actions: ['lambda:InvokeFunction'],
        resources: [collect.functionArn],
      }),
    );
    this.get('ops-write').function.addEnvironment('COLLECT_EVIDENCE_FUNCTION_NAME', collect.functionName);

    // Adds a quarantine tag in the source repository; never touches production.
    grants.tagSource(role('quarantine'));
    grants.tableReadWrite(role('quarantine'));
    grants.bucketReadWrite(role('quarantine'));
    grants.putEvents(role('quarantine'));
    grants.publish(role('quarantine'));

    // Re-validation reads the package index, the tracks and the releases, records alerts
    // (conditional puts), reads OSV records under advisories/ only, and announces what it finds.
    grants.tableReadWrite(role('revalidate'));
    grants.readAdvisories(role('revalidate'));
    grants.putEvents(role('revalidate'));
    grants.publish(role('revalidate'));
  }

  /** Set one environment variable on every function (e.g. a URL known only after they exist). */
  public addEnvironment(key: string, value: string): void {
    for (const fn of this.byName.values()) fn.function.addEnvironment(key, value);
  }

  /** The construct of one handler's function (function, role, log group). */
  public get(name: HandlerName): GateFunction {
    const fn = this.byName.get(name);
    if (fn === undefined) throw new Error(`no gate function named ${name}`);
    return fn;
  }

  public function(name: HandlerName): lambda.IFunction {
    return this.get(name).function;
  }

  public all(): ReadonlyArray<readonly [HandlerName, GateFunction]> {
    return [...this.byName.entries()];
  }
}

/** Reading scan findings and managed-signing status is only the evidence collector's business. */
const COLLECT_EXTRA_ECR_ACTIONS = ['ecr:DescribeImageScanFindings', 'ecr:DescribeImageSigningStatus'];

const ECR_PULL_ACTIONS = ['ecr:BatchGetImage', 'ecr:DescribeImages', 'ecr:GetDownloadUrlForLayer'];

const ECR_PUSH_ACTIONS = [
  'ecr:PutImage',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:DescribeImages',
  // The first promotion of a repository creates prod/<repo> through the CREATE_ON_PUSH template.
  'ecr:CreateRepository',
];

/** Explicit statements instead of the L2 grant helpers, which add wildcard actions (`s3:List*`, `kms:GenerateDataKey*`). */
class Grants {
  public constructor(private readonly props: GateFunctionsProps) {}

  public tableReadWrite(role: iam.Role): void {
    const { table } = this.props;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EvidenceTableReadWrite',
        actions: [
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:DescribeTable',
        ],
        // The indexes by name (TABLE_GSIS), not `index/*`: Query reads exactly these two.
        resources: [table.tableArn, ...TABLE_GSIS.map((gsi) => `${table.tableArn}/index/${gsi.indexName}`)],
      }),
    );
    this.useKey(role);
  }

  /** Reads of the table and its indexes, no write (the ops read routes). */
  public tableRead(role: iam.Role): void {
    const { table } = this.props;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EvidenceTableRead',
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
        resources: [table.tableArn, ...TABLE_GSIS.map((gsi) => `${table.tableArn}/index/${gsi.indexName}`)],
      }),
    );
    this.useKey(role);
  }

  /** Conditional puts and queries on the table itself, nothing else (start-release). */
  public tablePutAndQuery(role: iam.Role): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EvidenceTablePutQuery',
        actions: ['dynamodb:PutItem', 'dynamodb:Query'],
        resources: [this.props.table.tableArn],
      }),
    );
    this.useKey(role);
  }

  public bucketReadWrite(role: iam.Role): void {
    const { bucket } = this.props;
    const objects = bucket.arnForObjects('*');
    // No DeleteObject: evidence is append-only (and Object Lock would refuse it anyway).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EvidenceObjectsReadWrite',
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
        resources: [objects],
      }),
    );
    acknowledgeWildcardResource(
      defaultPolicyOf(role),
      objects,
      'Object keys are made at run time (evidence/sha256/<digest>, named decision documents), so object actions need the evidence bucket /* ARN; no s3:DeleteObject is granted.',
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'EvidenceBucketList', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
    );
    this.useKey(role);
  }

  /** GetObject under `advisories/` and listing that prefix: nothing else of the evidence bucket. */
  public readAdvisories(role: iam.Role): void {
    const { bucket } = this.props;
    const objects = bucket.arnForObjects(`${ADVISORIES_PREFIX}*`);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'AdvisoriesRead', actions: ['s3:GetObject'], resources: [objects] }),
    );
    acknowledgeWildcardResource(
      defaultPolicyOf(role),
      objects,
      'OSV records are added under advisories/ at any time with any name; read access covers that prefix only.',
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AdvisoriesList',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ADVISORIES_PREFIX}*`] } },
      }),
    );
    this.useKey(role);
  }

  public readSource(role: iam.Role, extraActions: readonly string[]): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'GatedRepositoriesRead',
        actions: [...ECR_PULL_ACTIONS, ...extraActions],
        resources: [...this.props.sourceRepositoryArns],
      }),
    );
    this.acknowledgeSourcePrefix(role);
    this.registryToken(role);
  }

  public tagSource(role: iam.Role): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'GatedRepositoriesQuarantineTag',
        // ListImages: the quarantine tag is chosen among the tags already present.
        actions: ['ecr:PutImage', 'ecr:BatchGetImage', 'ecr:DescribeImages', 'ecr:ListImages'],
        resources: [...this.props.sourceRepositoryArns],
      }),
    );
    this.acknowledgeSourcePrefix(role);
  }

  public writeProduction(role: iam.Role): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ProductionRepositoriesPush',
        actions: ECR_PUSH_ACTIONS,
        resources: [this.props.productionRepositoryArnPattern],
      }),
    );
    acknowledgeWildcardResource(
      defaultPolicyOf(role),
      this.props.productionRepositoryArnPattern,
      'Production repositories <promotionPrefix>/<repository> are created by the first promotion and named by the policy targetRepository, which synth-time validation keeps under this prefix.',
    );
    this.registryToken(role);
  }

  /**
   * Grants `actions`, which support only `Resource: "*"`, in a policy of their own, so that its
   * acknowledgment covers exactly them and not a later wildcard in the role's default policy.
   */
  public starOnly(role: iam.Role, id: string, actions: readonly string[], reason: string): void {
    if (role.node.tryFindChild(id) !== undefined) return;
    const policy = new iam.Policy(role, id, {
      roles: [role],
      statements: [new iam.PolicyStatement({ actions: [...actions], resources: ['*'] })],
    });
    acknowledgeWildcardResource(policy, '*', reason);
  }

  /** Revocation of Notation signatures made by AWS Signer (ECR managed signing). */
  public signerRevocation(role: iam.Role): void {
    this.starOnly(
      role,
      'SignerRevocationPolicy',
      ['signer:GetRevocationStatus'],
      'signer:GetRevocationStatus (Notation signatures made by AWS Signer) has no resource type in the Service Authorization Reference, so its only resource is *.',
    );
  }

  public startExecution(role: iam.Role): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StartReleaseExecution',
        actions: ['states:StartExecution'],
        resources: [this.props.stateMachineArn],
      }),
    );
  }

  public taskResponse(role: iam.Role): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AnswerTaskTokens',
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: [this.props.stateMachineArn],
      }),
    );
  }

  public publish(role: iam.Role): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'NotifyTopic', actions: ['sns:Publish'], resources: [this.props.topic.topicArn] }),
    );
    this.useKey(role);
  }

  public putEvents(role: iam.Role): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'OutcomeEvents',
        actions: ['events:PutEvents'],
        resources: [this.props.eventBus.eventBusArn],
      }),
    );
  }

  private useKey(role: iam.Role): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'GateKeyUse',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [this.props.key.keyArn],
      }),
    );
  }

  /** Gated repositories in prefix mode are `repository/<prefix>/*`: acknowledge that wildcard. */
  private acknowledgeSourcePrefix(role: iam.Role): void {
    for (const arn of this.props.sourceRepositoryArns.filter((a) => a.includes('*'))) {
      acknowledgeWildcardResource(
        defaultPolicyOf(role),
        arn,
        'Prefix mode gates every repository under <prefix>/, created on first push, so their names are unknown at deploy time; the grant covers that prefix only.',
      );
    }
  }

  private registryToken(role: iam.Role): void {
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
    this.starOnly(
      role,
      'RegistryTokenPolicy',
      ['ecr:GetAuthorizationToken'],
      'ecr:GetAuthorizationToken is account-wide and supports only Resource * (Service Authorization Reference, Amazon ECR); repository access is granted per ARN.',
    );
  }
}

function pascal(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
