/**
 * `release-gate status|triage|explain|report|revoke|rollback|release --aws`: the commands against
 * the gate on AWS, through the ops API's IAM-authorized routes (lambdas/handlers/cli-ops.ts). Each
 * request is signed with the caller's AWS credentials (signed-request.ts, as `approve --aws`);
 * the caller's principal is the operator, so `--by` is refused. The answer is printed with the same
 * formatters as the local commands, `--json` prints it as JSON.
 *
 * A break-glass is two signed requests, because one proves only its signer: `rollback|release
 * --break-glass --reason TEXT --aws` asks for it (the gate stores it pending and acts on nothing),
 * and a second person allowed to approve the release runs `break-glass confirm <id> --aws`, which
 * performs it with them as the approver. Not over the API: `explain --policy` and `triage
 * --advisories DIR` (read a folder here instead: `--advisory FILE`).
 */
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../../lambdas/domain/errors.js';
import type { OsvRecord } from '../../lambdas/domain/osv/schema.js';
import { OPS_ROUTES, type OpsRouteName, opsRoutePath } from '../../lambdas/handlers/ops-routes.js';
import { BREAK_GLASS_USAGE } from '../help-text.js';
import { DEFAULT_WORK_DIR } from '../local/state.js';
import { printable } from '../printable.js';
import { formatExplanation } from './explain.js';
import { formatRelease, formatRevoke, formatRollback } from './incident.js';
import {
  ConfirmedBreakGlassSchema,
  ExplanationSchema,
  OtherOutcomeSchema,
  PendingBreakGlassSchema,
  ReleaseAnswerSchema,
  ReportAnswerSchema,
  RevokeAnswerSchema,
  RollbackAnswerSchema,
  StatusAnswerSchema,
  TriageAnswerSchema,
} from './ops-responses.js';
import { openFile, saveReport } from './report.js';
import { apiRouteUrl, refusalExitCode, refusalOf, sendSigned, signedRequest } from './signed-request.js';
import {
  defaultGateResolver,
  type GateLocation,
  type GateResolver,
  LOCATION_OPTIONS,
  LOCATION_USAGE,
  locationOf,
} from './stack.js';
import { formatStatus } from './status.js';
import { formatTriage, readAdvisory } from './triage.js';

export { BREAK_GLASS_USAGE };

const OPS_COMMANDS = ['status', 'triage', 'explain', 'report', 'revoke', 'rollback', 'release'] as const;
export type OpsCommand = (typeof OPS_COMMANDS)[number];

/** Whether `command` also runs against the gate on AWS (`--aws`). */
export const isOpsCommand = (command: string | undefined): command is OpsCommand =>
  OPS_COMMANDS.some((c) => c === command);

export const OPS_AWS_USAGE = `  release-gate status|triage|explain|report|revoke|rollback|release … --aws ${LOCATION_USAGE}
      (the same command against the gate on AWS, signed with your AWS credentials: you are the operator;
       --stack NAME or RELEASE_GATE_STACK reads the gate's API from the stack's outputs and implies --aws;
       rollback|release --break-glass --reason TEXT --aws asks for a break-glass a second person confirms)
${BREAK_GLASS_USAGE}`;

export interface OpsIo {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
}

/** Options every `--aws` command takes. */
const AWS_OPTIONS = {
  aws: { type: 'boolean', default: false },
  ...LOCATION_OPTIONS,
  json: { type: 'boolean', default: false },
} as const;

/** Local-only options, refused with `--aws` with the reason. */
const LOCAL_ONLY = {
  by: 'with --aws your AWS principal is the operator',
  'approved-by':
    'the approver is whoever confirms the break-glass with their own AWS credentials (`release-gate break-glass confirm ID --aws`)',
  advisories: 'on AWS the gate re-verifies against its own findings; for triage give --advisory FILE',
  policy: 'explain --aws replays the stored policy only',
  'work-dir': 'only report --aws writes a local file (to --work-dir)',
} as const;

/** The local-only options as the parser takes them (so that they are recognised, then refused). */
const LOCAL_ONLY_OPTIONS = {
  by: { type: 'string' },
  'approved-by': { type: 'string' },
  advisories: { type: 'string' },
  policy: { type: 'string' },
  'work-dir': { type: 'string' },
} as const;

