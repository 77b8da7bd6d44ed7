/**
 * SnsNotifier's real Publish requests against fauxqs (an SNS/SQS emulator on 127.0.0.1), with the
 * README's filter policy on an SQS subscription: the `event` and `repository` message attributes
 * are what a subscriber filters on. fauxqs does not split a `MessageStructure: json` message per
 * protocol (SNS does), so the body is checked in test/unit/notifiers.test.ts and here only the
 * attributes and the filtering.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SnsNotifier } from '../../lambdas/adapters/notify/sns-notifier.js';
import type { NotificationEvent } from '../../lambdas/domain/ports.js';
import { STUB_CREDENTIALS } from '../support/aws-stubs.js';
import { REPO_ROOT } from '../support/cli-process.js';

const REGION = 'eu-west-1';
const DIGEST = `sha256:${'5e'.repeat(32)}`;

/** The README's filter policy (the JSON block under *Notifications*), as a reader copies it. */
async function readmeFilterPolicy(): Promise<string> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Notifications'));
  const block = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README: no JSON block under Notifications');
  return block;
}

/** An SQS message of an SNS subscription without raw delivery: the SNS envelope. */
const EnvelopeSchema = z.looseObject({
  Subject: z.string(),
  MessageAttributes: z.record(z.string(), z.object({ Type: z.string(), Value: z.string() })),
});

describe('Class: SnsNotifier (fauxqs)', () => {
  let server: ReturnType<typeof buildApp>;
  let sns: SNSClient;
  let sqs: SQSClient;

  beforeAll(async () => {
    // buildApp, not startFauxqs: that one listens on every interface; the stand-ins stay on 127.0.0.1.
    server = buildApp({ logger: false, defaultRegion: REGION });
    const address = await server.listen({ port: 0, host: '127.0.0.1' });
    const config = { region: REGION, endpoint: address, credentials: STUB_CREDENTIALS };
    sns = new SNSClient(config);
    sqs = new SQSClient(config);
  });

  afterAll(async () => {
    sns?.destroy();
    sqs?.destroy();
    await server?.close();
  });

  async function queueOn(topicArn: string, name: string, filterPolicy?: string) {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    if (QueueUrl === undefined) throw new Error('no queue URL');
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: attributes.Attributes?.QueueArn,
        ...(filterPolicy === undefined ? {} : { Attributes: { FilterPolicy: filterPolicy } }),
      }),
    );
    return QueueUrl;
  }

  async function received(queueUrl: string) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    return (out.Messages ?? []).map((m) => EnvelopeSchema.parse(JSON.parse(m.Body ?? 'null')));
  }

  describe('when a subscription uses the README filter policy', () => {
    it('gets the quarantines, newly affected and break-glass notices of apps/ repositories only', async () => {
      // Prepare
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'release-gate' }));
      if (TopicArn === undefined) throw new Error('no topic ARN');
      const oncall = await queueOn(TopicArn, 'oncall', await readmeFilterPolicy());
      const everything = await queueOn(TopicArn, 'everything');
      const notifier = new SnsNotifier({ client: sns, topicArn: TopicArn });
      const published: [NotificationEvent, string][] = [
        ['Release Quarantined', 'apps/recs'],
        ['Release Promoted', 'apps/recs'],
        ['Release Quarantined', 'team/api'],
        ['Release Newly Affected', 'apps/guardrails'],
        ['Approval Requested', 'apps/recs'],
      ];

      // Act
      for (const [event, repository] of published) {
        await notifier.publish(`${event}: ${repository}`, { repository, digest: DIGEST }, event);
      }

      // Assess
      const attributes = (messages: z.infer<typeof EnvelopeSchema>[]) =>
        messages.map((m) => [m.MessageAttributes.event?.Value, m.MessageAttributes.repository?.Value]);
      expect(attributes(await received(oncall))).toEqual([
        ['Release Quarantined', 'apps/recs'],
        ['Release Newly Affected', 'apps/guardrails'],
      ]);
      const all = await received(everything);
      expect(attributes(all)).toEqual(published);
      expect(all.map((m) => m.Subject)).toEqual(published.map(([event, repository]) => `${event}: ${repository}`));
    });
  });
});
