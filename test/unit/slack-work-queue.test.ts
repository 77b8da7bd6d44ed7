/**
 * The SlackWorkQueue contract (issue 8 §1: acknowledge within 3 s, do the work after), against both
 * adapters: the Lambda self-invoke (a LambdaClient whose answers follow the Invoke API reference,
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: an `Event` invocation is accepted
 * with StatusCode 202) and the in-process queue of the embedded stack.
 */
import type { InvokeCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { InProcessWorkQueue } from '../../cli/local/in-process-work-queue.js';
import { isSlackWorkEvent, LambdaWorkQueue } from '../../lambdas/adapters/slack/lambda-work-queue.js';
import { NotificationError } from '../../lambdas/domain/errors.js';
import type { SlackWork, SlackWorkQueue } from '../../lambdas/domain/ports.js';
import { parseSlackWorkEvent } from '../../lambdas/handlers/slack-interactions.js';

const WORK: SlackWork = {
  answer: {
    userId: 'U0BOB',
    decision: 'reject',
    approvalId: '0123456789abcdef0123456789abcdef',
    evidenceSetDigest: `sha256:${'cd'.repeat(32)}`,
    comment: 'libfoo changes its licence',
    responseUrl: 'https://hooks.slack.com/actions/T0GATE/1/abc',
    channelId: 'C0RELEASES',
    messageTs: '1765000000.000100',
  },
  origin: { sourceIp: '192.0.2.1', userAgent: 'Slackbot 1.0' },
};

/** A queue under test: how it delivers, and what the worker has received so far. */
interface Harness {
  readonly queue: SlackWorkQueue;
  /** Runs what the transport holds (the Lambda service invoking the worker; the local server after its answer). */
  deliver(): Promise<void>;
  readonly received: SlackWork[];
}

/** The Lambda adapter, its client recording each Invoke; the worker entry parses what was sent. */
function lambdaHarness(answer: () => Promise<{ StatusCode?: number }> = async () => ({ StatusCode: 202 })) {
  const sent: InvokeCommand[] = [];
  const received: SlackWork[] = [];
  const client = {
    send: async (command: InvokeCommand) => {
      sent.push(command);
      return answer();
    },
  };
  const queue = new LambdaWorkQueue({ client: client as never, functionName: 'gate-approval-api' });
  return {
    sent,
    harness: {
      queue,
      received,
      deliver: async () => {
        for (const c of sent.splice(0)) {
          const event: unknown = JSON.parse(new TextDecoder().decode(c.input.Payload as Uint8Array));
          expect(isSlackWorkEvent(event)).toBe(true);
          const work = parseSlackWorkEvent(event);
          if (work !== undefined) received.push(work);
        }
      },
    } satisfies Harness,
  };
}

function inProcessHarness(): Harness {
  const received: SlackWork[] = [];
  const queue = new InProcessWorkQueue(
    async (w) => received.push(w),
    (err) => {
      throw err;
    },
  );
  return {
    queue,
    received,
    deliver: async () => {
      queue.runPending();
      await queue.settled();
    },
  };
}

describe.each([
  ['LambdaWorkQueue (self-invoke)', () => lambdaHarness().harness],
  ['InProcessWorkQueue (local)', inProcessHarness],
] as const)('Contract: SlackWorkQueue, %s', (_, make) => {
  it('accepts the work without doing it, and delivers it after, equal to what was queued', async () => {
    // Prepare
    const h = make();

    // Act
    await h.queue.enqueue(WORK);
    const before = [...h.received];
    await h.deliver();

    // Assess
    expect(before).toEqual([]);
    expect(h.received).toEqual([WORK]);
  });

  it('delivers each answer once, in order', async () => {
    // Prepare
    const h = make();
    const second = { answer: { ...WORK.answer, userId: 'U0CAROL', decision: 'approve' as const } };

    // Act
    await h.queue.enqueue(WORK);
    await h.queue.enqueue(second);
    await h.deliver();
    await h.deliver();

    // Assess
    expect(h.received).toEqual([WORK, second]);
  });
});

describe('Class: LambdaWorkQueue', () => {
  describe('Method: enqueue', () => {
    it('invokes this function asynchronously with the parsed answer as a worker event, never a raw body', async () => {
      // Prepare
      const { sent, harness } = lambdaHarness();

      // Act
      await harness.queue.enqueue(WORK);

      // Assess
      expect(sent).toHaveLength(1);
      const input = sent[0]?.input;
      expect(input).toMatchObject({ FunctionName: 'gate-approval-api', InvocationType: 'Event' });
      expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual({
        source: 'release-gate.slack-worker',
        work: WORK,
      });
    });

    it.each([
      ['the Invoke call fails', async () => Promise.reject(new Error('AccessDeniedException'))],
      ['Lambda does not accept the event (not 202)', async () => ({ StatusCode: 200 })],
    ])('throws NotificationError when %s, so the click is refused rather than dropped', async (_, answer) => {
      // Prepare
      const { harness } = lambdaHarness(answer);

      // Act
      const queued = harness.queue.enqueue(WORK);

      // Assess
      await expect(queued).rejects.toThrowWithCode(NotificationError, 'NOTIFICATION_ERROR', 'not queued');
    });
  });
});

describe('Function: isSlackWorkEvent', () => {
  it('is false for every API Gateway HTTP API event, whatever its body says', () => {
    // Prepare: a request whose body is a worker event, as an attacker could send it.
    const apiEvent = {
      version: '2.0',
      routeKey: 'POST /slack/interactions',
      rawPath: '/slack/interactions',
      headers: { 'content-type': 'application/json' },
      requestContext: { http: { method: 'POST', sourceIp: '198.51.100.7' } },
      body: JSON.stringify({ source: 'release-gate.slack-worker', work: WORK }),
      isBase64Encoded: false,
    };

    // Act & Assess
    expect(isSlackWorkEvent(apiEvent)).toBe(false);
    expect(parseSlackWorkEvent(apiEvent)).toBeUndefined();
    expect(parseSlackWorkEvent({ source: 'release-gate.slack-worker', work: WORK, extra: 1 })).toBeUndefined();
  });
});