/** A request to one ops route. */
interface OpsRequest {
  readonly route: OpsRouteName;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
}

/** Parses `args` of `command` with `--aws` into the request to send (throws InvalidInputError on bad usage). */
export async function opsRequestOf(
  command: OpsCommand,
  args: readonly string[],
): Promise<{ request: OpsRequest; where: GateLocation; json: boolean; open: boolean; workDir: string }> {
  const options = {
    ...AWS_OPTIONS,
    repository: { type: 'string' },
    reason: { type: 'string' },
    to: { type: 'string' },
    range: { type: 'string' },
    advisory: { type: 'string' },
    open: { type: 'boolean', default: false },
    'break-glass': { type: 'boolean', default: false },
    ...LOCAL_ONLY_OPTIONS,
  } as const;
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options, strict: true });
  for (const option of Object.keys(LOCAL_ONLY_OPTIONS) as (keyof typeof LOCAL_ONLY)[]) {
    const why = LOCAL_ONLY[option];
    if (values[option] !== undefined && !(option === 'work-dir' && command === 'report')) {
      throw new InvalidInputError(`--${option}: not with --aws (${why})`);
    }
  }
  const allowed: Record<OpsCommand, readonly string[]> = {
    status: [],
    triage: ['range', 'advisory'],
    explain: ['repository'],
    report: ['repository', 'open'],
    revoke: ['repository', 'reason'],
    rollback: ['to', 'reason'],
    release: ['repository', 'reason'],
  };
  for (const option of ['repository', 'reason', 'to', 'range', 'advisory', 'open'] as const) {
    const given = option === 'open' ? values.open : values[option] !== undefined;
    if (given && !allowed[command].includes(option))
      throw new InvalidInputError(`--${option}: not an option of ${command}`);
  }
  if (values['break-glass'] && command !== 'rollback' && command !== 'release') {
    throw new InvalidInputError(`--break-glass: not an option of ${command}`);
  }
  // The break-glass's reason: asked for with it (the approver confirms it in a second request).
  const breakGlass = () => (values['break-glass'] ? { breakGlass: { reason: reason() } } : {});
  const common = {
    json: values.json,
    open: values.open,
    workDir: values['work-dir'] ?? DEFAULT_WORK_DIR,
    where: locationOf(values),
  };
  const [subject, ...extra] = positionals;
  if (extra.length > 0) throw new InvalidInputError(`${command} takes one argument, got ${positionals.length}`);
  const optional = (key: string, value: string | undefined) => (value === undefined ? {} : { [key]: value });
  const required = (what: string) => {
    if (subject === undefined) throw new InvalidInputError(`${command} takes ${what}`);
    return subject;
  };
  const reason = () => {
    if (values.reason === undefined) throw new InvalidInputError('--reason TEXT is required');
    return values.reason;
  };
  switch (command) {
    case 'status':
      return { ...common, request: { route: 'status', query: optional('digest', subject) } };
    case 'triage':
      return { ...common, request: await triageRequest(subject, values.range, values.advisory) };
    case 'explain':
    case 'report':
      return {
        ...common,
        request: {
          route: command,
          query: { digest: required('a digest'), ...optional('repository', values.repository) },
        },
      };
    case 'revoke':
    case 'release':
      return {
        ...common,
        request: {
          route: command,
          body: {
            digest: required('a digest'),
            reason: reason(),
            ...optional('repository', values.repository),
            ...(command === 'release' ? breakGlass() : {}),
          },
        },
      };
    case 'rollback':
      return {
        ...common,
        request: {
          route: 'rollback',
          body: {
            repository: required('a repository'),
            ...optional('to', values.to),
            ...optional('reason', values.reason),
            ...breakGlass(),
          },
        },
      };
  }
}

