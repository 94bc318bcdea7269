import {
  type _Record as FirehoseRecord,
  PutRecordBatchCommand,
  type PutRecordBatchCommandOutput,
} from '@aws-sdk/client-firehose';
import { type ProductEventSink, toWarehouseLine, type WarehouseEvent } from './warehouse.ts';

/** PutRecordBatch's limits: records per call, bytes per call (4 MiB), bytes per record (1,000 KiB). */
export const FIREHOSE_MAX_RECORDS = 500;
export const FIREHOSE_MAX_BATCH_BYTES = 4 * 1024 * 1024;
export const FIREHOSE_MAX_RECORD_BYTES = 1000 * 1024;

/** The one call the sink makes; a `FirehoseClient` fits, and unit tests pass a fake. */
export interface PutRecordBatchClient {
  send(command: PutRecordBatchCommand): Promise<PutRecordBatchCommandOutput>;
}

export interface FirehoseSinkOptions {
  readonly client: PutRecordBatchClient;
  readonly deliveryStreamName: string;
  /**
   * Calls per record before giving up on the records Firehose keeps refusing (a partial failure:
   * `FailedPutCount` > 0, typically throttling). Errors of the call itself are retried by the SDK.
   * @default 4
   */
  readonly maxAttempts?: number;
  /** @default exponential backoff with full jitter from 100 ms */
  readonly backoff?: (attempt: number) => Promise<void>;
}

/** Firehose refused some records on every attempt; the caller retries them (the stream batch). */
export class WarehouseDeliveryError extends Error {
  override readonly name = 'WarehouseDeliveryError';
  /** How many records were refused on the last attempt. */
  readonly failed: number;
  constructor(failed: number, firstError: string) {
    super(`Firehose refused ${failed} record(s) after every attempt (first error: ${firstError}).`);
    this.failed = failed;
  }
}

const encoder = new TextEncoder();

/**
 * The warehouse sink on Amazon Data Firehose: each event one newline-terminated JSON line (one
 * Firehose record, so S3 objects are JSON Lines), sent with PutRecordBatch in calls of at most 500
 * records and 4 MiB; the records a call refused (partial failure) are sent again, alone, after a
 * backoff, until they are taken or `maxAttempts` is spent.
 */
export function createFirehoseSink(options: FirehoseSinkOptions): ProductEventSink {
  const maxAttempts = options.maxAttempts ?? 4;
  const backoff =
    options.backoff ??
    ((attempt: number) =>
      new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** (attempt - 1))));

  /** Splits records into calls within both limits, in order. */
  const batchesOf = (records: readonly Uint8Array[]): Uint8Array[][] => {
    const batches: Uint8Array[][] = [];
    let current: Uint8Array[] = [];
    let bytes = 0;
    for (const record of records) {
      if (record.byteLength > FIREHOSE_MAX_RECORD_BYTES) {
        throw new RangeError(
          `A warehouse record of ${record.byteLength} bytes exceeds Firehose's ${FIREHOSE_MAX_RECORD_BYTES}.`,
        );
      }
      if (
        current.length > 0 &&
        (current.length === FIREHOSE_MAX_RECORDS || bytes + record.byteLength > FIREHOSE_MAX_BATCH_BYTES)
      ) {
        batches.push(current);
        current = [];
        bytes = 0;
      }
      current.push(record);
      bytes += record.byteLength;
    }
    if (current.length > 0) batches.push(current);
    return batches;
  };

  /** Sends one call's records, then again the ones it refused. */
  const sendBatch = async (batch: Uint8Array[]): Promise<void> => {
    let pending = batch;
    for (let attempt = 1; ; attempt++) {
      const records: FirehoseRecord[] = pending.map((data) => ({ Data: data }));
      const output = await options.client.send(
        new PutRecordBatchCommand({ DeliveryStreamName: options.deliveryStreamName, Records: records }),
      );
      if (!output.FailedPutCount) return;
      const responses = output.RequestResponses ?? [];
      // Responses are in the order of the records: a record with an ErrorCode was not taken.
      const refused = pending.filter((_, index) => responses[index]?.ErrorCode !== undefined);
      const first = responses.find((response) => response.ErrorCode !== undefined);
      if (refused.length === 0) {
        throw new WarehouseDeliveryError(output.FailedPutCount, 'no per-record error in the response');
      }
      if (attempt >= maxAttempts) {
        throw new WarehouseDeliveryError(
          refused.length,
          `${first?.ErrorCode ?? 'unknown'}: ${first?.ErrorMessage ?? ''}`.trim(),
        );
      }
      pending = refused;
      await backoff(attempt);
    }
  };

  return {
    async send(events: readonly WarehouseEvent[]) {
      const records = events.map((event) => encoder.encode(toWarehouseLine(event)));
      for (const batch of batchesOf(records)) await sendBatch(batch);
    },
  };
}
