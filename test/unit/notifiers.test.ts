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

const PublishInputSchema = z.object({
  TopicArn: z.string(),
  Subject: z.string(),
  Message: z.string(),
  MessageAttributes: z.object({ event: z.object({ DataType: z.literal('String'), StringValue: z.string() }) }),
});

const PutEventsInputSchema = z.object({
  Entries: z.array(
    z.object({ Source: z.string(), DetailType: z.string(), Detail: z.string(), EventBusName: z.string().optional() }),
  ),
});

describe('Class: SnsNotifier', () => {
  describe('Method: publish', () => {
    describe('when the message is accepted', () => {
      it('publishes the message as JSON with the event attribute', async () => {
        // Prepare
        const { client, calls } = stubbedSns(() => ({ $metadata: {}, MessageId: 'm-1' }));
        const notifier = new SnsNotifier({ client, topicArn: TOPIC_ARN });
        const message = { event: 'approval-requested', repository: 'team/app', digest: 'sha256:abc' };

        // Act
        await notifier.publish('Approval requested: team/app', message);

        // Assess
        const input = PublishInputSchema.parse(calls[0]?.input);
        expect(input.TopicArn).toBe(TOPIC_ARN);
        expect(input.Subject).toBe('Approval requested: team/app');
        expect(JSON.parse(input.Message)).toEqual(message);
        expect(input.MessageAttributes.event.StringValue).toBe('approval-requested');
      });
    });

    describe('when the message names no event', () => {
      it('uses the default event attribute', async () => {
        // Prepare
        const { client, calls } = stubbedSns(() => ({ $metadata: {}, MessageId: 'm-2' }));
        const notifier = new SnsNotifier({ client, topicArn: TOPIC_ARN });

        // Act
        await notifier.publish('Release quarantined', { repository: 'team/app' });

        // Assess
        expect(PublishInputSchema.parse(calls[0]?.input).MessageAttributes.event.StringValue).toBe('release-gate');
      });
    });

    describe('when the subject is long or has line breaks and non-ASCII characters', () => {
      it('sends a single-line ASCII subject of at most 100 characters', async () => {
        // Prepare
        const { client, calls } = stubbedSns(() => ({ $metadata: {}, MessageId: 'm-3' }));
        const notifier = new SnsNotifier({ client, topicArn: TOPIC_ARN });
        const subject = `Release quarantined ✗\nteam/${'very-long-repository-name-'.repeat(6)}`;

        // Act
        await notifier.publish(subject, {});

        // Assess
        const sent = PublishInputSchema.parse(calls[0]?.input).Subject;
        expect(sent.length).toBeLessThanOrEqual(100);
        expect(sent).toMatch(/^[\x20-\x7e]+$/);
        expect(sent.startsWith('Release quarantined team/very-long')).toBe(true);
        expect(sent.endsWith('...')).toBe(true);
      });
    });

    describe('when SNS fails', () => {
      it('throws NotificationError with the SDK error as cause', async () => {
        // Prepare
        const { client } = stubbedSns(() => new InternalErrorException({ message: 'boom', $metadata: {} }));
        const notifier = new SnsNotifier({ client, topicArn: TOPIC_ARN });

        // Act
        const act = notifier.publish('x', {});

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
        const act = notifier.publish('big', { blob: 'x'.repeat(300 * 1024) });

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
