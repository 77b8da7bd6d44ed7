import { loadTrustedRoots } from '../../domain/policy/trusted-roots.js';
import type { Concern } from '../aws-deps.js';

/**
 * The Sigstore trusted roots the policy pins, read and checked against their pins when the
 * function starts (an unusable root fails it with POLICY_INVALID). For the functions that verify
 * signatures and attestations: collect-evidence, and ops-write's re-verification.
 */
export const trustedRoots: Concern = {
  provides: [],
  build: () => ({}),
  trustedRoots: loadTrustedRoots,
};
