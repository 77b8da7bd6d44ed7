import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  GATE_METRICS_NAMESPACE,
  GateMetric,
  QUARANTINE_REASON_MESSAGE,
} from '../../lambdas/adapters/observe/metric-names.js';
import { EVIDENCE_KINDS } from '../../lambdas/domain/types.js';

export interface GateMonitoringProps {
  readonly stateMachine: sfn.IStateMachine;
  /** Dead-letter queues of the event triggers, keyed by a short name for the alarm. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /**
   * Topic notified when an alarm fires or recovers.
   * @default - a topic of its own (`alarmTopic`), encrypted with `key`
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Key that encrypts the alarm topic this construct creates; CloudWatch is allowed to use it.
   * @default - required when `alarmTopic` is not given
   */
  readonly key?: kms.IKey;
  /**
   * Log group of the Quarantine function, for the top quarantine reasons.
   * @default - the dashboard graphs the failing evidence kinds only
   */
  readonly quarantineLogGroup?: logs.ILogGroup;
  /**
   * The functions' `POWERTOOLS_SERVICE_NAME`: the `service` dimension of every gate metric.
   * @default 'release-gate'
   */
  readonly serviceName?: string;
  /**
   * The functions' `POWERTOOLS_METRICS_NAMESPACE`.
   * @default 'ReleaseGate'
   */
  readonly metricsNamespace?: string;
  /**
   * An approval pending longer than this is stuck (the alarm).
   * @default Duration.hours(24)
   */
  readonly stuckApprovalAfter?: Duration;
  /**
   * Name of the dashboard.
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;
}

const HOUR = Duration.hours(1);
const DECISIONS = ['PASS', 'BLOCK', 'COVERED'] as const;
const OUTCOMES = ['PROMOTED', 'QUARANTINED'] as const;

/**
 * What on-call watches: a dashboard of the gate's own metrics (EMF from the Lambdas, names in
 * lambdas/adapters/observe/metric-names.ts) beside the state machine's and the queues', and alarms
 * that mean the gate is broken or stuck, each notifying the alarm topic. A quarantine is a Succeed
 * state, so a failed execution is never a normal outcome; a message in a dead-letter queue is a
 * release that was never gated; a stuck approval holds a release; a scan timeout gates a release
 * without its scan (it blocks, fail closed, but someone must look).
 */
export class GateMonitoring extends Construct {
  public readonly alarms: readonly cloudwatch.Alarm[];
  public readonly alarmTopic: sns.ITopic;
  public readonly dashboard: cloudwatch.Dashboard;
  private readonly namespace: string;
  private readonly service: string;

