import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HANDLER_NAMES, type HandlerName } from '../../infra/constructs/gate-functions.js';
import type { ReleaseGateProps } from '../../infra/release-gate.js';
import { ReleaseGateStack } from '../../infra/release-gate-stack.js';
import {
  GATE_METRICS_NAMESPACE,
  GateMetric,
  QUARANTINE_REASON_MESSAGE,
} from '../../lambdas/adapters/observe/metric-names.js';
import { CLI_STACK_OUTPUTS, OPS_ROUTES } from '../../lambdas/handlers/ops-routes.js';
import { CDK_CONTEXT, DEFAULT_GATE, offlineApp } from '../support/cdk-app.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ASL_FILE = join(ROOT, 'statemachines', 'release-gate.asl.json');
const _POLICY_FILE = join(ROOT, 'policy', 'release-gate.policy.yaml');
const ASL_TEXT = readFileSync(ASL_FILE, 'utf8');

const ResourceSchema = z.object({
  Type: z.string(),
  Properties: z.record(z.string(), z.unknown()).default({}),
});
const TemplateSchema = z.object({ Resources: z.record(z.string(), ResourceSchema) });
const StatementSchema = z.object({
  Effect: z.enum(['Allow', 'Deny']),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.unknown(),
  Condition: z.unknown().optional(),
});
type Statement = z.infer<typeof StatementSchema>;
const PolicyDocumentSchema = z.object({ Statement: z.array(StatementSchema) });

interface Synthesized {
  stack: ReleaseGateStack;
  template: Template;
  resources: Record<string, z.infer<typeof ResourceSchema>>;
  outdir: string;
}

/** Synthesizes without esbuild (`aws:cdk:bundling-stacks: []`): assets get placeholder hashes. */
function synthesize(gate: ReleaseGateProps): Synthesized {
  const app = offlineApp();
  const stack = new ReleaseGateStack(app, 'Test', { gate });
  const assembly = app.synth();
  const json: unknown = assembly.getStackByName(stack.stackName).template;
  return {
    stack,
    template: Template.fromJSON(TemplateSchema.passthrough().parse(json)),
    resources: TemplateSchema.parse(json).Resources,
    outdir: assembly.directory,
  };
}

const DashboardBodySchema = z.object({
  widgets: z.array(
    z.object({
      properties: z.looseObject({
        title: z.string().optional(),
        metrics: z.array(z.array(z.unknown())).optional(),
        query: z.string().optional(),
      }),
    }),
  ),
});

/** The dashboard's widgets: its body is an `Fn::Join` of JSON text and references (shown as `REF`). */
function dashboardWidgets(s: Synthesized) {
  const [dashboard] = Object.values(s.template.findResources('AWS::CloudWatch::Dashboard'));
  const JoinSchema = z.object({ 'Fn::Join': z.tuple([z.literal(''), z.array(z.unknown())]) });
  const parts = JoinSchema.parse(
    z.object({ Properties: z.object({ DashboardBody: z.unknown() }) }).parse(dashboard).Properties.DashboardBody,
  )['Fn::Join'][1];
  const body = parts.map((p) => (typeof p === 'string' ? p : 'REF')).join('');
  return DashboardBodySchema.parse(JSON.parse(body)).widgets.map((w) => ({
    title: w.properties.title,
    query: w.properties.query,
    raw: w.properties.metrics ?? [],
    // A metric is [namespace, name, dimension, value, …, {options}]: the options are left out.
    metrics: (w.properties.metrics ?? []).map((m) => m.filter((part) => typeof part !== 'object')),
  }));
}

function logicalId(construct: IConstruct): string {
  const child = construct.node.defaultChild ?? construct;
  if (!(child instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(child);
}

function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** Every statement of every identity policy attached to the role (inline, AWS::IAM::Policy, managed). */
function roleStatements(s: Synthesized, roleId: string): { statements: Statement[]; managedPolicies: unknown[] } {
  const role = s.resources[roleId];
  if (role === undefined) throw new Error(`role ${roleId} not in template`);
  const inline = z
    .array(z.object({ PolicyDocument: PolicyDocumentSchema }))
    .default([])
    .parse(role.Properties.Policies)
    .flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(s.resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
    .filter((r) =>
      z
        .array(z.unknown())
        .default([])
        .parse(r.Properties.Roles)
        .some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId })),
    )
    .flatMap((r) => PolicyDocumentSchema.parse(r.Properties.PolicyDocument).Statement);
  const managedPolicies = z.array(z.unknown()).default([]).parse(role.Properties.ManagedPolicyArns);
  return { statements: [...inline, ...attached], managedPolicies };
}

function functionStatements(s: Synthesized, name: HandlerName): Statement[] {
  return roleStatements(s, logicalId(s.stack.gate.functions.get(name).role)).statements;
}

function actionsOf(statements: readonly Statement[]): string[] {
  return statements.filter((st) => st.Effect === 'Allow').flatMap((st) => asArray(st.Action));
}

function resourcesFor(statements: readonly Statement[], action: string): unknown[] {
  return statements.filter((st) => asArray(st.Action).includes(action)).flatMap((st) => asArray(st.Resource));
}

/** Renders an intrinsic (Fn::Join of literals and Refs, or Fn::GetAtt) as a readable string. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const ref = z.object({ Ref: z.string() }).safeParse(value);
  if (ref.success) return `\${${ref.data.Ref}}`;
  const getAtt = z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.string()]) }).safeParse(value);
  if (getAtt.success) return `\${${getAtt.data['Fn::GetAtt'].join('.')}}`;
  const join = z.object({ 'Fn::Join': z.tuple([z.string(), z.array(z.unknown())]) }).safeParse(value);
  if (join.success) return join.data['Fn::Join'][1].map(render).join(join.data['Fn::Join'][0]);
  return JSON.stringify(value);
}

/** `${Name}` as render() shows a Ref; `${Id.Arn}` for a GetAtt. */
function ref(name: string): string {
  return `\${${name}}`;
}

/** An ARN in this stack's partition, region and account, as render() shows it. */
function stackArn(service: string, resource: string): string {
  return `arn:${ref('AWS::Partition')}:${service}:${ref('AWS::Region')}:${ref('AWS::AccountId')}:${resource}`;
}

function aslPlaceholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1] ?? ''))].sort();
}

/** Resources allowed with `Resource: "*"`: they support no other resource. */
const STAR_RESOURCE_ACTIONS = [
  'ecr:GetAuthorizationToken',
  'signer:GetRevocationStatus',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
];

/** S3's four public-access blocks, all on. */
const ALL_PUBLIC_ACCESS_BLOCKED = {
  BlockPublicAcls: true,
  BlockPublicPolicy: true,
  IgnorePublicAcls: true,
  RestrictPublicBuckets: true,
};

/** The bucket-policy condition of a statement that denies requests not made over TLS. */
const DENIED_WITHOUT_TLS = { Bool: { 'aws:SecureTransport': 'false' } };

