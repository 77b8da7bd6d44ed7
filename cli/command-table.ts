/**
 * The CLI's commands: each one's usage lines and help. `release-gate --help` lists every entry,
 * `release-gate <command> --help` prints its own (exit 0), and cli/main.ts dispatches by the same
 * names (its runner table is typed by `CommandName`, so a command cannot miss a runner).
 */
import {
  BREAK_GLASS_USAGE,
  EXPLAIN_HELP,
  EXPLAIN_USAGE,
  REPORT_HELP,
  REPORT_USAGE,
  REVALIDATE_USAGE,
  TRIAGE_HELP,
  TRIAGE_USAGE,
  VERIFY_BUNDLE_USAGE,
  VERIFY_VSA_HELP,
  VERIFY_VSA_USAGE,
} from './help-text.js';

export interface CommandEntry {
  /** Usage lines, each starting `  release-gate <name>`. */
  readonly usage: string;
  /** What it does and its options. */
  readonly help: string;
  /** Whether it takes `--json` (its result as one JSON document on stdout). */
  readonly json: boolean;
}

const JSON_OPTION = '  --json             the result as one JSON document on stdout (nothing else on stdout)';
const AWS_OPTION = `  --aws [--stack NAME | --api-url URL]  the same command against the gate on AWS (the ops API, signed
                     with your AWS credentials: you are the operator); --stack reads the gate from the stack's
                     outputs and implies --aws; else $RELEASE_GATE_API_URL, then $RELEASE_GATE_STACK`;
const WORK_DIR_OPTION = "  --work-dir DIR     the local stack's work directory (default: .release-gate)";

const DECIDE_HELP = (
  verb: 'approve' | 'reject',
) => `${verb === 'approve' ? 'Approves' : 'Rejects'} a pending release: the approval id is printed by the demo, in the approval mail
and Slack message, and by \`release-gate status <digest>\`. It comes first (it may start with '-'), or after --.
  --by NAME          locally: the approver's name, recorded as "local, unauthenticated" (default: $USER)
  --comment TEXT     ${verb === 'reject' ? 'why it is rejected (required)' : 'a comment kept in the approval trail'}
  --aws [--stack NAME | --api-url URL]  on AWS: signed with your AWS credentials (SigV4); your principal
                     is the approver; --stack reads the gate from the stack's outputs (implies --aws)
${WORK_DIR_OPTION}
${JSON_OPTION}
Exit codes: 0 answered, 1 refused (not allowed, already answered, expired), 2 usage error or the gate failed.`;

const INCIDENT_HELP = {
  revoke: `Revokes a release: a record kept with it (triage and status show it), the rollback target if it is live.
  --reason TEXT      why (required)
  --repository NAME  when the digest was gated in several repositories
  --by NAME          the operator, recorded as "local, unauthenticated" (default: $USER)`,
  rollback: `Rolls production back to the newest earlier release that is not revoked (or --to DIGEST), after
re-verifying it as the gate would today; refused, with the reasons, when it does not pass.
  --to DIGEST        the release to roll back to
  --reason TEXT      why; with --break-glass, the override's reason
  --break-glass --approved-by NAME  override a refusal; a second person allowed to approve the release
  --advisories DIR   OSV records to re-verify against (default: the stack's advisories folder)`,
  release: `Releases a QUARANTINED release: re-verified today, passing, it runs the gate again (gate round 2, …)
and goes through approval; failing, it is refused with the reasons unless a break-glass.
  --reason TEXT      why (required)
  --repository NAME  when the digest was gated in several repositories
  --break-glass --approved-by NAME  override a refusal; a second person allowed to approve the release
  --advisories DIR   OSV records to re-verify against (default: the stack's advisories folder)`,
} as const;

const OPS_USAGE = (name: string) =>
  `  release-gate ${name} … --aws [--stack NAME | --api-url URL]   (against the gate on AWS; see --aws below)`;