  public constructor(scope: Construct, id: string, props: GateMonitoringProps) {
    super(scope, id);
    this.namespace = props.metricsNamespace ?? GATE_METRICS_NAMESPACE;
    this.service = props.serviceName ?? 'release-gate';
    this.alarmTopic = props.alarmTopic ?? this.createAlarmTopic(props.key);

    const executionsFailed = props.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' });
    const deadLetters = Object.entries(props.deadLetterQueues).map(([name, queue]) => ({
      name,
      // No label on an alarm's metric: CloudFormation would get it as a metric math alarm.
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    }));
    const stuckAfter = props.stuckApprovalAfter ?? Duration.hours(24);
    const oldestPending = this.metric(GateMetric.oldestPendingApproval, {}, 'Maximum');
    const scanTimeouts = this.metric(GateMetric.scanTimeouts, {}, 'Sum');

    const alarm = (
      name: string,
      description: string,
      metric: cloudwatch.IMetric,
      { threshold = 1, missing = cloudwatch.TreatMissingData.NOT_BREACHING } = {},
    ) =>
      new cloudwatch.Alarm(this, name, {
        alarmDescription: `release-gate: ${description}`,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: missing,
      });
    const alarms: cloudwatch.Alarm[] = [
      alarm(
        'ExecutionsFailed',
        'a release execution failed (PromotionFailed, QuarantineFailed or an error)',
        executionsFailed,
      ),
      ...deadLetters.map(({ name, metric }) =>
        alarm(`${name}DeadLetters`, `${name} events could not be delivered (see the dead-letter queue)`, metric),
      ),
      // The gauge is written when an approval is requested or answered, and by the daily
      // re-validation run: between those there is no data, and the alarm keeps its state.
      alarm(
        'StuckApprovals',
        `an approval has been pending for more than ${stuckAfter.toHumanString()} (see PendingApprovals)`,
        oldestPending,
        { threshold: stuckAfter.toSeconds(), missing: cloudwatch.TreatMissingData.IGNORE },
      ),
      alarm('ScanTimeouts', 'a scan did not arrive within the scan timeout (the release blocks)', scanTimeouts),
    ];
    const action = new actions.SnsAction(this.alarmTopic);
    for (const a of alarms) {
      a.addAlarmAction(action);
      a.addOkAction(action);
    }
    this.alarms = alarms;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      this.graph('Decisions over time', [
        ...DECISIONS.map((outcome) => this.metric(GateMetric.decisions, { outcome }, 'Sum', `decision ${outcome}`)),
        ...OUTCOMES.map((outcome) => this.metric(GateMetric.outcomes, { outcome }, 'Sum', outcome.toLowerCase())),
      ]),
      new cloudwatch.GraphWidget({
        title: 'Top quarantine reasons: failing evidence kinds',
        view: cloudwatch.GraphWidgetView.BAR,
        width: 12,
        left: EVIDENCE_KINDS.filter((k) => k !== 'approval').map((kind) =>
          this.metric(GateMetric.failingEvidence, { kind }, 'Sum', kind),
        ),
      }),
    );
    if (props.quarantineLogGroup !== undefined) {
      this.dashboard.addWidgets(
        new cloudwatch.LogQueryWidget({
          title: 'Top quarantine reasons',
          width: 24,
          logGroupNames: [props.quarantineLogGroup.logGroupName],
          view: cloudwatch.LogQueryVisualizationType.TABLE,
          queryLines: [
            'fields reason',
            `filter message = "${QUARANTINE_REASON_MESSAGE}"`,
            'stats count(*) as releases by reason',
            'sort releases desc',
            'limit 10',
          ],
        }),
      );
    }
    this.dashboard.addWidgets(
      this.graph(
        'Pending approvals and their age',
        [this.metric(GateMetric.pendingApprovals, {}, 'Maximum', 'pending approvals')],
        [
          oldestPending.with({ label: 'oldest pending (s)' }),
          ...['APPROVED', 'REJECTED', 'EXPIRED'].map((state) =>
            this.metric(GateMetric.approvalWait, { state }, 'p90', `wait p90 ${state.toLowerCase()} (s)`),
          ),
        ],
      ),
      this.graph(
        'Scans: timeouts and wait',
        [scanTimeouts.with({ label: 'scan timeouts' })],
        [
          this.metric(GateMetric.scanWait, {}, 'p50', 'scan wait p50 (s)'),
          this.metric(GateMetric.scanWait, {}, 'Maximum', 'scan wait max (s)'),
        ],
      ),
    );
    this.dashboard.addWidgets(
      this.graph(
        'Gate errors and dead-letter queues',
        [
          this.metric(GateMetric.gateErrors, {}, 'Sum', 'gate errors'),
          executionsFailed.with({ period: HOUR, label: 'executions failed' }),
        ],
        deadLetters.map((d) => d.metric.with({ label: `${d.name} dead letters` })),
      ),
      this.graph(
        'Newly affected live releases (re-validation) and promote duration',
        [
          new cloudwatch.MathExpression({
            // One line per repository: SEARCH finds each `repository` the metric was written for.
            expression: `SEARCH('{${this.namespace},repository,service} MetricName="${GateMetric.newlyAffected}" service="${this.service}"', 'Sum', 3600)`,
            usingMetrics: {},
            label: '',
            period: HOUR,
          }),
        ],
        [this.metric(GateMetric.promoteDuration, {}, 'p90', 'promote p90 (ms)')],
      ),
      new cloudwatch.GraphWidget({
        title: 'Ops API requests by route and outcome (triage, revoke, rollback, release, …)',
        width: 24,
        left: [
          new cloudwatch.MathExpression({
            // One line per (route, outcome) the ops API answered, refused or failed.
            expression: `SEARCH('{${this.namespace},outcome,route,service} MetricName="${GateMetric.opsRequests}" service="${this.service}"', 'Sum', 3600)`,
            usingMetrics: {},
            label: '',
            period: HOUR,
          }),
        ],
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms }),
    );
  }

  private metric(
    name: string,
    dimensions: Readonly<Record<string, string>>,
    statistic: string,
    label?: string,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName: name,
      dimensionsMap: { service: this.service, ...dimensions },
      statistic,
      period: HOUR,
      ...(label === undefined ? {} : { label }),
    });
  }

  private graph(title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []): cloudwatch.GraphWidget {
    return new cloudwatch.GraphWidget({ title, width: 12, left, right });
  }

  /**
   * CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key, so the
   * topic uses the gate's key, which CloudWatch may use for this account's alarms only (SNS
   * developer guide, "Configure AWS KMS permissions for CloudWatch alarms").
   */
  private createAlarmTopic(key: kms.IKey | undefined): sns.Topic {
    if (key === undefined)
      throw new Error('GateMonitoring: pass `alarmTopic`, or `key` to encrypt the alarm topic it creates');
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'release-gate alarms',
      masterKey: key,
      enforceSSL: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheAlarmTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': topic.stack.account } },
      }),
    );
    return topic;
  }
}
