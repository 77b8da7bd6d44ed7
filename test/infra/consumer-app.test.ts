import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HANDLER_NAMES } from '../../infra/constructs/gate-functions.js';
import { CDK_CONTEXT } from '../support/cdk-app.js';
import { buildAndPack, installTarballOffline, type PackedPackage, run, writeText } from '../support/packed-package.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A platform team's CDK app: two gates in one stack, each over repositories the team already has. */
const CONSUMER_APP = `import { App, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { ReleaseGate, type ReleaseGateProps } from 'release-gate';
import { PolicyDocumentSchema } from 'release-gate/policy';
import type { EvidenceKind } from 'release-gate/types';

const app = new App();
const stack = new Stack(app, 'Platform');
const existing = (id: string, name: string): ecr.IRepository => ecr.Repository.fromRepositoryName(stack, id, name);
const storefront: ReleaseGateProps = {
  gatedRepositories: [existing('Web', 'storefront/web'), existing('Api', 'storefront/api')],
};
new ReleaseGate(stack, 'Storefront', storefront);
new ReleaseGate(stack, 'Payments', { gatedRepositories: [existing('Ledger', 'payments/ledger')] });
const kind: EvidenceKind = 'sbom';
if (typeof PolicyDocumentSchema.parse !== 'function' || kind !== 'sbom') throw new Error('release-gate exports');
app.synth();
`;

const CONSUMER_TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    types: [],
  },
  include: ['app.ts'],
});

/** The context `cdk synth` hands the app: cdk.json's feature flags, and path and asset metadata on. */
const CLI_CONTEXT = {
  ...CDK_CONTEXT,
  'aws:cdk:enable-path-metadata': true,
  'aws:cdk:enable-asset-metadata': true,
};

/** CloudFormation properties that carry a physical name, which must be unique per resource type. */
const PHYSICAL_NAME_KEYS = [
  'Name',
  'Prefix',
  'StateMachineName',
  'RepositoryName',
  'FunctionName',
  'TableName',
  'BucketName',
  'TopicName',
  'QueueName',
  'RoleName',
  'LogGroupName',
  'ScheduleName',
  'AlarmName',
  'DashboardName',
  'SecretName',
] as const;
/** Display names, not identities: AWS allows the same HTTP API name twice. */
const NAMES_THAT_MAY_REPEAT = new Set(['AWS::ApiGatewayV2::Api']);

const ResourceSchema = z.object({
  Type: z.string(),
  Properties: z.record(z.string(), z.unknown()).default({}),
  Metadata: z.record(z.string(), z.unknown()).default({}),
});
type Resource = z.infer<typeof ResourceSchema>;
const TemplateSchema = z.object({ Resources: z.record(z.string(), ResourceSchema) });

interface Consumer {
  readonly scratch: string;
  readonly packed: PackedPackage;
  readonly resources: readonly Resource[];
  readonly outdir: string;
}

function ofType(consumer: Consumer, type: string): Resource[] {
  return consumer.resources.filter((r) => r.Type === type);
}

function path(resource: Resource): string {
  return z.string().parse(resource.Metadata['aws:cdk:path']);
}

function repositoryNamesOfPushRule(resource: Resource): unknown {
  return z
    .object({ EventPattern: z.object({ detail: z.object({ 'repository-name': z.unknown() }) }) })
    .parse(resource.Properties).EventPattern.detail['repository-name'];
}

