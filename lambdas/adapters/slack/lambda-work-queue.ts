/**
 * SlackWorkQueue on AWS: the approval-api function invokes itself asynchronously
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html, `InvocationType: Event`), with
 * the verified, parsed answer (never the raw body) in the worker event. Lambda accepts the event
 * with HTTP 202 and runs it after this invocation has answered Slack; on an error it retries the
 * event up to twice (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html), which the
 * idempotent decision allows.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { NotificationError } from '../../domain/errors.js';
import type { SlackWork, SlackWorkQueue } from '../../domain/ports.js';

/**
 * The event the approval-api function sends itself with a verified, parsed answer. API Gateway
 * never produces a `source` field, so an HTTP request cannot reach the worker; and only API
 * Gateway (resource policy) and the function's own role (lambda:InvokeFunction on itself) may
 * invoke the function at all.
 */
export const SLACK_WORKER_SOURCE = 'release-gate.slack-worker';

/** The worker event for `work`, as the self-invoke sends it. */
export const slackWorkEvent = (work: SlackWork) => ({ source: SLACK_WORKER_SOURCE, work });

/** True for the self-invoke's event (checked before any API Gateway field is read). */
export const isSlackWorkEvent = (event: unknown): boolean =>
  typeof event === 'object' && event !== null && 'source' in event && event.source === SLACK_WORKER_SOURCE;

export interface LambdaWorkQueueProps {
  readonly client: Pick<LambdaClient, 'send'>;
  /** This function (`AWS_LAMBDA_FUNCTION_NAME`): its role may invoke only itself. */
  readonly functionName: string;
}

export class LambdaWorkQueue implements SlackWorkQueue {
  public constructor(private readonly props: LambdaWorkQueueProps) {}

  public async enqueue(work: SlackWork): Promise<void> {
    let status: number | undefined;
    try {
      const out = await this.props.client.send(
        new InvokeCommand({
          FunctionName: this.props.functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(slackWorkEvent(work))),
        }),
      );
      status = out.StatusCode;
    } catch (err) {
      throw new NotificationError('the Slack answer was not queued (Lambda Invoke failed)', { cause: err });
    }
    // An asynchronous invocation is accepted with 202; anything else did not queue it.
    if (status !== 202)
      throw new NotificationError(`the Slack answer was not queued (Lambda Invoke answered ${status})`);
  }
}
