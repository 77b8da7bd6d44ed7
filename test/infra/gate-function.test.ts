import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { GateFunction } from '../../infra/constructs/gate-function.js';
import { gatePropsFromContext } from '../../infra/release-gate-stack.js';
import { loadBundledPolicy } from '../../lambdas/adapters/policy/bundled-policy.js';
import { loadPolicyFile } from '../../lambdas/adapters/policy/policy-file.js';
import { CDK_CONTEXT } from '../support/cdk-app.js';

const POLICY_FILE = fileURLToPath(new URL('../../policy/release-gate.policy.yaml', import.meta.url));

const FunctionSchema = z.object({
  Properties: z.object({
    Handler: z.string(),
    Code: z.object({ S3Key: z.string() }),
    Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }).optional(),
  }),
});
const TemplateSchema = z.object({ Resources: z.record(z.string(), z.object({ Type: z.string() }).passthrough()) });

const built = new Map<boolean | undefined, ReturnType<typeof bundle>>();

/** One GateFunction bundled by CDK (esbuild), as deployed: its bundle, source map and environment. */
function bundled(debugSourceMaps: boolean | undefined): ReturnType<typeof bundle> {
  const done = built.get(debugSourceMaps) ?? bundle(debugSourceMaps);
  built.set(debugSourceMaps, done);
  return done;
}

function bundle(debugSourceMaps: boolean | undefined) {
  const app = new App({ context: CDK_CONTEXT });
  const stack = new Stack(app, 'Bundle');
  new GateFunction(stack, 'RecordPusher', {
    handlerName: 'record-pusher',
    policyFile: POLICY_FILE,
    timeout: Duration.seconds(30),
    memorySize: 256,
    environment: { TABLE_NAME: 'release-gate' },
    ...(debugSourceMaps === undefined ? {} : { debugSourceMaps }),
  });
  const assembly = app.synth();
  const template = TemplateSchema.parse(assembly.getStackByName(stack.stackName).template);
  const fn = FunctionSchema.parse(Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function'));
  const assetDir = join(assembly.directory, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
  return {
    handler: fn.Properties.Handler,
    assetDir,
    policy: readFileSync(join(assetDir, 'policy', 'release-gate.policy.yaml'), 'utf8'),
    bundle: readFileSync(join(assetDir, 'index.mjs'), 'utf8'),
    map: readFileSync(join(assetDir, 'index.mjs.map'), 'utf8'),
    environment: fn.Properties.Environment?.Variables ?? {},
  };
}

describe('Construct: GateFunction', () => {
  describe('when bundled with esbuild', () => {
    it('produces an ESM bundle with the policy file next to it', () => {
      // Act
      const { handler, policy, bundle } = bundled(undefined);

      // Assess
      expect(policy).toBe(readFileSync(POLICY_FILE, 'utf8'));
      expect(bundle.startsWith("import { createRequire } from 'node:module';")).toBe(true);
      expect(handler).toBe('index.handler');
    }, 60_000);

    it("writes the policy's compiled form next to it, which the function loads without YAML", () => {
      // Prepare
      const { assetDir } = bundled(undefined);

      // Act: as awsWiring loads it at run time.
      const loaded = loadBundledPolicy(
        join(assetDir, 'policy', 'release-gate.policy.yaml'),
        undefined,
        () => new Map(),
      );

      // Assess: the operator's own policy, its text and digest, as the CLI reads it.
      const source = loadPolicyFile(POLICY_FILE);
      expect(loaded.document).toEqual(source.document);
      expect(loaded.digest).toBe(source.digest);
    }, 60_000);
  });

  describe('Property: debugSourceMaps', () => {
    it('ships the source map unlinked and leaves NODE_OPTIONS unset by default', () => {
      // Act
      const { bundle, map, environment } = bundled(undefined);

      // Assess: nothing reads the map on a cold start.
      expect(map.length).toBeGreaterThan(0);
      expect(bundle).not.toContain('sourceMappingURL');
      expect(environment).not.toHaveProperty('NODE_OPTIONS');
      expect(environment).toHaveProperty('TABLE_NAME', 'release-gate');
    }, 60_000);

    it('links the source map and enables source maps in Node when set', () => {
      // Act
      const { bundle, environment } = bundled(true);

      // Assess
      expect(bundle.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
      expect(environment).toHaveProperty('NODE_OPTIONS', '--enable-source-maps');
    }, 60_000);
  });

  describe('when set from CDK context (-c debugSourceMaps=true)', () => {
    it('takes true or false, and refuses anything else', () => {
      const props = (value: string) => gatePropsFromContext(new App({ context: { debugSourceMaps: value } }));
      expect(props('true').debugSourceMaps).toBe(true);
      expect(props('false').debugSourceMaps).toBe(false);
      expect(gatePropsFromContext(new App()).debugSourceMaps).toBeUndefined();
      expect(() => props('yes')).toThrow('context debugSourceMaps must be true or false, got "yes"');
    });
  });
});
