/**
 * A lightweight stand-in for the state machine, for the crash-and-retry suite: it calls the same
 * handler modules the ASL's Tasks call, in the ASL's order (RecordRelease → WaitForScan →
 * CollectEvidence → DeriveEvidence → EvaluatePolicy → RequestApproval → Promote | Quarantine, and from
 * Promote back to EvaluatePolicy when it superseded the approval (`onEvidenceChange: reapprove`)),
 * with the payloads the ASL builds, one step at a time so that side effects have a stable order.
 * A step that fails with an injected crash is invoked again with the same input, as a Step
 * Functions Retry or a redrive of the execution does; a waiting task gets a new token each attempt.
 * test/workflow runs the ASL itself; this loop exists so that a crash can be put after every side
 * effect in turn without waiting out the ASL's retry intervals.
 */
import { ErrorName, ExpiredError, PromotionBlockedError } from '../../lambdas/domain/errors.js';
import { kindsOfStage } from '../../lambdas/domain/evidence/registry.js';
import type { TaskTokenPort } from '../../lambdas/domain/ports.js';
import { decideApproval } from '../../lambdas/domain/workflow/decide-approval.js';
import type { ExecutionInput } from '../../lambdas/domain/workflow/inputs.js';
import type { HandlerDeps } from '../../lambdas/handlers/aws-deps.js';
import { makeHandler as collectEvidence } from '../../lambdas/handlers/collect-evidence.js';
import { makeHandler as evaluatePolicy } from '../../lambdas/handlers/evaluate-policy.js';
import { makeHandler as promote } from '../../lambdas/handlers/promote.js';
import { makeHandler as quarantine } from '../../lambdas/handlers/quarantine.js';
import { makeHandler as recordPusher } from '../../lambdas/handlers/record-pusher.js';
import { makeHandler as recordRelease } from '../../lambdas/handlers/record-release.js';
import { makeHandler as requestApproval } from '../../lambdas/handlers/request-approval.js';
import { makeHandler as scanComplete } from '../../lambdas/handlers/scan-complete.js';
import { makeHandler as startRelease } from '../../lambdas/handlers/start-release.js';
import { makeHandler as waitForScan } from '../../lambdas/handlers/wait-for-scan.js';
import { isInjectedCrash } from './faults.js';

/**
 * Task tokens as Step Functions treats them: only the token of a task's current attempt can be
 * answered, once; an answer to any other token fails (TaskTimedOut), like SendTaskSuccess.
 */
export class LiveTokens implements TaskTokenPort {
  public readonly answers = new Map<
    string,
    { ok: true; output: unknown } | { ok: false; error: string; cause: string }
  >();
  private readonly live = new Set<string>();
  private issued = 0;

  /** A fresh token for a new attempt of `task`; the previous attempt's token dies. */
  public issue(task: string): string {
    for (const t of this.live) if (t.startsWith(`${task}.`)) this.live.delete(t);
    this.issued += 1;
    const token = `${task}.${this.issued}`;
    this.live.add(token);
    return token;
  }

  public async sendSuccess(taskToken: string, output: unknown): Promise<void> {
    this.take(taskToken);
    this.answers.set(taskToken, { ok: true, output });
  }

  public async sendFailure(taskToken: string, error: string, cause: string): Promise<void> {
    this.take(taskToken);
    this.answers.set(taskToken, { ok: false, error, cause });
  }

  /** The answer of `task`'s last attempt; a task left unanswered would wait out its timeout. */
  public answerOf(task: string) {
    const last = [...this.answers.keys()].filter((t) => t.startsWith(`${task}.`)).at(-1);
    return last === undefined ? undefined : this.answers.get(last);
  }

  private take(token: string): void {
    if (!this.live.delete(token)) throw new ExpiredError(`task token ${token} is not waiting (TaskTimedOut)`);
  }
}

export interface DriveOptions {
  /** The handler deps the steps run on (the fault-injecting ones in the crash suite). */
  readonly deps: HandlerDeps;
  readonly tokens: LiveTokens;
  /** The `ECR Image Action` events of the push (one per tag), delivered in order. */
  readonly pushEvents: readonly [unknown, ...unknown[]];
  /** CloudTrail's PutImage record of the push (the pusher). @default - none: the pusher is unknown */
  readonly pusherEvent?: unknown;
  /** The scan-complete event ECR sends for the image. */
  readonly scanEvent: unknown;
  /** The scan-complete event arrives before WaitForScan parks its token. @default false */
  readonly scanFirst?: boolean;
  /** Who answers the approval request, and how; `timeout`: nobody, until the task times out. */
  readonly approval: { readonly decision: 'approve' | 'reject'; readonly by: string } | 'timeout';
  /**
   * Runs after each approval request (round 0, 1, …) and before its answer: how a test changes the
   * evidence under a pending approval. @default - nothing changes
   */
  readonly afterRequest?: (round: number) => Promise<void>;
}

