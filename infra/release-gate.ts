import { ArnFormat, CfnOutput, Duration, Names, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { INSPECTOR_SBOM_PREFIX } from '../lambdas/adapters/scan/inspector-sbom-export.js';
import { TIME_TO_LIVE_ATTRIBUTE } from '../lambdas/adapters/store/table-schema.js';
import type { LoadedPolicy } from '../lambdas/domain/policy/load.js';
import { CLI_STACK_OUTPUTS, opsRoutesOutput } from '../lambdas/handlers/ops-routes.js';
import { ApprovalApi, type ApprovalApiProps } from './constructs/approval-api.js';
import { ApprovalLinks } from './constructs/approval-links.js';
import { EvidenceStore } from './constructs/evidence-store.js';
import { GateFunctions } from './constructs/gate-functions.js';
import { GateMonitoring } from './constructs/gate-monitoring.js';
import { GateNotifications } from './constructs/gate-notifications.js';
import { GateRevalidation } from './constructs/gate-revalidation.js';
import { GateTriggers } from './constructs/gate-triggers.js';
import { GateWorkflow } from './constructs/gate-workflow.js';
import { GatedRegistry, type GatedRepositories } from './constructs/gated-registry.js';
import { acknowledgeWildcardResource } from './constructs/nag-acknowledgments.js';
import { OpsApi } from './constructs/ops-api.js';
import { packageFile, userFile } from './constructs/package-paths.js';
import { validatePolicyFile } from './validate-policy.js';

/** The ASL file, loaded as written so the same definition runs on AWS and locally (ships in the package). */
export const DEFINITION_FILE = packageFile('statemachines', 'release-gate.asl.json');
/**
 * The example policy shipped in the package. It trusts no key, builder source or eval metric, so
 * nothing passes production with it: the gate fails closed until you give your own.
 */
export const DEFAULT_POLICY_FILE = packageFile('policy', 'release-gate.policy.yaml');

/** `scanTimeout`'s bound: a scan rendezvous holding only the task token expires 90 days after it was stored. */
const MAX_SCAN_TIMEOUT = Duration.days(30);

export interface ReleaseGateProps {
  /**
   * Source repositories to gate. An `IRepository` is one you already have
   * (`ecr.Repository.fromRepositoryName(this, 'App', 'app')`): it is gated as it is, and nothing is
   * created or changed for it (its scan on push, tag mutability and encryption stay yours; without
   * scan on push, scan evidence is MISSING and the gate blocks). A name is a repository this
   * construct creates (immutable tags, scan on push, the evidence key). Give this or
   * `gatedRepositoryPrefix`, not both.
   * @default - none; then `gatedRepositoryPrefix` is required
   */
  readonly gatedRepositories?: readonly (string | ecr.IRepository)[];
  /**
   * Gate every repository under `<prefix>/` (created on first push from a creation template).
   * Give this or `gatedRepositories`, not both.
   * @default - none; then `gatedRepositories` is required
   */
  readonly gatedRepositoryPrefix?: string;
  /**
   * Policy file (YAML or JSON), absolute or relative to the working directory of the CDK app. It
   * is validated at synth time (an invalid policy makes synth throw) and bundled into every
   * function, with the files of its folder.
   * @default - the package's example `policy/release-gate.policy.yaml` (trusts nothing: fails closed)
   */
  readonly policyFile?: string;
  /**
   * Policy stage this gate evaluates (`GATE_STAGE`); every policy rule must define it.
   * @default 'production'
   */
  readonly stage?: string;
  /**
   * Email addresses subscribed to the notification topic (ops: JSON messages, no approval links).
   * @default - no subscriptions
   */
  readonly approverEmails?: readonly string[];
  /**
   * The SES identity the per-approver approval mails are sent from (verified in SES: the address,
   * or its domain). Approvers are the policy's `approval.approvers`.
   * @default - no approval mails: nobody can answer by link; `release-gate approve --aws` remains
   */
  readonly approvalEmailSender?: string;
  /**
   * An authorizer for the approval link routes (an OIDC issuer and audiences, or any HTTP route
   * authorizer): approvers then sign in too, and their verified email must be the link's address.
   * @default - none: the signed link is the credential
   */
  readonly approvalLinkAuthorizer?: ApprovalApiProps['linkAuthorizer'];
  /**
   * First path segment of the production repositories.
   * @default 'prod'
   */
  readonly promotionPrefix?: string;
  /**
   * Create the ECR repository creation templates for `<promotionPrefix>/` (and for
   * `gatedRepositoryPrefix`). A template for the same prefix already in this stack (another
   * ReleaseGate's) is shared. Set `false` when the account already has templates for these prefixes.
   * @default true
   */
  readonly repositoryCreationTemplates?: boolean;
  /**
   * The mutable channel tags of the production repositories; every rule's `promotion.channelTag`
   * must be one of them (checked at synth).
   * @default ['live']
   */
  readonly channelTags?: readonly string[];
  /**
   * How long WaitForScan waits for the scan-complete event before scan evidence is MISSING. At
   * least 60 seconds, at most 30 days (well within the 90 days a waiting task token is kept).
   * @default Duration.hours(1)
   */
  readonly scanTimeout?: Duration;
  /**
   * S3 Object Lock default retention (GOVERNANCE) of evidence objects, in days.
   * @default 365
   */
  readonly objectLockRetentionDays?: number;
  /**
   * Bucket for the evidence bucket's server access logs.
   * @default - a dedicated access-log bucket (SSE-S3, TLS only, logs expire with the Object Lock retention)
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * The table's TTL attribute (epoch seconds). The gate writes it on two kinds of item only, which
   * then expire 90 days after they stopped mattering: a scan rendezvous that holds a task token but
   * no scan result (90 days after the token was stored), and a break-glass request never confirmed
   * (90 days after its deadline). Nothing else expires: releases, evidence, decisions, approvals,
   * their audit trail, revocations, alerts, the promotion track and the package index are kept
   * for good, as the evidence bucket's Object Lock keeps the documents (README "Where the evidence lives").
   *
   * The gate writes the attribute under this one name, and DynamoDB cannot move an enabled TTL to
   * another attribute in place, so any other value is refused at synth.
   * @default 'expiresAt'
   */
  readonly timeToLiveAttribute?: string;
  /**
   * Name of the state machine. Fixed at synth time: functions reference its ARN before it exists.
   * @default - a name unique to this construct's path
   */
  readonly stateMachineName?: string;
  /**
   * Name of the custom bus for outcome events.
   * @default - a name unique to this construct's path
   */
  readonly eventBusName?: string;
  /**
   * Topic notified by the gate's alarms.
   * @default - a topic of the gate's own (`monitoring.alarmTopic`, output `AlarmTopicArn`)
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Retention of every log group (functions, executions, API access).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Source-mapped stack traces in the functions' logs: each bundle links its source map and
   * NODE_OPTIONS sets `--enable-source-maps`, at a cost on every cold start. Turn it on to debug.
   * @default false - the maps ship next to the bundles, unlinked; stack traces show bundle positions
   */
  readonly debugSourceMaps?: boolean;
  /**
   * Removal policy of the key, table, bucket and source repositories (the audit trail).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The release gate: every push to a gated ECR repository starts a Step Functions execution that
 * collects evidence for that digest, evaluates the policy fail-closed, waits for approval and
 * promotes to `<promotionPrefix>/<repository>` or quarantines.
 */
export class ReleaseGate extends Construct {
  public readonly key: kms.IKey;
  public readonly table: dynamodb.ITable;
  public readonly bucket: s3.IBucket;
  public readonly registry: GatedRegistry;
  public readonly functions: GateFunctions;
  public readonly stateMachine: sfn.StateMachine;
  public readonly topic: sns.ITopic;
  public readonly eventBus: events.IEventBus;
  public readonly triggers: GateTriggers;
  /** Re-validation of live releases: Inspector findings, new advisories, the daily schedule. */
  public readonly revalidation: GateRevalidation;
  public readonly approvalApi: ApprovalApi;
  /** The incident commands' IAM-authorized routes, on the approval API's URL. */
  public readonly opsApi: OpsApi;
  /** The approval links' signing secret and the right to mail them. */
  public readonly approvalLinks: ApprovalLinks;
  public readonly alarms: readonly cloudwatch.Alarm[];
  /** The dashboard, the alarms and the topic they notify. */
  public readonly monitoring: GateMonitoring;
  /** The validated policy, as bundled. */
  public readonly policy: LoadedPolicy;
  /**
   * Signs the SLSA VSA Promote attaches to every promoted image (ECC_NIST_P256, SIGN_VERIFY; only
   * Promote may `kms:Sign`). Deploy-time checks verify with its public key (`kms get-public-key`).
   */
  public readonly vsaKey: kms.Key;

  public constructor(scope: Construct, id: string, props: ReleaseGateProps) {
    super(scope, id);
    const stage = props.stage ?? 'production';
    const policyFile = props.policyFile === undefined ? DEFAULT_POLICY_FILE : userFile(props.policyFile);
    const scanTimeout = props.scanTimeout ?? Duration.hours(1);
    if (scanTimeout.toSeconds() < 60) throw new Error('scanTimeout must be at least 60 seconds');
    if (scanTimeout.toSeconds() > MAX_SCAN_TIMEOUT.toSeconds()) {
      throw new Error(`scanTimeout must be at most ${MAX_SCAN_TIMEOUT.toDays()} days`);
    }

    const store = new EvidenceStore(this, 'EvidenceStore', {
      objectLockRetentionDays: props.objectLockRetentionDays,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      timeToLiveAttribute: props.timeToLiveAttribute ?? TIME_TO_LIVE_ATTRIBUTE,
      removalPolicy: props.removalPolicy,
    });
    this.key = store.key;
    this.table = store.table;
    this.bucket = store.bucket;

    this.registry = new GatedRegistry(this, 'Registry', {
      repositories: gatedRepositories(props),
      key: store.key,
      promotionPrefix: props.promotionPrefix,
      channelTags: props.channelTags,
      removalPolicy: props.removalPolicy,
      repositoryCreationTemplates: props.repositoryCreationTemplates,
    });

    this.policy = validatePolicyFile(policyFile, {
      stage,
      promotionPrefix: this.registry.promotionPrefix,
      channelTags: this.registry.channelTags,
      repositoryNames: this.registry.repositoryNames,
    });

    // Physical names derive from this construct's path, so that two gates in one account never collide.
    const uniqueName = (maxLength: number) => Names.uniqueResourceName(this, { maxLength, separator: '-' });
    const notifications = new GateNotifications(this, 'Notifications', {
      key: store.key,
      approverEmails: props.approverEmails,
      eventBusName: props.eventBusName ?? uniqueName(256),
    });
    this.topic = notifications.topic;
    this.eventBus = notifications.eventBus;

    // The state machine's ARN is built from its fixed name, so that functions can hold it (env,
    // IAM) without a reference to the state machine, whose definition references them.
    const stateMachineName = props.stateMachineName ?? uniqueName(80);
    const stateMachineArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.functions = new GateFunctions(this, 'Functions', {
      table: store.table,
      bucket: store.bucket,
      key: store.key,
      topic: notifications.topic,
      eventBus: notifications.eventBus,
      stateMachineArn,
      sourceRepositoryArns: this.registry.sourceRepositoryArns,
      productionRepositoryArnPattern: this.registry.productionRepositoryArnPattern,
      promotionPrefix: this.registry.promotionPrefix,
      policyFile,
      stage,
      scanTimeout,
      logRetention: props.logRetention,
      debugSourceMaps: props.debugSourceMaps,
    });
    const fn = (name: Parameters<GateFunctions['function']>[0]) => this.functions.function(name);

    const workflow = new GateWorkflow(this, 'Workflow', {
      definitionFile: DEFINITION_FILE,
      stateMachineName,
      functions: {
        RecordReleaseFunctionArn: fn('record-release'),
        WaitForScanFunctionArn: fn('wait-for-scan'),
        CollectEvidenceFunctionArn: fn('collect-evidence'),
        EvaluatePolicyFunctionArn: fn('evaluate-policy'),
        RequestApprovalFunctionArn: fn('request-approval'),
        PromoteFunctionArn: fn('promote'),
        QuarantineFunctionArn: fn('quarantine'),
      },
      logRetention: props.logRetention,
    });
    this.stateMachine = workflow.stateMachine;

    this.triggers = new GateTriggers(this, 'Triggers', {
      startRelease: fn('start-release'),
      scanComplete: fn('scan-complete'),
      recordPusher: fn('record-pusher'),
      repositoryNames: this.registry.repositoryNames,
      repositoryPrefix: this.registry.repositoryPrefix,
    });

    this.approvalLinks = new ApprovalLinks(this, 'ApprovalLinks', {
      key: store.key,
      readers: [this.functions.get('request-approval').role, this.functions.get('approval-api').role],
      senders: [this.functions.get('request-approval').role],
      ...(props.approvalEmailSender === undefined ? {} : { sender: props.approvalEmailSender }),
    });
    for (const [key, value] of Object.entries(this.approvalLinks.environment))
      this.functions.addEnvironment(key, value);

    this.approvalApi = new ApprovalApi(this, 'ApprovalApi', {
      handler: fn('approval-api'),
      handlerRole: this.functions.get('approval-api').role,
      key: store.key,
      slackPosters: [this.functions.get('request-approval').role, this.functions.get('quarantine').role],
      logRetention: props.logRetention,
      linkAuthorizer: props.approvalLinkAuthorizer,
    });
    this.functions.addEnvironment('SLACK_SIGNING_SECRET_ARN', this.approvalApi.slackSigningSecret.secretArn);
    this.functions.addEnvironment('SLACK_BOT_TOKEN_ARN', this.approvalApi.slackBotToken.secretArn);
    this.opsApi = new OpsApi(this, 'OpsApi', {
      httpApi: this.approvalApi.httpApi,
      readHandler: fn('ops-read'),
      writeHandler: fn('ops-write'),
    });
    // Links are <api>/approvals/<id> (the routes of ApprovalApi); requestApproval appends the id.
    this.functions.addEnvironment('APPROVAL_BASE_URL', `${this.approvalApi.url}approvals`);

    // Asymmetric keys cannot rotate (KMS): a new key means a new public key for the verifiers.
    this.vsaKey = new kms.Key(this, 'VsaSigningKey', {
      description: 'release-gate: signs the SLSA verification summary (VSA) of every promoted image',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      ...(props.removalPolicy === undefined ? {} : { removalPolicy: props.removalPolicy }),
    });
    this.vsaKey.grant(this.functions.get('promote').role, 'kms:Sign', 'kms:GetPublicKey');
    this.functions.get('promote').function.addEnvironment('VSA_KEY_ID', this.vsaKey.keyArn);

    this.revalidation = new GateRevalidation(this, 'Revalidation', {
      handler: fn('revalidate'),
      bucket: store.bucket,
      repositoryNames: this.registry.repositoryNames,
      repositoryPrefix: this.registry.repositoryPrefix,
      promotionPrefix: this.registry.promotionPrefix,
    });
    if (this.policy.document.rules.some((rule) => rule.sbom.acceptInspectorExport)) {
      this.grantInspectorSbomExport(store);
    }

    this.monitoring = new GateMonitoring(this, 'Monitoring', {
      stateMachine: workflow.stateMachine,
      deadLetterQueues: {
        Push: this.triggers.pushDeadLetterQueue,
        Scan: this.triggers.scanDeadLetterQueue,
        Revalidation: this.revalidation.deadLetterQueue,
      },
      alarmTopic: props.alarmTopic,
      key: store.key,
      quarantineLogGroup: this.functions.get('quarantine').logGroup,
    });
    this.alarms = this.monitoring.alarms;
  }

  /**
   * `sbom.acceptInspectorExport` (only when a rule of the policy sets it): CollectEvidence asks
   * Amazon Inspector for the SBOM export of an image without an SBOM, and Inspector writes it into
   * the evidence bucket under `inspector-sbom/`, encrypted with the evidence key. Inspector writes
   * as its service principal, so the bucket and key policies let it, for this account's reports only
   * (Inspector user guide, "Exporting SBOMs": bucket policy and KMS key policy).
   */
  private grantInspectorSbomExport(store: EvidenceStore): void {
    const collect = this.functions.get('collect-evidence');
    collect.function.addEnvironment('INSPECTOR_SBOM_KMS_KEY_ARN', store.key.keyArn);
    const policy = new iam.Policy(collect.role, 'InspectorSbomExportPolicy', {
      roles: [collect.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['inspector2:CreateSbomExport', 'inspector2:GetSbomExport'],
          resources: ['*'],
        }),
      ],
    });
    acknowledgeWildcardResource(
      policy,
      '*',
      'inspector2:CreateSbomExport and inspector2:GetSbomExport have no resource type in the Service Authorization Reference, so their only resource is *.',
    );
    const stack = Stack.of(this);
    const inspector = new iam.ServicePrincipal('inspector2.amazonaws.com');
    const fromOwnReports = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:inspector2:${stack.region}:${stack.account}:report/*` },
    };
    store.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'InspectorSbomExportWrite',
        principals: [inspector],
        actions: ['s3:PutObject', 's3:PutObjectAcl', 's3:AbortMultipartUpload'],
        resources: [store.bucket.arnForObjects(`${INSPECTOR_SBOM_PREFIX}*`)],
        conditions: fromOwnReports,
      }),
    );
    store.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'InspectorSbomExportEncrypt',
        principals: [inspector],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOwnReports,
      }),
    );
  }

  /**
   * Adds the outputs `release-gate … --stack NAME` reads (`ApprovalApiUrl`, `OpsApiRoutes`) to the
   * gate's stack, under those names. The CLI reads them by name, so one gate per stack can have
   * them; point the CLI at another gate of the same stack with `--api-url` (its `approvalApi.url`).
   */
  public addCliOutputs(): void {
    const stack = Stack.of(this);
    const taken = [CLI_STACK_OUTPUTS.apiUrl, CLI_STACK_OUTPUTS.opsRoutes].filter((id) => stack.node.tryFindChild(id));
    if (taken.length > 0) {
      throw new Error(
        `stack ${stack.stackName} already has the output ${taken.join(', ')}: one gate per stack can carry the CLI's outputs; point the CLI at this one with --api-url`,
      );
    }
    new CfnOutput(stack, CLI_STACK_OUTPUTS.apiUrl, {
      description: 'The HTTP API of every `release-gate … --aws` command (approval links, approve, status, ops)',
      value: this.approvalApi.url,
    });
    new CfnOutput(stack, CLI_STACK_OUTPUTS.opsRoutes, {
      description: 'The ops routes this deployment serves (the CLI names a route the stack predates)',
      value: opsRoutesOutput(),
    });
  }
}

function gatedRepositories(props: ReleaseGateProps): GatedRepositories {
  const names = props.gatedRepositories;
  const prefix = props.gatedRepositoryPrefix;
  if (names !== undefined && names.length > 0 && prefix === undefined) return { kind: 'list', repositories: names };
  if (prefix !== undefined && prefix.length > 0 && (names === undefined || names.length === 0)) {
    return { kind: 'prefix', prefix };
  }
  throw new Error('ReleaseGate: give exactly one of gatedRepositories (a non-empty list) or gatedRepositoryPrefix');
}
