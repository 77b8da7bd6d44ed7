import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface GateMonitoringProps {
  readonly stateMachine: sfn.IStateMachine;
  /** Dead-letter queues of the event triggers, keyed by a short name for the alarm. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /**
   * Topic notified when an alarm fires or recovers.
   * @default - alarms without actions
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * Alarms that mean the gate itself is broken. A quarantine is a Succeed state, so a failed
 * execution is never a normal outcome; a message in a dead-letter queue is a release that was
 * never gated.
 */
export class GateMonitoring extends Construct {
  public readonly alarms: readonly cloudwatch.Alarm[];

  public constructor(scope: Construct, id: string, props: GateMonitoringProps) {
    super(scope, id);
    const alarms: cloudwatch.Alarm[] = [
      new cloudwatch.Alarm(this, 'ExecutionsFailed', {
        alarmDescription: 'release-gate: a release execution failed (PromotionFailed, QuarantineFailed or an error)',
        metric: props.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      alarms.push(
        new cloudwatch.Alarm(this, `${name}DeadLetters`, {
          alarmDescription: `release-gate: ${name} events could not be delivered (see the dead-letter queue)`,
          metric: queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    if (props.alarmTopic !== undefined) {
      const action = new actions.SnsAction(props.alarmTopic);
      for (const alarm of alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
    this.alarms = alarms;
  }
}