describe('Construct: ReleaseGate', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize(DEFAULT_GATE);
  });

  describe('when the state machine is synthesized', () => {
    it('deploys the ASL file byte for byte from its staged asset', () => {
      // Prepare
      const machines = s.template.findResources('AWS::StepFunctions::StateMachine');
      const [machine] = Object.values(machines);
      const location = z
        .object({ Properties: z.object({ DefinitionS3Location: z.object({ Key: z.string() }) }) })
        .parse(machine);

      // Act
      const staged = readFileSync(join(s.outdir, `asset.${location.Properties.DefinitionS3Location.Key}`), 'utf8');

      // Assess
      expect(Object.keys(machines)).toHaveLength(1);
      expect(staged).toBe(ASL_TEXT);
      s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        Definition: Match.absent(),
        DefinitionString: Match.absent(),
        StateMachineType: 'STANDARD',
        LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
        TracingConfiguration: { Enabled: true },
      });
    });

    it('substitutes exactly the ASL placeholders, each with the matching function ARN', () => {
      // Prepare
      const expected: Record<string, HandlerName> = {
        RecordReleaseFunctionArn: 'record-release',
        WaitForScanFunctionArn: 'wait-for-scan',
        CollectEvidenceFunctionArn: 'collect-evidence',
        EvaluatePolicyFunctionArn: 'evaluate-policy',
        RequestApprovalFunctionArn: 'request-approval',
        PromoteFunctionArn: 'promote',
        QuarantineFunctionArn: 'quarantine',
      };
      const [machine] = Object.values(s.template.findResources('AWS::StepFunctions::StateMachine'));

      // Act
      const substitutions = z
        .object({ Properties: z.object({ DefinitionSubstitutions: z.record(z.string(), z.unknown()) }) })
        .parse(machine).Properties.DefinitionSubstitutions;

      // Assess
      expect(Object.keys(substitutions).sort()).toEqual(aslPlaceholders(ASL_TEXT));
      expect(Object.keys(expected).sort()).toEqual(aslPlaceholders(ASL_TEXT));
      for (const [placeholder, handler] of Object.entries(expected)) {
        const functionId = logicalId(s.stack.gate.functions.get(handler).function);
        expect(substitutions[placeholder], placeholder).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
        expect(s.resources[functionId]?.Type).toBe('AWS::Lambda::Function');
      }
    });

    it('lets the state machine invoke exactly the substituted functions', () => {
      // Prepare
      const invoked: HandlerName[] = [
        'record-release',
        'wait-for-scan',
        'collect-evidence',
        'evaluate-policy',
        'request-approval',
        'promote',
        'quarantine',
      ];
      const roleId = logicalId(s.stack.gate.stateMachine.role);

      // Act
      const { statements, managedPolicies } = roleStatements(s, roleId);
      const invokable = resourcesFor(statements, 'lambda:InvokeFunction').map(render).sort();

      // Assess
      const expected = invoked
        .map((h) => logicalId(s.stack.gate.functions.get(h).function))
        .map((id) => `\${${id}.Arn}`)
        .sort();
      expect(invokable).toEqual(expected);
      expect(managedPolicies).toEqual([]);
      expect(actionsOf(statements)).not.toContain('*');
    });

    it('builds the ARN the functions hold from the state machine name', () => {
      // Prepare
      const [machine] = Object.values(s.template.findResources('AWS::StepFunctions::StateMachine'));
      const name = z.object({ Properties: z.object({ StateMachineName: z.string() }) }).parse(machine)
        .Properties.StateMachineName;
      const arn = stackArn('states', `stateMachine:${name}`);

      // Act
      const startable = resourcesFor(functionStatements(s, 'start-release'), 'states:StartExecution').map(render);
      const answerable = resourcesFor(functionStatements(s, 'approval-api'), 'states:SendTaskSuccess').map(render);
      const env = z
        .object({ Properties: z.object({ Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }) }) })
        .parse(s.resources[logicalId(s.stack.gate.functions.get('start-release').function)]).Properties
        .Environment.Variables;

      // Assess
      expect(startable).toEqual([arn]);
      expect(answerable).toEqual([arn]);
      expect(render(env.STATE_MACHINE_ARN)).toBe(arn);
    });
  });

  describe('when the VSA signing key is synthesized', () => {
    it('is a P-256 signing key that only Promote may sign with, named in Promote and the outputs', () => {
      // Prepare
      const keyId = logicalId(s.stack.gate.vsaKey);
      const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };

      // Act
      const signers = HANDLER_NAMES.filter((name) => actionsOf(functionStatements(s, name)).includes('kms:Sign'));
      const withKeyId = HANDLER_NAMES.filter((name) => {
        const fn = s.resources[logicalId(s.stack.gate.functions.get(name).function)];
        const env = z
          .object({ Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }) })
          .parse(fn?.Properties);
        return JSON.stringify(env.Environment.Variables.VSA_KEY_ID) === JSON.stringify(keyArn);
      });

      // Assess
      s.template.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
      expect(signers).toEqual(['promote']);
      expect(resourcesFor(functionStatements(s, 'promote'), 'kms:Sign')).toEqual([keyArn]);
      expect(resourcesFor(functionStatements(s, 'promote'), 'kms:GetPublicKey')).toEqual([keyArn]);
      expect(withKeyId).toEqual(['promote']);
      s.template.hasOutput('VsaSigningKeyArn', { Value: keyArn });
    });
  });

  describe('when the evidence store is synthesized', () => {
    it('encrypts the table with the customer-managed key and enables point-in-time recovery', () => {
      // Prepare
      const keyId = logicalId(s.stack.gate.key);

      // Act & Assess
      s.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      s.template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          Match.objectLike({ IndexName: 'gsi1', Projection: { ProjectionType: 'ALL' } }),
          Match.objectLike({ IndexName: 'gsi2', Projection: { ProjectionType: 'ALL' } }),
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
    });

    it('versions, locks and KMS-encrypts the bucket, blocks public access and requires TLS', () => {
      // Prepare
      const keyId = logicalId(s.stack.gate.key);
      const bucketId = logicalId(s.stack.gate.bucket);

      // Act & Assess
      s.template.hasResourceProperties('AWS::S3::Bucket', {
        VersioningConfiguration: { Status: 'Enabled' },
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } },
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
              },
            }),
          ],
        },
        PublicAccessBlockConfiguration: ALL_PUBLIC_ACCESS_BLOCKED,
      });
      s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: DENIED_WITHOUT_TLS,
            }),
          ]),
        },
      });
    });

    it('logs bucket access to a dedicated log bucket: SSE-S3, TLS only, private, expiring with the lock', () => {
      // Prepare
      const bucketId = logicalId(s.stack.gate.bucket);
      const logging = z
        .object({
          Properties: z.object({
            LoggingConfiguration: z.object({
              DestinationBucketName: z.object({ Ref: z.string() }),
              LogFilePrefix: z.string(),
            }),
          }),
        })
        .parse(s.resources[bucketId]).Properties.LoggingConfiguration;

      // Act
      const logBucketId = logging.DestinationBucketName.Ref;

      // Assess
      expect(logBucketId).not.toBe(bucketId);
      expect(logging.LogFilePrefix).toBe('release-gate-evidence/');
      s.template.resourceCountIs('AWS::S3::Bucket', 2);
      expect(s.resources[logBucketId]?.Properties).toEqual({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        LifecycleConfiguration: { Rules: [{ Id: 'ExpireAccessLogs', ExpirationInDays: 365, Status: 'Enabled' }] },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        PublicAccessBlockConfiguration: ALL_PUBLIC_ACCESS_BLOCKED,
      });
      s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logBucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: DENIED_WITHOUT_TLS }),
            Match.objectLike({
              Effect: 'Allow',
              Action: 's3:PutObject',
              Principal: { Service: 'logging.s3.amazonaws.com' },
            }),
          ]),
        },
      });
    });

    it('applies a different Object Lock retention when asked', () => {
      // Prepare
      const gate: ReleaseGateProps = { ...DEFAULT_GATE, objectLockRetentionDays: 30 };

      // Act
      const other = synthesize(gate);

      // Assess
      other.template.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockConfiguration: Match.objectLike({ Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } } }),
      });
    });
  });

  describe('when the registry is synthesized', () => {
    it('creates each gated repository with immutable tags, scan on push and KMS', () => {
      // Prepare
      const keyId = logicalId(s.stack.gate.key);

      // Act
      const repositories = s.template.findResources('AWS::ECR::Repository');

      // Assess
      expect(Object.keys(repositories)).toHaveLength(2);
      for (const name of ['app', 'team/api']) {
        s.template.hasResourceProperties('AWS::ECR::Repository', {
          RepositoryName: name,
          ImageTagMutability: 'IMMUTABLE',
          ImageScanningConfiguration: { ScanOnPush: true },
          EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        });
      }
    });

    it('creates prod/<repository> on first push from a KMS-encrypted template, immutable but for the live tag', () => {
      // Prepare
      const keyId = logicalId(s.stack.gate.key);

      // Act
      const templates = s.template.findResources('AWS::ECR::RepositoryCreationTemplate');

      // Assess
      expect(Object.keys(templates)).toHaveLength(1);
      s.template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
        Prefix: 'prod',
        AppliedFor: ['CREATE_ON_PUSH'],
        // Version tags immutable; only the live channel tag moves (Promote, rollback).
        ImageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        ImageTagMutabilityExclusionFilters: [
          { ImageTagMutabilityExclusionFilterType: 'WILDCARD', ImageTagMutabilityExclusionFilterValue: 'live' },
        ],
        EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        CustomRoleArn: Match.anyValue(),
      });
    });

    it('gates a prefix with a source template and prefix-matching rules', () => {
      // Prepare
      const gate: ReleaseGateProps = { gatedRepositoryPrefix: 'apps' };

      // Act
      const other = synthesize(gate);

      // Assess
      other.template.resourceCountIs('AWS::ECR::Repository', 0);
      other.template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', {
        Prefix: 'apps',
        ImageTagMutability: 'IMMUTABLE',
      });
      other.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectLike({
          'detail-type': ['ECR Image Action'],
          detail: Match.objectLike({ 'repository-name': [{ prefix: 'apps/' }] }),
        }),
      });
      const reads = resourcesFor(functionStatements(other, 'collect-evidence'), 'ecr:BatchGetImage').map(render);
      expect(reads).toEqual([stackArn('ecr', 'repository/apps/*')]);
    });
  });

  describe('when the event rules are synthesized', () => {
    it('starts a release on successful pushes to the gated repositories, with a dead-letter queue', () => {
      // Prepare
      const startId = logicalId(s.stack.gate.functions.get('start-release').function);

      // Act & Assess
      s.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.ecr'],
          'detail-type': ['ECR Image Action'],
          detail: { result: ['SUCCESS'], 'action-type': ['PUSH'], 'repository-name': ['app', 'team/api'] },
        },
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [startId, 'Arn'] },
            DeadLetterConfig: { Arn: Match.anyValue() },
            RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 8 }),
          }),
        ],
      });
    });

    it('resumes the scan wait on ECR basic and Inspector enhanced scan events', () => {
      // Prepare
      const target = Match.objectLike({
        Arn: { 'Fn::GetAtt': [logicalId(s.stack.gate.functions.get('scan-complete').function), 'Arn'] },
        DeadLetterConfig: { Arn: Match.anyValue() },
      });

      // Act & Assess
      s.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.ecr'],
          'detail-type': ['ECR Image Scan'],
          detail: { 'repository-name': ['app', 'team/api'] },
        },
        Targets: [target],
      });
      s.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['aws.inspector2'], 'detail-type': ['Inspector2 Scan'] },
        Targets: [target],
      });
      // …and the two re-validation rules (below).
      s.template.resourceCountIs('AWS::Events::Rule', 6);
    });

    it('records the pusher from CloudTrail PutImage records of the gated repositories', () => {
      // Act & Assess
      s.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.ecr'],
          'detail-type': ['AWS API Call via CloudTrail'],
          detail: {
            eventSource: ['ecr.amazonaws.com'],
            eventName: ['PutImage'],
            requestParameters: { repositoryName: ['app', 'team/api'] },
          },
        },
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [logicalId(s.stack.gate.functions.get('record-pusher').function), 'Arn'] },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(s.stack.gate.triggers.pushDeadLetterQueue), 'Arn'] } },
          }),
        ],
      });
    });

    it('sends events the triggered functions failed on to the same dead-letter queues', () => {
      // Prepare
      const paths = [
        ['start-release', s.stack.gate.triggers.pushDeadLetterQueue],
        ['scan-complete', s.stack.gate.triggers.scanDeadLetterQueue],
        ['record-pusher', s.stack.gate.triggers.pushDeadLetterQueue],
        ['revalidate', s.stack.gate.revalidation.deadLetterQueue],
      ] as const;

      // Act & Assess
      s.template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 4);
      for (const [name, queue] of paths) {
        s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
          FunctionName: { Ref: logicalId(s.stack.gate.functions.get(name).function) },
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(queue), 'Arn'] } } },
          MaximumRetryAttempts: 2,
        });
      }
    });
  });

  describe('when re-validation is synthesized (issue 9)', () => {
    it('runs revalidate on active Inspector package findings of gated and production repositories', () => {
      // Act & Assess
      s.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.inspector2'],
          'detail-type': ['Inspector2 Finding'],
          detail: {
            status: ['ACTIVE'],
            type: ['PACKAGE_VULNERABILITY'],
            resources: {
              type: ['AWS_ECR_CONTAINER_IMAGE'],
              details: { awsEcrContainerImage: { repositoryName: ['app', 'team/api', { prefix: 'prod/' }] } },
            },
          },
        },
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [logicalId(s.stack.gate.functions.get('revalidate').function), 'Arn'] },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(s.stack.gate.revalidation.deadLetterQueue), 'Arn'] } },
          }),
        ],
      });
    });

    it('sends the bucket’s events to EventBridge and runs revalidate on objects created under advisories/', () => {
      // Act & Assess
      s.template.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockEnabled: true,
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      });
      // No notification custom resource (its handler role would carry a managed policy).
      s.template.resourceCountIs('Custom::S3BucketNotifications', 0);
      s.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.s3'],
          'detail-type': ['Object Created'],
          detail: {
            bucket: { name: [{ Ref: logicalId(s.stack.gate.bucket) }] },
            object: { key: [{ prefix: 'advisories/' }] },
          },
        },
        Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue() })],
      });
    });

    it('runs revalidate daily through EventBridge Scheduler, with retries and the same dead-letter queue', () => {
      // Act & Assess
      s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 6 * * ? *)',
        State: 'ENABLED',
        Target: {
          Arn: { 'Fn::GetAtt': [logicalId(s.stack.gate.functions.get('revalidate').function), 'Arn'] },
          Input: JSON.stringify({ kind: 'scheduled' }),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 21600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(s.stack.gate.revalidation.deadLetterQueue), 'Arn'] } },
        },
      });
    });
  });

  describe('when the functions are synthesized', () => {
    it('points approval links at the approval routes (<api>/approvals/<id>)', () => {
      const functions = Object.values(s.template.findResources('AWS::Lambda::Function'));
      const urls = functions.map((fn) =>
        JSON.stringify(fn.Properties?.Environment?.Variables?.APPROVAL_BASE_URL ?? null),
      );
      expect(urls.length).toBeGreaterThan(0);
      for (const url of urls) expect(url).toMatch(/\/approvals"\]\]\}$/);
    });

    it('runs every handler on Node.js 24 arm64 with its own log group kept one month', () => {
      // Prepare
      const functions = s.template.findResources('AWS::Lambda::Function');

      // Act
      const parsed = Object.values(functions).map((fn) =>
        z
          .object({
            Properties: z.object({
              Runtime: z.string(),
              Architectures: z.array(z.string()),
              LoggingConfig: z.object({ LogGroup: z.object({ Ref: z.string() }) }),
              Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }),
            }),
          })
          .parse(fn),
      );

      // Assess
      expect(parsed).toHaveLength(HANDLER_NAMES.length);
      for (const fn of parsed) {
        expect(fn.Properties.Runtime).toBe('nodejs24.x');
        expect(fn.Properties.Architectures).toEqual(['arm64']);
        const logGroup = s.resources[fn.Properties.LoggingConfig.LogGroup.Ref];
        expect(logGroup?.Type).toBe('AWS::Logs::LogGroup');
        expect(logGroup?.Properties.RetentionInDays).toBe(30);
        expect(fn.Properties.Environment.Variables.POLICY_FILE).toBe('/var/task/policy/release-gate.policy.yaml');
        expect(fn.Properties.Environment.Variables.GATE_STAGE).toBe('production');
      }
    });

    it('times each workflow function out before the longest ASL Task that calls it gives up', () => {
      // Prepare: a function serves several Tasks (CollectSbom 300 s, RecordSbomError 60 s); the
      // error recorders only write one record, so the bound that matters is the longest Task.
      const [machine] = Object.values(s.template.findResources('AWS::StepFunctions::StateMachine'));
      const substitutions = z
        .object({ Properties: z.object({ DefinitionSubstitutions: z.record(z.string(), z.unknown()) }) })
        .parse(machine).Properties.DefinitionSubstitutions;
      const taskTimeouts = new Map<string, number>();
      for (const [, placeholder, timeout] of ASL_TEXT.matchAll(
        /"FunctionName": "\$\{(\w+)\}"[\s\S]*?"TimeoutSeconds(?:Path)?": ([^,\n]+)/g,
      )) {
        const seconds = Number(timeout);
        // A TimeoutSecondsPath bounds a wait for a token, not the function's run time.
        if (placeholder !== undefined && Number.isFinite(seconds)) {
          taskTimeouts.set(placeholder, Math.max(seconds, taskTimeouts.get(placeholder) ?? 0));
        }
      }

      // Act
      const tooSlow = [...taskTimeouts].flatMap(([placeholder, seconds]) => {
        const id = render(substitutions[placeholder]).replace(/^\$\{(.+)\.Arn\}$/, '$1');
        const fnTimeout = z.number().parse(s.resources[id]?.Properties.Timeout);
        return fnTimeout < seconds ? [] : [`${placeholder}: Lambda ${fnTimeout} s >= Task ${seconds} s`];
      });

      // Assess
      expect([...taskTimeouts.keys()].sort()).toEqual([
        'CollectEvidenceFunctionArn',
        'EvaluatePolicyFunctionArn',
        'PromoteFunctionArn',
        'QuarantineFunctionArn',
        'RecordReleaseFunctionArn',
      ]);
      expect(tooSlow).toEqual([]);
    });
  });

  describe('when each function role is inspected', () => {
    it('uses no wildcard action, no managed policy and Resource "*" only where nothing else exists', () => {
      for (const name of HANDLER_NAMES) {
        // Prepare
        const roleId = logicalId(s.stack.gate.functions.get(name).role);

        // Act
        const { statements, managedPolicies } = roleStatements(s, roleId);
        const starResources = statements
          .filter((st) => asArray(st.Resource).includes('*'))
          .flatMap((st) => asArray(st.Action));

        // Assess
        expect(managedPolicies, name).toEqual([]);
        expect(
          actionsOf(statements).filter((a) => a.includes('*')),
          name,
        ).toEqual([]);
        expect(
          starResources.filter((a) => !STAR_RESOURCE_ACTIONS.includes(a)),
          name,
        ).toEqual([]);
      }
    });

    it('lets start-release read the pushed manifest, start the execution, record the pushed tag and index entries, report failures to its queue, and nothing else', () => {
      // Prepare
      const statements = functionStatements(s, 'start-release');
      const queueArn = `\${${logicalId(s.stack.gate.triggers.pushDeadLetterQueue)}.Arn}`;

      // Act
      const actions = actionsOf(statements).filter(
        (a) => !a.startsWith('logs:') && !a.startsWith('xray:') && !a.startsWith('kms:'),
      );
      const sqsResources = statements
        .filter((st) => asArray(st.Action).some((a) => a.startsWith('sqs:')))
        .flatMap((st) => asArray(st.Resource))
        .map(render);

      // Assess
      expect(actions.sort()).toEqual([
        'dynamodb:PutItem',
        'dynamodb:Query',
        'ecr:BatchGetImage',
        'ecr:DescribeImages',
        'ecr:GetAuthorizationToken',
        'ecr:GetDownloadUrlForLayer',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        'states:StartExecution',
      ]);
      expect(sqsResources).toEqual([queueArn]);
      expect(actionsOf(statements)).not.toContain('ecr:PutImage');
    });

    it('lets only promote and the ops incident function (rollback, release) write to prod/*', () => {
      // Prepare
      const prodPattern = stackArn('ecr', 'repository/prod/*');

      // Act
      const writers = HANDLER_NAMES.filter((name) =>
        functionStatements(s, name).some((st) => asArray(st.Resource).map(render).includes(prodPattern)),
      );
      const promotePuts = resourcesFor(functionStatements(s, 'promote'), 'ecr:PutImage').map(render);

      // Assess
      expect(writers).toEqual(['promote', 'ops-write']);
      expect(promotePuts).toEqual([prodPattern]);
      expect(resourcesFor(functionStatements(s, 'ops-write'), 'ecr:PutImage').map(render)).toEqual([prodPattern]);
      expect(actionsOf(functionStatements(s, 'promote'))).toEqual(
        expect.arrayContaining([
          'ecr:PutImage',
          'ecr:InitiateLayerUpload',
          'ecr:UploadLayerPart',
          'ecr:CompleteLayerUpload',
          'ecr:BatchCheckLayerAvailability',
          'ecr:CreateRepository',
        ]),
      );
    });

    it('lets quarantine tag only the gated source repositories', () => {
      // Prepare
      const repositories = s.stack.gate.registry.repositories.map((r) => `\${${logicalId(r)}.Arn}`).sort();

      // Act
      const puts = resourcesFor(functionStatements(s, 'quarantine'), 'ecr:PutImage').map(render).sort();

      // Assess
      expect(puts).toEqual(repositories);
    });

    it('gives each sensitive action only to the handlers that need it', () => {
      // Prepare
      const holders = (action: string): HandlerName[] =>
        HANDLER_NAMES.filter((name) => actionsOf(functionStatements(s, name)).includes(action));

      // Act
      const table = {
        'ecr:PutImage': holders('ecr:PutImage'),
        'ecr:CreateRepository': holders('ecr:CreateRepository'),
        'ecr:DescribeImageScanFindings': holders('ecr:DescribeImageScanFindings'),
        'states:StartExecution': holders('states:StartExecution'),
        'states:SendTaskSuccess': holders('states:SendTaskSuccess'),
        'states:SendTaskFailure': holders('states:SendTaskFailure'),
        'sns:Publish': holders('sns:Publish'),
        'events:PutEvents': holders('events:PutEvents'),
        's3:PutObject': holders('s3:PutObject'),
        's3:DeleteObject': holders('s3:DeleteObject'),
        'dynamodb:PutItem': holders('dynamodb:PutItem'),
        'ecr:BatchGetImage': holders('ecr:BatchGetImage'),
        'sqs:SendMessage': holders('sqs:SendMessage'),
      };

      // Assess
      expect(table).toEqual({
        'ecr:PutImage': ['promote', 'quarantine', 'ops-write'],
        'ecr:CreateRepository': ['promote', 'ops-write'],
        // Re-verification asks collect-evidence (recollect requests), which alone reads findings.
        'ecr:DescribeImageScanFindings': ['collect-evidence'],
        'states:StartExecution': ['start-release', 'ops-write'],
        'states:SendTaskSuccess': ['wait-for-scan', 'scan-complete', 'approval-api'],
        'states:SendTaskFailure': ['wait-for-scan', 'scan-complete', 'approval-api'],
        'sns:Publish': ['request-approval', 'promote', 'quarantine', 'approval-api', 'revalidate', 'ops-write'],
        'events:PutEvents': ['request-approval', 'promote', 'quarantine', 'approval-api', 'revalidate', 'ops-write'],
        's3:PutObject': [
          'record-release',
          'collect-evidence',
          'evaluate-policy',
          'promote',
          'quarantine',
          'approval-api',
          'ops-read',
          'ops-write',
        ],
        's3:DeleteObject': [],
        // The ops read function reads the table only (and stores reports in the bucket).
        'dynamodb:PutItem': HANDLER_NAMES.filter((n) => n !== 'ops-read'),
        'ecr:BatchGetImage': [
          'start-release',
          'record-release',
          'wait-for-scan',
          'scan-complete',
          'collect-evidence',
          'evaluate-policy',
          'promote',
          'quarantine',
          'ops-write',
        ],
        'sqs:SendMessage': ['start-release', 'scan-complete', 'record-pusher', 'revalidate'],
      });
    });

    it('lets revalidate read only advisories/ of the bucket, and write nothing there', () => {
      // Prepare
      const bucketArn = `\${${logicalId(s.stack.gate.bucket)}.Arn}`;

      // Act
      const statements = functionStatements(s, 'revalidate');

      // Assess
      expect(resourcesFor(statements, 's3:GetObject').map(render)).toEqual([`${bucketArn}/advisories/*`]);
      expect(resourcesFor(statements, 's3:ListBucket').map(render)).toEqual([bucketArn]);
      expect(statements.find((st) => asArray(st.Action).includes('s3:ListBucket'))).toMatchObject({
        Condition: { StringLike: { 's3:prefix': ['advisories/*'] } },
      });
      expect(actionsOf(statements).filter((a) => a.startsWith('s3:'))).toEqual(['s3:GetObject', 's3:ListBucket']);
    });

    it('scopes table, bucket and key access to the gate resources', () => {
      // Prepare
      const tableArn = `\${${logicalId(s.stack.gate.table)}.Arn}`;
      const bucketArn = `\${${logicalId(s.stack.gate.bucket)}.Arn}`;
      const keyArn = `\${${logicalId(s.stack.gate.key)}.Arn}`;

      // Act
      const statements = functionStatements(s, 'collect-evidence');

      // Assess
      expect(resourcesFor(statements, 'dynamodb:PutItem').map(render).sort()).toEqual([
        tableArn,
        `${tableArn}/index/gsi1`,
        `${tableArn}/index/gsi2`,
      ]);
      expect(resourcesFor(statements, 's3:PutObject').map(render)).toEqual([`${bucketArn}/*`]);
      expect(resourcesFor(statements, 'kms:Decrypt').map(render)).toEqual([keyArn]);
    });
  });

  describe('when the approval API is synthesized', () => {
    it('routes GET and POST /approvals/{id} to the approval-api function', () => {
      // Prepare
      const approvalId = logicalId(s.stack.gate.functions.get('approval-api').function);

      // Act & Assess
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /approvals/{id}' });
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /approvals/{id}' });
      // …POST /slack/interactions (the Slack test below), POST /cli/approvals/{id} (IAM, below) and
      // the ops routes (IAM, below).
      s.template.resourceCountIs('AWS::ApiGatewayV2::Route', 4 + Object.keys(OPS_ROUTES).length);
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: { 'Fn::GetAtt': [approvalId, 'Arn'] },
      });
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 }),
      });
    });
  });

  describe('when the approval routes’ authorizers are synthesized (issue 8)', () => {
    const RouteSchema = z.object({
      Properties: z.object({ AuthorizationType: z.string().optional(), AuthorizerId: z.unknown().optional() }),
    });
    const routeAuth = (t: Template, routeKey: string) =>
      Object.values(t.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } })).map((r) => {
        const { AuthorizationType, AuthorizerId } = RouteSchema.parse(r).Properties;
        return {
          type: AuthorizationType ?? 'NONE',
          authorizer: AuthorizerId === undefined ? null : render(AuthorizerId),
        };
      });

    it('puts IAM authorization on POST /cli/approvals/{id} and none on the link routes, and outputs the ARN approvers may invoke', () => {
      // Act
      const outputs = s.template.findOutputs('ApproverInvokeArn');

      // Assess
      expect(routeAuth(s.template, 'POST /cli/approvals/{id}')).toEqual([{ type: 'AWS_IAM', authorizer: null }]);
      expect(routeAuth(s.template, 'GET /approvals/{id}')).toEqual([{ type: 'NONE', authorizer: null }]);
      expect(routeAuth(s.template, 'POST /approvals/{id}')).toEqual([{ type: 'NONE', authorizer: null }]);
      s.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
      const arn = render(outputs.ApproverInvokeArn?.Value);
      expect(arn).toContain(':execute-api:');
      expect(arn).toMatch(/\/\$default\/POST\/cli\/approvals\/\*$/);
    });

    it('puts IAM authorization on every ops route, routes reads to ops-read and incident actions to ops-write, and outputs one invoke ARN per class', () => {
      // Prepare
      const functionOf = (name: HandlerName) => logicalId(s.stack.gate.functions.get(name).function);
      const routeKeys = Object.values(OPS_ROUTES).map((r) => `${r.method} ${r.path}`);
      const IntegrationSchema = z.object({ Properties: z.object({ IntegrationUri: z.unknown() }) });
      const TargetSchema = z.object({ Properties: z.object({ Target: z.unknown() }) });
      const integrations = s.template.findResources('AWS::ApiGatewayV2::Integration');
      /** The function behind a route: its target integration's URI names it. */
      const handlerOf = (routeKey: string): string[] =>
        Object.values(s.template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }))
          .map((r) => render(TargetSchema.parse(r).Properties.Target))
          .flatMap((target) =>
            Object.entries(integrations)
              .filter(([id]) => target.includes(id))
              .map(([, i]) => render(IntegrationSchema.parse(i).Properties.IntegrationUri)),
          )
          .map((uri) => (['ops-read', 'ops-write'] as const).find((n) => uri.includes(functionOf(n))) ?? uri);

      // Act
      const auth = routeKeys.map((key) => routeAuth(s.template, key));
      const handlers = Object.fromEntries(routeKeys.map((key) => [key, handlerOf(key)]));
      const outputs = s.template.findOutputs('*');

      // Assess
      expect(handlers).toEqual({
        'GET /cli/query/status': ['ops-read'],
        'GET /cli/query/triage': ['ops-read'],
        'POST /cli/query/triage': ['ops-read'],
        'GET /cli/query/explain': ['ops-read'],
        'GET /cli/query/report': ['ops-read'],
        'POST /cli/incident/revoke': ['ops-write'],
        'POST /cli/incident/rollback': ['ops-write'],
        'POST /cli/incident/release': ['ops-write'],
        'POST /cli/incident/break-glass/{id}': ['ops-write'],
      });
      expect(routeKeys).toEqual([
        'GET /cli/query/status',
        'GET /cli/query/triage',
        'POST /cli/query/triage',
        'GET /cli/query/explain',
        'GET /cli/query/report',
        'POST /cli/incident/revoke',
        'POST /cli/incident/rollback',
        'POST /cli/incident/release',
        'POST /cli/incident/break-glass/{id}',
      ]);
      for (const a of auth) expect(a).toEqual([{ type: 'AWS_IAM', authorizer: null }]);
      expect(render(outputs.OpsReadInvokeArn?.Value)).toMatch(/:execute-api:.*\/\$default\/\*\/cli\/query\/\*$/);
      expect(render(outputs.OpsWriteInvokeArn?.Value)).toMatch(/:execute-api:.*\/\$default\/POST\/cli\/incident\/\*$/);
      // Neither class covers the other, nor the approvers' route.
      expect(render(outputs.OpsReadInvokeArn?.Value)).not.toContain('/cli/incident/');
      expect(render(outputs.ApproverInvokeArn?.Value)).not.toContain('/cli/query/');
    });

    it('outputs what `release-gate … --stack NAME` reads: the API URL and the ops routes served', () => {
      // Act
      const outputs = s.template.findOutputs('*');

      // Assess
      expect(render(outputs[CLI_STACK_OUTPUTS.apiUrl]?.Value)).toContain('.execute-api.');
      expect(outputs[CLI_STACK_OUTPUTS.opsRoutes]?.Value).toBe(
        'status triage triageAdvisory explain report revoke rollback release breakGlassConfirm',
      );
    });

    it('with a link authorizer, puts a JWT authorizer of that issuer and audience on both link routes only', () => {
      // Act
      const other = synthesize({
        ...DEFAULT_GATE,
        approvalLinkAuthorizer: {
          issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example',
          audience: ['approvals-client'],
        },
      });

      // Assess
      const authorizers = other.template.findResources('AWS::ApiGatewayV2::Authorizer');
      expect(Object.values(authorizers).map((a) => a.Properties)).toEqual([
        expect.objectContaining({
          AuthorizerType: 'JWT',
          IdentitySource: ['$request.header.Authorization'],
          JwtConfiguration: {
            Issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example',
            Audience: ['approvals-client'],
          },
        }),
      ]);
      const jwt = { type: 'JWT', authorizer: ref(Object.keys(authorizers)[0] ?? '') };
      expect(routeAuth(other.template, 'GET /approvals/{id}')).toEqual([jwt]);
      expect(routeAuth(other.template, 'POST /approvals/{id}')).toEqual([jwt]);
      expect(routeAuth(other.template, 'POST /cli/approvals/{id}')).toEqual([{ type: 'AWS_IAM', authorizer: null }]);
      expect(routeAuth(other.template, 'POST /slack/interactions')).toEqual([{ type: 'NONE', authorizer: null }]);
    });

    it('refuses a link authorizer without an audience at synth time', () => {
      // Act & Assess
      expect(() =>
        synthesize({ ...DEFAULT_GATE, approvalLinkAuthorizer: { issuer: 'https://issuer.example', audience: [] } }),
      ).toThrow(/linkAuthorizer.audience is empty/);
    });
  });

  describe('when the approval links are synthesized (issue 8)', () => {
    it('generates the signing secret at deploy time, encrypted with the gate key, readable only by request-approval and approval-api', () => {
      // Prepare
      const secretRef = ref(logicalId(s.stack.gate.approvalLinks.secret));
      const slackRefs = [s.stack.gate.approvalApi.slackSigningSecret, s.stack.gate.approvalApi.slackBotToken].map(
        (secret) => ref(logicalId(secret)),
      );
      const readers = HANDLER_NAMES.filter((name) =>
        resourcesFor(functionStatements(s, name), 'secretsmanager:GetSecretValue').map(render).includes(secretRef),
      );

      // Act
      const resources = readers.map((name) =>
        resourcesFor(functionStatements(s, name), 'secretsmanager:GetSecretValue')
          .map(render)
          .filter((r) => !slackRefs.includes(r)),
      );

      // Assess
      s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
        KmsKeyId: { 'Fn::GetAtt': [logicalId(s.stack.gate.key), 'Arn'] },
        GenerateSecretString: Match.objectLike({ GenerateStringKey: 'current', PasswordLength: 64 }),
      });
      expect(JSON.stringify(s.template.findResources('AWS::SecretsManager::Secret'))).not.toContain('"SecretString"');
      expect(readers).toEqual(['request-approval', 'approval-api']);
      // Besides the Slack secrets (the next tests), they read this secret only.
      expect(resources).toEqual([[secretRef], [secretRef]]);
      const env = s.template.findResources('AWS::Lambda::Function');
      for (const fn of Object.values(env)) {
        expect(JSON.stringify(fn)).toContain(
          `"LINK_SECRET_ARN":{"Ref":"${logicalId(s.stack.gate.approvalLinks.secret)}"}`,
        );
      }
    });

    it('lets approval-api invoke itself (the Slack worker) and nothing else, and no other function invoke it; ops-write only collect-evidence', () => {
      // Prepare
      const apiFn = logicalId(s.stack.gate.functions.get('approval-api').function);
      const collectFn = logicalId(s.stack.gate.functions.get('collect-evidence').function);

      // Act
      const invokers = Object.fromEntries(
        HANDLER_NAMES.map((name) => [
          name,
          resourcesFor(functionStatements(s, name), 'lambda:InvokeFunction').map(render),
        ]),
      );
      const permissions = Object.values(s.template.findResources('AWS::Lambda::Permission')).filter(
        (p) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [apiFn, 'Arn'] }),
      );

      // Assess
      expect(Object.entries(invokers).filter(([, arns]) => arns.length > 0)).toEqual([
        ['approval-api', [`\${${apiFn}.Arn}`]],
        // Re-verification's recollect requests (rollback, release), the function alone, no version.
        ['ops-write', [`\${${collectFn}.Arn}`]],
      ]);
      // From outside, only API Gateway may invoke it, and only through this HTTP API.
      const apiId = logicalId(s.stack.gate.approvalApi.httpApi);
      expect(permissions.length).toBeGreaterThan(0);
      for (const p of permissions) {
        expect(p.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
        expect(render(p.Properties.SourceArn)).toContain(`\${${apiId}}`);
      }
    });

    it('routes POST /slack/interactions to approval-api, which alone reads the Slack signing secret', () => {
      // Prepare
      const slackRef = ref(logicalId(s.stack.gate.approvalApi.slackSigningSecret));

      // Act
      const readers = HANDLER_NAMES.filter((name) =>
        resourcesFor(functionStatements(s, name), 'secretsmanager:GetSecretValue').map(render).includes(slackRef),
      );

      // Assess
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /slack/interactions' });
      expect(readers).toEqual(['approval-api']);
      for (const fn of Object.values(s.template.findResources('AWS::Lambda::Function'))) {
        expect(JSON.stringify(fn)).toContain(
          `"SLACK_SIGNING_SECRET_ARN":{"Ref":"${logicalId(s.stack.gate.approvalApi.slackSigningSecret)}"}`,
        );
      }
    });

    it('keeps the Slack bot token in a KMS-encrypted secret read by request-approval, quarantine and approval-api only, named in every function and in the outputs', () => {
      // Prepare
      const tokenId = logicalId(s.stack.gate.approvalApi.slackBotToken);

      // Act
      const readers = HANDLER_NAMES.filter((name) =>
        resourcesFor(functionStatements(s, name), 'secretsmanager:GetSecretValue').map(render).includes(ref(tokenId)),
      );

      // Assess
      expect(readers).toEqual(['request-approval', 'quarantine', 'approval-api']);
      expect(s.template.findResources('AWS::SecretsManager::Secret')[tokenId]).toMatchObject({
        Properties: {
          KmsKeyId: { 'Fn::GetAtt': [logicalId(s.stack.gate.key), 'Arn'] },
          GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
        },
      });
      for (const fn of Object.values(s.template.findResources('AWS::Lambda::Function'))) {
        expect(JSON.stringify(fn)).toContain(`"SLACK_BOT_TOKEN_ARN":{"Ref":"${tokenId}"}`);
      }
      s.template.hasOutput('SlackBotTokenArn', { Value: { Ref: tokenId } });
    });

    it('without a sender, grants no ses:SendEmail (no approval mails: links fail closed)', () => {
      // Act
      const senders = HANDLER_NAMES.filter((name) => actionsOf(functionStatements(s, name)).includes('ses:SendEmail'));

      // Assess
      expect(senders).toEqual([]);
    });

    it('with a sender, lets only request-approval send, as that verified identity (address or its domain)', () => {
      // Prepare
      const mailing = synthesize({ ...DEFAULT_GATE, approvalEmailSender: 'approvals@example.com' });

      // Act
      const senders = HANDLER_NAMES.filter((name) =>
        actionsOf(functionStatements(mailing, name)).includes('ses:SendEmail'),
      );
      const identities = resourcesFor(functionStatements(mailing, 'request-approval'), 'ses:SendEmail').map(render);

      // Assess
      expect(senders).toEqual(['request-approval']);
      expect(identities.sort()).toEqual([
        stackArn('ses', 'identity/approvals@example.com'),
        stackArn('ses', 'identity/example.com'),
      ]);
      expect(JSON.stringify(mailing.template.findResources('AWS::Lambda::Function'))).toContain(
        '"APPROVAL_EMAIL_FROM":"approvals@example.com"',
      );
    });
  });

  describe('when notifications and monitoring are synthesized', () => {
    it('encrypts the topic, requires TLS, subscribes approvers and creates the outcome bus', () => {
      // Prepare
      const keyId = logicalId(s.stack.gate.key);

      // Act & Assess
      s.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: DENIED_WITHOUT_TLS })]),
        },
      });
      s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
      // Named after the gate's construct path (Test/ReleaseGate), so that two gates never collide.
      s.template.hasResourceProperties('AWS::Events::EventBus', { Name: Match.stringLikeRegexp('^Test-ReleaseGate-') });
    });

    it('alarms on failed executions and on each dead-letter queue', () => {
      // Prepare
      const machineId = logicalId(s.stack.gate.stateMachine);

      // Act
      const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm'));

      // Assess
      expect(alarms).toHaveLength(6);
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: 'ExecutionsFailed',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId } }],
        Threshold: 1,
      });
      for (const queue of [
        s.stack.gate.triggers.pushDeadLetterQueue,
        s.stack.gate.triggers.scanDeadLetterQueue,
        s.stack.gate.revalidation.deadLetterQueue,
      ]) {
        s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(queue), 'QueueName'] } }],
        });
      }
    });

    it('alarms on stuck approvals and scan timeouts from the gate’s own metrics', () => {
      // Act & Assess
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: GATE_METRICS_NAMESPACE,
        MetricName: GateMetric.oldestPendingApproval,
        Dimensions: [{ Name: 'service', Value: 'release-gate' }],
        Statistic: 'Maximum',
        Threshold: 24 * 3600,
        // The gauge is written only when something happens: no data keeps the alarm's state.
        TreatMissingData: 'ignore',
      });
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: GATE_METRICS_NAMESPACE,
        MetricName: GateMetric.scanTimeouts,
        Dimensions: [{ Name: 'service', Value: 'release-gate' }],
        Statistic: 'Sum',
        Threshold: 1,
      });
    });

    it('notifies an encrypted alarm topic of its own, which CloudWatch may use the key for, of every alarm and recovery', () => {
      // Prepare
      const topicId = logicalId(s.stack.gate.monitoring.alarmTopic);
      const keyId = logicalId(s.stack.gate.key);

      // Act
      const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm'));

      // Assess
      expect(s.resources[topicId]?.Properties).toMatchObject({ KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      for (const alarm of alarms) {
        expect(alarm).toMatchObject({
          Properties: { AlarmActions: [{ Ref: topicId }], OKActions: [{ Ref: topicId }] },
        });
      }
      s.template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            }),
          ]),
        },
      });
    });

    it('puts a dashboard with the decisions, quarantine reasons, approvals, scans, errors, newly affected releases and ops requests', () => {
      // Act
      const widgets = dashboardWidgets(s);

      // Assess
      expect(widgets.map((w) => w.title)).toEqual([
        'Decisions over time',
        'Top quarantine reasons: failing evidence kinds',
        'Top quarantine reasons',
        'Pending approvals and their age',
        'Scans: timeouts and wait',
        'Gate errors and dead-letter queues',
        'Newly affected live releases (re-validation) and promote duration',
        'Ops API requests by route and outcome (triage, revoke, rollback, release, …)',
        'Alarms',
      ]);
      const metricsOf = (title: string) => widgets.find((w) => w.title === title)?.metrics ?? [];
      expect(metricsOf('Decisions over time')).toEqual(
        expect.arrayContaining([
          [GATE_METRICS_NAMESPACE, GateMetric.decisions, 'outcome', 'PASS', 'service', 'release-gate'],
          [GATE_METRICS_NAMESPACE, GateMetric.decisions, 'outcome', 'BLOCK', 'service', 'release-gate'],
          [GATE_METRICS_NAMESPACE, GateMetric.outcomes, 'outcome', 'QUARANTINED', 'service', 'release-gate'],
        ]),
      );
      expect(metricsOf('Top quarantine reasons: failing evidence kinds')).toEqual(
        expect.arrayContaining([
          [GATE_METRICS_NAMESPACE, GateMetric.failingEvidence, 'kind', 'signature', 'service', 'release-gate'],
          [GATE_METRICS_NAMESPACE, GateMetric.failingEvidence, 'kind', 'scan', 'service', 'release-gate'],
        ]),
      );
      expect(widgets.find((w) => w.title === 'Top quarantine reasons')?.query).toContain(
        `filter message = "${QUARANTINE_REASON_MESSAGE}"`,
      );
      const names = (title: string) => metricsOf(title).map((m) => m[1]);
      expect(names('Pending approvals and their age')).toEqual(
        expect.arrayContaining([
          GateMetric.pendingApprovals,
          GateMetric.oldestPendingApproval,
          GateMetric.approvalWait,
        ]),
      );
      expect(names('Scans: timeouts and wait')).toEqual(
        expect.arrayContaining([GateMetric.scanTimeouts, GateMetric.scanWait]),
      );
      expect(names('Gate errors and dead-letter queues')).toEqual(
        expect.arrayContaining([GateMetric.gateErrors, 'ExecutionsFailed', 'ApproximateNumberOfMessagesVisible']),
      );
      const newlyAffected = widgets.find((w) => w.title?.startsWith('Newly affected'));
      expect(JSON.stringify(newlyAffected?.raw)).toContain(`MetricName=\\"${GateMetric.newlyAffected}\\"`);
      expect(names('Newly affected live releases (re-validation) and promote duration')).toContain(
        GateMetric.promoteDuration,
      );
      const ops = widgets.find((w) => w.title?.startsWith('Ops API requests'));
      expect(JSON.stringify(ops?.raw)).toContain(`MetricName=\\"${GateMetric.opsRequests}\\"`);
    });
  });

  describe('when the configuration is invalid', () => {
    const writePolicy = (text: string): string => {
      const file = join(mkdtempSync(join(tmpdir(), 'release-gate-policy-')), 'policy.yaml');
      writeFileSync(file, text);
      return file;
    };

    it('throws POLICY_INVALID with the reason for an invalid policy', () => {
      // Prepare
      const policyFile = writePolicy('apiVersion: release-gate.dev/v1\nkind: Policy\nrules: []\n');

      // Act
      const act = (): Synthesized => synthesize({ ...DEFAULT_GATE, policyFile });

      // Assess
      expect(act).toThrow(/release-gate policy .*policy\.yaml is invalid: .*rules/);
    });

    it('throws when the policy has no rule for the deployed stage', () => {
      // Prepare
      const policyFile = writePolicy(
        "apiVersion: release-gate.dev/v1\nkind: Policy\nrules:\n  - repositories: ['**']\n    stages:\n      staging: { require: [sbom] }\n",
      );

      // Act
      const act = (): Synthesized => synthesize({ ...DEFAULT_GATE, policyFile });

      // Assess
      expect(act).toThrow(/no "production" stage/);
    });

    it('throws when a rule moves a channel tag the production repositories keep immutable', () => {
      // Prepare
      const policyFile = writePolicy(
        "apiVersion: release-gate.dev/v1\nkind: Policy\nrules:\n  - repositories: ['**']\n    promotion: { channelTag: current }\n",
      );

      // Act
      const act = (): Synthesized => synthesize({ ...DEFAULT_GATE, policyFile });

      // Assess
      expect(act).toThrow(
        /rules\.0\.promotion\.channelTag "current" is immutable .*\(their mutable channel tags: live\)/,
      );
    });

    it('throws when a gated repository matches no policy rule', () => {
      // Prepare
      const policyFile = writePolicy(
        "apiVersion: release-gate.dev/v1\nkind: Policy\nrules:\n  - repositories: ['team/*']\n",
      );

      // Act
      const act = (): Synthesized => synthesize({ ...DEFAULT_GATE, policyFile });

      // Assess
      expect(act).toThrow(/gated repository "app"/);
    });

    it('throws when the TTL attribute is not the one the gate writes', () => {
      // Prepare
      const gate: ReleaseGateProps = { ...DEFAULT_GATE, timeToLiveAttribute: 'ttl' };

      // Act
      const act = (): Synthesized => synthesize(gate);

      // Assess
      expect(act).toThrow(
        /timeToLiveAttribute must be 'expiresAt' \(the attribute the gate writes\) or unset, got 'ttl'/,
      );
    });

    it('throws when the scan timeout outlives the 90 days a waiting task token is kept', () => {
      // Prepare
      const gate: ReleaseGateProps = { ...DEFAULT_GATE, scanTimeout: Duration.days(31) };

      // Act
      const act = (): Synthesized => synthesize(gate);

      // Assess
      expect(act).toThrow(/scanTimeout must be at most 30 days/);
    });

    it('throws when both repository names and a prefix are given', () => {
      // Prepare
      const gate: ReleaseGateProps = { gatedRepositories: ['app'], gatedRepositoryPrefix: 'apps' };

      // Act
      const act = (): Synthesized => synthesize(gate);

      // Assess
      expect(act).toThrow(/exactly one of gatedRepositories/);
    });

    it('throws when S3 would need ACLs to deliver access logs to the created log bucket', () => {
      // Prepare
      const app = new App({
        context: {
          ...CDK_CONTEXT,
          'aws:cdk:bundling-stacks': [],
          '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': false,
        },
      });

      // Act
      const act = (): ReleaseGateStack => new ReleaseGateStack(app, 'Test', { gate: DEFAULT_GATE });

      // Assess
      expect(act).toThrow(/set the feature flag @aws-cdk\/aws-s3:serverAccessLogsUseBucketPolicy to true/);
    });
  });
});

