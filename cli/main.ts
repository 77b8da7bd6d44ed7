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
import { runAnswerOnAws } from './commands/approve-aws.js';
import { EXPLAIN_HELP, EXPLAIN_USAGE, parseExplainArgs, runExplain } from './commands/explain.js';
import {
  INCIDENT_USAGE,
  incidentStatus,
  runReleaseFromQuarantine,
  runRevoke,
  runRollback,
} from './commands/incident.js';
import { isOpsCommand, OPS_AWS_USAGE, runBreakGlass, runOpsOnAws } from './commands/ops-aws.js';
import { parseReportArgs, REPORT_HELP, REPORT_USAGE, runReport } from './commands/report.js';
import { REVALIDATE_USAGE, runRevalidate } from './commands/revalidate.js';
import { LOCATION_OPTIONS, locationOf, wantsAws } from './commands/stack.js';
import { parseTriageArgs, runTriage, TRIAGE_HELP, TRIAGE_USAGE } from './commands/triage.js';
import { runVerifyBundle } from './commands/verify-bundle.js';
import { runVerifyVsa, VERIFY_VSA_HELP, VERIFY_VSA_USAGE } from './commands/verify-vsa.js';
import { runDemo } from './demo.js';
import { withLocalPorts, withLocalStore } from './local/local-store.js';
import { DEFAULT_WORK_DIR, isAlive, LOCAL_DECISION_HEADER, localDecisionBase, readLocalState } from './local/state.js';
import { printable } from './printable.js';
import { parseImageRef } from './refs.js';

const USAGE = `release-gate: a fail-closed release gate for container images

Usage:
  release-gate demo [--auto-approve] [--keep] [--work-dir DIR]
  release-gate gate <ref> [--policy FILE] [--stage NAME] [--json] [--insecure] [--advisories DIR] [--repository NAME]
                   [--revocations FILE]
  release-gate approve <approval-id> [--by NAME] [--comment TEXT]            (the local stack)
  release-gate approve <approval-id> --aws [--stack NAME | --api-url URL] [--comment TEXT]  (AWS: you are your AWS principal)
  release-gate reject  <approval-id> --comment REASON … (the same options; a reject needs a reason)
  release-gate status [<digest>] [--json] [--work-dir DIR]    (--aws or --stack NAME: the gate on AWS)
${TRIAGE_USAGE}
${EXPLAIN_USAGE}
${REPORT_USAGE}
${VERIFY_VSA_USAGE}
${INCIDENT_USAGE}
${REVALIDATE_USAGE}
${OPS_AWS_USAGE}
  release-gate verify-bundle --bundle FILE (--certificate-identity ID --certificate-oidc-issuer URL | --key FILE)
                             [--trusted-root FILE] [--staging] (FILE | sha256:HEX)

<ref>: oci-layout:DIR[:TAG|@DIGEST] | HOST[:PORT]/REPO[:TAG|@DIGEST] | <acct>.dkr.ecr.<region>.amazonaws.com/REPO[:TAG|@DIGEST]
Exit codes: 0 pass/done (triage: affected releases found or none), 1 blocked/refused (rollback refused), 2 usage, bad input or
infrastructure error.`;