async function triageRequest(
  subject: string | undefined,
  range: string | undefined,
  advisoryFile: string | undefined,
): Promise<OpsRequest> {
  const advisory: OsvRecord | undefined = advisoryFile === undefined ? undefined : await readAdvisory(advisoryFile);
  if (subject === undefined) {
    if (advisory === undefined)
      throw new InvalidInputError('triage: give a package URL, a vulnerability id, or --advisory FILE');
    if (range !== undefined) throw new InvalidInputError('--range: only with a package URL');
    return { route: 'triageAdvisory', body: advisory };
  }
  if (subject.toLowerCase().startsWith('pkg:')) {
    if (advisory !== undefined) throw new InvalidInputError('--advisory: not with a package URL (use --range)');
    return { route: 'triage', query: { purl: subject, ...(range === undefined ? {} : { range }) } };
  }
  if (range !== undefined) throw new InvalidInputError('--range: only with a package URL');
  return advisory === undefined
    ? { route: 'triage', query: { id: subject } }
    : { route: 'triageAdvisory', query: { id: subject }, body: advisory };
}

/**
 * Runs `command` against the ops API. Exit codes as locally (0 done; 1 refused, a rollback or
 * release refused included, or the replay differs; 2 bad usage, the gate failed); a request the
 * API refuses (403 no permission or a bad signature, 4xx bad input) exits 1 with its reason.
 */
export async function runOpsOnAws(
  command: OpsCommand,
  args: readonly string[],
  io: OpsIo,
  resolve: GateResolver = defaultGateResolver,
): Promise<number> {
  const parsed = await opsRequestOf(command, args);
  const api = await resolve(parsed.where, { route: parsed.request.route });
  const { method, path } = OPS_ROUTES[parsed.request.route];
  const url = apiRouteUrl(api.apiUrl, path.slice(1), parsed.request.query);
  const body = parsed.request.body === undefined ? undefined : JSON.stringify(parsed.request.body);
  const answer = await sendSigned(await signedRequest(method, url, body, api));
  if (answer.status === 202 && (command === 'rollback' || command === 'release')) {
    return printPendingBreakGlass(answer.json, parsed.json, io);
  }
  if (answer.status !== 200) {
    io.stderr.write(`${answer.status}: ${printable(refusalOf(answer))}\n`);
    return refusalExitCode(answer.status);
  }
  const detailed = parsed.request.query?.digest !== undefined;
  return printOpsAnswer(command, answer.json, { ...parsed, detailed }, io);
}

/** Exit 0: the request is stored; nothing was done yet. */
function printPendingBreakGlass(json: unknown, asJson: boolean, io: OpsIo): number {
  const pending = PendingBreakGlassSchema.parse(json);
  if (asJson) {
    io.stdout.write(`${JSON.stringify(pending, null, 2)}\n`);
    return 0;
  }
  const target = [pending.repository, pending.digest].filter((x) => x !== undefined).join('@');
  io.stdout.write(
    [
      `BREAK-GLASS PENDING: ${printable(pending.action)} ${printable(target)} (nothing done yet)`,
      `  id: ${printable(pending.id)}, expires ${printable(pending.expiresAt)}`,
      `  reason: ${printable(pending.reason)}`,
      `  a second person allowed to approve it runs: ${printable(pending.confirm.command)}`,
      '',
    ].join('\n'),
  );
  return 0;
}

/**
 * `release-gate break-glass confirm <id> --aws`: signs the confirmation with the caller's
 * credentials and prints the action's outcome as `rollback`/`release` print theirs.
 */
export async function runBreakGlass(
  args: readonly string[],
  io: OpsIo,
  resolve: GateResolver = defaultGateResolver,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: { ...AWS_OPTIONS, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    io.stdout.write(`Usage:\n${BREAK_GLASS_USAGE}\n`);
    return 0;
  }
  const [sub, id, ...extra] = positionals;
  if (sub !== 'confirm' || id === undefined || extra.length > 0) {
    throw new InvalidInputError('usage: release-gate break-glass confirm <id> --aws');
  }
  if (!values.aws && values.stack === undefined) {
    throw new InvalidInputError(
      'break-glass confirm: only with --aws (locally a break-glass is one command: --break-glass --approved-by NAME)',
    );
  }
  const api = await resolve(locationOf(values), { route: 'breakGlassConfirm' });
  const url = apiRouteUrl(api.apiUrl, opsRoutePath('breakGlassConfirm', id).slice(1));
  const answer = await sendSigned(await signedRequest(OPS_ROUTES.breakGlassConfirm.method, url, '{}', api));
  if (answer.status !== 200) {
    io.stderr.write(`${answer.status}: ${printable(refusalOf(answer))}\n`);
    return refusalExitCode(answer.status);
  }
  const confirmed = ConfirmedBreakGlassSchema.parse(answer.json);
  return printOpsAnswer(
    confirmed.action,
    confirmed.outcome,
    { json: values.json, open: false, workDir: DEFAULT_WORK_DIR },
    io,
  );
}

