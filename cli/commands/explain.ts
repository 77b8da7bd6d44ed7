/**
 * `release-gate explain <digest>`: replays the stored decision (lambdas/domain/workflow/explain.ts)
 * and shows that outcome and reasons are identical, or what differs and which input changed.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../../lambdas/domain/errors.js';
import type { DocumentStore, ReleaseStore } from '../../lambdas/domain/ports.js';
import { type Explanation, explainDecision } from '../../lambdas/domain/workflow/explain.js';
import { EXPLAIN_HELP, EXPLAIN_USAGE } from '../help-text.js';
import { printable } from '../printable.js';
import { findRelease, RELEASE_COMMAND_OPTIONS, releaseCommandArgs } from './release-lookup.js';
import type { CommandIo } from './verify-bundle.js';

export { EXPLAIN_HELP, EXPLAIN_USAGE };

export interface ExplainOptions {
  readonly digest: string;
  readonly repository?: string;
  readonly policy?: string;
  readonly round?: number;
  readonly json: boolean;
  readonly workDir: string;
}

export function parseExplainArgs(args: string[]): ExplainOptions {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...RELEASE_COMMAND_OPTIONS, policy: { type: 'string' }, round: { type: 'string' } },
  });
  const { argument, ...common } = releaseCommandArgs('explain', positionals, values);
  const round = values.round === undefined ? undefined : Number(values.round);
  if (round !== undefined && !(Number.isInteger(round) && round >= 1)) {
    throw new InvalidInputError(`--round: expected a gate round (1, 2, …), not ${values.round}`);
  }
  return {
    digest: argument,
    ...common,
    ...(values.policy === undefined ? {} : { policy: values.policy }),
    ...(round === undefined ? {} : { round }),
  };
}

export async function runExplain(
  options: ExplainOptions,
  ports: { readonly store: ReleaseStore; readonly documents: DocumentStore },
  io: CommandIo,
): Promise<number> {
  const release = await findRelease(ports.store, options.digest, options.repository);
  const policy = options.policy === undefined ? undefined : new Uint8Array(await readFile(options.policy));
  const x = await explainDecision(ports, release.repository, release.digest, policy, options.round);
  io.stdout.write(options.json ? `${JSON.stringify(x, null, 2)}\n` : formatExplanation(x, options.policy));
  return x.identical && x.changedInputs.length === 0 ? 0 : 1;
}

export function formatExplanation(x: Explanation, policyFile?: string): string {
  const lines = [
    `${x.repository}@${x.digest}`,
    `  stage ${x.stage}, decided ${x.decidedAt}${x.gateRound > 1 ? ` in gate round ${x.gateRound}` : ''}, decision document ${x.decisionDocument}`,
    `  policy: stored ${x.policy.stored}`,
    `  replayed against: ${policyFile === undefined ? 'the stored policy' : `${policyFile} (${x.policy.replayed})`}`,
    `  stored:   ${x.stored.decision} (${x.stored.reasons.length} reason(s))`,
    `  replayed: ${x.replayed.decision} (${x.replayed.reasons.length} reason(s))`,
  ];
  if (x.identical) lines.push(`identical: the outcome and all ${x.stored.reasons.length} reason(s)`);
  else {
    lines.push('DIFFERENT:');
    if (x.stored.decision !== x.replayed.decision) {
      lines.push(`  outcome ${x.stored.decision} → ${x.replayed.decision}`);
    }
    for (const r of x.reasons.onlyStored) lines.push(`  - only in the stored decision: ${r}`);
    for (const r of x.reasons.onlyReplayed) lines.push(`  + only in the replay: ${r}`);
    if (
      x.reasons.onlyStored.length === 0 &&
      x.reasons.onlyReplayed.length === 0 &&
      x.stored.decision === x.replayed.decision
    ) {
      lines.push('  the same reasons in another order');
    }
  }
  if (x.changedInputs.includes('policy')) lines.push(`changed input: policy ${x.policy.stored} → ${x.policy.replayed}`);
  for (const e of x.evidenceChanges) lines.push(`changed input: evidence ${e.kind}: ${e.change}`);
  if (!x.identical && x.changedInputs.length === 0) {
    lines.push('no input changed: the evaluation itself differs (a different gate version?)');
  }
  return `${lines.map(printable).join('\n')}\n`;
}
