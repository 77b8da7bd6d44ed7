import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { PolicyInvalidError } from '../errors.js';
import { sha256Digest } from '../oci.js';
import type { CompiledPolicy } from './compiled.js';
import { decodePolicyText, type LoadedPolicy, type PolicyFileReader, validatePolicyDocument } from './loaded.js';
import type { PolicyDocument } from './schema.js';
import { loadTrustedRoots } from './trusted-roots.js';

export type { LoadedPolicy, PolicyFileReader } from './loaded.js';
export { isGated, policyFor, repositoryMatches, stageFor, targetRepositoryFor } from './rules.js';

/** The policy's text parsed as YAML 1.2 (a superset of JSON), before the schema. */
function parsePolicyValue(bytes: Uint8Array): unknown {
  const text = decodePolicyText(bytes);
  try {
    return parseYaml(text); // YAML 1.2 is a superset of JSON
  } catch (err) {
    throw new PolicyInvalidError('policy is neither valid JSON nor YAML', { cause: err });
  }
}

/**
 * The policy document alone, validated, without reading the files it references: what a replay of a
 * stored decision needs (`explain`), since the evaluation reads only the document.
 */
export function parsePolicyDocument(bytes: Uint8Array): PolicyDocument {
  return validatePolicyDocument(parsePolicyValue(bytes));
}

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
