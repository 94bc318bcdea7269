import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { processMovementRecords } from '#shared/analytics/movements.consumer.ts';
import { createDocumentClient } from '#shared/db/client.ts';
import { systemClock } from '#shared/ids.ts';
import { logger } from '#shared/observability/logger.ts';

const env = z
  .object({
    TABLE_NAME: z.string().min(1),
    AWS_REGION: z.string().min(1).default('us-east-1'),
    AWS_ENDPOINT_URL: z.url().optional(),
  })
  .parse(process.env);

const deps = {
  db: {
    client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
    tableName: env.TABLE_NAME,
  },
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
