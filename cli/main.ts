import './local/quiet-logs.js';
import { parseArgs } from 'node:util';
import { SignerClient } from '@aws-sdk/client-signer';
import { loadPolicyFile } from '../lambdas/adapters/policy/policy-file.js';
import { loadAdvisories } from '../lambdas/adapters/scan/advisories-folder.js';
import { AwsSignerRevocationChecker } from '../lambdas/adapters/signer/aws-signer-revocation.js';
import { FileRevocationList } from '../lambdas/adapters/signer/local-revocation.js';
import { MemoryStore } from '../lambdas/adapters/store/memory-store.js';
import { parseJsonDocument } from '../lambdas/domain/document.js';
import { ConfigError, describeError, NotFoundError, PolicyInvalidError } from '../lambdas/domain/errors.js';
import { collectSbom } from '../lambdas/domain/evidence/sbom.js';
import { Limits } from '../lambdas/domain/limits.js';
import { policyFor } from '../lambdas/domain/policy/load.js';
import type { PolicyDocument } from '../lambdas/domain/policy/schema.js';
import { type RegistryWriter, type ScanFindingsSource, systemClock } from '../lambdas/domain/ports.js';
import { NormalizedSbomSchema } from '../lambdas/domain/sbom/component.js';
import { scanComponents } from '../lambdas/domain/scan/local-scanner.js';
import { collectContext } from '../lambdas/domain/workflow/collect-evidence.js';
import { preflight } from '../lambdas/domain/workflow/preflight.js';
import { approvalTrailLines } from './approval-trail.js';
import { asksHelp, COMMANDS, type CommandName, commandHelp, isCommandName, overallUsage } from './command-table.js';
import { runAnswerOnAws } from './commands/approve-aws.js';
import { parseExplainArgs, runExplain } from './commands/explain.js';
import { incidentStatus, runReleaseFromQuarantine, runRevoke, runRollback } from './commands/incident.js';
import { isOpsCommand, runBreakGlass, runOpsOnAws } from './commands/ops-aws.js';
import { parseReportArgs, runReport } from './commands/report.js';
import { runRevalidate } from './commands/revalidate.js';
import { LOCATION_OPTIONS, locationOf, wantsAws } from './commands/stack.js';
import { parseTriageArgs, runTriage } from './commands/triage.js';
import { runVerifyBundle } from './commands/verify-bundle.js';
import { runVerifyVsa } from './commands/verify-vsa.js';
import { runDemo } from './demo.js';
import { withLocalPorts, withLocalStore } from './local/local-store.js';
import { DEFAULT_WORK_DIR, isAlive, LOCAL_DECISION_HEADER, localDecisionBase, readLocalState } from './local/state.js';
import { printable } from './printable.js';
import { withProgress } from './progress.js';
import { parseImageRef } from './refs.js';
import { terminalIo } from './terminal.js';

class UsageError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Where every command writes: made printable, coloured on a terminal (cli/terminal.ts). */
const io = terminalIo(process.argv.slice(2));

/** Each command's runner, by the command table's names (cli/command-table.ts). */
const RUNNERS: Record<CommandName, (args: string[]) => Promise<number>> = {
  demo: (args) => demo(args),
  gate: (args) => gate(args),
  approve: (args) => decide('approve', args),
  reject: (args) => decide('reject', args),
  status: (args) => status(args),
  triage: (args) => triageCommand(args),
  explain: (args) => outputsCommand('explain', args),
  report: (args) => outputsCommand('report', args),
  'verify-vsa': (args) => outputsCommand('verify-vsa', args),
  revoke: (args) => runRevoke(args, DEFAULT_WORK_DIR, io),
  rollback: (args) => withProgress('re-verifying the rollback target', () => runRollback(args, DEFAULT_WORK_DIR, io)),
  release: (args) =>
    withProgress('re-verifying the release', () => runReleaseFromQuarantine(args, DEFAULT_WORK_DIR, io)),
  revalidate: (args) =>
    withProgress('re-validating the live releases', () => runRevalidate(args, DEFAULT_WORK_DIR, io)),
  'break-glass': (args) => runBreakGlass(args, io),
  'verify-bundle': (args) => runVerifyBundle(args, io),
  help: async ([name]) => {
    if (name !== undefined && !isCommandName(name)) throw new UsageError(`unknown command "${name}"`);
    io.stdout.write(name === undefined ? overallUsage() : commandHelp(name));
    return 0;
  },
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    io.stdout.write(overallUsage());
    return command === undefined ? 2 : 0;
  }
  if (!isCommandName(command)) throw new UsageError(`unknown command "${command}"`);
  // Every command and subcommand answers --help with its usage, before its own parser sees it.
  if (asksHelp(rest)) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  // The incident commands against the gate on AWS: the ops API, signed with the caller's credentials.
  if (isOpsCommand(command) && wantsAws(rest)) {
    return withProgress(`${command} on AWS`, () => runOpsOnAws(command, rest, io));
  }
  return RUNNERS[command](rest);
}

