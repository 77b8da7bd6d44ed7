/**
 * The in-process world of handler tests (`handlerWorld`), without vitest hooks, so the bench's fuzz
 * profile can use it too. test/support/world.ts re-exports everything here.
 */
import { InProcessWorkQueue } from '../../cli/local/in-process-work-queue.js';
import { MemoryStore } from '../../lambdas/adapters/store/memory-store.js';
import { IN_PROCESS_RECOLLECTOR } from '../../lambdas/domain/incident/recollect.js';
import { MediaTypes } from '../../lambdas/domain/oci.js';
import { type LoadedPolicy, loadPolicy } from '../../lambdas/domain/policy/load.js';
import type { PolicyDocument } from '../../lambdas/domain/policy/schema.js';
import type { Digest } from '../../lambdas/domain/types.js';
import { doSlackWork } from '../../lambdas/domain/workflow/slack-answer.js';
import type { HandlerDeps } from '../../lambdas/handlers/aws-deps.js';
import {
  FixedClock,
  MemoryLinkSecrets,
  noScans,
  RecordingMailer,
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
/** The Slack signing secret of the in-process world (Slack-style: 32 hex characters). */
export const HANDLER_SLACK_SECRET = '5a1c0e7b9d3f4a2c8e6b1d0f9a7c3e5b';

/** Everything gated; `restricted/**` approved only by alice, the rest by bob or carol; `open/**` by nobody listed. */
export const HANDLER_POLICY = policyOf({
  rules: [
    { repositories: ['restricted/**'], approval: { approvers: ['alice@example.com'] } },
    { repositories: ['open/**'] },
    { repositories: ['**'], approval: { approvers: ['bob@example.com', 'carol@example.com'] } },
  ],
});

export interface HandlerWorld extends GateWorld {
  readonly store: MemoryStore;
  readonly tokens: RecordingTokens;
  readonly starter: RecordingStarter;
  readonly notifier: RecordingNotifier;
  readonly outcomes: RecordingOutcomes;
  readonly clock: FixedClock;
  readonly mailer: RecordingMailer;
  readonly linkSecrets: MemoryLinkSecrets;
  /** Slack answers acknowledged by the handler; `settled()` decides them (as the self-invoke would). */
  readonly slackWork: InProcessWorkQueue;
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
  const mailer = new RecordingMailer();
  const linkSecrets = new MemoryLinkSecrets();
  const holder: { deps?: HandlerDeps } = {};
  const slackWork = new InProcessWorkQueue(
    async (work) => (holder.deps === undefined ? undefined : doSlackWork(holder.deps.gate, work)),
    (err) => {
      throw err;
    },
  );
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
      approvalLinks: { secrets: linkSecrets, mailer },
      slackSigningSecret: { getSlackSigningSecret: async () => HANDLER_SLACK_SECRET },
      slackWork,
      // Re-verification collects in this process, with the caller's ports.
      recollector: IN_PROCESS_RECOLLECTOR,
    },
    starter,
  };
  holder.deps = deps;
  return {
    deps,
    store,
    tokens,
    starter,
    notifier,
    outcomes,
    clock,
    mailer,
    linkSecrets,
    slackWork,
    getDeps: async () => deps,
  };
}

/** Records a release that passed evaluation (an OCI manifest, stage STAGE), as start-release and the workflow leave it. */
export async function recordEvaluatedRelease(
  w: Pick<HandlerWorld, 'store'>,
  repository: string,
  digest: Digest,
  stage = STAGE,
) {
  await w.store.recordRelease({
    repository,
    digest,
    mediaType: MediaTypes.ociManifest,
    stage,
    platforms: [],
    state: 'EVALUATED',
    executionName: 'test-execution',
    recordedAt: WORLD_NOW.toISOString(),
  });
}

/**
 * Records `digests` as evaluated releases of `repository` and promotes them in this order, one
 * minute apart from WORLD_NOW (the last one is live), into `prod/<repository>` with tags `v0`, `v1`…
 */
export async function promoteInOrder(w: Pick<HandlerWorld, 'store'>, repository: string, digests: readonly Digest[]) {
  for (const [i, digest] of digests.entries()) {
    await recordEvaluatedRelease(w, repository, digest);
    await w.store.appendPromotion({
      repository,
      digest,
      promotedAt: new Date(WORLD_NOW.getTime() + i * 60_000).toISOString(),
      targetRepository: `prod/${repository}`,
      tag: `v${i}`,
    });
  }
}

/**
 * A handler world whose promotion track of `repository` holds `digests` promoted in this order, a
 * minute apart (the last one live), each recorded as evaluated and none with evidence.
 */
export async function promotedWorld(repository: string, digests: readonly Digest[]): Promise<HandlerWorld> {
  const w = handlerWorld();
  await promoteInOrder(w, repository, digests);
  return w;
}
