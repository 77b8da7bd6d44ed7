/**
 * `release-gate triage`: which releases ever gated contain an affected package, their state and
 * their production live windows (lambdas/domain/triage). Reads the local stack's table the way
 * `status` does; the store is handed in.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadAdvisories } from '../../lambdas/adapters/scan/advisories-folder.js';
import { InvalidInputError } from '../../lambdas/domain/errors.js';
import { Limits } from '../../lambdas/domain/limits.js';
import { type OsvRecord, osvFormatOf, parseOsvRecord } from '../../lambdas/domain/osv/schema.js';
import {
  names,
  type TriageAnswer,
  type TriageQuestion,
  type TriageReader,
  triage,
} from '../../lambdas/domain/triage/triage.js';
import { TRIAGE_HELP, TRIAGE_USAGE } from '../help-text.js';
import { printable } from '../printable.js';

export { TRIAGE_HELP, TRIAGE_USAGE };

export interface TriageIo {
  readonly stdout: { write(s: string): unknown };
}

export interface TriageOptions {
  readonly workDir: string;
  readonly json: boolean;
  readonly question: TriageQuestion;
}

/** Reads an OSV record file (.json/.yaml), its size checked first. */
export async function readAdvisory(file: string): Promise<OsvRecord> {
  const format = osvFormatOf(file);
  if (format === null) throw new InvalidInputError(`--advisory ${file}: not a .json, .yaml or .yml file`);
  let bytes: Uint8Array;
  try {
    // The size first: an advisory is never read whole past its limit.
    const { size } = await stat(file);
    if (size > Limits.advisoryBytes) {
      throw new InvalidInputError(`--advisory ${file}: ${size} bytes, above the limit of ${Limits.advisoryBytes}`);
    }
    bytes = new Uint8Array(await readFile(file));
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    throw new InvalidInputError(`--advisory ${file}: cannot be read`, { cause: err });
  }
  // parseOsvRecord names the file and every invalid field (`affected[0].package.ecosystem: …`).
  return parseOsvRecord(bytes, format, `--advisory ${file}`);
}

/**
 * Parses the command line into a question. Throws InvalidInputError naming the option for bad
 * input (the caller exits 2).
 */
export async function parseTriageArgs(args: readonly string[], defaultWorkDir: string): Promise<TriageOptions> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      range: { type: 'string' },
      advisory: { type: 'string' },
      advisories: { type: 'string' },
      json: { type: 'boolean', default: false },
      'work-dir': { type: 'string', default: defaultWorkDir },
    },
  });
  const common = { workDir: values['work-dir'], json: values.json };
  if (positionals.length > 1) throw new InvalidInputError(`triage: one package URL or id, got ${positionals.length}`);
  const [subject] = positionals;
  if (subject === undefined) {
    if (values.advisory === undefined) {
      throw new InvalidInputError('triage: give a package URL, a vulnerability id, or --advisory FILE');
    }
    if (values.range !== undefined) throw new InvalidInputError('--range: only with a package URL');
    return { ...common, question: { kind: 'advisory', advisory: await readAdvisory(values.advisory) } };
  }
  if (subject.toLowerCase().startsWith('pkg:')) {
    if (values.advisory !== undefined || values.advisories !== undefined) {
      throw new InvalidInputError('--advisory: not with a package URL (use --range)');
    }
    return {
      ...common,
      question: { kind: 'range', purl: subject, ...(values.range !== undefined && { range: values.range }) },
    };
  }
  if (values.range !== undefined) throw new InvalidInputError('--range: only with a package URL');
  const advisories: OsvRecord[] = [];
  if (values.advisory !== undefined) {
    const record = await readAdvisory(values.advisory);
    if (!names(record, subject)) {
      throw new InvalidInputError(`--advisory ${values.advisory}: is ${record.id}, which does not name ${subject}`);
    }
    advisories.push(record);
  }
  if (values.advisories !== undefined) {
    advisories.push(...(await loadAdvisories(values.advisories)).filter((r) => names(r, subject)));
  }
  return { ...common, question: { kind: 'vulnerability', id: subject, advisories } };
}

function short(digest: string): string {
  return `${digest.slice(0, 19)}…`;
}

/** The human table: one block per release, every string from evidence made printable. */
export function formatTriage(answer: TriageAnswer): string {
  const lines = [
    `triage ${printable(answer.question)}: ${answer.releases.length === 0 ? 'no release affected' : `${answer.releases.length} release(s) affected`} (${answer.queries} index ${answer.queries === 1 ? 'query' : 'queries'})`,
  ];
  for (const u of answer.unqueried) {
    lines.push(`  not queried: ${printable(u.ecosystem)}/${printable(u.name)}: ${printable(u.reason)}`);
  }
  if (answer.releases.length > 0) {
    lines.push('', `${'release'.padEnd(48)} ${'status'.padEnd(18)} live in production`);
  }
  for (const r of answer.releases) {
    const windows =
      r.windows.length === 0
        ? 'never'
        : r.windows
            .map((w) => `${w.from} → ${w.to ?? 'now'} (${printable(w.targetRepository)}:${printable(w.tag)})`)
            .join('; ');
    lines.push(`${printable(`${r.repository}@${short(r.digest)}`).padEnd(48)} ${r.status.padEnd(18)} ${windows}`);
    if (r.revoked !== undefined) {
      lines.push(`    revoked at ${r.revoked.at} by ${printable(r.revoked.by)}: ${printable(r.revoked.reason)}`);
    }
    for (const m of r.matches) {
      if (m.by === 'scan') {
        lines.push('    reported by the gate scan');
        continue;
      }
      const via = m.components.map(printable).join(', ');
      const extra = [
        m.by === 'range' ? '' : `by ${printable(m.by)}`,
        m.fixedIn === undefined ? '' : `fixed in ${printable(m.fixedIn)}`,
        m.notEvaluable === undefined ? '' : `NOT EVALUABLE: ${printable(m.notEvaluable)}`,
      ].filter((x) => x !== '');
      lines.push(
        `    ${printable(m.package)} ${printable(m.version)}  (${via})${extra.length > 0 ? `  ${extra.join('; ')}` : ''}`,
      );
    }
    for (const p of r.platforms) lines.push(`    in platform manifest ${p}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Runs the question against `reader`; exit 0 whether or not a release is affected. */
export async function runTriage(options: TriageOptions, reader: TriageReader, io: TriageIo): Promise<number> {
  const answer = await triage(reader, options.question);
  io.stdout.write(options.json ? `${JSON.stringify(answer, null, 2)}\n` : formatTriage(answer));
  return 0;
}
