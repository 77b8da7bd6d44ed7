import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ErrorName,
  LAMBDA_CRASH_ERRORS,
  LAMBDA_TRANSIENT_ERRORS,
  RETRYABLE_ERRORS,
  StatesError,
} from '../../lambdas/domain/errors.js';
import { kindsOfStage } from '../../lambdas/domain/evidence/registry.js';

const ASL_FILE = join(fileURLToPath(new URL('../../', import.meta.url)), 'statemachines', 'release-gate.asl.json');

const END_STATES = ['Promoted', 'Quarantined', 'CoveredByIndex', 'PromotionFailed', 'QuarantineFailed'];

const RetrierSchema = z.object({
  ErrorEquals: z.array(z.string()).min(1),
  IntervalSeconds: z.number().optional(),
  MaxAttempts: z.number().optional(),
  BackoffRate: z.number().optional(),
});
const CatcherSchema = z.object({ ErrorEquals: z.array(z.string()).min(1), Next: z.string() });

interface Machine {
  StartAt: string;
  States: Record<string, State>;
}
interface State {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Retry?: z.infer<typeof RetrierSchema>[];
  Catch?: z.infer<typeof CatcherSchema>[];
  Next?: string;
  End?: boolean;
  Branches?: Machine[];
  Choices?: { Next: string }[];
  Default?: string;
}
const StateSchema: z.ZodType<State> = z.lazy(() =>
  z.object({
    Type: z.string(),
    Resource: z.string().optional(),
    Parameters: z.record(z.string(), z.unknown()).optional(),
    TimeoutSeconds: z.number().optional(),
    TimeoutSecondsPath: z.string().optional(),
    Retry: z.array(RetrierSchema).optional(),
    Catch: z.array(CatcherSchema).optional(),
    Next: z.string().optional(),
    End: z.boolean().optional(),
    Branches: z.array(MachineSchema).optional(),
    Choices: z.array(z.object({ Next: z.string() })).optional(),
    Default: z.string().optional(),
  }),
);
const MachineSchema: z.ZodType<Machine> = z.lazy(() =>
  z.object({ StartAt: z.string(), States: z.record(z.string(), StateSchema) }),
);

const ValidatorResultSchema = z.object({
  isValid: z.boolean(),
  errors: z.array(z.object({ 'Error code': z.string(), Message: z.string() })),
});

/** asl-validator is CommonJS without types: load it through require and check what it returns. */
function validateAsl(definition: unknown): z.infer<typeof ValidatorResultSchema> {
  const validator: unknown = createRequire(import.meta.url)('asl-validator');
  if (typeof validator !== 'function') throw new Error('asl-validator did not export a function');
  return ValidatorResultSchema.parse(validator(definition));
}

function readMachine(): { raw: unknown; machine: Machine } {
  const raw: unknown = JSON.parse(readFileSync(ASL_FILE, 'utf8'));
  return { raw, machine: MachineSchema.parse(raw) };
}

interface Located {
  name: string;
  state: State;
  /** The branch (states map) the state lives in; the top level for states outside Parallels. */
  scope: Machine;
  /** The Parallel state around the branch, if any. */
  parallel?: State;
}

function allStates(machine: Machine, parallel?: State): Located[] {
  return Object.entries(machine.States).flatMap(([name, state]) => [
    { name, state, scope: machine, parallel },
    ...(state.Branches ?? []).flatMap((branch) => allStates(branch, state)),
  ]);
}

function tasks(machine: Machine): Located[] {
  return allStates(machine).filter((s) => s.state.Type === 'Task');
}

/** Names of Task states whose Retry does not cover the transient Lambda errors with the default backoff. */
function tasksWithoutLambdaRetry(machine: Machine): string[] {
  return tasks(machine)
    .filter(
      ({ state }) =>
        !LAMBDA_TRANSIENT_ERRORS.every((error) =>
          (state.Retry ?? []).some(
            (r) =>
              r.ErrorEquals.includes(error) && r.IntervalSeconds === 2 && r.BackoffRate === 2 && r.MaxAttempts === 6,
          ),
        ),
    )
    .map((t) => t.name);
}

