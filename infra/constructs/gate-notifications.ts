import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface GateNotificationsProps {
  /** Key that encrypts the topic at rest. */
  readonly key: kms.IKey;
  /**
   * Email addresses subscribed to approval requests and decisions (each must confirm).
   * @default - no subscriptions
   */
  readonly approverEmails?: readonly string[];
  /**
   * Name of the custom event bus for outcome events.
   * @default - a name unique to this construct's path (CDK's default)
   */
  readonly eventBusName?: string;
}

/** Where the gate speaks: an SNS topic for people, a custom EventBridge bus for machines. */
export class GateNotifications extends Construct {
  public readonly topic: sns.Topic;
  public readonly eventBus: events.EventBus;

  public constructor(scope: Construct, id: string, props: GateNotificationsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'release-gate',
      masterKey: props.key,
      enforceSSL: true,
    });
    for (const email of props.approverEmails ?? []) {
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new Error(`approver email "${email}" is not an address`);
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    this.eventBus = new events.EventBus(this, 'EventBus', {
      ...(props.eventBusName === undefined ? {} : { eventBusName: props.eventBusName }),
      description: 'release-gate outcome events (promoted, quarantined, approval requested)',
    });
  }
}
