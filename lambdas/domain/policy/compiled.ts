/**
 * The policy as the functions read it: its parsed value as JSON, written at synth time next to the
 * policy file (`compilePolicy` in load.ts) and bound to the policy's exact bytes by their digest.
 * The functions then need no YAML parser (the `yaml` package is about 115 kB of each bundle),
 * while they still store and report the operator's own policy text and its digest.
 */
import { parseJsonDocument } from '../document.js';
import { GateError, PolicyInvalidError } from '../errors.js';
import { Limits } from '../limits.js';
import { sha256Digest } from '../oci.js';
import type { TrustedRootDoc } from '../sigstore/trusted-root.js';
import { DigestSchema } from '../types.js';
import * as z from '../zod.js';
import { decodePolicyText, type LoadedPolicy, validatePolicyDocument } from './loaded.js';
import type { PolicyDocument } from './schema.js';

/** What `compilePolicy` writes. `document` is the parser's output, before the schema's defaults. */
export const CompiledPolicySchema = z.strictObject({
  /** sha256 of the policy file the value was parsed from. */
  policyDigest: DigestSchema,
  document: z.unknown(),
});
export type CompiledPolicy = z.infer<typeof CompiledPolicySchema>;

/** The compiled form's name next to the policy file it was compiled from. */
export const compiledPolicyName = (policyFileName: string): string => `${policyFileName}.compiled.json`;

/**
 * The policy from its bytes and its compiled form. The compiled form must be of exactly these
 * bytes (POLICY_INVALID otherwise: a stale or foreign compiled file never stands in for the
 * policy), and its value passes the same checks as a freshly parsed policy. `trustedRoots` loads
 * what the policy pins, for the functions that verify Sigstore evidence.
 */
export function loadCompiledPolicy(
  bytes: Uint8Array,
  compiled: Uint8Array,
  trustedRoots: (document: PolicyDocument) => ReadonlyMap<string, TrustedRootDoc>,
): LoadedPolicy {
  decodePolicyText(bytes);
  let form: CompiledPolicy;
  try {
    // The value of a policy within Limits.policyBytes; JSON writes it in at most a few times that.
    form = parseJsonDocument(compiled, CompiledPolicySchema, {
      what: 'compiled policy',
      maxBytes: 4 * Limits.policyBytes,
    });
  } catch (err) {
    if (err instanceof GateError) throw new PolicyInvalidError(err.message, { cause: err });
    throw err;
  }
  const digest = sha256Digest(bytes);
  if (form.policyDigest !== digest) {
    throw new PolicyInvalidError(
      `the compiled policy is of ${form.policyDigest}, not of this policy (${digest}); synthesize again`,
    );
  }
  const document = validatePolicyDocument(form.document);
  return { document, digest, bytes, trustedRoots: trustedRoots(document) };
}
