/**
 * SnsNotifier and EventBridgeOutcomes. No SNS or EventBridge stand-in runs here, so each client's
 * send is stubbed at the front of its middleware stack: the real clients and command objects, with
 * responses and exception classes shaped per the SNS Publish and EventBridge PutEvents API
 * references (PutEvents reports a rejected entry with HTTP 200 and FailedEntryCount, not an error).
 */
import {
  EventBridgeClient,
  type ServiceInputTypes as EventBridgeInput,
  type ServiceOutputTypes as EventBridgeOutput,
  InternalException,
} from '@aws-sdk/client-eventbridge';
import {
  InternalErrorException,
  SNSClient,
  type ServiceInputTypes as SnsInput,
  type ServiceOutputTypes as SnsOutput,
} from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventBridgeOutcomes } from '../../lambdas/adapters/notify/eventbridge-outcomes.js';
import { SnsNotifier, snsSubject } from '../../lambdas/adapters/notify/sns-notifier.js';
import { InvalidInputError } from '../../lambdas/domain/errors.js';
import { STUB_CREDENTIALS, stubSend } from '../support/aws-stubs.js';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:release-gate';
function stubbedSns(respond: () => SnsOutput | Error) {
  const client = new SNSClient({ region: 'eu-west-1', credentials: STUB_CREDENTIALS });
  return { client, calls: stubSend<SnsInput, SnsOutput>(client, respond) };
}

function stubbedEvents(respond: () => EventBridgeOutput | Error) {
  const client = new EventBridgeClient({ region: 'eu-west-1', credentials: STUB_CREDENTIALS });
  return { client, calls: stubSend<EventBridgeInput, EventBridgeOutput>(client, respond) };
}

const AttributeSchema = z.object({ DataType: z.literal('String'), StringValue: z.string() });
const PublishInputSchema = z.object({
  TopicArn: z.string(),
  Subject: z.string(),
  Message: z.string(),
  MessageStructure: z.literal('json'),
  MessageAttributes: z.object({ event: AttributeSchema, repository: AttributeSchema.optional() }),
});
/** `MessageStructure: json`: the text for email, the JSON for every other protocol. */
const BodySchema = z.object({ default: z.string(), email: z.string() }).strict();
const JsonPartSchema = z.object({
  event: z.string(),
  subject: z.string(),
  links: z.object({ report: z.string().optional(), execution: z.string().optional() }),
  detail: z.record(z.string(), z.unknown()),
});

function sent(calls: readonly { input: unknown }[]) {
  const input = PublishInputSchema.parse(calls[0]?.input);
  const body = BodySchema.parse(JSON.parse(input.Message));
  return { input, text: body.email, json: JsonPartSchema.parse(JSON.parse(body.default)) };
}

const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:release-gate:team-app-0123456789ab-cd';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

const PutEventsInputSchema = z.object({
  Entries: z.array(
    z.object({ Source: z.string(), DetailType: z.string(), Detail: z.string(), EventBusName: z.string().optional() }),
  ),
});

