/**
 * `release-gate revoke`, `release-gate rollback` and `release-gate release` against the local stack (lambdas/domain/incident).
 * They read the state a local gate published (cli/local/state.ts): its table and bucket, its OCI
 * layout registry, its policy file and its advisories folder. Events and notifications go to
 * `<work dir>/outcomes.jsonl` (cli/local/outcome-log.ts).
 *
 * Identities: locally the operator (`--by`, default $USER) and the break-glass approver
 * (`--approved-by`) are typed names, recorded as "local, unauthenticated", like `approve --by`.
 * The approver is still held to the approval rules (allowlist; never the operator). On AWS
 * (`--aws`, ops-aws.ts) the operator is the SigV4 caller of the ops API, as `approve --aws` is.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPolicyFile } from '../../lambdas/adapters/policy/policy-file.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { loadAdvisories } from '../../lambdas/adapters/scan/advisories-folder.js';
import { FileRevocationList } from '../../lambdas/adapters/signer/local-revocation.js';
import { ConfigError, InvalidInputError, NotFoundError } from '../../lambdas/domain/errors.js';
import { IN_PROCESS_RECOLLECTOR } from '../../lambdas/domain/incident/recollect.js';
import { type ReleaseOutcome, releaseFromQuarantine } from '../../lambdas/domain/incident/release.js';
import type { ReverifyDeps } from '../../lambdas/domain/incident/reverify.js';
import { type RevokeOutcome, revokeRelease } from '../../lambdas/domain/incident/revoke.js';
import { type RollbackOutcome, rollbackRelease } from '../../lambdas/domain/incident/rollback.js';
import { gatedRepositoryOf } from '../../lambdas/domain/incident/track.js';
import { type ExecutionStarter, type ReleaseStore, systemClock } from '../../lambdas/domain/ports.js';
import {
  MAX_GATE_ROUNDS,
  type PromotionEntry,
  type ReleaseRecord,
  type RevocationRecord,
} from '../../lambdas/domain/records.js';
import { DigestSchema } from '../../lambdas/domain/types.js';
import type { ApprovalIdentity } from '../../lambdas/domain/workflow/decide-approval.js';
import { LocalExecutionStarter } from '../local/execution-route.js';
import { type LocalStack, withLocalStack } from '../local/local-store.js';
import { localOutcomeLog } from '../local/outcome-log.js';
import { isAlive, type LocalState } from '../local/state.js';
import { printable } from '../printable.js';

export const INCIDENT_USAGE = `  release-gate revoke <digest> --reason TEXT [--repository NAME] [--by NAME] [--json] [--work-dir DIR]
  release-gate rollback <repository> [--to DIGEST] [--reason TEXT] [--by NAME] [--advisories DIR] [--json]
                        [--break-glass --reason TEXT --approved-by NAME] [--work-dir DIR]
  release-gate release <digest> --reason TEXT [--repository NAME] [--by NAME] [--advisories DIR] [--json]
                        [--break-glass --approved-by NAME] [--work-dir DIR]
      (a QUARANTINED release, re-verified today: passing, it runs the gate again and goes through
       approval; failing, it is refused with the reasons unless a break-glass)`;

export interface IncidentIo {
  readonly stdout: { write(s: string): unknown };
}

/** A typed name on the local stack: recorded as local and unauthenticated. */
function localIdentity(name: string | undefined, option: string): ApprovalIdentity {
  const subject = (name ?? process.env.USER ?? process.env.USERNAME ?? '').trim();
  if (subject === '') throw new InvalidInputError(`${option} NAME is required (no $USER to default to)`);
  return { kind: 'cli-local', subject };
}

function digestArg(value: string, option: string) {
  const parsed = DigestSchema.safeParse(value);
  if (!parsed.success) throw new InvalidInputError(`${option}: not a sha256 digest: ${value}`);
  return parsed.data;
}

/** The repository of a release known by digest; `--repository` when several have it. */
async function repositoryOf(store: ReleaseStore, digest: string, repository: string | undefined): Promise<string> {
  if (repository !== undefined) return repository;
  const matches = [
    ...new Set((await store.listReleases(1000)).filter((r) => r.digest === digest).map((r) => r.repository)),
  ];
  if (matches.length === 0) throw new NotFoundError(`no gated release has digest ${digest}`);
  if (matches.length > 1) {
    throw new InvalidInputError(`${digest} was gated in ${matches.join(', ')}: name one with --repository`);
  }
  return matches[0] ?? '';
}

