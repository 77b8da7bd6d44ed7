import { loadBundledPolicy, type TrustedRootsLoader } from '../adapters/policy/bundled-policy.js';
import { ConfigError } from '../domain/errors.js';
import { type ExecutionStarter, systemClock } from '../domain/ports.js';
import type { GateDeps } from '../domain/workflow/deps.js';
import { logAuditFailure } from './logger.js';
import { env, positiveInt } from './wiring/env.js';

/** What a handler needs: the workflow dependencies plus the execution starter. */
export interface HandlerDeps {
  readonly gate: GateDeps;
  readonly starter: ExecutionStarter;
}

/** The ports a concern wires: every part of HandlerDeps that talks to AWS. */
export type WiredPorts = Omit<GateDeps, 'config' | 'policy' | 'clock' | 'auditFailures'> & {
  readonly starter: ExecutionStarter;
};
export type WiredPort = keyof WiredPorts;

/** What concerns share while one function's wiring is built: the region and the SDK clients. */
export interface Wiring {
  readonly region: string;
  /** One instance per key and container (one S3 client for the document store and Inspector, …). */
  shared<T>(key: string, build: () => T): T;
}

/**
 * One concern's wiring (lambdas/handlers/wiring/*.ts): the ports it provides and how to build them
 * from the environment. A concern imports only its own SDK client, so a function bundles only the
 * clients of the concerns its handler names. An optional port whose configuration is absent is
 * left out (the feature is off, as the port's `@default` says).
 */
export interface Concern {
  readonly provides: readonly WiredPort[];
  readonly build: (wiring: Wiring) => Partial<WiredPorts>;
  /**
   * Loads the trusted roots the policy pins (the trustedRoots concern): only functions that verify
   * Sigstore evidence read them, and bundle `@sigstore/*` for it.
   * @default - the policy's trustedRoots refuse any use with a ConfigError
   */
  readonly trustedRoots?: TrustedRootsLoader;
}

/**
 * A port no concern of this function provides. It refuses every use with a ConfigError (fail
 * closed, loudly), where leaving it undefined would silently turn a feature off. The Proxy stands
 * in for any port type; `then` stays undefined so that awaiting a HandlerDeps never touches it.
 */
function unwired<T>(port: WiredPort | 'trustedRoots'): T {
  const refuse = (_target: object, key: string | symbol): undefined => {
    if (key === 'then' || typeof key === 'symbol') return undefined;
    throw new ConfigError(`${port} is not wired into this function (add its concern to the handler's awsWiring)`);
  };
  return new Proxy({}, { get: refuse }) as T;
}

/**
 * The AWS wiring of one handler, built once per Lambda container from the concerns it names. The
 * policy file and its compiled form are bundled with the function (and validated at synth time);
 * an invalid policy fails every invocation rather than gating without one.
 */
export function awsWiring(...concerns: readonly Concern[]): () => Promise<HandlerDeps> {
  let cached: Promise<HandlerDeps> | undefined;
  return () => {
    cached ??= Promise.resolve().then(() => build(concerns));
    return cached;
  };
}

function build(concerns: readonly Concern[]): HandlerDeps {
  const region = env('AWS_REGION');
  const trustedRoots = concerns.find((c) => c.trustedRoots !== undefined)?.trustedRoots;
  const policy = loadBundledPolicy(env('POLICY_FILE'), trustedRoots, () => unwired('trustedRoots'));
  const instances = new Map<string, unknown>();
  const wiring: Wiring = {
    region,
    shared<T>(key: string, make: () => T): T {
      if (!instances.has(key)) instances.set(key, make());
      // Each key is built by one factory in lambdas/handlers/wiring, always with the same type.
      return instances.get(key) as T;
    },
  };
  const provided = new Set(concerns.flatMap((c) => c.provides));
  const ports: Partial<WiredPorts> = Object.assign({}, ...concerns.map((c) => c.build(wiring)));
  const port = <K extends WiredPort>(name: K): WiredPorts[K] =>
    provided.has(name) ? (ports[name] as WiredPorts[K]) : unwired<WiredPorts[K]>(name);
  const optional = <K extends WiredPort>(name: K): Partial<Pick<WiredPorts, K>> =>
    provided.has(name)
      ? ports[name] === undefined
        ? {}
        : ({ [name]: ports[name] } as Partial<Pick<WiredPorts, K>>)
      : ({ [name]: unwired(name) } as Partial<Pick<WiredPorts, K>>);
  const gate: GateDeps = {
    config: {
      stage: env('GATE_STAGE'),
      scanTimeoutSeconds: positiveInt('SCAN_TIMEOUT_SECONDS', 3600),
      approvalBaseUrl: process.env.APPROVAL_BASE_URL ?? '',
    },
    policy,
    store: port('store'),
    documents: port('documents'),
    registry: port('registry'),
    scans: port('scans'),
    tokens: port('tokens'),
    notifier: port('notifier'),
    outcomes: port('outcomes'),
    clock: systemClock,
    auditFailures: logAuditFailure,
    ...optional('revocation'),
    ...optional('approvalLinks'),
    ...optional('slackSigningSecret'),
    ...optional('slack'),
    ...optional('vsa'),
    ...optional('slackWork'),
    ...optional('inspectorSboms'),
    ...optional('recollector'),
  };
  return { gate, starter: port('starter') };
}
