/**
 * SfnExecutionStarter and SfnTaskTokens. No Step Functions stand-in serves the StartExecution /
 * SendTask* API here (aws-local-stepfunctions runs the ASL, not the service API), so the client's
 * send is stubbed at the front of its middleware stack: the real SFNClient and real command
 * objects, with responses and the SDK's own exception classes shaped per the Step Functions API
 * reference (StartExecution, SendTaskSuccess, SendTaskFailure).
 */
import {
  ExecutionAlreadyExists,
  InvalidToken,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  SFNClient,
  SFNServiceException,
  StateMachineDoesNotExist,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { SfnExecutionStarter, SfnTaskTokens } from '../../lambdas/adapters/sfn/aws-sfn.js';
import { GateError, InvalidInputError } from '../../lambdas/domain/errors.js';
import { STUB_CREDENTIALS, stubSend } from '../support/aws-stubs.js';

const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:release-gate';

/** A real SFNClient whose `send` answers with `respond` instead of calling AWS. */
function stubbedClient(respond: (command: string, input: ServiceInputTypes) => ServiceOutputTypes | Error) {
  const client = new SFNClient({ region: 'eu-west-1', credentials: STUB_CREDENTIALS });
  return { client, calls: stubSend(client, respond) };
}

describe('Class: SfnExecutionStarter', () => {
  describe('Method: start', () => {
    describe('when the execution is new', () => {
      it('starts it under the given name with the JSON input', async () => {
        // Prepare
        const arn = 'arn:aws:states:eu-west-1:123456789012:execution:release-gate:team-app-sha256-abc';
        const { client, calls } = stubbedClient(() => ({
          $metadata: {},
          executionArn: arn,
          startDate: new Date('2026-01-10T10:00:00Z'),
        }));
        const starter = new SfnExecutionStarter({ client, stateMachineArn: STATE_MACHINE_ARN });

        // Act
        const result = await starter.start('team-app-sha256-abc', { repository: 'team/app', digest: 'sha256:abc' });

        // Assess
        expect(result).toEqual({ executionArn: arn, alreadyExisted: false });
        expect(calls).toEqual([
          {
            command: 'StartExecutionCommand',
            input: {
              stateMachineArn: STATE_MACHINE_ARN,
              name: 'team-app-sha256-abc',
              input: '{"repository":"team/app","digest":"sha256:abc"}',
            },
          },
        ]);
      });
    });

    describe('when an execution of that name already exists', () => {
      it('returns the ARN derived from the state machine ARN and alreadyExisted', async () => {
        // Prepare
        const { client } = stubbedClient(
          () => new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: { httpStatusCode: 400 } }),
        );
        const starter = new SfnExecutionStarter({ client, stateMachineArn: STATE_MACHINE_ARN });

        // Act
        const result = await starter.start('team-app-sha256-abc', {});

        // Assess
        expect(result).toEqual({
          executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:release-gate:team-app-sha256-abc',
          alreadyExisted: true,
        });
      });
    });

    describe('when the state machine lives in another partition', () => {
      it('keeps the partition in the derived ARN', async () => {
        // Prepare
        const { client } = stubbedClient(() => new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
        const starter = new SfnExecutionStarter({
          client,
          stateMachineArn: 'arn:aws-cn:states:cn-north-1:123456789012:stateMachine:gate',
        });

        // Act
        const result = await starter.start('n1', {});

        // Assess
        expect(result.executionArn).toBe('arn:aws-cn:states:cn-north-1:123456789012:execution:gate:n1');
      });
    });

    describe('when the state machine does not exist', () => {
      it('throws CONFIG_ERROR', async () => {
        // Prepare
        const { client } = stubbedClient(() => new StateMachineDoesNotExist({ message: 'nope', $metadata: {} }));
        const starter = new SfnExecutionStarter({ client, stateMachineArn: STATE_MACHINE_ARN });

        // Act
        const act = starter.start('n1', {});

        // Assess
        await expect(act).rejects.toMatchObject({ code: 'CONFIG_ERROR' });
      });
    });

    describe('when Step Functions throttles', () => {
      it('rethrows the SDK error unchanged so the Lambda retry sees it', async () => {
        // Prepare
        const throttled = new SFNServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          message: 'Rate exceeded',
          $metadata: { httpStatusCode: 400 },
        });
        const { client } = stubbedClient(() => throttled);
        const starter = new SfnExecutionStarter({ client, stateMachineArn: STATE_MACHINE_ARN });

        // Act
        const act = starter.start('n1', {});

        // Assess
        await expect(act).rejects.toBe(throttled);
      });
    });

    describe('when the name is not a valid execution name', () => {
      it.each(['has:colon', 'has space', 'x'.repeat(81), '', 'bell\u0007', 'brace{'])(
        'throws InvalidInputError for %j',
        async (name) => {
          // Prepare
          const { client, calls } = stubbedClient(() => ({ $metadata: {}, executionArn: 'a', startDate: new Date() }));
          const starter = new SfnExecutionStarter({ client, stateMachineArn: STATE_MACHINE_ARN });

          // Act
          const act = starter.start(name, {});

          // Assess
          await expect(act).rejects.toBeInstanceOf(InvalidInputError);
          expect(calls).toHaveLength(0);
        },
      );
    });
  });

  describe('Constructor', () => {
    describe('when the ARN is not a state machine ARN', () => {
      it('throws CONFIG_ERROR naming the expected form', () => {
        // Prepare
        const { client } = stubbedClient(() => ({ $metadata: {} }));

        // Act
        const act = () => new SfnExecutionStarter({ client, stateMachineArn: 'release-gate' });

        // Assess
        expect(act).toThrow(/expected arn:aws:states/);
      });
    });
  });
});