export async function runRevoke(args: readonly string[], defaultWorkDir: string, io: IncidentIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      reason: { type: 'string' },
      repository: { type: 'string' },
      by: { type: 'string' },
      json: { type: 'boolean', default: false },
      'work-dir': { type: 'string', default: defaultWorkDir },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(`${INCIDENT_USAGE}\n`);
    return 0;
  }
  const [digestText, ...extra] = positionals;
  if (digestText === undefined || extra.length > 0) throw new InvalidInputError('revoke takes exactly one digest');
  if (values.reason === undefined) throw new InvalidInputError('--reason TEXT is required');
  const digest = digestArg(digestText, 'revoke');
  const by = localIdentity(values.by, '--by');
  const workDir = values['work-dir'];
  return withLocalStack(workDir, async ({ store, state }) => {
    const repository = await repositoryOf(store, digest, values.repository);
    const log = localOutcomeLog(workDir, () => {});
    const registry = new OciLayoutRegistry({ root: state.registryRoot });
    const policy = loadPolicyFile(state.policyPath);
    const out = await revokeRelease(
      { store, clock: systemClock, registry, policy, ...log },
      { repository, digest, reason: values.reason ?? '', by },
    );
    if (values.json) {
      io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    }
    io.stdout.write(formatRevoke(repository, out));
    return 0;
  });
}

/** The human answer of a revoke: the record, and whether production serves it and what rollback would pick. */
export function formatRevoke(repository: string, out: RevokeOutcome): string {
  const r = out.record;
  const lines = [
    `${out.created ? 'revoked' : 'already revoked (the first record stays)'}: ${printable(`${r.repository}@${r.digest}`)}`,
    `  at ${r.revokedAt} by ${printable(r.revokedBy)}: ${printable(r.reason)}`,
  ];
  const target = out.rollback.target;
  if (!out.liveNow) {
    lines.push(`  not live; production is ${out.rollback.live === null ? 'empty' : out.rollback.live.digest}`);
  } else if (target === null) {
    lines.push('  it is LIVE in production, and no earlier non-revoked release is left to roll back to');
  } else {
    lines.push(
      `  it is LIVE in production; rollback target: ${target.digest} (live from ${target.promotedAt})`,
      `  next: release-gate rollback ${printable(repository)}`,
    );
  }
  if (out.liveTag?.mismatch !== undefined) {
    lines.push(`  WARNING: ${printable(out.liveTag.mismatch)}; rollback refuses until it is resolved`);
  }
  return `${lines.join('\n')}\n`;
}

/** Re-verification against the local stack: its registry, revocation list and advisories folder. */
async function incidentDeps(
  workDir: string,
  { store, documents, state }: Pick<LocalStack, 'store' | 'documents' | 'state'>,
  policy: ReverifyDeps['policy'],
  advisories: string | undefined,
) {
  const advisoriesDir = advisories ?? state.advisoriesDir;
  const revocations = join(workDir, 'revocations.json');
  return {
    policy,
    store,
    documents,
    registry: new OciLayoutRegistry({ root: state.registryRoot }),
    // Re-verification matches the stored SBOM against the advisories folder; without one the
    // scan cannot be redone, which fails closed (scan evidence MISSING).
    scans: {
      getFindings: async () => {
        throw new NotFoundError('no advisories folder to re-verify against: pass --advisories DIR');
      },
    },
    clock: systemClock,
    // The command collects in its own process (the running stack need not run).
    recollector: IN_PROCESS_RECOLLECTOR,
    ...(existsSync(revocations) ? { revocation: new FileRevocationList({ path: revocations }) } : {}),
    ...(advisoriesDir === undefined ? {} : { advisories: await loadAdvisories(advisoriesDir) }),
    ...localOutcomeLog(workDir, () => {}),
  };
}

/** `--break-glass` with `--reason` and `--approved-by` as the domain takes it (it refuses what is missing). */
function breakGlassOf(values: { 'break-glass'?: boolean; reason?: string; 'approved-by'?: string }) {
  if (values['approved-by'] !== undefined && values['break-glass'] !== true) {
    throw new InvalidInputError('--approved-by: only with --break-glass');
  }
  if (values['break-glass'] !== true) return {};
  return {
    breakGlass: {
      ...(values.reason === undefined ? {} : { reason: values.reason }),
      ...(values['approved-by'] === undefined
        ? {}
        : { approver: { kind: 'cli-local', subject: values['approved-by'] } as const }),
    },
  };
}