describe('Class: SnsNotifier', () => {
  describe('Method: publish', () => {
    describe('when a release was promoted in an execution', () => {
      it('sends a readable text to email with links to the report and the execution, and the JSON to the rest', async () => {
        // Prepare
        const { client, calls } = stubbedSns(() => ({ $metadata: {}, MessageId: 'm-1' }));
        const notifier = new SnsNotifier({
          client,
          topicArn: TOPIC_ARN,
          invocation: () => ({ executionArn: EXECUTION_ARN }),
        });
        const message = { repository: 'team/app', digest: DIGEST, targetRepository: 'prod/team/app', tag: 'v1' };

        // Act
        await notifier.publish('Promoted: team/app@sha256:abababab', message, 'Release Promoted');

        // Assess
        const { input, text, json } = sent(calls);
        expect(input.TopicArn).toBe(TOPIC_ARN);
        expect(input.Subject).toBe('Promoted: team/app@sha256:abababab');
        expect(text.split('\n')).toEqual([
          'Promoted: team/app@sha256:abababab',
          '',
          'Event:       Release Promoted',
          'Repository:  team/app',
          `Digest:      ${DIGEST}`,
          '',
          `Report:        release-gate report ${DIGEST} --repository team/app --aws --open`,
          `Execution:     https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`,
          '',
          'Details:',
          '  targetRepository: prod/team/app',
          '  tag: v1',
          '',
        ]);
        expect(text).not.toContain('{');
        expect(json).toEqual({
          event: 'Release Promoted',
          subject: 'Promoted: team/app@sha256:abababab',
          links: {
            report: `release-gate report ${DIGEST} --repository team/app --aws --open`,
            execution: expect.stringContaining(EXECUTION_ARN),
          },
          detail: message,
        });
      });

      it('carries the event type and the repository as message attributes, for filter policies', async () => {
        // Prepare
        const { client, calls } = stubbedSns(() => ({ $metadata: {}, MessageId: 'm-2' }));
        const notifier = new SnsNotifier({ client, topicArn: TOPIC_ARN });

        // Act
        await notifier.publish('Newly affected', { repository: 'team/app', digest: DIGEST }, 'Release Newly Affected');

        // Assess
        expect(sent(calls).input.MessageAttributes).toEqual({
          event: { DataType: 'String', StringValue: 'Release Newly Affected' },
          repository: { DataType: 'String', StringValue: 'team/app' },
        });
      });
    });

    describe('when the detail carries lists, nested objects and control characters', () => {
      it('renders them indented, one line per value, without the control characters', async () => {
        // Prepare
        const { client, calls } = stubbedSns(() => ({ $metadata: {}, MessageId: 'm-3' }));
        const notifier = new SnsNotifier({ client, topicArn: TOPIC_ARN, invocation: () => ({}) });
        const reasons = Array.from({ length: 25 }, (_, n) => `signature: FAIL: reason ${n}`);
        const message = {
          repository: 'team/app',
          digest: DIGEST,
          reasons: ['sbom: \u001b[31mred\u001b[0m\nsecond line', ...reasons],
          quarantineTag: null,
          live: { targetRepository: 'prod/team/app', from: '2026-12-01T00:00:00Z' },
        };

        // Act
        await notifier.publish('Quarantined: team/app', message, 'Release Quarantined');

        // Assess
        const { text } = sent(calls);
        expect([...text].filter((c) => c !== '\n' && /\p{Cc}/u.test(c))).toEqual([]);
        expect(text).toContain('  reasons:\n    - sbom:  [31mred [0m second line\n    - signature: FAIL: reason 0\n');
        expect(text).toContain('    … and 6 more\n');
        expect(text).toContain('  quarantineTag: -\n  live:\n    targetRepository: prod/team/app\n');
        expect(text).not.toContain('Execution:');
      });
    });

    describe('when the detail names an execution of its own (a release resubmitted)', () => {
      it('links that execution', async () => {
        // Prepare
        const { client, calls } = stubbedSns(() => ({ $metadata: {}, MessageId: 'm-4' }));
        const notifier = new SnsNotifier({ client, topicArn: TOPIC_ARN, invocation: () => ({}) });

        // Act
        await notifier.publish(
          'Released',
          { repository: 'team/app', digest: DIGEST, executionArn: EXECUTION_ARN },
          'Release Resubmitted',
        );

        // Assess
        expect(sent(calls).json.links.execution).toContain(`#/v2/executions/details/${EXECUTION_ARN}`);
      });
    });

    describe('when the subject is long or has line breaks and non-ASCII characters', () => {
      it('sends a single-line ASCII subject of at most 100 characters', async () => {
        // Prepare
        const { client, calls } = stubbedSns(() => ({ $metadata: {}, MessageId: 'm-5' }));
        const notifier = new SnsNotifier({ client, topicArn: TOPIC_ARN });
        const subject = `Release quarantined ✗\nteam/${'very-long-repository-name-'.repeat(6)}`;

        // Act
        await notifier.publish(subject, {}, 'Release Quarantined');

        // Assess
        const input = sent(calls).input;
        expect(input.Subject.length).toBeLessThanOrEqual(100);
        expect(input.Subject).toMatch(/^[\x20-\x7e]+$/);
        expect(input.Subject.startsWith('Release quarantined team/very-long')).toBe(true);
        expect(input.Subject.endsWith('...')).toBe(true);
        expect(input.MessageAttributes.repository).toBeUndefined();
      });
    });

    describe('when SNS fails', () => {
      it('throws NotificationError with the SDK error as cause', async () => {
        // Prepare
        const { client } = stubbedSns(() => new InternalErrorException({ message: 'boom', $metadata: {} }));
        const notifier = new SnsNotifier({ client, topicArn: TOPIC_ARN });

        // Act
        const act = notifier.publish('x', {}, 'Release Promoted');

        // Assess
        await expect(act).rejects.toMatchObject({
          name: 'NotificationError',
          cause: expect.objectContaining({ name: 'InternalErrorException' }),
        });
      });
    });

    describe('when the message is above the SNS size limit', () => {
      it('throws InvalidInputError without calling SNS', async () => {
        // Prepare
        const { client, calls } = stubbedSns(() => ({ $metadata: {} }));
        const notifier = new SnsNotifier({ client, topicArn: TOPIC_ARN });

        // Act
        const act = notifier.publish('big', { blob: 'x'.repeat(300 * 1024) }, 'Release Promoted');

        // Assess
        await expect(act).rejects.toBeInstanceOf(InvalidInputError);
        expect(calls).toHaveLength(0);
      });
    });
  });

  describe('Function: snsSubject', () => {
    describe('when the subject is empty after cleaning', () => {
      it('falls back to a generic subject', () => {
        // Act
        const subject = snsSubject('\n\t✓✓');

        // Assess
        expect(subject).toBe('release-gate notification');
      });
    });
  });
});

