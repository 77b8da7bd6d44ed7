/**
 * `release-gate revalidate`: re-validation on demand against the local stack (incident/revalidate.ts).
 * With `--advisory FILE` (repeatable) the live releases are checked against those OSV records, as
 * when they arrive in the advisories folder; without, every advisory of the folder is, as the daily
 * run does. Alerts go to `<work dir>/outcomes.jsonl` (cli/local/outcome-log.ts).
 */
import { parseArgs } from 'node:util';
import { loadPolicyFile } from '../../lambdas/adapters/policy/policy-file.js';
import { loadAdvisories, loadAdvisoryFile } from '../../lambdas/adapters/scan/advisories-folder.js';
import { InvalidInputError } from '../../lambdas/domain/errors.js';
import {
  type AffectedRelease,
  type RevalidationSummary,
  type RevalidationTrigger,
  revalidate,
} from '../../lambdas/domain/incident/revalidate.js';
import { systemClock } from '../../lambdas/domain/ports.js';
import { REVALIDATE_USAGE } from '../help-text.js';
import { withLocalPorts } from '../local/local-store.js';
import { localOutcomeLog } from '../local/outcome-log.js';
import { printable } from '../printable.js';

export { REVALIDATE_USAGE };

export interface RevalidateIo {
  readonly stdout: { write(s: string): unknown };
}

function line(a: AffectedRelease): string {
  const matched = a.matches.map(
    (m) => `${printable(m.component)}${m.fixedIn === undefined ? '' : ` (fixed in ${printable(m.fixedIn)})`}`,
  );
  return `  ${printable(`${a.repository}@${a.digest.slice(0, 19)}…`)} ${printable(a.advisoryId)}: ${matched.join(', ')}; live in ${printable(a.live.targetRepository)}:${printable(a.live.tag)} since ${a.live.since}`;
}

/** The human summary: newly affected first, then what was known already, and why. */
export function formatRevalidation(summary: RevalidationSummary): string {
  const lines = [
    `re-validated ${summary.checked} live release(s): ${summary.newlyAffected.length} newly affected, ${summary.alreadyKnown.length} already known`,
  ];
  if (summary.newlyAffected.length > 0) lines.push('NEWLY AFFECTED (alerted)', ...summary.newlyAffected.map(line));
  if (summary.alreadyKnown.length > 0) {
    lines.push(
      'already known',
      ...summary.alreadyKnown.map(
        (a) =>
          `${line(a)}  [${a.known === 'reported-when-gated' ? 'reported by the gate scan' : `alerted ${a.alert?.raisedAt ?? ''}`}]`,
      ),
    );
  }
  for (const u of summary.unqueried ?? []) {
    lines.push(
      `not checked: ${printable(u.advisoryId)} ${printable(u.ecosystem)}/${printable(u.name)}: ${printable(u.reason)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function runRevalidate(
  args: readonly string[],
  defaultWorkDir: string,
  io: RevalidateIo,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      advisory: { type: 'string', multiple: true },
      advisories: { type: 'string' },
      json: { type: 'boolean', default: false },
      'work-dir': { type: 'string', default: defaultWorkDir },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(`${REVALIDATE_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0)
    throw new InvalidInputError(`revalidate takes no arguments (got ${positionals.join(' ')})`);
  const files = values.advisory ?? [];
  // Every file is read (size first, then the OSV schema) before anything is asked: a bad one is refused.
  const records = await Promise.all(files.map((f) => loadAdvisoryFile(f)));
  const workDir = values['work-dir'];
  return withLocalPorts(workDir, async ({ store }, state) => {
    const dir = values.advisories ?? state.advisoriesDir;
    const trigger: RevalidationTrigger =
      files.length > 0 ? { kind: 'advisories', advisories: records, source: files.join(', ') } : { kind: 'scheduled' };
    const summary = await revalidate(
      {
        store,
        clock: systemClock,
        policy: loadPolicyFile(state.policyPath),
        ...(dir === undefined ? {} : { advisories: () => loadAdvisories(dir) }),
        ...localOutcomeLog(workDir, () => {}),
      },
      trigger,
    );
    io.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : formatRevalidation(summary));
    return 0;
  });
}
