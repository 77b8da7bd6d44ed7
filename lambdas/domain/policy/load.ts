import { parse as parseYaml } from 'yaml';
import { GateError, TooLargeError } from '../errors.js';
import { Limits } from '../limits.js';
import { sha256Digest } from '../oci.js';
import type { Digest } from '../types.js';
import { type PolicyDocument, PolicyDocumentSchema, type RepositoryPolicy } from './schema.js';

export interface LoadedPolicy {
  readonly document: PolicyDocument;
  /** sha256 of the exact bytes loaded: stored with every decision so it can be replayed. */
  readonly digest: Digest;
  readonly bytes: Uint8Array;
}

/**
 * Parse and validate a policy (JSON or YAML). Every invalid field is reported at once; an invalid
 * policy throws POLICY_INVALID, so the gate refuses to start instead of running without a policy.
 */
export function loadPolicy(bytes: Uint8Array): LoadedPolicy {
  if (bytes.byteLength > Limits.policyBytes) throw new TooLargeError('policy', bytes.byteLength, Limits.policyBytes);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  let raw: unknown;
  try {
    raw = parseYaml(text); // YAML 1.2 is a superset of JSON
  } catch (err) {
    throw new GateError('POLICY_INVALID', 'policy is neither valid JSON nor YAML', { cause: err });
  }
  const parsed = PolicyDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new GateError('POLICY_INVALID', `policy is invalid: ${issues}`);
  }
  for (const [i, rule] of parsed.data.rules.entries()) {
    for (const [stage, def] of Object.entries(rule.stages)) {
      if (def.require.includes('dependency-diff') && !def.require.includes('sbom')) {
        throw new GateError('POLICY_INVALID', `rules.${i}.stages.${stage}: dependency-diff requires sbom`);
      }
    }
  }
  return { document: parsed.data, digest: sha256Digest(bytes), bytes };
}

/** Glob over repository names: `*` stays inside one path segment, `**` crosses segments. */
export function repositoryMatches(pattern: string, repository: string): boolean {
  const re = pattern
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${re}$`).test(repository);
}

/** The first rule matching the repository. No match is an error: ungated repos never pass. */
export function policyFor(document: PolicyDocument, repository: string): RepositoryPolicy {
  const rule = document.rules.find((r) => r.repositories.some((p) => repositoryMatches(p, repository)));
  if (rule === undefined) {
    throw new GateError('POLICY_INVALID', `no policy rule matches repository ${repository}`);
  }
  return rule;
}

export function targetRepositoryFor(policy: RepositoryPolicy, repository: string): string {
  return policy.promotion.targetRepository.replaceAll('{repository}', repository);
}