async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'auto-approve': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'work-dir': { type: 'string', default: DEFAULT_WORK_DIR },
    },
  });
  // With --json the commentary (approval instructions included) goes to stderr: stdout is the document.
  const log = values.json ? io.stderr : io.stdout;
  const result = await withProgress('release-gate demo: starting', (progress) =>
    runDemo({
      autoApprove: values['auto-approve'],
      keep: values.keep,
      workDir: values['work-dir'],
      log: (l) => log.write(`${l}\n`),
      progress,
    }),
  );
  if (values.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return result.ok ? 0 : 1;
}

async function gate(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      policy: { type: 'string', default: 'policy/release-gate.policy.yaml' },
      stage: { type: 'string', default: 'production' },
      json: { type: 'boolean', default: false },
      insecure: { type: 'boolean', default: false },
      advisories: { type: 'string' },
      repository: { type: 'string' },
      revocations: { type: 'string' },
    },
  });
  const [refText] = positionals;
  if (refText === undefined || positionals.length > 1) throw new UsageError('gate takes exactly one image reference');
  const policy = policyFromOption(values.policy);
  const ref = parseImageRef(refText, {
    insecure: values.insecure,
    ...(values.repository === undefined ? {} : { repository: values.repository }),
  });
  checkRuleMatches(policy.document, ref.repository, values.repository !== undefined, ref.kind);
  const manifest = await getManifestWithHint(ref.registry, ref.repository, ref.reference);
  const memory = new MemoryStore();
  const advisories = values.advisories === undefined ? null : await loadAdvisories(values.advisories);
  const scans: ScanFindingsSource = {
    getFindings: async (subject) => {
      if (advisories === null) {
        throw new NotFoundError('no scanner configured for the preflight: pass --advisories DIR (OSV records)');
      }
      const sbom = await collectSbom(
        collectContext(
          { registry: ref.registry, policy, store: memory, documents: memory, scans, clock: systemClock },
          subject,
        ),
      );
      const doc = sbom.documents.find((d) => d.name === 'components.json');
      if (sbom.status !== 'PASS' || doc === undefined) {
        return { status: 'UNSUPPORTED_IMAGE', scanner: 'release-gate-local-osv', findings: [] };
      }
      const components = parseJsonDocument(doc.bytes, NormalizedSbomSchema, {
        what: 'components.json',
        maxBytes: Limits.sbomBytes,
      }).components;
      return scanComponents(components, advisories);
    },
  };
  // Notation/AWS Signer revocation: Signer itself for ECR images, a revocation list file when
  // given; without either, signatures that need a revocation check fail closed.
  const revocation =
    values.revocations !== undefined
      ? new FileRevocationList({ path: values.revocations })
      : ref.region !== undefined
        ? new AwsSignerRevocationChecker({ client: new SignerClient({ region: ref.region }) })
        : undefined;
  const report = await withProgress(`collecting the evidence of ${ref.repository}@${manifest.digest}`, () =>
    preflight(
      {
        registry: ref.registry,
        policy,
        store: memory,
        documents: memory,
        scans,
        clock: systemClock,
        ...(revocation === undefined ? {} : { revocation }),
      },
      { repository: ref.repository, digest: manifest.digest, reference: ref.reference },
      values.stage,
    ),
  );
  if (values.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    io.stdout.write(`${report.image.repository}@${report.image.digest} (${report.image.registry})\n`);
    io.stdout.write(`stage ${report.stage}, policy ${report.policyDigest}\n\n`);
    for (const e of report.evidence) {
      const req = e.required ? 'required' : 'optional';
      io.stdout.write(
        `  ${e.kind.padEnd(16)} ${e.status.padEnd(8)} ${req.padEnd(9)} ${printable(e.reasons.join('; '))}\n`,
      );
    }
    io.stdout.write(`\ndecision: ${report.decision}\n${report.reasons.map((r) => `  - ${printable(r)}`).join('\n')}\n`);
  }
  return report.decision === 'PASS' ? 0 : 1;
}

/**
 * The approval id is the first argument, before any option, even when it starts with '-' (ids were
 * base64url once, and one in 64 did): an option parser would read `approve -Xyz…` as an option.
 * `approve -- <id>` works too.
 */
