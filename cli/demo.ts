import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { loadPolicyFile } from '../lambdas/adapters/policy/policy-file.js';
import { OciLayoutRegistry } from '../lambdas/adapters/registry/oci-layout.js';
import type { PolicyDocument } from '../lambdas/domain/policy/schema.js';
import type { StoredEvidence } from '../lambdas/domain/ports.js';
import { EVIDENCE_KINDS } from '../lambdas/domain/types.js';
import { type DrillResult, runDrill } from './drill.js';
import { type BuiltScenarioImage, buildScenario } from './fixtures/factory.js';
import { type FixtureKeys, generateFixtureKeys } from './fixtures/keys.js';
import { DEMO_APPROVERS, DEMO_SCENARIOS, demoPolicy, type Scenario } from './fixtures/scenarios.js';
import { LocalGate } from './local/gate.js';
import { LOCAL_APPROVER, localUserArn } from './local/iam-route.js';
import { answerLink } from './local/links.js';
import { writeLocalState } from './local/state.js';
import { countTransitions } from './local/step-functions.js';
import { printable } from './printable.js';
import { noProgress, type Progress } from './progress.js';

export interface DemoOptions {
  readonly autoApprove: boolean;
  readonly workDir: string;
  readonly keep: boolean;
  readonly log: (line: string) => void;
  /** Where the demo says what it is doing (a spinner on a terminal). @default - none */
  readonly progress?: Progress;
  /**
   * The scenarios to gate (the bench runs only `good`, for the drill). The incident drill runs
   * when `good` is among them. @default DEMO_SCENARIOS
   */
  readonly scenarios?: readonly Scenario[];
}

export interface DemoRow {
  readonly scenario: string;
  readonly repository: string;
  readonly digest: string;
  readonly expected: string;
  readonly outcome: string;
  readonly reasons: readonly string[];
  readonly evidence: Readonly<Record<string, string>>;
  readonly transitions: number;
  readonly approvalRequestedAfterMs: number | null;
}

const ADVISORIES_DIR = new URL('./fixtures/advisories/', import.meta.url);

/** What `runDemo` answers: the table's rows, the drill, whether everything went as expected. */
export interface DemoResult {
  readonly rows: DemoRow[];
  /** Null when `good` was not among the scenarios. */
  readonly drill: DrillResult | null;
  readonly ok: boolean;
  readonly wallMs: number;
  /** With `keep`: the local gate, still running (the caller stops it), its registry and keys. */
  readonly kept?: { readonly gate: LocalGate; readonly registry: OciLayoutRegistry; readonly keys: FixtureKeys };
}