describe('Class: SfnTaskTokens', () => {
  describe('Method: sendSuccess', () => {
    describe('when the task is waiting', () => {
      it('sends the output as JSON', async () => {
        // Prepare
        const { client, calls } = stubbedClient(() => ({ $metadata: {} }));
        const tokens = new SfnTaskTokens({ client });

        // Act
        await tokens.sendSuccess('token-1', { status: 'COMPLETE' });

        // Assess
        expect(calls).toEqual([
          { command: 'SendTaskSuccessCommand', input: { taskToken: 'token-1', output: '{"status":"COMPLETE"}' } },
        ]);
      });
    });

    describe.each([
      ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'gone', $metadata: {} })],
      ['TaskTimedOut', () => new TaskTimedOut({ message: 'late', $metadata: {} })],
      ['InvalidToken', () => new InvalidToken({ message: 'bad', $metadata: {} })],
    ])('when Step Functions answers %s', (_name, error) => {
      it('throws GateError EXPIRED with the SDK error as cause', async () => {
        // Prepare
        const { client } = stubbedClient(error);
        const tokens = new SfnTaskTokens({ client });

        // Act
        const act = tokens.sendSuccess('token-1', {});

        // Assess
        await expect(act).rejects.toBeInstanceOf(GateError);
        await expect(act).rejects.toMatchObject({ code: 'EXPIRED', cause: expect.objectContaining({ name: _name }) });
      });
    });
  });

  describe('Method: sendFailure', () => {
    describe('when error and cause exceed the API limits', () => {
      it('truncates them to 256 and 32768 characters', async () => {
        // Prepare
        const { client, calls } = stubbedClient(() => ({ $metadata: {} }));
        const tokens = new SfnTaskTokens({ client });

        // Act
        await tokens.sendFailure('token-2', 'E'.repeat(300), 'c'.repeat(40_000));

        // Assess
        const input = calls[0]?.input;
        expect(calls[0]?.command).toBe('SendTaskFailureCommand');
        expect(input).toMatchObject({ taskToken: 'token-2' });
        expect(input !== undefined && 'error' in input ? input.error?.length : undefined).toBe(256);
        expect(input !== undefined && 'cause' in input ? input.cause?.length : undefined).toBe(32_768);
      });
    });

    describe('when the task timed out', () => {
      it('throws GateError EXPIRED', async () => {
        // Prepare
        const { client } = stubbedClient(() => new TaskTimedOut({ message: 'late', $metadata: {} }));
        const tokens = new SfnTaskTokens({ client });

        // Act
        const act = tokens.sendFailure('token-3', 'Rejected', 'approver rejected');

        // Assess
        await expect(act).rejects.toMatchObject({ code: 'EXPIRED' });
      });
    });
  });
});
