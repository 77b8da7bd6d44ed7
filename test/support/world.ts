/**
 * The world a workflow test runs in. Two builds of one shape (`GateWorld`: the handler deps and a
 * `getDeps` to hand to `makeHandler`):
 *
 * - `handlerWorld()`: in-process, for handler unit tests. The adapter MemoryStore, an in-memory
 *   registry, no scanner, and the recording fakes of test/support/fakes.ts on a fixed clock.
 * - `startLocalWorld()`: the embedded stack (cli/local/gate.ts: dynalite, s3rver, an OCI-layout
 *   registry and the ASL on aws-local-stepfunctions), for test/workflow.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { stringify } from 'yaml';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { type FixtureKeys, generateFixtureKeys } from '../../cli/fixtures/keys.js';
import { DEFAULT_NPM_PACKAGES, DEMO_APPROVERS, demoPolicy } from '../../cli/fixtures/scenarios.js';
import { LocalGate, type LocalGateOptions } from '../../cli/local/gate.js';
import { LOCAL_DECISION_HEADER, localDecisionBase, writeLocalState } from '../../cli/local/state.js';

export { answerLink } from '../../cli/local/links.js';

import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { loadAdvisories } from '../../lambdas/adapters/scan/advisories-folder.js';
import type { PolicyDocument } from '../../lambdas/domain/policy/schema.js';
import { type GateWorld, policyOf } from './handler-world.js';

export {
  APPROVAL_BASE_URL,
  type GateWorld,
  HANDLER_POLICY,
  type HandlerWorld,
  handlerWorld,
  policyOf,
  SCAN_TIMEOUT_SECONDS,
  STAGE,
  WORLD_NOW,
} from './handler-world.js';

// ---------------------------------------------------------------------------------------------
// The embedded stack

const ADVISORIES = fileURLToPath(new URL('../../cli/fixtures/advisories/', import.meta.url));

export interface LocalWorld extends GateWorld {
  readonly dir: string;
  readonly keys: FixtureKeys;
  readonly registry: OciLayoutRegistry;
  readonly gate: LocalGate;
}

export interface LocalWorldOptions {
  /** @default 30 */
  readonly scanTimeoutSeconds?: number;
  /** Changes the demo policy before it is loaded. @default - the demo policy as it is */
  readonly tweak?: (policy: PolicyDocument) => PolicyDocument;
  /** Answers every approval request this way. @default - nobody answers */
  readonly approvals?: { readonly decision: 'approve' | 'reject'; readonly by: string };
  /** @default - the ASL's own Task timeouts */
  readonly maxTaskSeconds?: number;
  /** Wraps the handlers' ports (test/support/backend-faults.ts). @default - the ports as they are */
  readonly decoratePorts?: LocalGateOptions['decoratePorts'];
  /** The channels the local Slack receiver knows. @default - every channel */
  readonly slackChannels?: readonly string[];
  /**
   * Copies the fixture advisories into `<dir>/advisories` and starts the gate on that folder
   * (`advisoriesDir`: read again per scan, and watched for new records).
   * @default false - the fixture advisories, fixed at start
   */
  readonly watchAdvisories?: boolean;
  /** @default - the embedded stack's file key */
  readonly vsaSigner?: LocalGateOptions['vsaSigner'];
  /** @default - none (the embedded stack has no Amazon Inspector) */
  readonly inspectorSboms?: LocalGateOptions['inspectorSboms'];
}

