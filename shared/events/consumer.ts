import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';

/** An EventBridge event as a rule's queue delivers it (the SQS message body). */
export const busEventSchema = /* @__PURE__ */ lazyValue(() =>
  z.object({
    id: z.string(),
    'detail-type': z.string(),
    source: z.string(),
    time: z.string().optional(),
    detail: z.unknown(),
  }),
);
export type BusEvent = z.infer<ReturnType<typeof busEventSchema>>;

/** A message a consumer failed, for its log and metrics. */
export interface ConsumerFailure {
  readonly messageId: string;
  readonly error: unknown;
}

/**
 * Runs a rule consumer over a batch of its queue's messages with Powertools' BatchProcessor: each
 * body is parsed as a bus event and handed to `handle`, all at once. Messages that fail (a body that
 * is not an event, or `handle` throwing) are returned as batch item failures
 * (`ReportBatchItemFailures`): only they are retried, and after the queue's max receive count they
 * move to its dead-letter queue. A batch that failed entirely is reported the same way rather than
 * thrown. Consumers must be idempotent by `detail.eventId`: the outbox delivers at least once and
 * `npm run outbox:replay` may publish an event again.
 */
export async function processBusMessages(
  records: readonly SQSRecord[],
  handle: (event: BusEvent) => Promise<unknown>,
  onFailure: (failure: ConsumerFailure) => void = () => undefined,
): Promise<SQSBatchResponse> {
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    try {
      await handle(busEventSchema().parse(JSON.parse(record.body)));
    } catch (error) {
      onFailure({ messageId: record.messageId, error });
      throw error;
    }
  };
  return processPartialResponse({ Records: [...records] }, handleRecord, new BatchProcessor(EventType.SQS), {
    throwOnFullBatchFailure: false,
  });
}
