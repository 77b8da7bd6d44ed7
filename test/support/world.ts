/**
 * The world a workflow test runs in. Two builds of one shape (`GateWorld`: the handler deps and a
 * `getDeps` to hand to `makeHandler`):
 *
 * - `handlerWorld()`: in-process, for handler unit tests. The adapter MemoryStore, an in-memory
 *   registry, no scanner, and the recording fakes of test/support/fakes.ts on a fixed clock.
 * - `startLocalWorld()`: the embedded stack (cli/local/gate.ts: dynalite, s3rver, an OCI-layout
 *   registry and the ASL on aws-local-stepfunctions), for test/workflow.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { buildScenarioImage } from '../../cli/fixtures/factory.js';
import { type FixtureKeys, generateFixtureKeys } from '../../cli/fixtures/keys.js';
import { DEFAULT_NPM_PACKAGES, demoPolicy } from '../../cli/fixtures/scenarios.js';
import { LocalGate, type LocalGateOptions } from '../../cli/local/gate.js';
import { OciLayoutRegistry } from '../../lambdas/adapters/registry/oci-layout.js';
import { loadAdvisories } from '../../lambdas/adapters/scan/advisories-folder.js';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { type LoadedPolicy, loadPolicy } from '../../lambdas/domain/policy/load.js';
import type { PolicyDocument } from '../../lambdas/domain/policy/schema.js';
import type { HandlerDeps } from '../../lambdas/handlers/aws-deps.js';
import {
  FixedClock,
  noScans,
  RecordingNotifier,
  RecordingOutcomes,
  RecordingStarter,
  RecordingTokens,
} from './fakes.js';
import { MemoryRegistry } from './memory-registry.js';

/** What every world gives a handler. */
export interface GateWorld {
  readonly deps: HandlerDeps;
  readonly getDeps: () => Promise<HandlerDeps>;
}

/** The stage both worlds gate for. */
export const STAGE = 'production';

/** Loads a policy document given as a value (serialised as JSON, which the YAML loader reads). */
export function policyOf(document: Omit<PolicyDocument, 'apiVersion' | 'kind'> | { readonly rules: unknown[] }) {
  return loadPolicy(
    new TextEncoder().encode(JSON.stringify({ apiVersion: 'release-gate.dev/v1', kind: 'Policy', ...document })),
  );
}

// ---------------------------------------------------------------------------------------------
// In-process

export const WORLD_NOW = new Date('2026-11-25T10:00:00.000Z');
export const SCAN_TIMEOUT_SECONDS = 900;
export const APPROVAL_BASE_URL = 'https://gate.example.com/approvals';

/** Everything gated, and `restricted/**` approved only by alice. */
export const HANDLER_POLICY = policyOf({
  rules: [
    { repositories: ['restricted/**'], approval: { approvers: ['alice@example.com'] } },
    { repositories: ['**'] },
  ],
});

export interface HandlerWorld extends GateWorld {
  readonly store: MemoryStore;
  readonly tokens: RecordingTokens;
  readonly starter: RecordingStarter;
  readonly notifier: RecordingNotifier;
  readonly outcomes: RecordingOutcomes;
  readonly clock: FixedClock;
}

export function handlerWorld(
  opts: { readonly policy?: LoadedPolicy; readonly store?: MemoryStore } = {},
): HandlerWorld {
  const store = opts.store ?? new MemoryStore();
  const tokens = new RecordingTokens();
  const starter = new RecordingStarter();
  const notifier = new RecordingNotifier();
  const outcomes = new RecordingOutcomes();
  const clock = new FixedClock(WORLD_NOW);
  const deps: HandlerDeps = {
    gate: {
      config: { stage: STAGE, scanTimeoutSeconds: SCAN_TIMEOUT_SECONDS, approvalBaseUrl: APPROVAL_BASE_URL },
      policy: opts.policy ?? HANDLER_POLICY,
      store,
      documents: store,
      registry: new MemoryRegistry(),
      scans: noScans,
      tokens,
      notifier,
      outcomes,
      clock,
    },
    starter,
  };
  return { deps, store, tokens, starter, notifier, outcomes, clock, getDeps: async () => deps };
}

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
  /** Wraps the handlers' ports (test/support/faults.ts). @default - the ports as they are */
  readonly decoratePorts?: LocalGateOptions['decoratePorts'];
}

/** Starts the embedded stack on the demo policy of fresh fixture keys, in a temporary directory. */
export async function startLocalWorld(opts: LocalWorldOptions = {}): Promise<LocalWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-workflow-'));
  const keys = await generateFixtureKeys();
  const document = (opts.tweak ?? ((p) => p))(demoPolicy(keys));
  const registry = new OciLayoutRegistry({ root: join(dir, 'registry') });
  const gate = await LocalGate.start({
    policy: policyOf(document),
    advisories: await loadAdvisories(ADVISORIES),
    registry,
    scanTimeoutSeconds: opts.scanTimeoutSeconds ?? 30,
    ...(opts.maxTaskSeconds === undefined ? {} : { maxTaskSeconds: opts.maxTaskSeconds }),
    ...(opts.decoratePorts === undefined ? {} : { decoratePorts: opts.decoratePorts }),
  });
  const world = { dir, keys, registry, gate, deps: gate.deps, getDeps: async () => gate.deps };
  if (opts.approvals !== undefined) answerApprovals(world, opts.approvals.decision, opts.approvals.by);
  return world;
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

/** Answers an approval through the approval HTTP server, as a browser form would. */
export function postApproval(url: string, fields: Readonly<Record<string, string>>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...fields }).toString(),
  });
}

/** Answers every later approval request with `decision` by `by`. */
export function answerApprovals(w: LocalWorld, decision: 'approve' | 'reject', by: string): void {
  w.gate.onOutcome((e) => {
    if (e.type !== 'Approval Requested') return;
    void postApproval(String(e.detail.url), { decision, by, comment: `${decision} from test` });
  });
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
