import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { type AuditActivity, recordAuditActivity } from './audit-activity.ts';
import type { ProductEventRecorder } from './recorder.ts';
import { deliverToWarehouse, type ProductEventSink } from './warehouse.ts';

/**
 * The product-activity consumer's share of the table's stream: audit INSERTs (→ server-side product
 * events, ./audit-activity.ts) and raw product event INSERTs (→ the warehouse, ./warehouse.ts).
 * One consumer for both, because DynamoDB Streams serves at most two readers per shard without
 * throttling, and the outbox publisher is the other one.
 */

/**
 * The stream records the consumer is given in AWS (the event source mapping's filter): INSERTs of
 * audit items and of raw product events. The consumer checks again, because locally the runner hands
 * it every record.
 */
export const productStreamFilter = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { type: { S: ['audit', 'product-event'] } } },
} as const;

/** Batch size and retries of the stream feeding the consumer, in AWS and locally. */
export const productStreamSettings = { batchSize: 100, retryAttempts: 10 } as const;

export interface ProductStreamDeps {
  readonly recorder: ProductEventRecorder;
  readonly sink: ProductEventSink;
  readonly onRecorded?: (activity: AuditActivity) => void;
  readonly onDelivered?: (count: number) => void;
  readonly onDeliveryFailure?: (error: unknown, count: number) => void;
  /**
   * Marks the tenant-days of the batch's audit INSERTs due for the audit digest
   * (shared/audit/audit-digest.ts `markAuditDays`); its failed records are retried like the others.
   */
  readonly markAuditDays?: (records: readonly DynamoDBRecord[]) => Promise<DynamoDBBatchResponse>;
}

/**
 * Handles one stream batch: records the audited actions as product events (one by one) and copies
 * the raw events to the warehouse (in one call), then reports every record either step failed, so
 * Lambda retries the batch from the first of them. A retry is safe on both sides: the recorder
 * dedupes by event id (nothing counts twice in the aggregates), and the warehouse takes lines at
 * least once (the Athena queries dedupe by event id).
 */
export async function handleProductStream(
  records: readonly DynamoDBRecord[],
  deps: ProductStreamDeps,
): Promise<DynamoDBBatchResponse> {
  const [audit, warehouse, auditDays] = await Promise.all([
    recordAuditActivity(records, {
      recorder: deps.recorder,
      ...(deps.onRecorded ? { onRecorded: deps.onRecorded } : {}),
    }),
    deliverToWarehouse(records, {
      sink: deps.sink,
      ...(deps.onDeliveryFailure ? { onFailure: deps.onDeliveryFailure } : {}),
    }),
    deps.markAuditDays?.(records) ?? { batchItemFailures: [] },
  ]);
  if (warehouse.delivered > 0) deps.onDelivered?.(warehouse.delivered);
  const failed = new Set([
    ...audit.batchItemFailures.map((failure) => failure.itemIdentifier),
    ...warehouse.response.batchItemFailures.map((failure) => failure.itemIdentifier),
    ...auditDays.batchItemFailures.map((failure) => failure.itemIdentifier),
  ]);
  return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
}