describe('Class: EventBridgeOutcomes', () => {
  describe('Method: emit', () => {
    describe('when the event is accepted', () => {
      it('puts one entry with source release-gate, the detail type and the JSON detail', async () => {
        // Prepare
        const { client, calls } = stubbedEvents(() => ({
          $metadata: {},
          FailedEntryCount: 0,
          Entries: [{ EventId: 'e-1' }],
        }));
        const outcomes = new EventBridgeOutcomes({ client, eventBusName: 'gate-bus' });
        const detail = { repository: 'team/app', digest: 'sha256:abc', reasons: ['signature: MISSING'] };

        // Act
        await outcomes.emit('Release Quarantined', detail);

        // Assess
        const entries = PutEventsInputSchema.parse(calls[0]?.input).Entries;
        expect(entries).toHaveLength(1);
        expect(entries[0]).toMatchObject({
          Source: 'release-gate',
          DetailType: 'Release Quarantined',
          EventBusName: 'gate-bus',
        });
        expect(JSON.parse(entries[0]?.Detail ?? 'null')).toEqual(detail);
      });
    });

    describe('when no event bus is configured', () => {
      it('leaves EventBusName out (the default bus)', async () => {
        // Prepare
        const { client, calls } = stubbedEvents(() => ({ $metadata: {}, FailedEntryCount: 0, Entries: [{}] }));
        const outcomes = new EventBridgeOutcomes({ client });

        // Act
        await outcomes.emit('Release Promoted', { repository: 'team/app' });

        // Assess
        expect(PutEventsInputSchema.parse(calls[0]?.input).Entries[0]?.EventBusName).toBeUndefined();
      });
    });

    describe('when EventBridge rejects the entry (HTTP 200, FailedEntryCount 1)', () => {
      it('throws NotificationError naming the entry error', async () => {
        // Prepare
        const { client } = stubbedEvents(() => ({
          $metadata: { httpStatusCode: 200 },
          FailedEntryCount: 1,
          Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service error' }],
        }));
        const outcomes = new EventBridgeOutcomes({ client });

        // Act
        const act = outcomes.emit('Approval Requested', { approvalId: 'a-1' });

        // Assess
        await expect(act).rejects.toMatchObject({ name: 'NotificationError', code: 'NOTIFICATION_ERROR' });
        await expect(act).rejects.toThrow(/InternalFailure/);
      });
    });

    describe('when the PutEvents call fails', () => {
      it('throws NotificationError with the SDK error as cause', async () => {
        // Prepare
        const { client } = stubbedEvents(() => new InternalException({ message: 'boom', $metadata: {} }));
        const outcomes = new EventBridgeOutcomes({ client });

        // Act
        const act = outcomes.emit('Release Promoted', {});

        // Assess
        await expect(act).rejects.toMatchObject({
          name: 'NotificationError',
          cause: expect.objectContaining({ name: 'InternalException' }),
        });
      });
    });
  });
});