/** The options `rollback` and `release` share: who, why, the break-glass, re-verification's advisories, --help. */
function overrideOptions(defaultWorkDir: string) {
  return {
    reason: { type: 'string' },
    by: { type: 'string' },
    'break-glass': { type: 'boolean', default: false },
    'approved-by': { type: 'string' },
    advisories: { type: 'string' },
    json: { type: 'boolean', default: false },
    'work-dir': { type: 'string', default: defaultWorkDir },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
}

export async function runRollback(args: readonly string[], defaultWorkDir: string, io: IncidentIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { to: { type: 'string' }, ...overrideOptions(defaultWorkDir) },
  });
  if (values.help) {
    io.stdout.write(`${INCIDENT_USAGE}\n`);
    return 0;
  }
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0) throw new InvalidInputError('rollback takes exactly one repository');
  const breakGlass = breakGlassOf(values);
  const to = values.to === undefined ? undefined : digestArg(values.to, '--to');
  const operator = localIdentity(values.by, '--by');
  const workDir = values['work-dir'];
  const started = performance.now();
  return withLocalStack(workDir, async ({ store, documents, state }) => {
    const policy = loadPolicyFile(state.policyPath);
    const repository = await gatedRepositoryOf(policy.document, store, name);
    if (repository === null) throw new NotFoundError(`nothing was promoted to or from ${name}`);
    const out = await rollbackRelease(
      await incidentDeps(workDir, { store, documents, state }, policy, values.advisories),
      {
        repository,
        operator,
        ...(to === undefined ? {} : { to }),
        ...(values.reason === undefined ? {} : { reason: values.reason }),
        ...breakGlass,
      },
    );
    const seconds = (performance.now() - started) / 1000;
    io.stdout.write(values.json ? `${JSON.stringify({ ...out, seconds }, null, 2)}\n` : formatRollback(out, seconds));
    return out.outcome === 'ROLLED_BACK' ? 0 : 1;
  });
}

export async function runReleaseFromQuarantine(
  args: readonly string[],
  defaultWorkDir: string,
  io: IncidentIo,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { repository: { type: 'string' }, ...overrideOptions(defaultWorkDir) },
  });
  if (values.help) {
    io.stdout.write(`${INCIDENT_USAGE}\n`);
    return 0;
  }
  const [digestText, ...extra] = positionals;
  if (digestText === undefined || extra.length > 0) throw new InvalidInputError('release takes exactly one digest');
  if (values.reason === undefined) throw new InvalidInputError('--reason TEXT is required');
  const digest = digestArg(digestText, 'release');
  const operator = localIdentity(values.by, '--by');
  const breakGlass = breakGlassOf(values);
  const workDir = values['work-dir'];
  return withLocalStack(workDir, async ({ store, documents, state }) => {
    const repository = await repositoryOf(store, digest, values.repository);
    const policy = loadPolicyFile(state.policyPath);
    const out = await releaseFromQuarantine(
      {
        ...(await incidentDeps(workDir, { store, documents, state }, policy, values.advisories)),
        // The next gate round runs on the running stack (its state machine and approval server).
        starter: runningStarter(state),
        config: { scanTimeoutSeconds: LOCAL_SCAN_TIMEOUT_SECONDS },
      },
      { repository, digest, reason: values.reason ?? '', operator, ...breakGlass },
    );
    io.stdout.write(values.json ? `${JSON.stringify(out, null, 2)}\n` : formatRelease(out));
    return out.outcome === 'REFUSED' ? 1 : 0;
  });
}

/**
 * The running stack's execution starter. Only a release that passes now needs it (a refusal or a
 * break-glass runs without a stack); without one the round stays RECORDED, and the same command
 * run again once the stack runs starts it (the domain resumes a round its own request started).
 */
function runningStarter(state: LocalState): ExecutionStarter {
  const running = new LocalExecutionStarter(state.approvalBaseUrl);
  return {
    start: async (name, input) => {
      if (!isAlive(state.pid)) {
        throw new ConfigError(
          `the local gate is not running, so gate round ${name} was recorded but not started: start it ` +
            '(`npm start -- --keep`) and run the same `release` command again (same --by and --reason)',
        );
      }
      return running.start(name, input);
    },
  };
}

/** The local gate's scan timeout (cli/local/gate.ts default); the new round reuses the stored scan. */
const LOCAL_SCAN_TIMEOUT_SECONDS = 30;

