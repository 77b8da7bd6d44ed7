import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ADVISORIES_PREFIX } from '../../lambdas/adapters/scan/s3-advisories.js';
import { SCHEDULED_REVALIDATION_INPUT } from '../../lambdas/domain/incident/revalidate-events.js';
import { deadLetterQueue } from './gate-triggers.js';
import { acknowledgeWildcardResource, defaultPolicyOf } from './nag-acknowledgments.js';

export interface GateRevalidationProps {
  /** The revalidate handler (lambdas/handlers/revalidate.ts). */
  readonly handler: lambda.IFunction;
  /** The bucket whose `advisories/` prefix holds OSV records; EventBridge notifications are turned on. */
  readonly bucket: s3.IBucket;
  /** Exact gated repository names (names mode). */
  readonly repositoryNames?: readonly string[];
  /** Gated repository prefix with its trailing `/` (prefix mode). */
  readonly repositoryPrefix?: string;
  /** First path segment of the production repositories (their findings re-validate too). */
  readonly promotionPrefix: string;
  /**
   * When the daily run starts (EventBridge Scheduler, UTC).
   * @default 06:00 UTC every day
   */
  readonly schedule?: scheduler.ScheduleExpression;
  /**
   * Delivery attempts EventBridge makes before an event goes to the dead-letter queue.
   * @default 8
   */
  readonly retryAttempts?: number;
}

/**
 * Keeps watching promoted releases: the revalidate handler runs on `Inspector2 Finding` events for
 * gated and production repositories, on every OSV record written under `advisories/` of the
 * evidence bucket (S3 `Object Created` through EventBridge), and once a day (EventBridge
 * Scheduler). Every path ends in one dead-letter queue (undeliverable events, failed invocations,
 * a malformed advisory).
 */
export class GateRevalidation extends Construct {
  public readonly findingRule: events.Rule;
  public readonly advisoryRule: events.Rule;
  public readonly schedule: scheduler.Schedule;
  public readonly deadLetterQueue: sqs.Queue;

  public constructor(scope: Construct, id: string, props: GateRevalidationProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? 8;
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');
    // EventBridge and the Scheduler invoke Lambda asynchronously; a failure inside the function
    // needs the function's own on-failure destination (see GateTriggers).
    props.handler.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
    const target = new targets.LambdaFunction(props.handler, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts,
      maxEventAge: Duration.hours(24),
    });

    // The L1 property, not `eventBridgeEnabled`: the L2 turns it on through a custom resource
    // (a Lambda with a managed-policy role) that this needs no part of.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-event-notifications-eventbridge.html
    const cfnBucket = props.bucket.node.defaultChild;
    if (!(cfnBucket instanceof s3.CfnBucket)) {
      throw new Error('GateRevalidation: bucket must be a Bucket defined in this app (its CfnBucket is configured)');
    }
    cfnBucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

    this.advisoryRule = new events.Rule(this, 'AdvisoryAdded', {
      description: 'release-gate: an OSV record was written under advisories/; re-validate the live releases',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.bucket.bucketName] }, object: { key: [{ prefix: ADVISORIES_PREFIX }] } },
      },
      targets: [target],
    });

    // Inspector names the repository in the finding's resource; production copies are scanned too.
    this.findingRule = new events.Rule(this, 'InspectorFinding', {
      description: 'release-gate: Amazon Inspector found a package vulnerability in a gated or production image',
      eventPattern: {
        source: ['aws.inspector2'],
        detailType: ['Inspector2 Finding'],
        detail: {
          status: ['ACTIVE'],
          type: ['PACKAGE_VULNERABILITY'],
          resources: {
            type: ['AWS_ECR_CONTAINER_IMAGE'],
            details: { awsEcrContainerImage: { repositoryName: repositoryPatterns(props) } },
          },
        },
      },
      targets: [target],
    });

    // A role of its own (the L2's default is one shared role per account): its one wildcard, the
    // function's versions that grantInvoke adds, is acknowledged on this role alone.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'release-gate: EventBridge Scheduler invokes the daily re-validation',
    });
    this.schedule = new scheduler.Schedule(this, 'Daily', {
      description: 'release-gate: daily re-validation of the live releases against every advisory',
      schedule: props.schedule ?? scheduler.ScheduleExpression.cron({ minute: '0', hour: '6' }),
      target: new schedulerTargets.LambdaInvoke(props.handler, {
        role: scheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject(SCHEDULED_REVALIDATION_INPUT),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 3,
        maxEventAge: Duration.hours(6),
      }),
    });
    acknowledgeWildcardResource(
      defaultPolicyOf(scheduleRole),
      `${props.handler.functionArn}:*`,
      'lambda:InvokeFunction on the revalidate function and its versions/aliases (grantInvoke); no other function.',
    );
  }
}

/** The gated repositories (names or prefix) and every production repository. */
function repositoryPatterns(props: GateRevalidationProps): unknown[] {
  const production = { prefix: `${props.promotionPrefix}/` };
  if (props.repositoryNames !== undefined && props.repositoryPrefix === undefined) {
    if (props.repositoryNames.length === 0) throw new Error('GateRevalidation: repositoryNames is empty');
    return [...props.repositoryNames, production];
  }
  if (props.repositoryPrefix !== undefined && props.repositoryNames === undefined) {
    return [{ prefix: props.repositoryPrefix }, production];
  }
  throw new Error('GateRevalidation: give exactly one of repositoryNames or repositoryPrefix');
}