/** Starts the embedded stack on the demo policy of fresh fixture keys, in a temporary directory. */
export async function startLocalWorld(opts: LocalWorldOptions = {}): Promise<LocalWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-workflow-'));
  const keys = await generateFixtureKeys();
  const document = (opts.tweak ?? ((p) => p))(demoPolicy(keys));
  const registry = new OciLayoutRegistry({ root: join(dir, 'registry') });
  const gate = await LocalGate.start({
    policy: policyOf(document),
    ...(opts.watchAdvisories === true
      ? { advisoriesDir: await copyAdvisories(join(dir, 'advisories')) }
      : { advisories: await loadAdvisories(ADVISORIES) }),
    registry,
    scanTimeoutSeconds: opts.scanTimeoutSeconds ?? 30,
    ...(opts.maxTaskSeconds === undefined ? {} : { maxTaskSeconds: opts.maxTaskSeconds }),
    ...(opts.decoratePorts === undefined ? {} : { decoratePorts: opts.decoratePorts }),
    ...(opts.slackChannels === undefined ? {} : { slackChannels: opts.slackChannels }),
    ...(opts.vsaSigner === undefined ? {} : { vsaSigner: opts.vsaSigner }),
    ...(opts.inspectorSboms === undefined ? {} : { inspectorSboms: opts.inspectorSboms }),
    workDir: dir,
  });
  const world = { dir, keys, registry, gate, deps: gate.deps, getDeps: async () => gate.deps };
  if (opts.approvals !== undefined) answerApprovals(world, opts.approvals.decision, opts.approvals.by);
  return world;
}

/** The fixture advisories copied into `to` (a folder a test may add records to). */
async function copyAdvisories(to: string): Promise<string> {
  await cp(ADVISORIES, to, { recursive: true, filter: (src) => !src.endsWith('.md') });
  return to;
}

export async function stopLocalWorld(w: LocalWorld | undefined): Promise<void> {
  if (w === undefined) return;
  await w.gate.stop();
  await rm(w.dir, { recursive: true, force: true });
}

/**
 * Starts a local world before the tests of the enclosing `describe` and stops it after them; the
 * returned function gives the running world.
 */
export function useLocalWorld(opts: LocalWorldOptions = {}): () => LocalWorld {
  let world: LocalWorld | undefined;
  beforeAll(async () => {
    world = await startLocalWorld(opts);
  });
  afterAll(() => stopLocalWorld(world));
  return () => {
    if (world === undefined) throw new Error('the local world is not started (use it inside a test)');
    return world;
  };
}

/**
 * Answers an approval as `release-gate approve|reject --by` does against the embedded stack: through
 * its local-only route, the typed `by` recorded as local and unauthenticated. `url` is the approval
 * page (`…/approvals/<id>`).
 */
