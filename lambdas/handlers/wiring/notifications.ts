import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { EventBridgeOutcomes } from '../../adapters/notify/eventbridge-outcomes.js';
import { SnsNotifier } from '../../adapters/notify/sns-notifier.js';
import type { Concern } from '../aws-deps.js';
import { env } from './env.js';

/** Notifications to approvers and operators: the SNS topic TOPIC_ARN. */
export const notifier: Concern = {
  provides: ['notifier'],
  build: ({ region }) => ({
    notifier: new SnsNotifier({ client: new SNSClient({ region }), topicArn: env('TOPIC_ARN') }),
  }),
};

/** Release outcomes on the event bus EVENT_BUS_NAME. */
export const outcomes: Concern = {
  provides: ['outcomes'],
  build: ({ region }) => ({
    outcomes: new EventBridgeOutcomes({
      client: new EventBridgeClient({ region }),
      eventBusName: env('EVENT_BUS_NAME'),
    }),
  }),
};
