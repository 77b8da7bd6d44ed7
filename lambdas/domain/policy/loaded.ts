/**
 * A loaded policy and the checks every way of loading one shares. The YAML reader (`load.ts`)
 * and the functions' compiled form (`compiled.ts`) both end here, so a document is valid or not
 * the same way whichever parser produced it.
 */
import { decodeDocumentText, formatIssues } from '../document.js';
import { InvalidInputError, PolicyInvalidError } from '../errors.js';
import { Limits } from '../limits.js';
import type { TrustedRootDoc } from '../sigstore/trusted-root.js';
import type { Digest } from '../types.js';
import { type PolicyDocument, PolicyDocumentSchema } from './schema.js';

export interface LoadedPolicy {
  readonly document: PolicyDocument;
  /** Trusted roots the policy pins (`signature.sigstore.trustedRoot.file` → parsed, digest-checked). */
  readonly trustedRoots: ReadonlyMap<string, TrustedRootDoc>;
  /** sha256 of the exact bytes loaded: stored with every decision so it can be replayed. */
  readonly digest: Digest;
  readonly bytes: Uint8Array;
}

/** Reads a file the policy references, by its path relative to the policy document. */
export type PolicyFileReader = (relativePath: string) => Uint8Array;

/** The policy's text: size first, strict UTF-8; YAML 1.2 §5.2 allows a byte order mark at the start. */
export function decodePolicyText(bytes: Uint8Array): string {
  try {
    return decodeDocumentText(bytes, { what: 'policy', maxBytes: Limits.policyBytes, byteOrderMark: 'ignore' });
  } catch (err) {
    if (err instanceof InvalidInputError) throw new PolicyInvalidError(err.message, { cause: err });
    throw err;
  }
}

/** The parsed policy value checked against the schema and the rules across fields; POLICY_INVALID names every issue. */
export function validatePolicyDocument(raw: unknown): PolicyDocument {
  const parsed = PolicyDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PolicyInvalidError(`policy is invalid: ${formatIssues(parsed.error.issues)}`, { cause: parsed.error });
  }
  for (const [i, rule] of parsed.data.rules.entries()) {
    for (const [stage, def] of Object.entries(rule.stages)) {
      if (def.require.includes('dependency-diff') && !def.require.includes('sbom')) {
        throw new PolicyInvalidError(`rules.${i}.stages.${stage}: dependency-diff requires sbom`);
      }
    }
  }
  return parsed.data;
}
