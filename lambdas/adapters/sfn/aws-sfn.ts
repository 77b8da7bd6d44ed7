import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ConfigError, ExpiredError, InvalidInputError } from '../../domain/errors.js';
import type { ExecutionStarter, TaskTokenPort } from '../../domain/ports.js';
import { sdkErrorName } from '../store/errors.js';

/**
 * Step Functions payload limit: 256 KiB of UTF-8 for execution input and task output.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
const MAX_PAYLOAD_BYTES = 256 * 1024;
/** SendTaskFailure: `error` ≤ 256 characters, `cause` ≤ 32768 characters (API reference). */
const MAX_ERROR_CHARS = 256;
const MAX_CAUSE_CHARS = 32_768;

/**
 * Execution names: 1–80 characters, none of whitespace, `< > { } [ ] ? * " # % \ ^ | ~ \` $ & , ; : /`
 * or control characters (StartExecution API reference).
 */
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]{1,80}$/u;

/** `arn:<partition>:states:<region>:<account>:stateMachine:<name>` */
const STATE_MACHINE_ARN = /^arn:([a-z-]+):states:([a-z0-9-]+):(\d{12}):stateMachine:([^:]+)$/;

export interface SfnExecutionStarterProps {
  readonly client: SFNClient;
  readonly stateMachineArn: string;
}

/**
 * Starts one execution per image digest under a deterministic name. A Standard workflow answers a
 * reused name either with the running execution (same name and input: success, and the response
 * cannot tell it apart from a fresh start, so `alreadyExisted` is false) or with
 * `ExecutionAlreadyExists` (closed execution or different input), which is mapped to the existing
 * execution's ARN and `alreadyExisted: true`.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
export class SfnExecutionStarter implements ExecutionStarter {
  private readonly client: SFNClient;
  private readonly stateMachineArn: string;
  private readonly arnParts: { partition: string; region: string; account: string; name: string };

  public constructor(props: SfnExecutionStarterProps) {
    const match = STATE_MACHINE_ARN.exec(props.stateMachineArn);
    const [, partition, region, account, name] = match ?? [];
    if (partition === undefined || region === undefined || account === undefined || name === undefined) {
      throw new ConfigError(
        `not a state machine ARN: ${props.stateMachineArn} (expected arn:aws:states:<region>:<account>:stateMachine:<name>)`,
      );
    }
    this.client = props.client;
    this.stateMachineArn = props.stateMachineArn;
    this.arnParts = { partition, region, account, name };
  }

  /** The ARN an execution of this state machine named `name` has. */
  public executionArn(name: string): string {
    const { partition, region, account, name: machine } = this.arnParts;
    return `arn:${partition}:states:${region}:${account}:execution:${machine}:${name}`;
  }

  public async start(name: string, input: unknown): Promise<{ executionArn: string; alreadyExisted: boolean }> {
    if (!EXECUTION_NAME.test(name)) throw new InvalidInputError(`invalid Step Functions execution name: ${name}`);
    const body = JSON.stringify(input);
    const size = Buffer.byteLength(body, 'utf8');
    if (size > MAX_PAYLOAD_BYTES) {
      throw new InvalidInputError(`execution input is ${size} bytes, above the ${MAX_PAYLOAD_BYTES} bytes limit`);
    }
    try {
      const out = await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: body }),
      );
      return { executionArn: out.executionArn ?? this.executionArn(name), alreadyExisted: false };
    } catch (err) {
      const errorName = sdkErrorName(err);
      if (errorName === 'ExecutionAlreadyExists')
        return { executionArn: this.executionArn(name), alreadyExisted: true };
      if (
        errorName === 'StateMachineDoesNotExist' ||
        errorName === 'StateMachineDeleting' ||
        errorName === 'InvalidArn'
      ) {
        throw new ConfigError(`state machine ${this.stateMachineArn} cannot be started`, { cause: err });
      }
      // Throttling and service errors keep their SDK name, which Lambda retries and alarms match.
      throw err;
    }
  }
}

export interface SfnTaskTokensProps {
  readonly client: SFNClient;
}

/**
 * Answers `.waitForTaskToken` tasks. A token that no longer exists (`TaskDoesNotExist`), timed out
 * (`TaskTimedOut`) or is malformed (`InvalidToken`) throws `GateError('EXPIRED')`: the waiting task
 * is gone, so the answer arrived too late.
 */
export class SfnTaskTokens implements TaskTokenPort {
  private readonly client: SFNClient;

  public constructor(props: SfnTaskTokensProps) {
    this.client = props.client;
  }

  public async sendSuccess(taskToken: string, output: unknown): Promise<void> {
    const body = JSON.stringify(output ?? null);
    const size = Buffer.byteLength(body, 'utf8');
    if (size > MAX_PAYLOAD_BYTES) {
      throw new InvalidInputError(`task output is ${size} bytes, above the ${MAX_PAYLOAD_BYTES} bytes limit`);
    }
    await this.answer(() => this.client.send(new SendTaskSuccessCommand({ taskToken, output: body })));
  }

  public async sendFailure(taskToken: string, error: string, cause: string): Promise<void> {
    await this.answer(() =>
      this.client.send(
        new SendTaskFailureCommand({
          taskToken,
          error: error.slice(0, MAX_ERROR_CHARS),
          cause: cause.slice(0, MAX_CAUSE_CHARS),
        }),
      ),
    );
  }

  private async answer(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (err) {
      const name = sdkErrorName(err);
      if (name === 'TaskDoesNotExist' || name === 'TaskTimedOut' || name === 'InvalidToken') {
        throw new ExpiredError(`the task token is no longer valid (${name})`, { cause: err });
      }
      throw err;
    }
  }
}