/** Every command of `release-gate`, in the order `--help` lists them. */
export const COMMANDS = {
  demo: {
    usage: '  release-gate demo [--auto-approve] [--keep] [--json] [--work-dir DIR]',
    help: `Builds the demo images, gates each through the embedded stack (the real workflow and handlers on
dynalite, s3rver and an OCI layout), prints what was promoted and quarantined and why, then runs the
incident drill. Progress is shown on stderr when it is a terminal.
  --auto-approve     approve the demo's releases through the first approver's signed link
                     (with --keep, later approvals wait for a human)
  --keep             keep the local stack running afterwards (for approve, status, triage, …)
${WORK_DIR_OPTION}
  --json             the outcome table and the drill as one JSON document on stdout (the running
                     commentary, approval instructions included, goes to stderr)
Exit codes: 0 every outcome as expected, 1 an unexpected outcome, 2 error.`,
    json: true,
  },
  gate: {
    usage: `  release-gate gate <ref> [--policy FILE] [--stage NAME] [--json] [--insecure] [--advisories DIR] [--repository NAME]
                    [--revocations FILE]`,
    help: `The preflight: collects the evidence of one image and evaluates the policy, without the workflow.
  <ref>              oci-layout:DIR[:TAG|@DIGEST] | HOST[:PORT]/REPO[:TAG|@DIGEST] | <acct>.dkr.ecr.<region>.amazonaws.com/REPO[:TAG|@DIGEST]
  --policy FILE      default: policy/release-gate.policy.yaml
  --stage NAME       default: production
  --repository NAME  the repository the policy sees (an OCI layout's default is its folder's name)
  --advisories DIR   OSV records to scan the SBOM against (without: scan evidence MISSING)
  --revocations FILE a Notation revocation list (ECR references ask AWS Signer)
  --insecure         plain HTTP, to localhost only
${JSON_OPTION}
Exit codes: 0 PASS, 1 BLOCK, 2 usage, bad input or infrastructure error.`,
    json: true,
  },
  approve: {
    usage: `  release-gate approve <approval-id> [--by NAME] [--comment TEXT] [--json] [--work-dir DIR]   (the local stack)
  release-gate approve <approval-id> --aws [--stack NAME | --api-url URL] [--comment TEXT] [--json]    (AWS: you are your AWS principal)`,
    help: DECIDE_HELP('approve'),
    json: true,
  },
  reject: {
    usage: `  release-gate reject <approval-id> --comment REASON [--by NAME] [--json] [--work-dir DIR]
  release-gate reject <approval-id> --comment REASON --aws [--stack NAME | --api-url URL] [--json]`,
    help: DECIDE_HELP('reject'),
    json: true,
  },
  status: {
    usage: `  release-gate status [<digest>] [--json] [--work-dir DIR]\n${OPS_USAGE('status')}`,
    help: `Lists the releases the local stack gated; with a digest (or its prefix), that release in full: its
reasons, evidence and documents, incident records and approval trail.
${WORK_DIR_OPTION}
${AWS_OPTION}
${JSON_OPTION}
Exit codes: 0 listed, 1 no release has the digest, 2 error (no local stack: start one with \`npm start -- --keep\`).`,
    json: true,
  },
  triage: { usage: `${TRIAGE_USAGE}\n${OPS_USAGE('triage')}`, help: `${TRIAGE_HELP}\n${AWS_OPTION}`, json: true },
  explain: { usage: `${EXPLAIN_USAGE}\n${OPS_USAGE('explain')}`, help: `${EXPLAIN_HELP}\n${AWS_OPTION}`, json: true },
  report: { usage: `${REPORT_USAGE}\n${OPS_USAGE('report')}`, help: `${REPORT_HELP}\n${AWS_OPTION}`, json: true },
  'verify-vsa': { usage: VERIFY_VSA_USAGE, help: VERIFY_VSA_HELP, json: true },
  revoke: {
    usage: `  release-gate revoke <digest> --reason TEXT [--repository NAME] [--by NAME] [--json] [--work-dir DIR]\n${OPS_USAGE('revoke')}`,
    help: `${INCIDENT_HELP.revoke}\n${WORK_DIR_OPTION}\n${JSON_OPTION}\n${AWS_OPTION}\nExit codes: 0 revoked (or already), 2 usage or error.`,
    json: true,
  },
  rollback: {
    usage: `  release-gate rollback <repository> [--to DIGEST] [--reason TEXT] [--by NAME] [--advisories DIR] [--json]
                        [--break-glass --reason TEXT --approved-by NAME] [--work-dir DIR]
${OPS_USAGE('rollback')}`,
    help: `${INCIDENT_HELP.rollback}\n${WORK_DIR_OPTION}\n${JSON_OPTION}\n${AWS_OPTION}\nExit codes: 0 rolled back, 1 refused (production unchanged), 2 usage or error.`,
    json: true,
  },
  release: {
    usage: `  release-gate release <digest> --reason TEXT [--repository NAME] [--by NAME] [--advisories DIR] [--json]
                       [--break-glass --approved-by NAME] [--work-dir DIR]
${OPS_USAGE('release')}`,
    help: `${INCIDENT_HELP.release}\n${WORK_DIR_OPTION}\n${JSON_OPTION}\n${AWS_OPTION}\nExit codes: 0 resubmitted or released, 1 refused, 2 usage or error.`,
    json: true,
  },
  revalidate: {
    usage: REVALIDATE_USAGE,
    help: `Checks the live releases against OSV records: --advisory FILE (repeatable) as when they arrive, or
every record of the advisories folder (--advisories DIR, default the stack's), as the daily run does.
Newly affected releases raise an alert.
${WORK_DIR_OPTION}
${JSON_OPTION}
Exit codes: 0 checked, 2 usage or error.`,
    json: true,
  },
  'break-glass': {
    usage: BREAK_GLASS_USAGE,
    help: `Subcommands:
  confirm <id>       perform a pending break-glass another operator asked for with --aws
  --api-url URL      the gate's API (default: $RELEASE_GATE_API_URL)
${JSON_OPTION}
Exit codes: 0 performed, 1 refused, 2 usage or error.`,
    json: true,
  },
  'verify-bundle': {
    usage: VERIFY_BUNDLE_USAGE.replace(/^Usage:\n/, '').split('\n\n')[0] ?? '',
    help: `${VERIFY_BUNDLE_USAGE.split('\n\n').slice(1).join('\n\n')}\n${JSON_OPTION}`,
    json: true,
  },
  help: {
    usage: '  release-gate help [<command>]',
    help: 'Prints the usage of every command, or of one (the same as `release-gate <command> --help`).',
    json: false,
  },
} as const satisfies Record<string, CommandEntry>;