/** Prints the route's answer as the local command prints its result; returns the exit code. */
export async function printOpsAnswer(
  command: OpsCommand,
  json: unknown,
  options: { json: boolean; open: boolean; workDir: string; detailed?: boolean },
  io: OpsIo,
): Promise<number> {
  const out = (text: string) => io.stdout.write(text);
  const asJson = (value: unknown) => out(`${JSON.stringify(value, null, 2)}\n`);
  switch (command) {
    case 'status': {
      const answer = StatusAnswerSchema.parse(json);
      if (options.json) asJson(answer.releases);
      else out(formatStatus(answer.releases, options.detailed === true));
      return 0;
    }
    case 'triage': {
      const answer = TriageAnswerSchema.parse(json);
      if (options.json) asJson(answer);
      else out(formatTriage(answer));
      return 0;
    }
    case 'explain': {
      const x = ExplanationSchema.parse(json);
      if (options.json) asJson(x);
      else out(formatExplanation(x));
      return x.identical && x.changedInputs.length === 0 ? 0 : 1;
    }
    case 'report': {
      const r = ReportAnswerSchema.parse(json);
      const path =
        r.html === undefined
          ? null
          : await saveReport(options.workDir, r.repository, r.digest, new TextEncoder().encode(r.html));
      if (options.json) asJson({ path, document: r.document, uri: r.uri });
      else out(`${path === null ? '(too large to send: fetch it from S3)' : path}\n${r.uri}\n`);
      if (options.open && path !== null) openFile(path);
      return 0;
    }
    case 'revoke': {
      const r = RevokeAnswerSchema.parse(json);
      if (options.json) asJson(r);
      else out(formatRevoke(r.repository, r));
      return 0;
    }
    case 'rollback': {
      const known = RollbackAnswerSchema.safeParse(json);
      if (!known.success) return printOther(json, options.json, io);
      if (options.json) asJson(known.data);
      else out(withoutBreakGlassHint(formatRollback(known.data, known.data.seconds)));
      return known.data.outcome === 'ROLLED_BACK' ? 0 : 1;
    }
    case 'release': {
      const known = ReleaseAnswerSchema.safeParse(json);
      if (!known.success) return printOther(json, options.json, io);
      if (options.json) asJson(known.data);
      else out(withoutBreakGlassHint(formatRelease(known.data)));
      return known.data.outcome === 'REFUSED' ? 1 : 0;
    }
  }
}

/** The local formatters suggest a break-glass with `--approved-by`; with `--aws` a second person confirms it. */
function withoutBreakGlassHint(text: string): string {
  return text.replace(
    /^ {2}override: --break-glass.*$/m,
    '  override: --break-glass --reason TEXT --aws, then a second person runs `release-gate break-glass confirm ID --aws`',
  );
}

/**
 * An outcome this CLI has no formatter for (a newer gate): its outcome and reasons. Exit 0: the
 * gate acted and said what it did; it did not refuse (a refusal is a known outcome).
 */
function printOther(json: unknown, asJson: boolean, io: OpsIo): number {
  const other = OtherOutcomeSchema.parse(json);
  if (asJson) {
    io.stdout.write(`${JSON.stringify(other, null, 2)}\n`);
    return 0;
  }
  const name = [other.repository, other.digest].filter((x) => typeof x === 'string').join('@');
  const lines = [`${printable(other.outcome)}${name === '' ? '' : `: ${printable(name)}`}`];
  for (const r of other.reasons ?? []) lines.push(`  - ${printable(r)}`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
