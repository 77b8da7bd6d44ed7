import { isDeepStrictEqual } from 'node:util';
import { PolicyInvalidError } from '../errors.js';
import { sha256Digest } from '../oci.js';
import type { CompiledPolicy } from './compiled.js';
import { type LoadedPolicy, type PolicyFileReader, validatePolicyDocument } from './loaded.js';
import { parsePolicyDocument, parsePolicyValue } from './parse.js';
import { loadTrustedRoots } from './trusted-roots.js';

export type { LoadedPolicy, PolicyFileReader } from './loaded.js';
export { parsePolicyDocument } from './parse.js';
export { isGated, policyFor, repositoryMatches, stageFor, targetRepositoryFor } from './rules.js';

/**
 * Parse and validate a policy (JSON or YAML). Every invalid field is reported at once; an invalid
 * policy throws POLICY_INVALID, so the gate refuses to start instead of running without a policy.
 * Files the policy references (pinned Sigstore trusted roots) are read through `readFile` and
 * checked against their pins here, at load time.
 */
export function loadPolicy(bytes: Uint8Array, readFile?: PolicyFileReader): LoadedPolicy {
  const document = parsePolicyDocument(bytes);
  return { document, digest: sha256Digest(bytes), bytes, trustedRoots: loadTrustedRoots(document, readFile) };
}

/**
 * The compiled form of a valid policy (compiled.ts), as its bytes: the parsed value as JSON and
 * the digest of `bytes`. Throws POLICY_INVALID for an invalid policy, and for a value JSON cannot
 * carry as it is (YAML's `.inf` or `.nan`), which the functions would otherwise read differently.
 */
export function compilePolicy(bytes: Uint8Array): Uint8Array {
  const value = parsePolicyValue(bytes);
  validatePolicyDocument(value);
  const compiled: CompiledPolicy = { policyDigest: sha256Digest(bytes), document: value };
  const json = JSON.stringify(compiled);
  if (!isDeepStrictEqual(JSON.parse(json), compiled)) {
    throw new PolicyInvalidError('policy holds a value JSON cannot carry (.inf or .nan); use a finite number');
  }
  return new TextEncoder().encode(json);
}