/**
 * `npm start`: build the demo images into an OCI layout, push each through the embedded gate
 * (same ASL, same handlers, dynalite + s3rver), and print what was promoted and quarantined, why.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const t0 = Date.now();
  const scenarios = opts.scenarios ?? DEMO_SCENARIOS;
  const progress = opts.progress ?? noProgress;
  progress.update('release-gate demo: generating keys and starting the local stack');
  const work = resolve(opts.workDir);
  // A fresh world each run; the data stays afterwards for `release-gate status`.
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const registryRoot = join(work, 'registry');
  const keys = await generateFixtureKeys();
  const policyPath = join(work, 'policy.yaml');
  await writeFile(policyPath, stringify(withLocalApprovers(demoPolicy(keys))));
  const policy = loadPolicyFile(policyPath);
  // The gate reads and watches a copy of the fixture advisories: the incident drill adds one
  // there (which re-validates the live releases), and the source tree is never written.
  const advisoriesDir = join(work, 'advisories');
  await cp(ADVISORIES_DIR, advisoriesDir, { recursive: true, filter: (src) => !src.endsWith('.md') });
  const registry = new OciLayoutRegistry({ root: registryRoot });
  const gate = await LocalGate.start({
    policy,
    advisoriesDir,
    registry,
    dataDir: join(work, 'data'),
    scanTimeoutSeconds: 60,
    revocationList: join(work, 'revocations.json'),
    workDir: work,
  });
  await writeLocalState(work, {
    pid: process.pid,
    approvalBaseUrl: gate.approvalBaseUrl,
    dynamoEndpoint: gate.standIns.dynamoEndpoint,
    s3Endpoint: gate.standIns.s3Endpoint,
    tableName: gate.standIns.tableName,
    bucket: gate.standIns.bucket,
    registryRoot,
    policyPath,
    advisoriesDir,
  });
  opts.log(`release-gate demo: ${scenarios.length} images, registry oci-layout:${registryRoot}`);
  opts.log(
    `  dynalite ${gate.standIns.dynamoEndpoint}  s3rver ${gate.standIns.s3Endpoint}  approvals ${gate.approvalBaseUrl}`,
  );
  opts.log(`  local Slack ${gate.slack?.baseUrl} records every message in ${gate.slack?.dir}`);

  const approvalAt = new Map<string, number>();
  const baselines = new Set<string>();
  // --auto-approve answers for the demo's own run only: on a stack kept running afterwards, a
  // release from quarantine or a new push waits for a human like any other.
  let demoRunning = true;
  gate.onOutcome((e) => {
    if (e.type !== 'Approval Requested') return;
    const key = `${String(e.detail.repository)}@${String(e.detail.digest)}`;
    approvalAt.set(key, e.at.getTime());
    const approvalId = String(e.detail.approvalId);
    // RequestApproval mails before it emits this event, so the outbox already holds the links.
    const mails = gate.mailer.sent.filter((m) => m.approvalId === approvalId);
    if (demoRunning && (opts.autoApprove || baselines.has(key))) {
      const link = mails[0]?.link;
      if (link === undefined) {
        opts.log(`  auto-approve failed: no approval link was mailed for ${key}`);
        return;
      }
      // The demo answers as the first approver, through their signed link, as a browser would.
      void answerLink(link, 'approve')
        .then((res) => {
          if (!res.ok) throw new Error(`approval POST answered ${res.status}`);
        })
        .catch((err: unknown) => opts.log(`  auto-approve failed: ${String(err)}`));
    } else {
      for (const line of approvalInstructions({
        key,
        approvalId,
        evidenceSetDigest: String(e.detail.evidenceSetDigest ?? ''),
        mails,
        outboxDir: gate.outboxDir,
        slackChannel: String(e.detail.slackChannel ?? ''),
        slackDir: gate.slack?.dir,
        apiOrigin: new URL(gate.approvalBaseUrl).origin,
        workDir: work,
      }))
        opts.log(line);
    }
  });

  try {
    const pushedAt = new Map<string, number>();
    /** Gates a baseline (auto-approved, even in the interactive demo) and requires it promoted. */
    const gateBaseline = async (s: Scenario, image: BuiltScenarioImage) => {
      baselines.add(`${s.repository}@${image.digest}`);
      const prev = await gate.push(s.repository, image.subject.tag);
      if (prev.executionName === null) throw new Error(`baseline ${image.subject.tag} of ${s.name} did not start`);
      const exec = await gate.waitForExecution(prev.executionName);
      const rel = await gate.deps.gate.store.getRelease(s.repository, image.digest);
      if (rel?.outcome !== 'PROMOTED') {
        throw new Error(
          `baseline ${image.subject.tag} of ${s.name} was not promoted (${exec.status}): ${rel?.outcomeReasons?.join('; ')}`,
        );
      }
    };
    const runOne = async (s: Scenario) => {
      const built = await buildScenario(registry, s, keys);
      for (const image of built.earlier) await gateBaseline(s, image);
      if (built.previous !== undefined) await gateBaseline(s, built.previous);
      pushedAt.set(`${s.repository}@${built.current.digest}`, Date.now());
      const pushed = await gate.push(s.repository, built.current.subject.tag);
      if (pushed.executionName === null) throw new Error(`${s.name} did not start an execution`);
      const exec = await gate.waitForExecution(pushed.executionName);
      return { s, built, exec };
    };
    let gated = 0;
    const gating = () => `release-gate demo: gating ${scenarios.length} images (${gated} done)`;
    progress.update(gating());
    const results = await Promise.all(
      scenarios.map(async (s) => {
        const result = await runOne(s);
        gated += 1;
        progress.update(gating());
        return result;
      }),
    );
    const rows: DemoRow[] = [];
    for (const r of results) {
      const digest = r.built.current.digest;
      const rel = await gate.deps.gate.store.getRelease(r.s.repository, digest);
      const evidence = await gate.deps.gate.store.listEvidence(r.s.repository, digest);
      const key = `${r.s.repository}@${digest}`;
      const pushed = pushedAt.get(key);
      const asked = approvalAt.get(key);
      rows.push({
        scenario: r.s.name,
        repository: r.s.repository,
        digest,
        expected: r.s.expect,
        outcome: rel?.outcome ?? `NONE (${r.exec.status}${r.exec.error ? `: ${r.exec.error}` : ''})`,
        reasons: rel?.outcomeReasons ?? [],
        evidence: statusByKind(evidence),
        transitions: countTransitions(r.exec.events),
        approvalRequestedAfterMs: pushed !== undefined && asked !== undefined ? asked - pushed : null,
      });
    }
    printTable(rows, opts.log);
    const outcomesOk = rows.every((r) => r.outcome === r.expected);
    opts.log(`\nEvidence: DynamoDB table ${gate.standIns.tableName} and S3 bucket ${gate.standIns.bucket}`);
    opts.log(`  persisted under ${join(work, 'data')} (inspect with: npm run release-gate -- status [<digest>])`);
    opts.log(`  registry (OCI layout): ${registryRoot}; promoted images under prod/<repository>`);
    opts.log(`  policy: ${policyPath} (${policy.digest})`);
    opts.log(`\n${outcomesOk ? 'All outcomes as expected' : 'UNEXPECTED OUTCOMES'} in ${secondsSince(t0)} s`);
    // The drill works on the live demo/good and the two releases promoted before it.
    const good = results.find((r) => r.s.name === 'good');
    const [clean] = good?.built.earlier ?? [];
    const previous = good?.built.previous;
    let drill: DrillResult | null = null;
    if (good !== undefined && (!outcomesOk || clean === undefined || previous === undefined)) {
      opts.log(
        '\nIncident drill: UNEXPECTED: not run, demo/good and the two releases before it must be promoted first',
      );
    } else if (good !== undefined && clean !== undefined && previous !== undefined) {
      drill = await runDrill({
        gate,
        workDir: work,
        advisoriesDir,
        releases: {
          repository: good.s.repository,
          live: good.built.current.digest,
          previous: previous.digest,
          clean: clean.digest,
        },
        displayWorkDir: opts.workDir,
        log: opts.log,
        progress,
      });
    }
    const ok = outcomesOk && (good === undefined || drill?.ok === true);
    const wallMs = Date.now() - t0;
    return { rows, drill, ok, wallMs, ...(opts.keep && { kept: { gate, registry, keys } }) };
  } finally {
    demoRunning = false;
    if (!opts.keep) await gate.stop();
  }
}

