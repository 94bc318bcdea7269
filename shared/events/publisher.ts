import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { environmentReader, readAwsClientSettings } from '../config/env-rules.ts';
import type { Db } from '../db/client.ts';
import type { Clock } from '../ids.ts';
import { clearUnpublishedMark, isOutboxItem, type OutboxItem } from './outbox.ts';
import { createEventPutter, EventRefusedError, outboxEntry } from './put-events.ts';

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
 * failing is retried `retryAttempts` times before it is given up (in AWS: its stream position is
 * reported to the on-failure queue; the outbox items stay in the table, marked unpublished, for
 * `npm run outbox:replay`).
 */
export const publisherStreamSettings = { batchSize: 100, retryAttempts: 10 } as const;

/** The publisher function's environment, read once per container. */
export interface PublisherEnv {
  readonly EVENT_BUS_NAME: string;
  /** The table whose outbox items the publisher marks published. */
  readonly TABLE_NAME: string;
  readonly AWS_REGION: string;
  /** Set only locally: the emulator. */
  readonly AWS_ENDPOINT_URL: string | undefined;
}

/** Reads the publisher's environment; fails fast naming every bad variable. */
export function readPublisherEnv(source: NodeJS.ProcessEnv = process.env): PublisherEnv {
  const read = environmentReader(source, 'publisher');
  return read.done({
    EVENT_BUS_NAME: read.required('EVENT_BUS_NAME'),
    TABLE_NAME: read.required('TABLE_NAME'),
    ...readAwsClientSettings(read),
  });
}

export interface PublishOutboxDeps {
  readonly eventBridge: Pick<EventBridgeClient, 'send'>;
  readonly eventBusName: string;
  /** The table holding the outbox items, whose unpublished marks are cleared once published. */
  readonly db: Db;
  readonly clock: Clock;
  /** Told about each record that was not published (and will be retried); default: silent. */
  readonly onFailure?: (failure: PublishFailure) => void;
  /** Told about each event EventBridge accepted; default: silent. */
  readonly onPublished?: (eventId: string) => void;
}

/** One record that was not published, or whose mark could not be cleared, and will be retried. */
export interface PublishFailure {
  readonly sequenceNumber: string;
  readonly eventId: string | undefined;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
}

/** The outbox item of a stream record: an INSERT whose new image is one; undefined otherwise. */
export function outboxItemOf(record: DynamoDBRecord): OutboxItem | undefined {
  if (record.eventName !== 'INSERT') return undefined;
  const image = record.dynamodb?.NewImage;
  if (!image) return undefined;
  // Lambda's attribute values have the SDK's shape for every type the outbox uses (no binary).
  const item = unmarshall(image as Record<string, AttributeValue>);
  return isOutboxItem(item) ? item : undefined;
}

/**
 * Puts the outbox events of a batch of DynamoDB stream records on the bus and clears their
 * unpublished marks: one entry per INSERT whose new image is an outbox item (other records, MODIFY
 * and REMOVE included, succeed untouched), ten per PutEvents call.
 *
 * Powertools' BatchProcessor reports the records that failed as batch item failures (their sequence
 * numbers), so Lambda (`ReportBatchItemFailures`) retries from the first of them: an entry
 * EventBridge refused, a call that failed as a whole, or a mark that could not be cleared. A batch
 * that failed entirely is reported the same way rather than thrown. Delivery is at least once (a
 * retry republishes what followed the failure, the stream itself may repeat a record, a replay may
 * republish); consumers dedupe by `detail.eventId`.
 */
export async function publishOutboxRecords(
  records: readonly DynamoDBRecord[],
  deps: PublishOutboxDeps,
): Promise<DynamoDBBatchResponse> {
  // One putter per invocation: the records' entries share PutEvents calls, ten at a time.
  const putter = createEventPutter(deps.eventBridge);

  const publishRecord = async (record: DynamoDBRecord): Promise<void> => {
    const item = outboxItemOf(record);
    if (!item) return;
    try {
      await putter.put(outboxEntry(item, deps.eventBusName));
      deps.onPublished?.(item.eventId);
      await clearUnpublishedMark(deps.db, item, deps.clock());
    } catch (error) {
      deps.onFailure?.({
        sequenceNumber: record.dynamodb?.SequenceNumber ?? '',
        eventId: item.eventId,
        ...describeError(error),
      });
      throw error;
    }
  };

  return processPartialResponse(
    { Records: [...records] },
    publishRecord,
    new BatchProcessor(EventType.DynamoDBStreams),
    { throwOnFullBatchFailure: false },
  );
}

/** An error's code and message for the failure log. */
export function describeError(error: unknown): { errorCode: string; errorMessage: string | undefined } {
  if (error instanceof EventRefusedError) return { errorCode: error.errorCode, errorMessage: error.message };
  if (error instanceof Error) return { errorCode: error.name, errorMessage: error.message };
  return { errorCode: 'Error', errorMessage: String(error) };
}