function splitApprovalId(args: readonly string[]): { id: string | undefined; rest: string[] } {
  const [first, ...rest] = args;
  if (first === '--') return { id: rest[0], rest: rest.slice(1) };
  if (first !== undefined && APPROVAL_ID.test(first)) return { id: first, rest };
  return { id: undefined, rest: [...args] };
}
/** The approval-api's id pattern; no option of `approve` is 16 or more such characters long. */
const APPROVAL_ID = /^[A-Za-z0-9_-]{16,64}$/;

async function decide(command: 'approve' | 'reject', args: string[]): Promise<number> {
  const split = splitApprovalId(args);
  const { values, positionals } = parseArgs({
    args: split.rest,
    allowPositionals: true,
    options: {
      by: { type: 'string' },
      comment: { type: 'string' },
      aws: { type: 'boolean', default: false },
      ...LOCATION_OPTIONS,
      json: { type: 'boolean', default: false },
      'work-dir': { type: 'string', default: DEFAULT_WORK_DIR },
    },
  });
  const ids = [...(split.id === undefined ? [] : [split.id]), ...positionals];
  const [approvalId] = ids;
  if (approvalId === undefined || ids.length > 1) throw new UsageError(`${command} takes exactly one approval id`);
  // Asked here so nothing is sent; the gate refuses a reject without a reason on every channel too.
  if (command === 'reject' && (values.comment ?? '').trim() === '')
    throw new UsageError('reject needs a reason: --comment "why it is rejected"');
  if (values.aws || values.stack !== undefined) {
    // On AWS the answer goes through the IAM-authorized route: API Gateway verifies the SigV4
    // signature and names the principal; the CLI never claims an identity itself.
    if (values.by !== undefined)
      throw new UsageError('--by is for the local stack; with --aws you are your AWS principal');
    return runAnswerOnAws(
      {
        approvalId,
        decision: command,
        where: locationOf(values),
        json: values.json,
        ...(values.comment === undefined ? {} : { comment: values.comment }),
      },
      io.stdout,
    );
  }
  const by = values.by ?? process.env.USER ?? process.env.USERNAME ?? '';
  if (by.trim() === '') throw new UsageError('--by NAME is required (no $USER to default to)');
  const state = await readLocalState(values['work-dir']);
  if (state === null || !isAlive(state.pid)) {
    throw new ConfigError('no local gate is running (start one with `npm start`); for AWS pass --aws');
  }
  // The embedded stack's local-only route: the typed name is recorded as local, unauthenticated.
  const res = await fetch(`${localDecisionBase(state.approvalBaseUrl)}/${encodeURIComponent(approvalId)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...LOCAL_DECISION_HEADER },
    body: new URLSearchParams({
      decision: command,
      by,
      ...(values.comment === undefined ? {} : { comment: values.comment }),
    }).toString(),
  });
  // The route answers one plain-text line ("Release approved: repo@digest"); the status is only
  // worth printing when it refused.
  const text = printable((await res.text()).replace(/\s+/g, ' ').trim().slice(0, 300));
  if (values.json) {
    const answer = { approvalId, decision: command, answered: res.status === 200, status: res.status, message: text };
    io.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  } else {
    io.stdout.write(res.status === 200 ? `${text}\n` : `refused (${res.status}): ${text}\n`);
  }
  if (res.status === 200) return 0;
  if (res.status >= 500) return 2;
  return 1;
}

async function status(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, 'work-dir': { type: 'string', default: DEFAULT_WORK_DIR } },
  });
  return withLocalStore(values['work-dir'], async (store, state) => {
    const [digest] = positionals;
    const releases = (await store.listReleases(500)).filter((r) => digest === undefined || r.digest.startsWith(digest));
    if (digest !== undefined && releases.length === 0) {
      io.stderr.write(`no release with digest ${digest}\n`);
      return 1;
    }
    const out = [];
    for (const r of releases) {
      const evidence = digest === undefined ? [] : await store.listEvidence(r.repository, r.digest);
      const approvalTrail = digest === undefined ? [] : await store.listApprovalAudit(r.repository, r.digest);
      out.push({
        ...r,
        revocation: await store.getRevocation(r.repository, r.digest),
        evidence: evidence.map((e) => ({ kind: e.kind, status: e.status, reasons: e.reasons, documents: e.documents })),
        approvalTrail,
      });
    }
    if (values.json) {
      io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    }
    for (const r of out) {
      io.stdout.write(
        `${r.repository}@${r.digest}  ${r.state}${r.outcome && r.outcome !== r.state ? ` (${r.outcome})` : ''}  recorded ${r.recordedAt}\n`,
      );
      if (r.outcomeReasons && digest !== undefined)
        for (const why of r.outcomeReasons) io.stdout.write(`    reason: ${printable(why)}\n`);
      for (const line of await incidentStatus(store, r.repository, r.digest)) io.stdout.write(`${line}\n`);
      for (const e of r.evidence) {
        io.stdout.write(
          `    ${e.kind.padEnd(16)} ${e.status.padEnd(8)} ${printable(e.reasons.join('; ').slice(0, 200))}\n`,
        );
        for (const d of e.documents)
          io.stdout.write(`      s3://${state.bucket}/evidence/sha256/${d.digest.slice(7)}  ${d.name}\n`);
      }
      if (r.approvalTrail.length > 0) io.stdout.write('    approval trail:\n');
      for (const line of approvalTrailLines(r.approvalTrail)) io.stdout.write(`      ${line}\n`);
    }
    return 0;
  });
}

