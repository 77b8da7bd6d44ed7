import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource, defaultPolicyOf } from './nag-acknowledgments.js';
import { bundlingRoot, packageFile } from './package-paths.js';

/** Where the bundled policy lands inside every function package (`/var/task` on Lambda). */
export const BUNDLED_POLICY_NAME = 'release-gate.policy.yaml';
/**
 * The policy's whole directory is bundled (files it references, such as a pinned Sigstore
 * `trusted_root.json`, resolve relative to it), and the policy itself under this fixed name.
 */
export const BUNDLED_POLICY_PATH = `/var/task/policy/${BUNDLED_POLICY_NAME}`;

/**
 * ESM bundles still meet CommonJS dependencies that call `require`; esbuild's ESM output needs a
 * `require` in scope for them (https://github.com/evanw/esbuild/issues/1921).
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export interface GateFunctionProps {
  /** Handler file name without extension, under `lambdas/handlers/` (exports `handler`). */
  readonly handlerName: string;
  /** Absolute path of the validated policy file copied into the bundle. */
  readonly policyFile: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One gate Lambda: Node.js 24 on arm64, an ESM bundle with source maps and the policy file, its own
 * log group and its own role. The role starts empty apart from writing to that log group and X-Ray;
 * every other permission is granted explicitly by the caller (no AWSLambdaBasicExecutionRole, whose
 * log permissions cover every log group in the account).
 */
export class GateFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: GateFunctionProps) {
    super(scope, id);
    const entry = packageFile('lambdas', 'handlers', `${props.handlerName}.ts`);
    if (!existsSync(entry)) {
      throw new Error(`handler entry ${entry} does not exist; create it (exporting \`handler\`) before synth`);
    }
    const { projectRoot, depsLockFilePath } = bundlingRoot();
    const policyInRoot = relative(projectRoot, props.policyFile);
    const policyInsideRoot = !policyInRoot.startsWith('..') && !isAbsolute(policyInRoot);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `release-gate ${props.handlerName}`,
    });

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: `release-gate ${props.handlerName}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: { ...props.environment },
      projectRoot,
      depsLockFilePath,
      bundling: {
        minify: true,
        sourceMap: true,
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // Bundle the SDK the code was tested with instead of the runtime's copy, which lags behind
        // new ECR APIs (ListImageReferrers, DescribeImageSigningStatus).
        bundleAwsSDK: true,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => {
            const source = policyInsideRoot ? `${inputDir}/${policyInRoot.split('\\').join('/')}` : props.policyFile;
            const dir = source.slice(0, Math.max(source.lastIndexOf('/'), 0)) || '.';
            return [
              `mkdir -p "${outputDir}/policy"`,
              `cp -R "${dir}/." "${outputDir}/policy/"`,
              `cp "${source}" "${outputDir}/policy/${BUNDLED_POLICY_NAME}"`,
            ];
          },
        },
      },
    });
    // Scoped to this function's own log group; the function's role needs nothing else for logs.
    this.logGroup.grantWrite(this.role);
    acknowledgeWildcardResource(
      defaultPolicyOf(this.role),
      '*',
      'Active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource type, so their only resource is * (Service Authorization Reference, AWS X-Ray).',
    );
  }
}