/** The Slack user ids of the demo's approvers (`approval.people`), so that a local click counts. */
export const DEMO_SLACK_USERS: Readonly<Record<(typeof DEMO_APPROVERS)[number], string>> = {
  'alice@example.com': 'U0ALICE',
  'bob@example.com': 'U0BOB',
};

/**
 * The demo policy as `npm start` loads it: its approvers also answer as Slack users (people) and
 * as the local IAM user `local-approver`, so that every channel the demo prints works.
 */
export function withLocalApprovers(policy: PolicyDocument): PolicyDocument {
  const people = DEMO_APPROVERS.map((email) => ({ email, slack: DEMO_SLACK_USERS[email], iam: [] }));
  return {
    ...policy,
    rules: policy.rules.map((rule) => ({
      ...rule,
      approval: {
        ...rule.approval,
        approvers: [...(rule.approval?.approvers ?? []), localUserArn(LOCAL_APPROVER)],
        people: [...(rule.approval?.people ?? []), ...people],
      },
    })),
  };
}

/** What the demo prints for a pending approval: every way to answer it, each ready to paste. */
export function approvalInstructions(p: {
  readonly key: string;
  readonly approvalId: string;
  readonly evidenceSetDigest: string;
  readonly mails: readonly { readonly to: string; readonly link: string }[];
  readonly outboxDir: string;
  /** What RequestApproval did in Slack (the request's `slackChannel` detail). */
  readonly slackChannel: string;
  readonly slackDir: string | undefined;
  /** The local approval server (`http://127.0.0.1:<port>`). */
  readonly apiOrigin: string;
  readonly workDir: string;
}): string[] {
  // The typed name and the Slack user are held to the policy's rules like any identity: a listed approver.
  const who = (p.mails[0]?.to ?? 'alice@example.com') as (typeof DEMO_APPROVERS)[number];
  const slackUser = DEMO_SLACK_USERS[who] ?? 'U0ALICE';
  // A Slack button click as Slack sends it: form-encoded block_actions, signed (v0) with the
  // signing secret the local stack generated.
  const payload = {
    type: 'block_actions',
    user: { id: slackUser },
    actions: [{ action_id: 'approve', value: `${p.approvalId}:${p.evidenceSetDigest}` }],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const secret = join(p.workDir, 'slack-signing-secret');
  const id = p.approvalId;
  return [
    `\n  APPROVAL NEEDED for ${p.key} (approval ${id})`,
    "    each approver's own signed link (open it in a browser; Approve is one click, Reject asks why; it works once):",
    ...p.mails.map((m) => `      ${m.to}: ${m.link}`),
    `    the same mails as .eml files: ${p.outboxDir}`,
    ...(p.slackDir === undefined || p.slackChannel === ''
      ? []
      : [
          `    Slack (${p.slackChannel}); the local receiver records its calls as .json in ${p.slackDir}. Click Approve as ${who} (${slackUser}):`,
          `      ts=$(date +%s); body='${body}'; curl -s -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: v0=$(printf 'v0:%s:%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$(cat ${secret})" -r | cut -d' ' -f1)" --data-raw "$body" ${p.apiOrigin}/slack/interactions`,
        ]),
    '    or from another terminal, on this local stack only (the name is recorded as "local, unauthenticated"):',
    `      npm run release-gate -- approve ${id} --by ${who}`,
    `      npm run release-gate -- reject ${id} --by ${who} --comment "why"`,
    `    or signed with the local AWS credentials, as on AWS (you are ${localUserArn(LOCAL_APPROVER)}):`,
    `      AWS_SHARED_CREDENTIALS_FILE=${join(p.workDir, 'aws-credentials')} AWS_PROFILE=${LOCAL_APPROVER} AWS_REGION=us-east-1 npm run release-gate -- approve ${id} --aws --api-url ${p.apiOrigin}/\n`,
  ];
}

function secondsSince(t0: number): string {
  return ((Date.now() - t0) / 1000).toFixed(1);
}

function statusByKind(evidence: readonly StoredEvidence[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kind of EVIDENCE_KINDS) out[kind] = evidence.find((e) => e.kind === kind)?.status ?? '-';
  return out;
}

const SHORT: Record<string, string> = {
  lockfile: 'lock',
  'dependency-diff': 'diff',
  sbom: 'sbom',
  provenance: 'prov',
  signature: 'sig',
  scan: 'scan',
  eval: 'eval',
  approval: 'appr',
};

function printTable(rows: readonly DemoRow[], log: (l: string) => void): void {
  const kinds = EVIDENCE_KINDS.map((k) => SHORT[k] ?? k);
  log('');
  log(`${'image'.padEnd(30)} ${'decision'.padEnd(12)} ${kinds.map((k) => k.padEnd(5)).join(' ')}  reasons`);
  for (const r of rows) {
    const statuses = EVIDENCE_KINDS.map((k) => (r.evidence[k] ?? '-').slice(0, 4).padEnd(5)).join(' ');
    const mark = r.outcome === r.expected ? ' ' : '!';
    log(
      `${`${r.repository}`.padEnd(30)} ${r.outcome.padEnd(11)}${mark} ${statuses}  ${printable(r.reasons.join(' | ').slice(0, 160))}`,
    );
  }
  log('');
  log(`${'image'.padEnd(30)} transitions  push→approval request`);
  for (const r of rows) {
    log(
      `${r.repository.padEnd(30)} ${String(r.transitions).padEnd(12)} ${r.approvalRequestedAfterMs === null ? '-' : `${r.approvalRequestedAfterMs} ms`}`,
    );
  }
}
