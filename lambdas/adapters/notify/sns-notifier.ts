import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { InvalidInputError } from '../../domain/errors.js';
import type { Notifier } from '../../domain/ports.js';
import { NotificationError } from './errors.js';

/**
 * SNS limits (Publish API reference): the subject is at most 100 characters, ASCII, starting with a
 * letter, number or punctuation mark, without line breaks or control characters; the message is
 * at most 256 KiB.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
const MAX_SUBJECT_CHARS = 100;
const MAX_MESSAGE_BYTES = 256 * 1024;
const DEFAULT_EVENT = 'release-gate';

export interface SnsNotifierProps {
  readonly client: SNSClient;
  readonly topicArn: string;
}

/**
 * Publishes notifications as JSON to one SNS topic (email subscriptions, chat integrations).
 * The `event` message attribute carries `message.event` when it is a string (default
 * `release-gate`), so subscriptions can filter with a filter policy without parsing the body.
 */
export class SnsNotifier implements Notifier {
  private readonly client: SNSClient;
  private readonly topicArn: string;

  public constructor(props: SnsNotifierProps) {
    this.client = props.client;
    this.topicArn = props.topicArn;
  }

  public async publish(subject: string, message: Readonly<Record<string, unknown>>): Promise<void> {
    const body = JSON.stringify(message);
    const size = Buffer.byteLength(body, 'utf8');
    if (size > MAX_MESSAGE_BYTES) {
      throw new InvalidInputError(`notification is ${size} bytes, above the SNS limit of ${MAX_MESSAGE_BYTES} bytes`);
    }
    const event = typeof message.event === 'string' && message.event !== '' ? message.event : DEFAULT_EVENT;
    try {
      await this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: snsSubject(subject),
          Message: body,
          MessageAttributes: { event: { DataType: 'String', StringValue: event } },
        }),
      );
    } catch (err) {
      throw new NotificationError(`SNS Publish to ${this.topicArn} failed`, { cause: err });
    }
  }
}

/** Printable ASCII only, whitespace runs collapsed, cut to 100 characters with an ellipsis. */
export function snsSubject(subject: string): string {
  const cleaned = subject
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const text = cleaned === '' ? 'release-gate notification' : cleaned;
  return text.length <= MAX_SUBJECT_CHARS ? text : `${text.slice(0, MAX_SUBJECT_CHARS - 3).trimEnd()}...`;
}