describe('Construct: ReleaseGate with Amazon Inspector SBOM exports (sbom.acceptInspectorExport)', () => {
  const statementsWithSid = (s: Synthesized, type: string, field: string, sid: string) =>
    Object.values(s.resources)
      .filter((r) => r.Type === type)
      .flatMap((r) =>
        z
          .object({ Statement: z.array(z.looseObject({ Sid: z.string().optional() })) })
          .parse(r.Properties[field])
          .Statement.filter((st) => st.Sid === sid),
      );
  const inspectorGrants = (s: Synthesized) => ({
    actions: HANDLER_NAMES.filter((name) =>
      actionsOf(functionStatements(s, name)).some((a) => a.startsWith('inspector2:')),
    ),
    env: HANDLER_NAMES.filter((name) => {
      const fn = s.resources[logicalId(s.stack.gate.functions.get(name).function)];
      return JSON.stringify(fn?.Properties).includes('INSPECTOR_SBOM_KMS_KEY_ARN');
    }),
    bucket: statementsWithSid(s, 'AWS::S3::BucketPolicy', 'PolicyDocument', 'InspectorSbomExportWrite'),
    key: statementsWithSid(s, 'AWS::KMS::Key', 'KeyPolicy', 'InspectorSbomExportEncrypt'),
  });

  it('grants nothing of it when no rule accepts the export (the default)', () => {
    // Act
    const grants = inspectorGrants(synthesize(DEFAULT_GATE));

    // Assess
    expect(grants).toEqual({ actions: [], env: [], bucket: [], key: [] });
  });

  it('lets CollectEvidence export, and Inspector write under inspector-sbom/ with the evidence key, for this account only', () => {
    // Prepare
    const policyFile = join(mkdtempSync(join(tmpdir(), 'release-gate-policy-')), 'policy.yaml');
    writeFileSync(
      policyFile,
      "apiVersion: release-gate.dev/v1\nkind: Policy\nrules:\n  - repositories: ['**']\n    sbom: { requireSigned: false, acceptInspectorExport: true }\n",
    );

    // Act
    const s = synthesize({ ...DEFAULT_GATE, policyFile });
    const grants = inspectorGrants(s);

    // Assess
    expect(grants.actions).toEqual(['collect-evidence']);
    expect(grants.env).toEqual(['collect-evidence']);
    expect(resourcesFor(functionStatements(s, 'collect-evidence'), 'inspector2:CreateSbomExport')).toEqual(['*']);
    expect(actionsOf(functionStatements(s, 'collect-evidence')).filter((a) => a.startsWith('inspector2:'))).toEqual([
      'inspector2:CreateSbomExport',
      'inspector2:GetSbomExport',
    ]);
    const ownReports = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: { 'aws:SourceArn': expect.anything() },
    };
    expect(grants.bucket).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'inspector2.amazonaws.com' },
        Action: ['s3:AbortMultipartUpload', 's3:PutObject', 's3:PutObjectAcl'],
        Condition: ownReports,
      }),
    ]);
    expect(render(grants.bucket[0]?.Resource)).toMatch(/\/inspector-sbom\/\*$/);
    const arnLike = z.object({ ArnLike: z.object({ 'aws:SourceArn': z.unknown() }) });
    expect(render(arnLike.parse(grants.bucket[0]?.Condition).ArnLike['aws:SourceArn'])).toBe(
      stackArn('inspector2', 'report/*'),
    );
    expect(grants.key).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'inspector2.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: ownReports,
      }),
    ]);
  });
});