export function formatRelease(out: ReleaseOutcome): string {
  const lines: string[] = [];
  const name = printable(`${out.repository}@${out.digest}`);
  if (out.outcome === 'RESUBMITTED') {
    lines.push(`released from quarantine for approval: ${name} runs gate round ${out.round}`);
    lines.push(`  execution: ${out.executionName}`);
    lines.push('  the approvers are asked as for any release (mail links, Slack); to answer here:');
    lines.push(`    release-gate status ${out.digest}        (the approval id, once requested)`);
    lines.push('    release-gate approve <approval-id> --by NAME');
  } else if (out.outcome === 'REFUSED') {
    lines.push(`release of ${name} REFUSED; production unchanged`);
    for (const r of out.reasons) lines.push(`  - ${printable(r)}`);
    if (out.reverification !== undefined && !out.reverification.ok) {
      lines.push('  override: --break-glass --approved-by NAME (a second person)');
    }
  } else {
    lines.push(
      `released from quarantine: ${printable(out.targetRepository)}:${printable(out.channelTag)} → ${out.digest}`,
    );
    lines.push(
      `  BREAK-GLASS by ${printable(out.entry.by ?? '')}, approved by ${printable(out.breakGlass.approvedBy)} (${out.breakGlass.approverIdentity}): ${printable(out.breakGlass.reason)}`,
    );
    for (const r of out.breakGlass.overridden) lines.push(`  overridden: ${printable(r)}`);
    lines.push(`  decision document: ${out.breakGlass.decisionDocument ?? 'none'}`);
    lines.push(`  undo: release-gate rollback ${printable(out.repository)}`);
  }
  const evidence = out.reverification?.evidence ?? [];
  if (evidence.length > 0) lines.push(`  re-verified: ${evidence.map((e) => `${e.kind} ${e.status}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function formatRollback(out: RollbackOutcome, seconds: number): string {
  const lines: string[] = [];
  if (out.outcome === 'REFUSED') {
    lines.push(
      `rollback of ${printable(out.repository)} REFUSED${out.digest === null ? '' : ` (target ${out.digest})`}; production unchanged`,
    );
    for (const r of out.reasons) lines.push(`  - ${printable(r)}`);
    if (out.digest !== null) lines.push('  override: --break-glass --reason TEXT --approved-by NAME (a second person)');
  } else {
    lines.push(
      `rolled back: ${printable(out.targetRepository)}:${printable(out.channelTag)} → ${out.digest} (was ${out.from})`,
    );
    if (out.breakGlass !== undefined) {
      lines.push(
        `  BREAK-GLASS by ${printable(out.entry.by ?? '')}, approved by ${printable(out.breakGlass.approvedBy)} (${out.breakGlass.approverIdentity}): ${printable(out.breakGlass.reason)}`,
      );
      for (const r of out.breakGlass.overridden) lines.push(`  overridden: ${printable(r)}`);
    }
  }
  const evidence = out.reverification?.evidence ?? [];
  if (evidence.length > 0) lines.push(`  re-verified: ${evidence.map((e) => `${e.kind} ${e.status}`).join(', ')}`);
  lines.push(`  took ${seconds.toFixed(2)} s, re-verification included`);
  return `${lines.join('\n')}\n`;
}

/**
 * The incident lines of `status <digest>`: its gate rounds (a release from quarantine), its
 * revocation and its track entries (break-glass shown).
 */
export async function incidentStatus(
  store: Pick<ReleaseStore, 'getRelease' | 'getRevocation' | 'listPromotions'>,
  repository: string,
  digest: string,
): Promise<string[]> {
  const parsed = DigestSchema.safeParse(digest);
  if (!parsed.success) return [];
  const release = await store.getRelease(repository, parsed.data);
  const revocation = await store.getRevocation(repository, parsed.data);
  const promotions = (await store.listPromotions(repository)).filter((p) => p.digest === parsed.data).reverse();
  return incidentLines(release, revocation, promotions);
}

/** The incident lines of one release from its records (`status <digest> --aws` receives them from the ops API). */
export function incidentLines(
  release: Pick<ReleaseRecord, 'gateRound' | 'executionName' | 'rounds'> | null,
  revocation: RevocationRecord | null,
  promotionsNewestFirst: readonly PromotionEntry[],
): string[] {
  const lines: string[] = [];
  if (release !== null && release.gateRound !== undefined) {
    lines.push(
      `    gate round ${release.gateRound} of at most ${MAX_GATE_ROUNDS} (execution ${release.executionName})`,
    );
  }
  for (const r of release?.rounds ?? []) {
    lines.push(
      `    round ${r.round} ended ${r.outcome ?? r.state}${r.outcomeReasons?.length ? `: ${r.outcomeReasons.map(printable).join('; ')}` : ''}`,
    );
    lines.push(
      `      released from quarantine at ${r.resubmittedAt} by ${printable(r.resubmittedBy)}: ${printable(r.reason)}`,
    );
  }
  if (revocation !== null) {
    lines.push(
      `    REVOKED at ${revocation.revokedAt} by ${printable(revocation.revokedBy)}: ${printable(revocation.reason)}`,
    );
  }
  for (const e of promotionsNewestFirst) {
    const how = e.kind === 'rollback' ? `rolled back to by ${printable(e.by ?? 'unknown')}` : 'promoted';
    lines.push(`    live from ${e.promotedAt} in ${printable(e.targetRepository)}:${printable(e.tag)} (${how})`);
    if (e.breakGlass !== undefined) {
      lines.push(
        `      BREAK-GLASS approved by ${printable(e.breakGlass.approvedBy)} (${e.breakGlass.approverIdentity}): ${printable(e.breakGlass.reason)}; overrode: ${e.breakGlass.overridden.map(printable).join('; ')}`,
      );
    }
  }
  return lines;
}