/** Names of Task states that do not retry a crashed Lambda exactly twice (`LAMBDA_CRASH_ERRORS`). */
function tasksWithoutCrashRetry(machine: Machine): string[] {
  return tasks(machine)
    .filter(
      ({ state }) =>
        !LAMBDA_CRASH_ERRORS.every((error) =>
          (state.Retry ?? []).some((r) => r.ErrorEquals.includes(error) && r.MaxAttempts === 2),
        ),
    )
    .map((t) => t.name);
}

function tasksWithoutTimeout(machine: Machine): string[] {
  return tasks(machine)
    .filter(({ state }) => state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined)
    .map((t) => t.name);
}

function waitForTaskTokenTasks(machine: Machine): Located[] {
  return tasks(machine).filter((t) => (t.state.Resource ?? '').endsWith('.waitForTaskToken'));
}

function passesTaskToken(state: State): boolean {
  const payload = state.Parameters?.Payload;
  const values = typeof payload === 'object' && payload !== null ? Object.entries(payload) : [];
  return values.some(([key, value]) => key.endsWith('.$') && value === '$$.Task.Token');
}

/**
 * Branch tasks that could fail a whole Parallel: a task must catch its own errors (recording
 * ERROR evidence in its branch), unless it is itself such an error recorder, in which case the
 * Parallel's own States.ALL catch must route the run to a safe state.
 */
function branchTasksWithoutCatch(machine: Machine): string[] {
  return tasks(machine)
    .filter((t) => t.parallel !== undefined)
    .filter(({ name, state, scope, parallel }) => {
      const catchesInBranch = (state.Catch ?? []).some(
        (c) => c.ErrorEquals.includes('States.ALL') && scope.States[c.Next] !== undefined,
      );
      if (catchesInBranch) return false;
      const isErrorRecorder = Object.values(scope.States).some((s) => (s.Catch ?? []).some((c) => c.Next === name));
      const parallelCatches = (parallel?.Catch ?? []).some((c) => c.ErrorEquals.includes('States.ALL'));
      return !(isErrorRecorder && parallelCatches);
    })
    .map((t) => t.name);
}

/** Every error name matched by a Retry or Catch, with where it is matched. */
function matchedErrorNames(machine: Machine): { name: string; where: string }[] {
  return allStates(machine).flatMap(({ name, state }) => [
    ...(state.Retry ?? []).flatMap((r) => r.ErrorEquals.map((e) => ({ name: e, where: `${name}.Retry` }))),
    ...(state.Catch ?? []).flatMap((c) => c.ErrorEquals.map((e) => ({ name: e, where: `${name}.Catch` }))),
  ]);
}

/** The names the error vocabulary (lambdas/domain/errors.ts) defines. */
const KNOWN_ERROR_NAMES = new Set<string>([
  ...Object.values(ErrorName),
  ...Object.values(StatesError),
  ...LAMBDA_TRANSIENT_ERRORS,
  ...LAMBDA_CRASH_ERRORS,
]);

/** Tasks that do not retry one of the gate's retryable errors (`RETRYABLE_ERRORS`). */
function tasksMissingRetryable(machine: Machine): { task: string; missing: string[] }[] {
  return tasks(machine)
    .map(({ name, state }) => ({
      task: name,
      missing: RETRYABLE_ERRORS.filter(
        (error) => !(state.Retry ?? []).some((r) => r.ErrorEquals.includes(error) && (r.MaxAttempts ?? 3) > 0),
      ),
    }))
    .filter((t) => t.missing.length > 0);
}

