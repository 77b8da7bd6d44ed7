import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

/** One engine event (StateEntered, StateExited, ExecutionSucceeded, …); the package does not export its type. */
export type EventLog = Awaited<ReturnType<ReturnType<StateMachine['run']>['eventLogs']['next']>>['value'] & {
  type: string;
};

import { z } from 'zod';
import { decodeDocumentText, parseJsonDocument } from '../../lambdas/domain/document.js';
import { ConfigError, InvalidInputError, TooLargeError } from '../../lambdas/domain/errors.js';
import type { ExecutionStarter } from '../../lambdas/domain/ports.js';
import type { HandlerDeps } from '../../lambdas/handlers/aws-deps.js';
import { makeHandler as collectEvidence } from '../../lambdas/handlers/collect-evidence.js';
import { makeHandler as evaluatePolicy } from '../../lambdas/handlers/evaluate-policy.js';
import { makeHandler as promote } from '../../lambdas/handlers/promote.js';
import { makeHandler as quarantine } from '../../lambdas/handlers/quarantine.js';
import { makeHandler as recordRelease } from '../../lambdas/handlers/record-release.js';
import { makeHandler as requestApproval } from '../../lambdas/handlers/request-approval.js';
import { makeHandler as waitForScan } from '../../lambdas/handlers/wait-for-scan.js';
import type { LocalTaskTokens } from './task-tokens.js';

type JsonValue = Parameters<StateMachine['run']>[0];

export const ASL_PATH = fileURLToPath(new URL('../../statemachines/release-gate.asl.json', import.meta.url));

type HandlerFactory = (getDeps: () => Promise<HandlerDeps>) => (event: unknown) => Promise<unknown>;

/**
 * Every `${XxxFunctionArn}` substitution of the ASL, mapped to the same handler module the CDK app
 * deploys for it. test/infra checks that this covers every Task of the ASL.
 */
export const LOCAL_FUNCTIONS: Readonly<Record<string, HandlerFactory>> = {
  RecordReleaseFunctionArn: recordRelease,
  WaitForScanFunctionArn: waitForScan,
  CollectEvidenceFunctionArn: collectEvidence,
  EvaluatePolicyFunctionArn: evaluatePolicy,
  RequestApprovalFunctionArn: requestApproval,
  PromoteFunctionArn: promote,
  QuarantineFunctionArn: quarantine,
};

export const localFunctionArn = (key: string): string =>
  `arn:aws:lambda:us-east-1:000000000000:function:release-gate-${key.replace(/FunctionArn$/, '')}`;

/** CloudFormation-style `${Key}` substitution; a placeholder left over is a configuration error. */
export function substituteDefinition(text: string, substitutions: Readonly<Record<string, string>>): string {
  const out = text.replace(/\$\{([A-Za-z0-9]+)\}/g, (m, key: string) => substitutions[key] ?? m);
  const left = /\$\{([A-Za-z0-9]+)\}/.exec(out);
  if (left !== null) throw new ConfigError(`no substitution for ${left[0]} in the state machine`);
  return out;
}

