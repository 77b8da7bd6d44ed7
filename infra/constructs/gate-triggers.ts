import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeRule } from './nag-acknowledgments.js';

export interface GateTriggersProps {
  /** Receives `ECR Image Action` PUSH events and starts one execution per digest. */
  readonly startRelease: lambda.IFunction;
  /** Receives `ECR Image Scan` and `Inspector2 Scan` events and answers the WaitForScan token. */
  readonly scanComplete: lambda.IFunction;
  /**
   * Receives CloudTrail's ECR `PutImage` records (`AWS API Call via CloudTrail`) and records the
   * pusher of the digest, for separation of duties at approval.
   */
  readonly recordPusher: lambda.IFunction;
  /** Exact gated repository names (names mode). */
  readonly repositoryNames?: readonly string[];
  /** Gated repository prefix with its trailing `/` (prefix mode). */
  readonly repositoryPrefix?: string;
  /**
   * Delivery attempts EventBridge makes before an event goes to the dead-letter queue.
   * @default 8
   */
  readonly retryAttempts?: number;
}

/**
 * EventBridge rules on the default bus (ECR and Inspector publish there). Each path has a
 * dead-letter queue for both undeliverable events and failed invocations: ECR events are best
 * effort, so a lost start must at least be visible (and alarmed on).
 * Event shapes: https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html and
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced-events.html.
 */
export class GateTriggers extends Construct {
  public readonly pushRule: events.Rule;
  public readonly ecrScanRule: events.Rule;
  public readonly inspectorScanRule: events.Rule;
  public readonly pusherRule: events.Rule;
  public readonly pushDeadLetterQueue: sqs.Queue;
  public readonly scanDeadLetterQueue: sqs.Queue;

  public constructor(scope: Construct, id: string, props: GateTriggersProps) {
    super(scope, id);
    const repositoryName = repositoryFilter(props);
    const retryAttempts = props.retryAttempts ?? 8;

    this.pushDeadLetterQueue = deadLetterQueue(this, 'PushDeadLetterQueue');
    this.scanDeadLetterQueue = deadLetterQueue(this, 'ScanDeadLetterQueue');
    const target = (fn: lambda.IFunction, queue: sqs.IQueue): targets.LambdaFunction =>
      new targets.LambdaFunction(fn, { deadLetterQueue: queue, retryAttempts, maxEventAge: Duration.hours(24) });

    // EventBridge invokes Lambda asynchronously: its DLQ only catches events it could not hand
    // over. An event the function accepted but failed on (e.g. StartExecution throttled) needs the
    // function's own on-failure destination, or the release would silently go ungated.
    for (const [fn, queue] of [
      [props.startRelease, this.pushDeadLetterQueue],
      [props.scanComplete, this.scanDeadLetterQueue],
      [props.recordPusher, this.pushDeadLetterQueue],
    ] as const) {
      fn.configureAsyncInvoke({
        onFailure: new destinations.SqsDestination(queue),
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
      });
    }

    this.pushRule = new events.Rule(this, 'ImagePushed', {
      description: 'release-gate: a gated image was pushed; start its release execution',
      eventPattern: {
        source: ['aws.ecr'],
        detailType: ['ECR Image Action'],
        detail: { result: ['SUCCESS'], 'action-type': ['PUSH'], 'repository-name': repositoryName },
      },
      targets: [target(props.startRelease, this.pushDeadLetterQueue)],
    });

    // `ECR Image Action` names no actor; CloudTrail's PutImage record does (userIdentity.arn). It
    // reaches EventBridge only from an account with a trail logging management (write) events.
    // https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ecr.html
    this.pusherRule = new events.Rule(this, 'ImagePushedBy', {
      description: 'release-gate: CloudTrail recorded who pushed a gated image; record the pusher',
      eventPattern: {
        source: ['aws.ecr'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['ecr.amazonaws.com'],
          eventName: ['PutImage'],
          requestParameters: { repositoryName },
        },
      },
      targets: [target(props.recordPusher, this.pushDeadLetterQueue)],
    });

    // Any scan-status: FAILED or UNSUPPORTED_IMAGE must also resume the wait (as failed scan evidence).
    this.ecrScanRule = new events.Rule(this, 'BasicScanCompleted', {
      description: 'release-gate: ECR basic scan finished; resume WaitForScan',
      eventPattern: {
        source: ['aws.ecr'],
        detailType: ['ECR Image Scan'],
        detail: { 'repository-name': repositoryName },
      },
      targets: [target(props.scanComplete, this.scanDeadLetterQueue)],
    });

    // Inspector's `repository-name` may be a full repository ARN (AWS sample), so no repository
    // filter here: the handler normalises the name and ignores ungated repositories.
    this.inspectorScanRule = new events.Rule(this, 'EnhancedScanCompleted', {
      description: 'release-gate: Amazon Inspector scan finished; resume WaitForScan',
      eventPattern: { source: ['aws.inspector2'], detailType: ['Inspector2 Scan'] },
      targets: [target(props.scanComplete, this.scanDeadLetterQueue)],
    });
  }
}

function repositoryFilter(props: GateTriggersProps): string[] {
  if (props.repositoryNames !== undefined && props.repositoryPrefix === undefined) {
    if (props.repositoryNames.length === 0) throw new Error('GateTriggers: repositoryNames is empty');
    return [...props.repositoryNames];
  }
  if (props.repositoryPrefix !== undefined && props.repositoryNames === undefined) {
    return events.Match.prefix(props.repositoryPrefix);
  }
  throw new Error('GateTriggers: give exactly one of repositoryNames or repositoryPrefix');
}

/** An SSE, TLS-only dead-letter queue that keeps messages 14 days. */
export function deadLetterQueue(scope: Construct, id: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    retentionPeriod: Duration.days(14),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  acknowledgeRule(
    queue,
    'AwsSolutions-SQS3',
    'This queue is itself a dead-letter queue (EventBridge target DLQ and Lambda on-failure destination); a DLQ needs no DLQ of its own.',
  );
  return queue;
}
