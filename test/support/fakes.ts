/**
 * Fakes of the workflow's outside world (Step Functions, SNS, EventBridge, the clock) that record
 * what the handlers asked of them. Each behaves like the service where a test depends on it.
 */
import { randomBytes } from 'node:crypto';
import type { LinkKeys } from '../../lambdas/domain/approval/link.js';
import { ExpiredError, NotFoundError } from '../../lambdas/domain/errors.js';
import type {
  ApprovalEmail,
  ApprovalMailer,
  Clock,
  ExecutionStarter,
  LinkSecrets,
  NotificationEvent,
  Notifier,
  OutcomeEmitter,
  OutcomeEventType,
  ScanFindingsSource,
  TaskTokenPort,
} from '../../lambdas/domain/ports.js';

/** Records answers and, like Step Functions, refuses a second answer to one token (TaskTimedOut). */
export class RecordingTokens implements TaskTokenPort {
  public readonly successes: { taskToken: string; output: unknown }[] = [];
  public readonly failures: { taskToken: string; error: string; cause: string }[] = [];
  private readonly answered = new Set<string>();
  private answer(taskToken: string): void {
    if (this.answered.has(taskToken)) throw new ExpiredError('the task token is no longer valid (TaskTimedOut)');
    this.answered.add(taskToken);
  }
  public async sendSuccess(taskToken: string, output: unknown): Promise<void> {
    this.answer(taskToken);
    this.successes.push({ taskToken, output });
  }
  public async sendFailure(taskToken: string, error: string, cause: string): Promise<void> {
    this.answer(taskToken);
    this.failures.push({ taskToken, error, cause });
  }
}

/** Behaves like Step Functions Standard: a known name is not started again. */
export class RecordingStarter implements ExecutionStarter {
  public readonly started: { name: string; input: unknown }[] = [];
  public async start(name: string, input: unknown) {
    const alreadyExisted = this.started.some((s) => s.name === name);
    this.started.push({ name, input });
    return { executionArn: `arn:aws:states:us-east-1:123456789012:execution:release-gate:${name}`, alreadyExisted };
  }
}

export class RecordingNotifier implements Notifier {
  public readonly messages: {
    subject: string;
    message: Readonly<Record<string, unknown>>;
    event: NotificationEvent;
  }[] = [];
  public async publish(
    subject: string,
    message: Readonly<Record<string, unknown>>,
    event: NotificationEvent,
  ): Promise<void> {
    this.messages.push({ subject, message, event });
  }
}

export class RecordingOutcomes implements OutcomeEmitter {
  public readonly events: { type: OutcomeEventType; detail: Readonly<Record<string, unknown>> }[] = [];
  public async emit(type: OutcomeEventType, detail: Readonly<Record<string, unknown>>): Promise<void> {
    this.events.push({ type, detail });
  }
}

/** A clock that stands still until a test moves it. */
export class FixedClock implements Clock {
  public constructor(private at: Date) {}
  public now(): Date {
    return new Date(this.at);
  }
  public advance(seconds: number): void {
    this.at = new Date(this.at.getTime() + seconds * 1000);
  }
}

/** A scan source that has never scanned anything (NotFoundError, as ECR answers for an unscanned image). */
export const noScans: ScanFindingsSource = {
  getFindings: async (subject) => {
    throw new NotFoundError(`no scan for ${subject.repository}@${subject.digest}`);
  },
};

/** Records every approval mail, as the outbox does, in memory. */
export class RecordingMailer implements ApprovalMailer {
  public readonly sent: ApprovalEmail[] = [];
  public async send(mail: ApprovalEmail): Promise<void> {
    this.sent.push(mail);
  }
}

/** Link signing keys held in memory: a fresh random current key, and a previous one when given. */
export class MemoryLinkSecrets implements LinkSecrets {
  public constructor(public keys: LinkKeys = { current: randomBytes(32) }) {}
  public async getLinkKeys(): Promise<LinkKeys> {
    return this.keys;
  }
}

/**
 * An AWS SDK v3 client stand-in for services with no local emulator (Secrets Manager, SES): `send`
 * records each command and answers with `answer()` (a response shaped as the API reference
 * documents it), or throws what it throws.
 */
export function stubSdkClient<Client, Command>(answer: () => unknown): { client: Client; sent: Command[] } {
  const sent: Command[] = [];
  const client = {
    send: async (command: Command) => {
      sent.push(command);
      return answer();
    },
  } as unknown as Client;
  return { client, sent };
}