export type CommandName = keyof typeof COMMANDS;

export const isCommandName = (name: string | undefined): name is CommandName =>
  name !== undefined && Object.hasOwn(COMMANDS, name);

/** `release-gate <command> --help`. */
export function commandHelp(name: CommandName): string {
  const entry: CommandEntry = COMMANDS[name];
  return `Usage:\n${entry.usage}\n\n${entry.help}\n`;
}

/** `release-gate --help`: every command's usage, then what the arguments mean. */
export function overallUsage(): string {
  const usage = Object.values(COMMANDS)
    .map((c: CommandEntry) => c.usage)
    .join('\n');
  return `release-gate: a fail-closed release gate for container images

Usage:
${usage}

Each command prints its options with \`release-gate <command> --help\` (exit 0). Every command that
prints a result takes --json: the same data, one JSON document on stdout.
<ref>: oci-layout:DIR[:TAG|@DIGEST] | HOST[:PORT]/REPO[:TAG|@DIGEST] | <acct>.dkr.ecr.<region>.amazonaws.com/REPO[:TAG|@DIGEST]
Output: text from evidence is printed with control characters as visible \\uXXXX escapes. Colour on a
terminal only; NO_COLOR=1 turns it off, FORCE_COLOR=1 on. Progress goes to stderr, on a terminal only.
Exit codes: 0 pass/done (triage: affected releases found or none), 1 blocked/refused (rollback refused), 2 usage, bad input or
infrastructure error.
`;
}

/** Whether `args` ask for help (before any `--`, after which everything is an argument). */
export function asksHelp(args: readonly string[]): boolean {
  const options = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  return options.some((a) => a === '--help' || a === '-h');
}

/**
 * The answer to a command line that only asks for help, or null: no command (usage, exit 2),
 * `--help`/`-h`, `help [<command>]`, or `<command> … --help`. An unknown command is main's.
 */
export function helpAnswer(argv: readonly string[]): { readonly text: string; readonly code: number } | null {
  const [command, ...rest] = argv;
  if (command === undefined) return { text: overallUsage(), code: 2 };
  if (command === '-h' || command === '--help') return { text: overallUsage(), code: 0 };
  if (command === 'help') {
    if (asksHelp(rest)) return { text: commandHelp('help'), code: 0 };
    const [name] = rest;
    if (name === undefined) return { text: overallUsage(), code: 0 };
    return isCommandName(name) ? { text: commandHelp(name), code: 0 } : null;
  }
  if (isCommandName(command) && asksHelp(rest)) return { text: commandHelp(command), code: 0 };
  return null;
}
