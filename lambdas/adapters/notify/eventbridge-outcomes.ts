import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvalidInputError } from '../../domain/errors.js';
import { OUTCOME_EVENT_TYPES, type OutcomeEmitter, type OutcomeEventType } from '../../domain/ports.js';
import { NotificationError } from './errors.js';

/** The `source` of every event the gate emits; rules match on it. */
export const OUTCOME_EVENT_SOURCE = 'release-gate';

/** The detail types, as the `OutcomeEmitter` port names them. */
export const OUTCOME_DETAIL_TYPES = OUTCOME_EVENT_TYPES;
export type OutcomeDetailType = OutcomeEventType;

/**
 * PutEvents limit: 256 KiB per entry (source, detail type, detail and resources together).
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
const MAX_ENTRY_BYTES = 256 * 1024;

export interface EventBridgeOutcomesProps {
  readonly client: EventBridgeClient;
  /** @default - the account's default event bus */
  readonly eventBusName?: string;
}

/**
 * Emits release outcomes as EventBridge events. PutEvents reports a rejected entry in
 * `FailedEntryCount` with a 200 response, not as an exception, so a failed entry throws here:
 * an outcome event is never dropped silently.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
export class EventBridgeOutcomes implements OutcomeEmitter {
  private readonly client: EventBridgeClient;
  private readonly eventBusName: string | undefined;

  public constructor(props: EventBridgeOutcomesProps) {
    this.client = props.client;
    this.eventBusName = props.eventBusName;
  }

  public async emit(detailType: OutcomeDetailType, detail: Readonly<Record<string, unknown>>): Promise<void> {
    const body = JSON.stringify(detail);
    const size = Buffer.byteLength(OUTCOME_EVENT_SOURCE + detailType + body, 'utf8');
    if (size > MAX_ENTRY_BYTES) {
      throw new InvalidInputError(`${detailType} event is ${size} bytes, above the ${MAX_ENTRY_BYTES} bytes limit`);
    }
    let out: { FailedEntryCount?: number; Entries?: { ErrorCode?: string; ErrorMessage?: string }[] };
    try {
      out = await this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: OUTCOME_EVENT_SOURCE,
              DetailType: detailType,
              Detail: body,
              ...(this.eventBusName === undefined ? {} : { EventBusName: this.eventBusName }),
            },
          ],
        }),
      );
    } catch (err) {
      throw new NotificationError(`EventBridge PutEvents (${detailType}) failed`, { cause: err });
    }
    if ((out.FailedEntryCount ?? 0) > 0) {
      const entry = out.Entries?.find((e) => e.ErrorCode !== undefined);
      throw new NotificationError(
        `EventBridge rejected the ${detailType} event: ${entry?.ErrorCode ?? 'unknown error'} ${entry?.ErrorMessage ?? ''}`.trim(),
      );
    }
  }
}
