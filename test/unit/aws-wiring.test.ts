import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoReleaseStore } from '../../lambdas/adapters/store/dynamo-release-store.js';
import { KmsVsaSigner } from '../../lambdas/adapters/vsa/kms-vsa-signer.js';
import { ConfigError, PolicyInvalidError } from '../../lambdas/domain/errors.js';
import { compiledPolicyName } from '../../lambdas/domain/policy/compiled.js';
import { compilePolicy } from '../../lambdas/domain/policy/load.js';
import { VENDORED_TRUSTED_ROOTS } from '../../lambdas/domain/sigstore/trusted-root.js';
import { awsWiring } from '../../lambdas/handlers/aws-deps.js';
import { registry } from '../../lambdas/handlers/wiring/registry.js';
import { store } from '../../lambdas/handlers/wiring/store.js';
import { trustedRoots } from '../../lambdas/handlers/wiring/trusted-roots.js';
import { DEFAULT_VSA_VERIFIER_ID, vsa } from '../../lambdas/handlers/wiring/vsa.js';

const SOURCE_POLICY = fileURLToPath(new URL('../../policy/release-gate.policy.yaml', import.meta.url));
const ROOTS = fileURLToPath(new URL('../../lambdas/domain/sigstore/roots/', import.meta.url));

/** A policy as GateFunction bundles it: the file and its compiled form next to it. */
function bundledPolicy(dir: string, text: string): string {
  const file = join(dir, 'release-gate.policy.yaml');
  writeFileSync(file, text);
  writeFileSync(
    join(dir, compiledPolicyName('release-gate.policy.yaml')),
    compilePolicy(new TextEncoder().encode(text)),
  );
  return file;
}

const POLICY_DIR = mkdtempSync(join(tmpdir(), 'aws-wiring-'));
const POLICY_FILE = bundledPolicy(POLICY_DIR, readFileSync(SOURCE_POLICY, 'utf8'));

/** What every function's environment holds (infra/constructs/gate-functions.ts), for the concerns below. */
const ENVIRONMENT = {
  AWS_REGION: 'eu-west-1',
  POLICY_FILE,
  GATE_STAGE: 'production',
  TABLE_NAME: 'release-gate',
  REGISTRY_ID: '123456789012',
};

describe('Function: awsWiring', () => {
  beforeEach(() => {
    for (const [name, value] of Object.entries(ENVIRONMENT)) vi.stubEnv(name, value);
    vi.stubEnv('VSA_KEY_ID', '');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  afterAll(() => {
    rmSync(POLICY_DIR, { recursive: true, force: true });
  });

  describe('when a handler names its concerns', () => {
    it('builds their ports from the environment, once per container', async () => {
      // Prepare
      const getDeps = awsWiring(store, registry);

      // Act
      const [first, second] = [await getDeps(), await getDeps()];

      // Assess
      expect(first.gate.store).toBeInstanceOf(DynamoReleaseStore);
      expect(first.gate.config).toEqual({ stage: 'production', scanTimeoutSeconds: 3600, approvalBaseUrl: '' });
      expect(second).toBe(first);
    });

    it('refuses any use of a port no concern provides, naming it', async () => {
      // Act
      const { gate, starter } = await awsWiring(store)();

      // Assess: a ConfigError, never a silently absent feature.
      expect(() => gate.documents.put(new Uint8Array(), 'text/plain')).toThrowWithCode(
        ConfigError,
        'CONFIG_ERROR',
        /documents/,
      );
      expect(() => starter.start).toThrowWithCode(ConfigError, 'CONFIG_ERROR', /starter is not wired/);
      expect(() => gate.vsa?.signer).toThrowWithCode(ConfigError, 'CONFIG_ERROR', /vsa/);
    });

    it('leaves an optional port out when its configuration is absent (the feature is off)', async () => {
      // Act
      const { gate } = await awsWiring(store, vsa)();

      // Assess
      expect(gate.vsa).toBeUndefined();
    });

    it('wires an optional port when it is configured', async () => {
      // Prepare
      vi.stubEnv('VSA_KEY_ID', 'alias/release-gate-vsa');

      // Act
      const { gate } = await awsWiring(vsa)();

      // Assess
      expect(gate.vsa?.signer).toBeInstanceOf(KmsVsaSigner);
      expect(gate.vsa?.verifierId).toBe(DEFAULT_VSA_VERIFIER_ID);
    });
  });

  describe('when the environment lacks what a concern reads', () => {
    it('rejects with a ConfigError naming the variable', async () => {
      // Prepare
      vi.stubEnv('TABLE_NAME', '');

      // Act & Assess
      await expect(awsWiring(store)()).rejects.toThrowWithCode(
        ConfigError,
        'CONFIG_ERROR',
        'environment variable TABLE_NAME is not set',
      );
    });
  });

  describe('when the policy is loaded', () => {
    const pinned = VENDORED_TRUSTED_ROOTS.staging;
    const pinningPolicy = (dir: string): string => {
      copyFileSync(join(ROOTS, pinned.file), join(dir, pinned.file));
      return bundledPolicy(
        dir,
        'apiVersion: release-gate.dev/v1\nkind: Policy\nrules:\n  - repositories: ["**"]\n' +
          `    signature: { sigstore: { trustedRoot: { file: ${pinned.file}, sha256: "${pinned.sha256}" } } }\n`,
      );
    };

    it('reads its compiled form and refuses any use of the trusted roots no concern loads', async () => {
      // Prepare
      const dir = mkdtempSync(join(tmpdir(), 'aws-wiring-roots-'));
      vi.stubEnv('POLICY_FILE', pinningPolicy(dir));

      // Act
      const { gate } = await awsWiring(store)();

      // Assess: a function that does not verify never reads the roots; one that forgot to is refused loudly.
      expect(gate.policy.document.rules).toHaveLength(1);
      expect(() => gate.policy.trustedRoots.get(pinned.file)).toThrowWithCode(
        ConfigError,
        'CONFIG_ERROR',
        /trustedRoots is not wired/,
      );
      rmSync(dir, { recursive: true, force: true });
    });

    it('loads the pinned trusted roots with the trustedRoots concern', async () => {
      // Prepare
      const dir = mkdtempSync(join(tmpdir(), 'aws-wiring-roots-'));
      vi.stubEnv('POLICY_FILE', pinningPolicy(dir));

      // Act
      const { gate } = await awsWiring(store, trustedRoots)();

      // Assess
      expect(gate.policy.trustedRoots.get(pinned.file)?.sha256).toBe(pinned.sha256);
      rmSync(dir, { recursive: true, force: true });
    });

    it('rejects with POLICY_INVALID when the compiled form is missing', async () => {
      // Prepare: the policy file alone, as a bundle not built by GateFunction would hold it.
      const dir = mkdtempSync(join(tmpdir(), 'aws-wiring-bare-'));
      const file = join(dir, 'release-gate.policy.yaml');
      copyFileSync(SOURCE_POLICY, file);
      vi.stubEnv('POLICY_FILE', file);

      // Act & Assess
      await expect(awsWiring(store)()).rejects.toThrowWithCode(
        PolicyInvalidError,
        'POLICY_INVALID',
        /cannot read the compiled policy/,
      );
      rmSync(dir, { recursive: true, force: true });
    });
  });
});
