import { loadPolicyFile } from '../lambdas/adapters/policy/policy-file.js';
import { GateError } from '../lambdas/domain/errors.js';
import { type LoadedPolicy, policyFor, stageFor, targetRepositoryFor } from '../lambdas/domain/policy/load.js';

export interface PolicyDeploymentContext {
  /** Stage the deployed gate evaluates (`GATE_STAGE`). */
  readonly stage: string;
  /** Production repositories live under `<promotionPrefix>/`; promote may write nowhere else. */
  readonly promotionPrefix: string;
  /** The production repositories' mutable channel tags. @default - not checked */
  readonly channelTags?: readonly string[];
  /** Exact gated repository names, when known; each must be covered by a policy rule. */
  readonly repositoryNames?: readonly string[];
}

/**
 * Load the policy file the functions will bundle and check it against the deployment, at synth
 * time. The gate refuses an invalid policy at runtime too; failing here means a bad policy never
 * reaches an account. Throws GateError POLICY_INVALID with the file name and every reason.
 */
export function validatePolicyFile(file: string, context: PolicyDeploymentContext): LoadedPolicy {
  let loaded: LoadedPolicy;
  try {
    loaded = loadPolicyFile(file);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new GateError('POLICY_INVALID', `release-gate policy ${file} is invalid: ${reason}`, { cause: err });
  }
  const problems: string[] = [];
  for (const [i, rule] of loaded.document.rules.entries()) {
    // A rule with its own `stage` is evaluated for that one (the schema checks it is defined).
    if (rule.stages[stageFor(rule, context.stage)] === undefined) {
      problems.push(
        `rules.${i}.stages has no "${context.stage}" stage (the deployed GATE_STAGE); add it, or set the rule's stage`,
      );
    }
    const sample = targetRepositoryFor(rule, 'repository');
    if (!sample.startsWith(`${context.promotionPrefix}/`)) {
      problems.push(
        `rules.${i}.promotion.targetRepository "${rule.promotion.targetRepository}" is outside "${context.promotionPrefix}/", ` +
          'where the promote function may write; use "<promotionPrefix>/{repository}"',
      );
    }
    if (context.channelTags !== undefined && !context.channelTags.includes(rule.promotion.channelTag)) {
      problems.push(
        `rules.${i}.promotion.channelTag "${rule.promotion.channelTag}" is immutable in the production repositories ` +
          `(their mutable channel tags: ${context.channelTags.join(', ')}); add it to channelTags`,
      );
    }
  }
  for (const name of context.repositoryNames ?? []) {
    try {
      policyFor(loaded.document, name);
    } catch {
      problems.push(`no rule's repositories pattern matches the gated repository "${name}"`);
    }
  }
  if (problems.length > 0) {
    throw new GateError(
      'POLICY_INVALID',
      `release-gate policy ${file} does not fit this deployment: ${problems.join('; ')}`,
    );
  }
  return loaded;
}
