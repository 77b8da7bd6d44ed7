/**
 * Which rule of a loaded policy governs a repository, and what it names. Apart from the loaders:
 * every function looks rules up, and this module needs neither the YAML parser nor Sigstore.
 */
import { PolicyInvalidError } from '../errors.js';
import { globMatches } from '../glob.js';
import type { PolicyDocument, RepositoryPolicy } from './schema.js';

/** Glob over repository names: `*` stays inside one path segment, `**` crosses segments. */
export function repositoryMatches(pattern: string, repository: string): boolean {
  return globMatches(pattern, repository, { segments: true });
}

/** Whether any rule of the policy governs `repository`. */
export function isGated(document: PolicyDocument, repository: string): boolean {
  return document.rules.some((r) => r.repositories.some((p) => repositoryMatches(p, repository)));
}

/** The first rule matching the repository. No match is an error: ungated repos never pass. */
export function policyFor(document: PolicyDocument, repository: string): RepositoryPolicy {
  const rule = document.rules.find((r) => r.repositories.some((p) => repositoryMatches(p, repository)));
  if (rule === undefined) {
    throw new PolicyInvalidError(`no policy rule matches repository ${repository}`);
  }
  return rule;
}

/** The stage a release of this rule is evaluated for: the rule's own, else the deployment's. */
export function stageFor(policy: RepositoryPolicy, deploymentStage: string): string {
  return policy.stage ?? deploymentStage;
}

export function targetRepositoryFor(policy: RepositoryPolicy, repository: string): string {
  return policy.promotion.targetRepository.replaceAll('{repository}', repository);
}