export function postApproval(url: string, fields: Readonly<Record<string, string>>): Promise<Response> {
  const page = new URL(url);
  return fetch(`${localDecisionBase(url)}/${page.pathname.split('/').at(-1) ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...LOCAL_DECISION_HEADER },
    body: new URLSearchParams({ ...fields }).toString(),
  });
}

/** The signed links mailed for `approvalId`, by approver address (from the gate's outbox). */
export function mailedLinks(w: LocalWorld, approvalId: string): Map<string, string> {
  return new Map(w.gate.mailer.sent.filter((m) => m.approvalId === approvalId).map((m) => [m.to, m.link]));
}

/** Answers every later approval request with `decision` by `by`. */
export function answerApprovals(w: LocalWorld, decision: 'approve' | 'reject', by: string): void {
  w.gate.onOutcome((e) => {
    if (e.type !== 'Approval Requested') return;
    void postApproval(String(e.detail.url), { decision, by, comment: `${decision} from test` });
  });
}

/** Builds a good release, pushes it, and resolves with its first approval request's event detail. */
export async function pushUntilApprovalRequested(w: LocalWorld, repository: string) {
  const built = await buildGoodRelease(w, repository);
  const requested = new Promise<Readonly<Record<string, unknown>>>((resolve) =>
    w.gate.onOutcome((e) => {
      if (e.type === 'Approval Requested' && e.detail.repository === repository) resolve(e.detail);
    }),
  );
  const pushed = await w.gate.push(repository, built.subject.tag);
  return { pushed, detail: await requested };
}

/** Pushes the tag through the local ECR stand-in and runs the workflow to its end. */
export async function gateRelease(
  w: LocalWorld,
  repository: string,
  tag: string,
  push: Parameters<LocalGate['push']>[2] = {},
) {
  const pushed = await w.gate.push(repository, tag, push);
  const exec = await w.gate.waitForExecution(pushed.executionName ?? '');
  const release = await w.deps.gate.store.getRelease(repository, pushed.digest);
  const evidence = await w.deps.gate.store.listEvidence(repository, pushed.digest);
  return { digest: pushed.digest, exec, release, evidence };
}

/** The last state an execution entered (`Promoted`, `Quarantined`…). */
export function lastState(exec: {
  events: readonly { type: string; state?: { name?: string } }[];
}): string | undefined {
  return exec.events.filter((e) => e.type === 'StateEntered').at(-1)?.state?.name;
}

/** Builds a release like demo/good (every piece of evidence passes) into the world's registry. */
export function buildGoodRelease(w: LocalWorld, repository: string, tag = '1.4.0') {
  return buildScenarioImage(w.registry, { repository, tag, npmPackages: DEFAULT_NPM_PACKAGES }, w.keys);
}

/**
 * Builds a release like demo/good but unsigned and gates it, to Quarantined for the missing
 * signature (throws otherwise). `sign()` attaches the trusted signature afterwards: a late one.
 */
export async function quarantinedUnsigned(w: LocalWorld, repository: string, tag: string) {
  const build = (signature: 'none' | 'trusted') =>
    buildScenarioImage(w.registry, { repository, tag, npmPackages: DEFAULT_NPM_PACKAGES, signature }, w.keys);
  const built = await build('none');
  const gated = await gateRelease(w, repository, tag);
  if (lastState(gated.exec) !== 'Quarantined') {
    throw new Error(`${repository}:${tag} ended in ${lastState(gated.exec)}, not Quarantined`);
  }
  return { built, gated, sign: () => build('trusted') };
}

/**
 * Builds a release like demo/good for each tag and gates them one after the other, each to
 * Promoted (throws otherwise); the last one is live. Returns the built images, in order.
 */
export async function promoteInOrder(w: LocalWorld, repository: string, tags: readonly string[]) {
  const images = [];
  for (const tag of tags) {
    images.push(await buildGoodRelease(w, repository, tag));
    const state = lastState((await gateRelease(w, repository, tag)).exec);
    if (state !== 'Promoted') throw new Error(`${repository}:${tag} ended in ${state}, not Promoted`);
  }
  return images;
}

/**
 * Publishes the world's stack in `<dir>/local.json`, as `npm start` does, so that the CLI in a
 * child process (`--work-dir <dir>`) reaches it; its policy file is the demo policy.
 */
export async function publishLocalWorld(w: LocalWorld, advisoriesDir: string): Promise<void> {
  const policyPath = join(w.dir, 'policy.yaml');
  await writeFile(policyPath, stringify(demoPolicy(w.keys)));
  await writeLocalState(w.dir, {
    pid: process.pid,
    approvalBaseUrl: w.gate.approvalBaseUrl,
    dynamoEndpoint: w.gate.standIns.dynamoEndpoint,
    s3Endpoint: w.gate.standIns.s3Endpoint,
    tableName: w.gate.standIns.tableName,
    bucket: w.gate.standIns.bucket,
    registryRoot: join(w.dir, 'registry'),
    policyPath,
    advisoriesDir,
  });
}

/** A policy tweak: the demo approvers and every local IAM user `local-*` (SigV4-signed `--aws` answers) may approve. */
export const localUsersMayApprove = (policy: PolicyDocument): PolicyDocument => ({
  ...policy,
  rules: policy.rules.map((rule) => ({
    ...rule,
    approval: { ...rule.approval, approvers: [...DEMO_APPROVERS, 'arn:aws:iam::000000000000:user/local-*'] },
  })),
});
