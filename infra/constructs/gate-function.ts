import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { type Duration, Stage } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import { sha256Digest } from '../../lambdas/domain/oci.js';
import { compiledPolicyName } from '../../lambdas/domain/policy/compiled.js';
import { compilePolicy } from '../../lambdas/domain/policy/load.js';
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
 * Writes the policy's compiled form (lambdas/domain/policy/compiled.ts) into the cloud assembly,
 * where the bundling copies it from: the functions read it instead of parsing YAML. Throws
 * POLICY_INVALID for a policy that does not compile.
 */
function writeCompiledPolicy(scope: Construct, policyFile: string): string {
  const bytes = readFileSync(policyFile);
  const dir = join(Stage.of(scope)?.outdir ?? '.', 'release-gate-policy');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, compiledPolicyName(sha256Digest(bytes).replace('sha256:', '')));
  writeFileSync(file, compilePolicy(bytes));
  return file;
}

/**
 * ESM bundles still meet CommonJS dependencies that call `require`; esbuild's ESM output needs a
 * `require` in scope for them (https://github.com/evanw/esbuild/issues/1921).
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/**
 * The SDK's default credential chain reads the environment first and imports these providers
 * (and the STS/SSO clients they use) with `import()` only when that finds nothing. Lambda always
 * sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the execution role
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 * so they are never reached and stay out of the bundles (about 120 kB each). Were the chain ever
 * to reach one, the failed import ends it with an error: no call is made without credentials.
 */
const UNREACHED_CREDENTIAL_PROVIDERS = [
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
] as const;

/**
 * How every gate function is bundled, in esbuild's terms: the construct passes these to
 * NodejsFunction, and the bundle-size test and `npm run bench -- --only bundles` build with them
 * (gateEsbuildOptions), so that what they measure is what is deployed. The AWS SDK is bundled
 * (see `bundleAwsSDK` below); only the credential providers Lambda never reaches are external.
 */
export const GATE_BUNDLE = {
  minify: true,
  format: 'esm',
  target: 'node24',
  platform: 'node',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  external: UNREACHED_CREDENTIAL_PROVIDERS,
} as const;

/** The source file of a handler (exports `handler`). */
export function handlerEntry(handlerName: string): string {
  return packageFile('lambdas', 'handlers', `${handlerName}.ts`);
}

/**
 * The esbuild options NodejsFunction builds a handler with (GATE_BUNDLE, source map external), for
 * building it outside CDK; `outfile` as NodejsFunction names it.
 */
export function gateEsbuildOptions(handlerName: string, outdir: string): BuildOptions {
  return { ...gateBundleOf(handlerEntry(handlerName), join(outdir, 'index.mjs')), sourcemap: 'external' };
}

/** esbuild's options for `entryPoint` bundled as a gate function is (GATE_BUNDLE), without a source map. */
export function gateBundleOf(entryPoint: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    platform: GATE_BUNDLE.platform,
    format: GATE_BUNDLE.format,
    target: GATE_BUNDLE.target,
    minify: GATE_BUNDLE.minify,
    mainFields: [...GATE_BUNDLE.mainFields],
    banner: { js: GATE_BUNDLE.banner },
    external: [...GATE_BUNDLE.external],
    logLevel: 'error',
  };
}

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
  /**
   * Source-mapped stack traces: the bundle links its source map and NODE_OPTIONS sets
   * `--enable-source-maps`, which costs every cold start (Node reads and parses the map).
   * @default false - the map ships next to the bundle, unlinked, for decoding a trace by hand
   */
  readonly debugSourceMaps?: boolean;
}

/**
 * One gate Lambda: Node.js 24 on arm64, an ESM bundle (its source map alongside) and the policy file, its own
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
    const entry = handlerEntry(props.handlerName);
    if (!existsSync(entry)) {
      throw new Error(`handler entry ${entry} does not exist; create it (exporting \`handler\`) before synth`);
    }
    const debugSourceMaps = props.debugSourceMaps ?? false;
    const { projectRoot, depsLockFilePath } = bundlingRoot();
    const policyInRoot = relative(projectRoot, props.policyFile);
    const policyInsideRoot = !policyInRoot.startsWith('..') && !isAbsolute(policyInRoot);
    const compiledPolicy = writeCompiledPolicy(this, props.policyFile);

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
      environment: {
        ...props.environment,
        // Node applies source maps to stack traces only with this flag.
        ...(debugSourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
      },
      projectRoot,
      depsLockFilePath,
      bundling: {
        minify: GATE_BUNDLE.minify,
        // EXTERNAL writes index.mjs.map without a sourceMappingURL comment: nothing reads it on a cold start.
        sourceMap: true,
        sourceMapMode: debugSourceMaps ? nodejs.SourceMapMode.DEFAULT : nodejs.SourceMapMode.EXTERNAL,
        format: nodejs.OutputFormat.ESM,
        target: GATE_BUNDLE.target,
        mainFields: [...GATE_BUNDLE.mainFields],
        banner: GATE_BUNDLE.banner,
        // Bundle the SDK the code was tested with instead of the runtime's copy, which lags behind
        // new ECR APIs (ListImageReferrers, DescribeImageSigningStatus).
        bundleAwsSDK: true,
        externalModules: [...GATE_BUNDLE.external],
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
              `cp "${compiledPolicy}" "${outputDir}/policy/${compiledPolicyName(BUNDLED_POLICY_NAME)}"`,
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
