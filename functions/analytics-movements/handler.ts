import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { processMovementRecords } from '#shared/analytics/movements.consumer.ts';
import { createWorkerDb } from '#shared/app/worker-db.ts';
import { systemClock } from '#shared/ids.ts';
import { logger } from '#shared/observability/logger.ts';

const deps = {
  db: createWorkerDb(),
  clock: systemClock,
};

/**
 * The movements consumer: drains the `analytics-movements` rule's queue (subscription events) into
 * MRR movements. Deployed with `ReportBatchItemFailures`.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  return processMovementRecords(
    event.Records,
    deps,
    ({ messageId, error }) =>
      logger.error('MRR movement failed; the message will be retried', { messageId, error }),
    (outcome, change) =>
      logger.info('MRR change', { outcome, eventId: change.eventId, tenantId: change.tenantId }),
  );
}