/** Names of every Task state, including those inside Parallel branches and Map processors. */
export function taskStateNames(def: unknown): string[] {
  const names: string[] = [];
  const walk = (states: unknown) => {
    if (states === null || typeof states !== 'object') return;
    for (const [name, state] of Object.entries(states)) {
      if (state === null || typeof state !== 'object') continue;
      if ('Type' in state && state.Type === 'Task') names.push(name);
      if ('Branches' in state && Array.isArray(state.Branches)) {
        for (const b of state.Branches) if (b !== null && typeof b === 'object' && 'States' in b) walk(b.States);
      }
    }
  };
  if (def !== null && typeof def === 'object' && 'States' in def) walk(def.States);
  return names;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface LocalExecution {
  readonly name: string;
  readonly input: unknown;
  readonly startedAt: Date;
  status: ExecutionStatus;
  stoppedAt?: Date;
  output?: unknown;
  error?: string;
  /** StateEntered/StateExited… as the engine reports them (transitions are counted from these). */
  readonly events: EventLog[];
  /** Settles when the execution has stopped (never rejects). */
  done: Promise<void>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Step Functions' quota on a state machine definition: 1 MB (Step Functions Developer Guide, "Service quotas"). */
const ASL_MAX_BYTES = 1024 * 1024;

/** The ASL file with its `${Key}` placeholders substituted; a file that does not read is a configuration error. */
function loadDefinition(aslPath: string, substitutions: Readonly<Record<string, string>>): Record<string, unknown> {
  const limits = { what: `state machine definition ${aslPath}`, maxBytes: ASL_MAX_BYTES };
  try {
    const text = substituteDefinition(decodeDocumentText(readFileSync(aslPath), limits), substitutions);
    return parseJsonDocument(text, z.record(z.string(), z.unknown()), limits);
  } catch (err) {
    if (err instanceof InvalidInputError || err instanceof TooLargeError) {
      throw new ConfigError(err.message, { cause: err });
    }
    throw err;
  }
}

export interface LocalStepFunctionsOptions {
  /**
   * Caps the `TimeoutSeconds` of every Task that does not wait for a task token, so that tests can
   * see a hanging collector time out (`States.Timeout`) in seconds instead of minutes.
   * @default - the ASL's own timeouts
   */
  readonly maxTaskSeconds?: number;
}

/**
 * Runs the deployed ASL file with aws-local-stepfunctions. Every Lambda Task goes to the same
 * handler module as on AWS; `.waitForTaskToken` tasks park on LocalTaskTokens. Execution names
 * behave like Standard workflows: starting a known name again is a no-op.
 */
export class LocalStepFunctions implements ExecutionStarter {
  private readonly machine: StateMachine;
  private readonly handlers = new Map<string, (event: unknown) => Promise<unknown>>();
  private readonly overrides: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
  public readonly executions = new Map<string, LocalExecution>();
  private readonly listeners: ((e: LocalExecution) => void)[] = [];

  public constructor(
    getDeps: () => Promise<HandlerDeps>,
    private readonly tokens: LocalTaskTokens,
    aslPath: string = ASL_PATH,
    opts: LocalStepFunctionsOptions = {},
  ) {
    const substitutions: Record<string, string> = {};
    for (const [key, factory] of Object.entries(LOCAL_FUNCTIONS)) {
      substitutions[key] = localFunctionArn(key);
      this.handlers.set(localFunctionArn(key), factory(getDeps));
    }
    const definition = loadDefinition(aslPath, substitutions);
    const states = isRecord(definition.States) ? definition.States : {};
    for (const name of taskStateNames(definition)) {
      const state = findState(states, name);
      const waits = typeof state?.Resource === 'string' && state.Resource.endsWith('.waitForTaskToken');
      if (waits && state !== undefined && 'TimeoutSecondsPath' in state) {
        // Library difference: aws-local-stepfunctions 3 resolves TimeoutSecondsPath against the
        // effective input (after Parameters), Step Functions against the state input. The ASL
        // also passes the same value in the Payload (`timeoutSeconds`), and LocalTaskTokens
        // enforces it with a `States.Timeout` failure; the engine's own timer is disabled.
        delete state.TimeoutSecondsPath;
        state.TimeoutSeconds = 2_000_000; // < 2^31 ms: a larger value makes Node fire the timer at once
      }
      const cap = opts.maxTaskSeconds;
      if (!waits && state !== undefined && cap !== undefined && Number(state.TimeoutSeconds ?? cap) > cap) {
        state.TimeoutSeconds = cap;
      }
      this.overrides[name] = async (input: JsonValue) => (await this.invoke(name, input, waits)) as JsonValue;
    }
    this.machine = new StateMachine(definition as unknown as StateMachineDefinition);
  }

  public onFinished(listener: (e: LocalExecution) => void): void {
    this.listeners.push(listener);
  }

  public async start(name: string, input: unknown): Promise<{ executionArn: string; alreadyExisted: boolean }> {
    const executionArn = `arn:aws:states:us-east-1:000000000000:execution:release-gate:${name}`;
    if (this.executions.has(name)) return { executionArn, alreadyExisted: true };
    const startedAt = new Date();
    let counter = 0;
    const context = {
      Execution: { Id: executionArn, Name: name, StartTime: startedAt.toISOString(), Input: input },
      StateMachine: { Id: 'arn:aws:states:us-east-1:000000000000:stateMachine:release-gate', Name: 'release-gate' },
      // A fresh token per waiting task, like Step Functions (the engine reads `$$.Task.Token` once per task).
      Task: {
        get Token() {
          counter += 1;
          return `${name}.${counter}.${randomUUID()}`;
        },
      },
    };
    const run = this.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.overrides },
      context: context as never,
    });
    const events: EventLog[] = [];
    const finish = async (exec: LocalExecution): Promise<void> => {
      const collecting = (async () => {
        for await (const e of run.eventLogs) events.push(e);
      })();
      try {
        exec.output = await run.result;
        exec.status = 'SUCCEEDED';
      } catch (err) {
        exec.status = 'FAILED';
        exec.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      exec.stoppedAt = new Date();
      await collecting.catch(() => undefined);
      for (const l of this.listeners) l(exec);
    };
    const exec: LocalExecution = { name, input, startedAt, status: 'RUNNING', events, done: Promise.resolve() };
    exec.done = finish(exec);
    this.executions.set(name, exec);
    return { executionArn, alreadyExisted: false };
  }

  private async invoke(stateName: string, input: unknown, waits: boolean): Promise<unknown> {
    if (!isRecord(input) || typeof input.FunctionName !== 'string') {
      throw new ConfigError(`Task ${stateName}: no FunctionName in its Parameters`);
    }
    const handler = this.handlers.get(input.FunctionName);
    if (handler === undefined) throw new ConfigError(`Task ${stateName}: unknown function ${input.FunctionName}`);
    const payload = input.Payload;
    if (!waits) return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: await handler(payload) };
    const token = isRecord(payload) && typeof payload.taskToken === 'string' ? payload.taskToken : undefined;
    if (token === undefined) throw new ConfigError(`Task ${stateName}: waitForTaskToken without taskToken`);
    const timeout =
      isRecord(payload) && typeof payload.timeoutSeconds === 'number' ? payload.timeoutSeconds : undefined;
    if (timeout === undefined) throw new ConfigError(`Task ${stateName}: waiting task without timeoutSeconds`);
    const answer = this.tokens.register(token, timeout);
    await handler(payload);
    return answer;
  }
}

function findState(states: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  for (const [n, s] of Object.entries(states)) {
    if (!isRecord(s)) continue;
    if (n === name) return s;
    if (Array.isArray(s.Branches)) {
      for (const b of s.Branches) {
        if (isRecord(b) && isRecord(b.States)) {
          const found = findState(b.States, name);
          if (found) return found;
        }
      }
    }
  }
  return undefined;
}

/** State transitions of an execution, counted as Step Functions bills them (one per state entered). */
export function countTransitions(events: readonly EventLog[]): number {
  return events.filter((e) => e.type === 'StateEntered').length;
}
