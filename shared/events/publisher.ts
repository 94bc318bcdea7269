import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchItemFailure, DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import * as z from 'zod';
import { isOutboxItem } from './outbox.ts';

/** PutEvents takes at most ten entries per call. */
const MAX_ENTRIES_PER_CALL = 10;

/**
 * The records the publisher is given in AWS: the event source mapping's filter (same shape as an
 * EventBridge pattern, applied by Lambda before invoking) keeps outbox INSERTs only. The publisher
 * checks again, because locally the runner hands it every record of the stream.
 */
export const outboxStreamFilter = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { type: { S: ['outbox'] } } },
} as const;

/**
 * How the stream feeds the publisher, in AWS (lib/constructs/outbox-publisher.ts) and locally
 * (scripts/local/runner.ts): up to `batchSize` records per call, and a batch whose records keep
 * failing is retried `retryAttempts` times before it is given up (in AWS: reported to the
 * on-failure queue; the outbox items themselves stay in the table until their TTL).
 */
export const publisherStreamSettings = { batchSize: 100, retryAttempts: 10 } as const;

/** The publisher function's environment, read once per container. */
export const publisherEnvSchema = z.object({
  EVENT_BUS_NAME: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Set only locally: the emulator. */
  AWS_ENDPOINT_URL: z.url().optional(),
});
export type PublisherEnv = z.infer<typeof publisherEnvSchema>;

export interface PublishOutboxDeps {
  readonly eventBridge: Pick<EventBridgeClient, 'send'>;
  readonly eventBusName: string;
  /** Told about entries EventBridge refused and calls that failed; default: silent. */
  readonly onFailure?: (failure: PublishFailure) => void;
}

/** One record that was not published and will be retried. */
export interface PublishFailure {
  readonly sequenceNumber: string;
  readonly eventId: string | undefined;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
}

interface Pending {
  readonly sequenceNumber: string;
  readonly eventId: string;
  readonly entry: PutEventsRequestEntry;
}

/**
 * Puts the outbox events of a batch of DynamoDB stream records on the bus: one entry per INSERT
 * whose new image is an outbox item (other records, MODIFY and REMOVE included, are skipped), in
 * stream order, ten per PutEvents call.
 *
 * Returns the records that were not published as batch item failures (their sequence numbers), so
 * Lambda (`ReportBatchItemFailures`) retries the batch from the first of them: an entry EventBridge
 * refused (`FailedEntryCount` > 0), or every record of a call that failed as a whole. Delivery is at
 * least once (a retry republishes what followed the failure, and the stream itself may repeat a
 * record); consumers dedupe by `detail.eventId`.
 */
export async function publishOutboxRecords(
  records: readonly DynamoDBRecord[],
  deps: PublishOutboxDeps,
): Promise<DynamoDBBatchResponse> {
  const pending = records.flatMap((record) => toPending(record, deps.eventBusName));
  const failures: PublishFailure[] = [];

  for (let start = 0; start < pending.length; start += MAX_ENTRIES_PER_CALL) {
    const chunk = pending.slice(start, start + MAX_ENTRIES_PER_CALL);
    try {
      const result = await deps.eventBridge.send(
        new PutEventsCommand({ Entries: chunk.map((item) => item.entry) }),
      );
      if (!result.FailedEntryCount) continue;
      // Result entries are in request order; a failed one carries an ErrorCode instead of an EventId.
      chunk.forEach((item, index) => {
        const outcome = result.Entries?.[index];
        if (outcome?.EventId && !outcome.ErrorCode) return;
        failures.push({
          sequenceNumber: item.sequenceNumber,
          eventId: item.eventId,
          errorCode: outcome?.ErrorCode ?? 'Unknown',
          errorMessage: outcome?.ErrorMessage,
        });
      });
    } catch (error) {
      // The call failed as a whole (throttled, network): this chunk and everything after it is retried.
      for (const item of pending.slice(start)) {
        failures.push({
          sequenceNumber: item.sequenceNumber,
          eventId: item.eventId,
          errorCode: error instanceof Error ? error.name : 'Error',
          errorMessage: error instanceof Error ? error.message : String(error),
        });
      }
      break;
    }
  }

  for (const failure of failures) deps.onFailure?.(failure);
  return {
    batchItemFailures: failures.map(
      (failure): DynamoDBBatchItemFailure => ({ itemIdentifier: failure.sequenceNumber }),
    ),
  };
}

function toPending(record: DynamoDBRecord, eventBusName: string): Pending[] {
  if (record.eventName !== 'INSERT') return [];
  const image = record.dynamodb?.NewImage;
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (!image || !sequenceNumber) return [];
  // Lambda's attribute values have the SDK's shape for every type the outbox uses (no binary).
  const item = unmarshall(image as Record<string, AttributeValue>);
  if (!isOutboxItem(item)) return [];
  const time = new Date(item.occurredAt);
  return [
    {
      sequenceNumber,
      eventId: item.eventId,
      entry: {
        EventBusName: eventBusName,
        Source: item.source,
        DetailType: item.detailType,
        Detail: item.detail,
        ...(Number.isNaN(time.getTime()) ? {} : { Time: time }),
      },
    },
  ];
}
