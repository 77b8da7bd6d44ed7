import { ExpiredError } from '../../lambdas/domain/errors.js';
import type { TaskTokenPort } from '../../lambdas/domain/ports.js';

interface Pending {
  resolve(output: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** An error whose `name` is what the ASL `Catch`/`ErrorEquals` matches (as SendTaskFailure's `error`). */
export class TaskFailedError extends Error {
  public constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/**
 * The local stand-in for SendTaskSuccess/SendTaskFailure. A waiting task registers its token
 * before its handler runs (the handler may answer at once, e.g. when the scan already finished);
 * an answer for an unknown, answered or timed-out token fails like Step Functions' TaskTimedOut.
 */
export class LocalTaskTokens implements TaskTokenPort {
  private readonly pending = new Map<string, Pending>();

  /**
   * Park a task until it is answered or `timeoutSeconds` pass; a timeout fails the task with
   * `States.Timeout`, as Step Functions does, and later answers for the token are refused.
   */
  public register(token: string, timeoutSeconds: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new TaskFailedError('States.Timeout', `Task timed out after ${timeoutSeconds} s`));
      }, timeoutSeconds * 1000);
      timer.unref();
      this.pending.set(token, { resolve, reject, timer });
    });
  }

  public isWaiting(token: string): boolean {
    return this.pending.has(token);
  }

  public async sendSuccess(taskToken: string, output: unknown): Promise<void> {
    this.take(taskToken).resolve(output);
  }

  public async sendFailure(taskToken: string, error: string, cause: string): Promise<void> {
    this.take(taskToken).reject(new TaskFailedError(error, cause));
  }

  private take(token: string): Pending {
    const p = this.pending.get(token);
    if (p === undefined) throw new ExpiredError('task token is unknown, already answered or timed out');
    this.pending.delete(token);
    clearTimeout(p.timer);
    return p;
  }
}
