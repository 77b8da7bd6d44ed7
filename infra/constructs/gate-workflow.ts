import { readFileSync } from 'node:fs';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource, defaultPolicyOf } from './nag-acknowledgments.js';

/** `${Name}` placeholders of an ASL document, in order of first appearance. */
export function aslPlaceholders(asl: string): string[] {
  return [...new Set([...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? ''))];
}

export interface GateWorkflowProps {
  /** Absolute path of the ASL file (`statemachines/release-gate.asl.json`). */
  readonly definitionFile: string;
  /** Fixed state machine name; the gate's functions reference its ARN before it exists. */
  readonly stateMachineName: string;
  /** The function behind each `${XxxFunctionArn}` placeholder of the ASL, keyed by placeholder. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /**
   * Retention of the execution log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The release workflow: the ASL file as written (so the same file runs locally), with each
 * `${XxxFunctionArn}` substituted. `fromFile` gives CDK no way to infer IAM from the definition, so
 * the role is granted `lambda:InvokeFunction` on exactly the substituted functions.
 */
export class GateWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: GateWorkflowProps) {
    super(scope, id);
    const placeholders = aslPlaceholders(readFileSync(props.definitionFile, 'utf8'));
    const given = Object.keys(props.functions);
    const missing = placeholders.filter((p) => !given.includes(p));
    const unused = given.filter((g) => !placeholders.includes(g));
    if (missing.length > 0 || unused.length > 0) {
      throw new Error(
        `${props.definitionFile}: substitutions do not match its placeholders ` +
          `(no function for: ${missing.join(', ') || 'none'}; not in the ASL: ${unused.join(', ') || 'none'}). ` +
          'Map every XxxFunctionArn placeholder in the ASL to exactly one function.',
      );
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(props.definitionFile),
      definitionSubstitutions: Object.fromEntries(
        Object.entries(props.functions).map(([k, fn]) => [k, fn.functionArn]),
      ),
      // Execution data holds evidence summaries and task tokens; keep it out of the logs.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    // The ASL invokes the unqualified ARNs it was given, so no `<arn>:*` for versions and aliases
    // (which `grantInvoke` would add).
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [...new Set(Object.values(props.functions))].map((fn) => fn.functionArn),
      }),
    );
    // https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy
    acknowledgeWildcardResource(
      defaultPolicyOf(this.stateMachine.role),
      '*',
      'Added by CDK for tracing and logging: X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs log delivery (logs:CreateLogDelivery…) support only Resource *.',
    );
  }
}