class UsageError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The commands whose own parser has no `--help`: they answer it with the usage (exit 0). */
const USAGE_HELP = new Set(['demo', 'gate', 'approve', 'reject', 'status']);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && USAGE_HELP.has(command) && rest.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // The incident commands against the gate on AWS: the ops API, signed with the caller's credentials.
  if (isOpsCommand(command) && wantsAws(rest) && !rest.some((a) => a === '--help' || a === '-h')) {
    return runOpsOnAws(command, rest, { stdout: process.stdout, stderr: process.stderr });
  }
  switch (command) {
    case 'demo':
      return demo(rest);
    case 'gate':
      return gate(rest);
    case 'approve':
    case 'reject':
      return decide(command, rest);
    case 'status':
      return status(rest);
    case 'triage':
      return triageCommand(rest);
    case 'revoke':
      return runRevoke(rest, DEFAULT_WORK_DIR, { stdout: process.stdout });
    case 'rollback':
      return runRollback(rest, DEFAULT_WORK_DIR, { stdout: process.stdout });
    case 'release':
      return runReleaseFromQuarantine(rest, DEFAULT_WORK_DIR, { stdout: process.stdout });
    case 'break-glass':
      return runBreakGlass(rest, { stdout: process.stdout, stderr: process.stderr });
    case 'revalidate':
      return runRevalidate(rest, DEFAULT_WORK_DIR, { stdout: process.stdout });
    case 'verify-bundle':
      return runVerifyBundle(rest, { stdout: process.stdout, stderr: process.stderr });
    case 'explain':
    case 'report':
    case 'verify-vsa':
      return outputsCommand(command, rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'auto-approve': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'work-dir': { type: 'string', default: DEFAULT_WORK_DIR },
    },
  });
  const { ok } = await runDemo({
    autoApprove: values['auto-approve'],
    keep: values.keep,
    workDir: values['work-dir'],
    log: (l) => process.stdout.write(`${l}\n`),
  });
  return ok ? 0 : 1;
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
  const policy = loadPolicyFile(values.policy);
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
  const report = await preflight(
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
  );
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(`${report.image.repository}@${report.image.digest} (${report.image.registry})\n`);
    process.stdout.write(`stage ${report.stage}, policy ${report.policyDigest}\n\n`);
    for (const e of report.evidence) {
      const req = e.required ? 'required' : 'optional';
      process.stdout.write(
        `  ${e.kind.padEnd(16)} ${e.status.padEnd(8)} ${req.padEnd(9)} ${printable(e.reasons.join('; '))}\n`,
      );
    }
    process.stdout.write(
      `\ndecision: ${report.decision}\n${report.reasons.map((r) => `  - ${printable(r)}`).join('\n')}\n`,
    );
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
        ...(values.comment === undefined ? {} : { comment: values.comment }),
      },
      process.stdout,
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
  process.stdout.write(res.status === 200 ? `${text}\n` : `refused (${res.status}): ${text}\n`);
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
      process.stderr.write(`no release with digest ${digest}\n`);
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
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    }
    for (const r of out) {
      process.stdout.write(
        `${r.repository}@${r.digest}  ${r.state}${r.outcome && r.outcome !== r.state ? ` (${r.outcome})` : ''}  recorded ${r.recordedAt}\n`,
      );
      if (r.outcomeReasons && digest !== undefined)
        for (const why of r.outcomeReasons) process.stdout.write(`    reason: ${printable(why)}\n`);
      for (const line of await incidentStatus(store, r.repository, r.digest)) process.stdout.write(`${line}\n`);
      for (const e of r.evidence) {
        process.stdout.write(
          `    ${e.kind.padEnd(16)} ${e.status.padEnd(8)} ${printable(e.reasons.join('; ').slice(0, 200))}\n`,
        );
        for (const d of e.documents)
          process.stdout.write(`      s3://${state.bucket}/evidence/sha256/${d.digest.slice(7)}  ${d.name}\n`);
      }
      if (r.approvalTrail.length > 0) process.stdout.write('    approval trail:\n');
      for (const line of approvalTrailLines(r.approvalTrail)) process.stdout.write(`      ${line}\n`);
    }
    return 0;
  });
}

async function triageCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`Usage:\n${TRIAGE_USAGE}\n\n${TRIAGE_HELP}\n`);
    return 0;
  }
  const options = await parseTriageArgs(args, DEFAULT_WORK_DIR);
  return withLocalStore(options.workDir, (store) => runTriage(options, store, { stdout: process.stdout }));
}

/** The outputs every release carries (issue 9 §6): explain, report, verify-vsa. */
async function outputsCommand(command: 'explain' | 'report' | 'verify-vsa', args: string[]): Promise<number> {
  const io = { stdout: process.stdout, stderr: process.stderr };
  if (args.includes('--help') || args.includes('-h')) {
    const [usage, help] = {
      explain: [EXPLAIN_USAGE, EXPLAIN_HELP],
      report: [REPORT_USAGE, REPORT_HELP],
      'verify-vsa': [VERIFY_VSA_USAGE, VERIFY_VSA_HELP],
    }[command];
    process.stdout.write(`Usage:\n${usage}\n\n${help}\n`);
    return 0;
  }
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
      process.stderr.write(`usage error: ${err.message}\n\n${USAGE}\n`);
    } else {
      process.stderr.write(`error: ${printable(describeError(err))}\n`);
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