describe('Package: release-gate installed from its npm pack tarball', () => {
  let consumer: Consumer;

  beforeAll(async () => {
    // Prepare: build and pack; a scratch app with the tarball installed offline.
    const scratch = mkdtempSync(join(tmpdir(), 'rg-consumer-'));
    const packed = await buildAndPack(scratch);
    const app = join(scratch, 'app');
    installTarballOffline(app, packed.tarball);
    writeText(
      app,
      'package.json',
      JSON.stringify({ name: 'platform-gates', private: true, type: 'module', dependencies: { 'release-gate': '*' } }),
    );
    writeText(app, 'app.ts', CONSUMER_APP);
    writeText(app, 'tsconfig.json', CONSUMER_TSCONFIG);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

    // Act: typecheck against the package's declarations, then synth as `cdk synth` runs an app
    // (context and output folder in the environment), bundling every handler with esbuild.
    await run(process.execPath, [tsc, '-p', app], { cwd: app });
    const outdir = join(app, 'cdk.out');
    await run(process.execPath, ['app.ts'], {
      cwd: app,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(CLI_CONTEXT) },
    });
    const template = TemplateSchema.parse(JSON.parse(readFileSync(join(outdir, 'Platform.template.json'), 'utf8')));
    consumer = { scratch, packed, resources: Object.values(template.Resources), outdir };
  }, 600_000);

  afterAll(() => {
    if (consumer !== undefined) rmSync(consumer.scratch, { recursive: true, force: true });
  });

  it('ships the built construct with declarations, the handler sources, the ASL and the example policy', () => {
    // Act
    const files = new Set(consumer.packed.files);

    // Assess
    for (const file of ['dist/infra/index.js', 'dist/infra/index.d.ts', 'dist/lambdas/domain/types.d.ts']) {
      expect(files).toContain(file);
    }
    for (const name of HANDLER_NAMES) expect(files).toContain(`lambdas/handlers/${name}.ts`);
    expect(files).toContain('statemachines/release-gate.asl.json');
    expect(files).toContain('policy/release-gate.policy.yaml');
    expect([...files].filter((f) => f.startsWith('test/') || f.startsWith('node_modules/'))).toEqual([]);
  });

  describe('when a consumer app gates existing repositories with two ReleaseGates in one stack', () => {
    it('synthesizes both gates, each handler bundled from the installed package with the policy beside it', () => {
      // Act
      const functions = ofType(consumer, 'AWS::Lambda::Function').filter((f) =>
        String(f.Properties.Description).startsWith('release-gate '),
      );
      const assets = functions.map((f) => z.string().parse(f.Metadata['aws:asset:path']));

      // Assess
      expect(functions).toHaveLength(2 * HANDLER_NAMES.length);
      expect(functions.filter((f) => path(f).startsWith('Platform/Storefront/'))).toHaveLength(HANDLER_NAMES.length);
      for (const asset of assets) {
        expect(existsSync(join(consumer.outdir, asset, 'index.mjs'))).toBe(true);
        expect(existsSync(join(consumer.outdir, asset, 'policy', 'release-gate.policy.yaml'))).toBe(true);
      }
      expect(ofType(consumer, 'AWS::StepFunctions::StateMachine').map(path)).toEqual([
        'Platform/Storefront/Workflow/StateMachine/Resource',
        'Platform/Payments/Workflow/StateMachine/Resource',
      ]);
    });

    it('creates no repository the user already has, and each gate watches its own', () => {
      // Act
      const pushRules = ofType(consumer, 'AWS::Events::Rule').filter((r) =>
        path(r).endsWith('/Triggers/ImagePushed/Resource'),
      );

      // Assess
      expect(ofType(consumer, 'AWS::ECR::Repository')).toEqual([]);
      expect(pushRules.map(repositoryNamesOfPushRule)).toEqual([
        ['storefront/web', 'storefront/api'],
        ['payments/ledger'],
      ]);
    });

    it('shares the one creation template of the production prefix both gates promote to', () => {
      // Act
      const templates = ofType(consumer, 'AWS::ECR::RepositoryCreationTemplate');

      // Assess
      expect(templates.map((t) => t.Properties.Prefix)).toEqual(['prod']);
    });

    it('gives every named resource of the two gates a distinct physical name', () => {
      // Act
      const named = consumer.resources.flatMap((r) =>
        NAMES_THAT_MAY_REPEAT.has(r.Type)
          ? []
          : PHYSICAL_NAME_KEYS.flatMap((key) => {
              const value = r.Properties[key];
              return typeof value === 'string' ? [`${r.Type} ${key}=${value}`] : [];
            }),
      );
      const buses = ofType(consumer, 'AWS::Events::EventBus').map((b) => String(b.Properties.Name));

      // Assess
      expect(named.filter((name, i) => named.indexOf(name) !== i)).toEqual([]);
      expect(buses).toHaveLength(2);
      expect(buses[0]).toMatch(/^Platform-Storefront-/);
      expect(buses[1]).toMatch(/^Platform-Payments-/);
    });
  });
});
