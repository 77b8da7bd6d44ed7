import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** A reason shorter than this says nothing a reviewer can check. */
export const MIN_ACKNOWLEDGMENT_REASON_LENGTH = 20;

/** The rule whose findings are one per wildcard entry: acknowledge those with `acknowledgeWildcardResource`. */
const IAM_WILDCARD_RULE = 'AwsSolutions-IAM5';

/**
 * Acknowledge one cdk-nag finding of a single-finding rule (`AwsSolutions-S1`, `AwsSolutions-SQS3`…)
 * on exactly one CloudFormation resource: the construct itself or its default child. cdk-nag 3 reads
 * CDK's `Validations` acknowledgments, which also apply to every descendant; pinning them to the
 * L1 resource keeps each one to the single finding its reason argues for.
 */
export function acknowledgeRule(scope: IConstruct, ruleId: string, reason: string): void {
  if (ruleId === IAM_WILDCARD_RULE || ruleId.includes('[')) {
    throw new Error(
      `acknowledgeRule(${ruleId}): findings of ${IAM_WILDCARD_RULE} are per wildcard; ` +
        'use acknowledgeWildcardResource with the exact wildcard ARN',
    );
  }
  acknowledge(cfnResourceOf(scope), ruleId, reason);
}

/**
 * Acknowledge the `AwsSolutions-IAM5` finding of one wildcard resource entry (for example
 * `bucket.arnForObjects('*')`) in one IAM policy. The finding id is the ARN as cdk-nag flattens the
 * resolved CloudFormation value (`Resource::<Bucket.Arn>/*`), so any other wildcard in the same
 * policy stays reported.
 */
export function acknowledgeWildcardResource(policy: IConstruct, resourceArn: string, reason: string): void {
  const resource = cfnResourceOf(policy);
  const flat = flattenCfnReference(Stack.of(resource).resolve(resourceArn));
  if (!flat.includes('*')) {
    throw new Error(`${resource.node.path}: "${flat}" has no wildcard, so there is no ${IAM_WILDCARD_RULE} finding`);
  }
  acknowledge(resource, `${IAM_WILDCARD_RULE}[Resource::${flat}]`, reason);
}

/**
 * The `AWS::IAM::Policy` a role's `addToPrincipalPolicy` writes to (construct id `DefaultPolicy`).
 * Throws when the role has none yet: acknowledge after the statements are added.
 */
export function defaultPolicyOf(role: iam.IRole): CfnResource {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (policy === undefined) {
    throw new Error(`${role.node.path} has no DefaultPolicy yet; add its statements before acknowledging them`);
  }
  return cfnResourceOf(policy);
}

function acknowledge(resource: CfnResource, id: string, reason: string): void {
  if (reason.trim().length < MIN_ACKNOWLEDGMENT_REASON_LENGTH) {
    throw new Error(
      `${resource.node.path}: the reason for acknowledging ${id} is too short; ` +
        `say in at least ${MIN_ACKNOWLEDGMENT_REASON_LENGTH} characters why the finding is acceptable`,
    );
  }
  const earlier = acknowledgedReason(resource, id);
  if (earlier === reason) return;
  if (earlier !== undefined) {
    throw new Error(`${resource.node.path}: ${id} is already acknowledged with another reason ("${earlier}")`);
  }
  Validations.of(resource).acknowledge({ id, reason });
}

/** The reason `id` was acknowledged with on this very resource, if it was. */
function acknowledgedReason(resource: CfnResource, id: string): string | undefined {
  for (const entry of resource.node.metadata) {
    if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
    const data: unknown = entry.data;
    if (typeof data !== 'object' || data === null) continue;
    for (const [key, reason] of Object.entries(data)) {
      // CDK stores a rule id without a namespace as `Annotation::<id>`.
      if (key.replace(/^annotation::/i, '') === id && typeof reason === 'string') return reason;
    }
  }
  return undefined;
}

function cfnResourceOf(scope: IConstruct): CfnResource {
  if (CfnResource.isCfnResource(scope)) return scope;
  const child = scope.node.defaultChild;
  if (child !== undefined && CfnResource.isCfnResource(child)) return child;
  throw new Error(`${scope.node.path} is not a CloudFormation resource and has no default child resource`);
}

/**
 * A resolved CloudFormation value as cdk-nag names it in finding ids: `Fn::Join` concatenated,
 * `Fn::GetAtt` as `<LogicalId.Attribute>`, `Ref` as `<Name>`
 * (cdk-nag `src/utils/flatten-cfn-reference.ts`). Anything else throws rather than guess.
 */
function flattenCfnReference(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    const [entry] = entries;
    if (entries.length === 1 && entry !== undefined) {
      const [fn, args] = entry;
      if (fn === 'Ref' && typeof args === 'string') return `<${args}>`;
      if (fn === 'Fn::GetAtt' && Array.isArray(args) && args.length === 2) {
        return `<${args.map(flattenCfnReference).join('.')}>`;
      }
      if (fn === 'Fn::Join' && Array.isArray(args) && typeof args[0] === 'string' && Array.isArray(args[1])) {
        return args[1].map(flattenCfnReference).join(args[0]);
      }
    }
  }
  throw new Error(`cannot name the cdk-nag finding of ${JSON.stringify(value)}`);
}