async function triageCommand(args: string[]): Promise<number> {
  const options = await parseTriageArgs(args, DEFAULT_WORK_DIR);
  return withLocalStore(options.workDir, (store) => runTriage(options, store, io));
}

/** The outputs every release carries (issue 9 §6): explain, report, verify-vsa. */
async function outputsCommand(command: 'explain' | 'report' | 'verify-vsa', args: string[]): Promise<number> {
  if (command === 'verify-vsa') return runVerifyVsa(args, io);
  if (command === 'explain') {
    const options = parseExplainArgs(args);
    return withLocalPorts(options.workDir, (ports) => runExplain(options, ports, io));
  }
  const options = parseReportArgs(args);
  return withLocalPorts(options.workDir, (ports, state) =>
    runReport(options, { ...ports, clock: systemClock }, state.bucket, io),
  );
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (
      err instanceof UsageError ||
      (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      // The command's own usage when the command is known: the fix is in it.
      const [command] = process.argv.slice(2);
      const usage = isCommandName(command)
        ? `Usage:\n${COMMANDS[command].usage}\n(release-gate ${command} --help for its options)\n`
        : `the commands: ${Object.keys(COMMANDS).join(', ')} (release-gate --help for their usage)\n`;
      io.stderr.write(`usage error: ${err.message}\n\n${usage}`);
    } else {
      // One line: the message names the fix; never a stack trace.
      io.stderr.write(`error: ${describeError(err).replace(/\s*\n\s*/g, ' ')}\n`);
    }
    process.exitCode = 2;
  },
);

/**
 * Refuses early, naming the fix, when no policy rule matches the repository the reference names
 * (for `oci-layout:DIR` that is the folder's name, which is rarely what the policy expects).
 */
function checkRuleMatches(document: PolicyDocument, repository: string, given: boolean, kind: string): void {
  try {
    policyFor(document, repository);
  } catch (err) {
    if (!(err instanceof PolicyInvalidError)) throw err;
    const patterns = document.rules.flatMap((r) => r.repositories);
    const from = given ? '--repository' : kind === 'oci-layout' ? "the layout folder's name" : 'the reference';
    throw new PolicyInvalidError(
      `no policy rule matches repository "${printable(repository)}" (taken from ${from}); ` +
        `the rules match ${patterns.map((p) => `"${printable(p)}"`).join(', ')}: pass --repository NAME`,
    );
  }
}

/** The policy of `--policy FILE`; a file that cannot be read is named with the option. */
function policyFromOption(path: string) {
  try {
    return loadPolicyFile(path);
  } catch (err) {
    if (!(err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('E'))) throw err;
    throw new ConfigError(`--policy ${path} cannot be read (pass --policy FILE)`, { cause: err });
  }
}

/** How many existing tags a "no tag" error lists. */
const TAG_HINT_LIMIT = 20;

/** Fetches the manifest; when the tag does not exist, the error lists the tags that do. */
async function getManifestWithHint(registry: RegistryWriter, repository: string, reference: string) {
  try {
    return await registry.getManifest(repository, reference);
  } catch (err) {
    if (!(err instanceof NotFoundError) || reference.startsWith('sha256:')) throw err;
    const tags = await registry.listTags(repository).catch(() => null);
    if (tags === null) throw err;
    // cosign's and the referrers tag schema's `sha256-<hex>[.sig|.att|.sbom]` tags are not images to gate.
    const images = tags.filter((t) => !/^sha256-[0-9a-f]{64}(\.[a-z]+)?$/.test(t));
    const shown = images.slice(0, TAG_HINT_LIMIT).map(printable);
    const more = images.length > TAG_HINT_LIMIT ? ` and ${images.length - TAG_HINT_LIMIT} more` : '';
    const hint = images.length === 0 ? `${repository} has no image tags` : `existing tags: ${shown.join(', ')}${more}`;
    throw new NotFoundError(`${err.message}; ${hint}`);
  }
}