export interface DriveResult {
  /** The state the run ended in, as the ASL names it. */
  readonly end: 'Promoted' | 'Quarantined';
  /** Steps that were invoked again after an injected crash. */
  readonly redriven: string[];
}

/** Runs one release from its push event to Promoted or Quarantined. */
export async function driveRelease(opts: DriveOptions): Promise<DriveResult> {
  const { deps, tokens } = opts;
  const getDeps = async () => deps;
  const redriven: string[] = [];
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (!isInjectedCrash(err)) throw err;
      redriven.push(name);
      return run();
    }
  };

  const [firstPush, ...otherPushes] = opts.pushEvents;
  const started = await step('StartRelease', () => startRelease(getDeps)(firstPush));
  if (!started.started) throw new Error(`the push did not start a release: ${started.reason}`);
  for (const push of otherPushes) await step('StartRelease', () => startRelease(getDeps)(push));
  const { pusherEvent } = opts;
  if (pusherEvent !== undefined) await step('RecordPusher', () => recordPusher(getDeps)(pusherEvent));
  const input: ExecutionInput = started.input;
  const ref = { repository: input.repository, digest: input.digest, stage: input.stage };

  await step('RecordRelease', () =>
    recordRelease(getDeps)({ ...ref, tag: input.tag, executionName: started.executionName }),
  );
  const scanned = () => step('ScanComplete', () => scanComplete(getDeps)(opts.scanEvent));
  if (opts.scanFirst === true) await scanned();
  await step('WaitForScan', () =>
    waitForScan(getDeps)({ ...ref, taskToken: tokens.issue('scan'), timeoutSeconds: input.timeouts.scanSeconds }),
  );
  if (opts.scanFirst !== true) await scanned();
  const scanWait = tokens.answerOf('scan');
  if (scanWait?.ok !== true) throw new Error('WaitForScan was never answered: it would wait out its timeout');

  for (const kind of [...kindsOfStage('collect'), ...kindsOfStage('derive')]) {
    await step(`Collect ${kind}`, () =>
      collectEvidence(getDeps)({ ...ref, kind, ...(kind === 'scan' ? { scanWait: scanWait.output } : {}) }),
    );
  }
  const toQuarantine = (failure: { Error: string; Cause: string }) =>
    step('Quarantine', () => quarantine(getDeps)({ ...ref, failure }));
  // One pass per approval round: Promote sends the workflow back here when it superseded the approval.
  for (let round = 0; ; round++) {
    const decision = await step('EvaluatePolicy', () => evaluatePolicy(getDeps)(ref));
    if (decision.decision !== 'PASS') {
      await toQuarantine({ Error: ErrorName.PolicyBlocked, Cause: 'required evidence did not pass' });
      return { end: 'Quarantined', redriven };
    }
    if (decision.approvalRequired) {
      const requested = await step('RequestApproval', () =>
        requestApproval(getDeps)({
          ...ref,
          taskToken: tokens.issue('approval'),
          reasons: decision.reasons,
          policyDigest: decision.policyDigest,
          timeoutSeconds: decision.approvalTimeoutSeconds,
        }),
      );
      await opts.afterRequest?.(round);
      const answered = opts.approval;
      if (answered === 'timeout') {
        await toQuarantine({ Error: 'States.Timeout', Cause: 'the task timed out' });
        return { end: 'Quarantined', redriven };
      }
      // The approver answers the link of the last request they were sent.
      await step('DecideApproval', () =>
        decideApproval(deps.gate, {
          approvalId: requested.approvalId,
          decision: answered.decision,
          identity: { kind: 'cli-local', subject: answered.by },
          comment: `${answered.decision} from the driver`,
        }),
      );
      const answer = tokens.answerOf('approval');
      if (answer === undefined) throw new Error('RequestApproval was never answered: it would wait out its timeout');
      if (!answer.ok) {
        await toQuarantine({ Error: answer.error, Cause: answer.cause });
        return { end: 'Quarantined', redriven };
      }
    }
    let promoted: Awaited<ReturnType<ReturnType<typeof promote>>>;
    try {
      promoted = await step('Promote', () => promote(getDeps)(ref));
    } catch (err) {
      if (!(err instanceof PromotionBlockedError)) throw err;
      await toQuarantine({ Error: err.name, Cause: err.message });
      return { end: 'Quarantined', redriven };
    }
    if (promoted.outcome !== 'EVIDENCE_CHANGED') return { end: 'Promoted', redriven };
  }
}
