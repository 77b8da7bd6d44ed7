import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoReleaseStore } from '../../lambdas/adapters/store/dynamo-release-store.js';
import { KmsVsaSigner } from '../../lambdas/adapters/vsa/kms-vsa-signer.js';
import { ConfigError } from '../../lambdas/domain/errors.js';
import { awsWiring } from '../../lambdas/handlers/aws-deps.js';
import { registry } from '../../lambdas/handlers/wiring/registry.js';
import { store } from '../../lambdas/handlers/wiring/store.js';
import { DEFAULT_VSA_VERIFIER_ID, vsa } from '../../lambdas/handlers/wiring/vsa.js';

const POLICY_FILE = fileURLToPath(new URL('../../policy/release-gate.policy.yaml', import.meta.url));

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
});
