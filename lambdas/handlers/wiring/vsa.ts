import { KMSClient } from '@aws-sdk/client-kms';
import { KmsVsaSigner } from '../../adapters/vsa/kms-vsa-signer.js';
import type { Concern } from '../aws-deps.js';
import { optionalEnv } from './env.js';

/** The VSA verifier id when VSA_VERIFIER_ID is not set. */
export const DEFAULT_VSA_VERIFIER_ID = 'https://release-gate.dev/verifier/v1';

/**
 * How long the VSA's KMS calls may take: the SDK's standard retry (3 attempts, backoff) with a
 * timeout per request, so an unreachable KMS fails Promote with a SigningError in well under a
 * minute instead of hanging it until its Lambda timeout (which the ASL would retry as a crash).
 */
export const KMS_SIGNING_BOUNDS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
} as const;

/** The KMS key that signs the SLSA VSA on promote (VSA_KEY_ID); without it no VSA is attached. */
export const vsa: Concern = {
  provides: ['vsa'],
  build: ({ region }) => {
    const keyId = optionalEnv('VSA_KEY_ID');
    if (keyId === undefined) return {};
    return {
      vsa: {
        signer: new KmsVsaSigner({ client: new KMSClient({ region, ...KMS_SIGNING_BOUNDS }), keyId }),
        verifierId: optionalEnv('VSA_VERIFIER_ID') ?? DEFAULT_VSA_VERIFIER_ID,
      },
    };
  },
};