/** A cycle of top-level transitions (Next, Catch, Choices, Default) that avoids `avoid`, if any. */
function cycleAvoiding(machine: Machine, avoid: string): string[] | undefined {
  const next = (s: State) => [
    ...(s.Next === undefined ? [] : [s.Next]),
    ...(s.Catch ?? []).map((c) => c.Next),
    ...(s.Choices ?? []).map((c) => c.Next),
    ...(s.Default === undefined ? [] : [s.Default]),
  ];
  const done = new Set<string>();
  const visit = (name: string, path: string[]): string[] | undefined => {
    if (name === avoid || done.has(name)) return undefined;
    if (path.includes(name)) return [...path.slice(path.indexOf(name)), name];
    const state = machine.States[name];
    for (const to of state === undefined ? [] : next(state)) {
      const cycle = visit(to, [...path, name]);
      if (cycle !== undefined) return cycle;
    }
    done.add(name);
    return undefined;
  };
  for (const name of Object.keys(machine.States)) {
    const cycle = visit(name, []);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

/** Top-level states where an execution can stop. */
function endStates(machine: Machine): string[] {
  return Object.entries(machine.States)
    .filter(([, s]) => s.Type === 'Succeed' || s.Type === 'Fail' || s.End === true)
    .map(([name]) => name);
}

describe('State machine: statemachines/release-gate.asl.json', () => {
  describe('when validated with asl-validator', () => {
    it('reports no errors', () => {
      // Prepare
      const { raw } = readMachine();

      // Act
      const result = validateAsl(raw);

      // Assess
      expect(result.errors).toEqual([]);
      expect(result.isValid).toBe(true);
    });

    it('rejects a definition with a missing transition target', () => {
      // Prepare
      const { machine } = readMachine();
      const broken = structuredClone(machine);
      const first = broken.States[broken.StartAt];
      if (first === undefined) throw new Error('StartAt state missing');
      first.Next = 'NoSuchState';

      // Act
      const result = validateAsl(broken);

      // Assess
      expect(result.isValid).toBe(false);
    });
  });

  describe('when its Task states are inspected', () => {
    it('finds Task states, including those inside Parallel branches', () => {
      // Prepare
      const { machine } = readMachine();

      // Act
      const found = tasks(machine);

      // Assess
      expect(found.filter((t) => t.parallel !== undefined).length).toBeGreaterThan(0);
      expect(found.map((t) => t.name)).toEqual(expect.arrayContaining(['RecordRelease', 'Promote', 'Quarantine']));
    });

    it('retries transient Lambda errors on every Task with 2 s interval, backoff 2 and 6 attempts', () => {
      // Prepare
      const { machine } = readMachine();

      // Act
      const missing = tasksWithoutLambdaRetry(machine);

      // Assess
      expect(missing).toEqual([]);
    });

    it('retries a crashed Lambda (Lambda.Unknown) twice on every Task: each step is safe to run again', () => {
      // Prepare
      const { machine } = readMachine();

      // Act
      const missing = tasksWithoutCrashRetry(machine);

      // Assess
      expect(missing).toEqual([]);
    });

    it('bounds every Task with TimeoutSeconds or TimeoutSecondsPath', () => {
      // Prepare
      const { machine } = readMachine();

      // Act
      const missing = tasksWithoutTimeout(machine);

      // Assess
      expect(missing).toEqual([]);
    });

    it('flags a Task whose retry lost the Lambda defaults', () => {
      // Prepare
      const { machine } = readMachine();
      const broken = structuredClone(machine);
      const promote = broken.States.Promote;
      if (promote === undefined) throw new Error('Promote state missing');
      promote.Retry = [
        { ErrorEquals: ['Lambda.ServiceException'], IntervalSeconds: 1, MaxAttempts: 6, BackoffRate: 2 },
      ];
      promote.TimeoutSeconds = undefined;

      // Act
      const withoutRetry = tasksWithoutLambdaRetry(broken);
      const withoutCrashRetry = tasksWithoutCrashRetry(broken);
      const withoutTimeout = tasksWithoutTimeout(broken);

      // Assess
      expect(withoutRetry).toEqual(['Promote']);
      expect(withoutCrashRetry).toEqual(['Promote']);
      expect(withoutTimeout).toEqual(['Promote']);
    });
  });

  describe('when its error names are compared with the error vocabulary', () => {
    it('matches only names defined in lambdas/domain/errors.ts', () => {
      // Prepare
      const { machine } = readMachine();

      // Act
      const unknown = matchedErrorNames(machine).filter((m) => !KNOWN_ERROR_NAMES.has(m.name));

      // Assess
      expect(unknown).toEqual([]);
      expect(matchedErrorNames(machine).length).toBeGreaterThan(0);
    });

    it('retries a SigningError nowhere, and Promote catches it into PromotionFailed', () => {
      // Prepare
      const { machine } = readMachine();

      // Act
      const retried = tasks(machine).filter(({ state }) =>
        (state.Retry ?? []).some(
          (r) => r.ErrorEquals.includes(ErrorName.Signing) || r.ErrorEquals.includes('States.ALL'),
        ),
      );
      const caught = machine.States.Promote?.Catch?.find((c) => c.ErrorEquals.includes(ErrorName.Signing));

      // Assess
      expect(retried.map((t) => t.name)).toEqual([]);
      expect(caught?.Next).toBe('PromotionFailed');
    });

    it('retries every retryable error on every Task', () => {
      // Prepare
      const { machine } = readMachine();

      // Act
      const missing = tasksMissingRetryable(machine);

      // Assess
      expect(missing).toEqual([]);
      expect(RETRYABLE_ERRORS).toEqual(['StoreError', 'RegistryError', 'NotificationError']);
    });

    it('flags a name the vocabulary does not define, and a Task that forgot a retryable error', () => {
      // Prepare
      const machine: Machine = {
        StartAt: 'Step',
        States: {
          Step: {
            Type: 'Task',
            Retry: [{ ErrorEquals: ['StoreError', 'RegistryError'] }],
            Catch: [{ ErrorEquals: ['PromotionBlockedError'], Next: 'Done' }],
            Next: 'Done',
          },
          Done: { Type: 'Succeed' },
        },
      };

      // Act
      const unknown = matchedErrorNames(machine).filter((m) => !KNOWN_ERROR_NAMES.has(m.name));
      const missing = tasksMissingRetryable(machine);

      // Assess
      expect(unknown).toEqual([{ name: 'PromotionBlockedError', where: 'Step.Catch' }]);
      expect(missing).toEqual([{ task: 'Step', missing: ['NotificationError'] }]);
    });

    it('gives every error class the name the vocabulary lists for it', async () => {
      // Prepare
      const errors: Record<string, unknown> = await import('../../lambdas/domain/errors.js');
      const classes = Object.values(errors).filter(
        (v): v is new (...args: unknown[]) => Error => typeof v === 'function' && v.prototype instanceof Error,
      );

      // Act
      const names = classes.map((Class) => {
        const instance = Reflect.construct(Class, ['x', 1, 1]);
        return instance instanceof Error ? instance.name : '';
      });

      // Assess
      expect(classes.length).toBeGreaterThanOrEqual(17);
      for (const name of names) expect(Object.values(ErrorName)).toContain(name);
      expect(new Set(names).size).toBe(names.length);
    });
  });

  describe('when its evidence stages are compared with the evidence registry', () => {
    /** The `kind` each branch of a Parallel state collects (every Task of a branch names one kind). */
    const kindsIn = (machine: Machine, parallel: string): string[] =>
      (machine.States[parallel]?.Branches ?? [])
        .map((branch) => {
          const kinds = new Set(
            Object.values(branch.States).flatMap((st) => {
              const payload = st.Parameters?.Payload;
              const kind = typeof payload === 'object' && payload !== null ? Object(payload).kind : undefined;
              return typeof kind === 'string' ? [kind] : [];
            }),
          );
          return [...kinds].join('+');
        })
        .sort();

    it('collects the collect-stage kinds in CollectEvidence and the derive-stage kinds in DeriveEvidence', () => {
      // Prepare
      const { machine } = readMachine();

      // Act
      const collect = kindsIn(machine, 'CollectEvidence');
      const derive = kindsIn(machine, 'DeriveEvidence');

      // Assess
      expect(collect).toEqual([...kindsOfStage('collect')].sort());
      expect(derive).toEqual([...kindsOfStage('derive')].sort());
    });
  });

  describe('when a Task waits for a task token', () => {
    it('passes $$.Task.Token in its payload', () => {
      // Prepare
      const { machine } = readMachine();

      // Act
      const waiting = waitForTaskTokenTasks(machine);

      // Assess
      expect(waiting.map((t) => t.name)).toEqual(['WaitForScan', 'RequestApproval']);
      for (const task of waiting) expect(passesTaskToken(task.state), task.name).toBe(true);
    });

    it('detects a waiting task without the token', () => {
      // Prepare
      const { machine } = readMachine();
      const broken = structuredClone(machine);
      const approval = broken.States.RequestApproval;
      if (approval === undefined) throw new Error('RequestApproval state missing');
      approval.Parameters = { FunctionName: 'x', Payload: { 'digest.$': '$.digest' } };

      // Act
      const passes = passesTaskToken(approval);

      // Assess
      expect(passes).toBe(false);
    });
  });

  describe('when a Parallel branch task fails', () => {
    it('is caught in its branch, or the Parallel catches it and quarantines', () => {
      // Prepare
      const { machine } = readMachine();

      // Act
      const uncaught = branchTasksWithoutCatch(machine);

      // Assess
      expect(uncaught).toEqual([]);
      expect(machine.States.CollectEvidence?.Catch?.map((c) => c.Next)).toEqual(['Quarantine']);
    });

    it('flags a collecting task without its own Catch', () => {
      // Prepare
      const { machine } = readMachine();
      const broken = structuredClone(machine);
      const sbom = broken.States.CollectEvidence?.Branches?.[0]?.States.CollectSbom;
      if (sbom === undefined) throw new Error('CollectSbom state missing');
      sbom.Catch = undefined;

      // Act
      const uncaught = branchTasksWithoutCatch(broken);

      // Assess: its error recorder is no longer reached from a Catch either
      expect(uncaught).toEqual(['CollectSbom', 'RecordSbomError']);
    });
  });

  describe('when an execution loops back (onEvidenceChange: reapprove)', () => {
    it('goes back to EvaluatePolicy only from Promote, so every loop passes through its bound', () => {
      // Prepare
      const { machine } = readMachine();

      // Act
      const cycle = cycleAvoiding(machine, 'Promote');

      // Assess
      expect(cycle).toBeUndefined();
      expect(machine.States.IsPromoted?.Choices?.map((c) => c.Next).sort()).toEqual(['EvaluatePolicy', 'Promoted']);
    });

    it('flags a loop that avoids Promote', () => {
      // Prepare
      const { machine } = readMachine();
      const broken = structuredClone(machine);
      const blocked = broken.States.PolicyBlocked;
      if (blocked === undefined) throw new Error('PolicyBlocked state missing');
      blocked.Next = 'EvaluatePolicy';

      // Act
      const cycle = cycleAvoiding(broken, 'Promote');

      // Assess
      expect(cycle).toEqual(['EvaluatePolicy', 'IsPolicySatisfied', 'PolicyBlocked', 'EvaluatePolicy']);
    });
  });

  describe('when an execution ends', () => {
    it('ends only in Promoted, Quarantined, CoveredByIndex, PromotionFailed or QuarantineFailed', () => {
      // Prepare
      const { machine } = readMachine();

      // Act
      const ends = endStates(machine);

      // Assess
      expect([...ends].sort()).toEqual([...END_STATES].sort());
      expect(machine.States.Promoted?.Type).toBe('Succeed');
      expect(machine.States.Quarantined?.Type).toBe('Succeed');
      expect(machine.States.PromotionFailed?.Type).toBe('Fail');
      expect(machine.States.QuarantineFailed?.Type).toBe('Fail');
    });
  });
});
