import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { InvalidInputError } from '../../domain/errors.js';
import type { NotificationEvent, Notifier } from '../../domain/ports.js';
import { currentInvocation, type InvocationContext } from '../observe/invocation-context.js';
import { NotificationError } from './errors.js';
import { notificationLinks, notificationText } from './notification-text.js';

/**
 * SNS limits (Publish API reference): the subject is at most 100 characters, ASCII, starting with a
 * letter, number or punctuation mark, without line breaks or control characters; the message is
 * at most 256 KiB.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
const MAX_SUBJECT_CHARS = 100;
const MAX_MESSAGE_BYTES = 256 * 1024;
/** Message attribute values must be non-empty and are at most this long here (a repository name is shorter). */
const MAX_ATTRIBUTE_CHARS = 256;

export interface SnsNotifierProps {
  readonly client: SNSClient;
  readonly topicArn: string;
  /**
   * The invocation a notification is raised in: its execution is linked.
   * @default - the current Lambda invocation (handlers/invocation.ts sets it)
   */
  readonly invocation?: () => InvocationContext;
}

/**
 * Publishes notifications for people to one SNS topic: a subject and a plain-text body with the
 * release, links to its report and execution, and the event's detail (notification-text.ts).
 * Queues, functions and webhooks subscribed to the topic get the same as JSON (`event`, `subject`,
 * `links`, `detail`) instead. The `event` and `repository` message
 * attributes let a subscription filter without reading the body (a filter policy).
 */
export class SnsNotifier implements Notifier {
  private readonly client: SNSClient;
  private readonly topicArn: string;
  private readonly invocation: () => InvocationContext;

  public constructor(props: SnsNotifierProps) {
    this.client = props.client;
    this.topicArn = props.topicArn;
    this.invocation = props.invocation ?? currentInvocation;
  }

  public async publish(
    subject: string,
    message: Readonly<Record<string, unknown>>,
    event: NotificationEvent,
  ): Promise<void> {
    const links = notificationLinks(message, this.invocation().executionArn);
    const text = notificationText(subject, event, message, links);
    const json = JSON.stringify({ event, subject, links, detail: message });
    // One message per protocol (`MessageStructure: json`): email gets the text; queues, functions,
    // webhooks and Firehose (`default`) get the JSON, once, so the size limit is not spent twice on it.
    // (Publish API reference, MessageStructure).
    const body = JSON.stringify({ default: json, email: text });
    const size = Buffer.byteLength(body, 'utf8');
    if (size > MAX_MESSAGE_BYTES) {
      throw new InvalidInputError(`notification is ${size} bytes, above the SNS limit of ${MAX_MESSAGE_BYTES} bytes`);
    }
    const repository = typeof message.repository === 'string' ? message.repository : '';
    try {
      await this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: snsSubject(subject),
          Message: body,
          MessageStructure: 'json',
          MessageAttributes: {
            event: { DataType: 'String', StringValue: event },
            ...(repository !== '' &&
              repository.length <= MAX_ATTRIBUTE_CHARS && {
                repository: { DataType: 'String', StringValue: repository },
              }),
          },
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
